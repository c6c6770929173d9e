"""Cell values as shops' exports write them: local dates, Indonesian numbers, phones in any national form."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

MONTHS = {  # Indonesian and English month names and their short forms, as exports and Excel write them
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2, "mar": 3, "maret": 3, "march": 3,
    "apr": 4, "april": 4, "mei": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7, "juli": 7, "july": 7,
    "agu": 8, "agt": 8, "agustus": 8, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oktober": 10, "oct": 10, "october": 10, "nov": 11, "nopember": 11, "november": 11,
    "des": 12, "desember": 12, "dec": 12, "december": 12,
}
TIME = r"(?:[ T]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?)?"
ZONE = r"\s*(Z|[+-]\d{2}:?\d{2}|WIB|UTC)?"
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + TIME + ZONE + "$")
DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + TIME + ZONE + "$")
NAMED_MONTH = re.compile(r"^(\d{1,2})[ -]([A-Za-z]+)[ -,]*(\d{4})" + TIME + ZONE + "$")
NUMBER = re.compile(r"^(?:Rp\.?\s*|IDR\s*)?-?\d[\d.,]*$", re.IGNORECASE)
# Words of an order status that mean the customer did not keep the purchase (Shopee, Tokopedia, TikTok Shop,
# WooCommerce and Shopify statuses, Indonesian and English): such a row is skipped, never invited.
NOT_KEPT = ("batal", "pembatalan", "pengembalian", "dikembalikan", "retur", "cancel", "refund", "return", "voided",
            "gagal", "failed", "belum bayar", "unpaid")


class CellError(ValueError):
    """A cell that cannot mean what its column says; the message names the value."""


def parse_time(text: str, tz_name: str) -> datetime | None:
    """'28/11/2026 09:15', '2026-11-28 09:15:00 +0700', '28 Nov 2026': day first, never month first (no
    Indonesian export writes month first); a time without an offset is the owner's local time. '' is None.

    :raises CellError: anything else.
    """
    text = text.strip()
    if not text:
        return None
    if match := ISO_DATE.match(text):
        year, month, day = (int(match.group(i)) for i in (1, 2, 3))
    elif match := DAY_FIRST.match(text):
        day, month, year = (int(match.group(i)) for i in (1, 2, 3))
    elif (match := NAMED_MONTH.match(text)) and match.group(2).lower() in MONTHS:
        day, month, year = int(match.group(1)), MONTHS[match.group(2).lower()], int(match.group(3))
    else:
        raise CellError(f"{text!r} is not a date like 28/11/2026 09:15 or 2026-11-28 09:15")
    hour, minute, second, half, zone = match.group(4), match.group(5), match.group(6), match.group(7), match.group(8)
    hour = int(hour or 0)
    if half:
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    if not 2000 <= year <= 2100:
        raise CellError(f"{text!r} is out of range (years 2000 to 2100)")
    try:
        moment = datetime(year, month, day, hour, int(minute or 0), int(second or 0))
    except ValueError:
        raise CellError(f"{text!r} is not a real date or time") from None
    return moment.replace(tzinfo=_zone(zone, tz_name))


def _zone(zone: str | None, tz_name: str):
    if not zone or zone == "WIB":
        return ZoneInfo(tz_name if not zone else "Asia/Jakarta")
    if zone in ("Z", "UTC"):
        return ZoneInfo("UTC")
    return datetime.strptime(zone.replace(":", ""), "%z").tzinfo


def parse_number(text: str) -> str | None:
    """'85.000' -> '85000', '1.234,50' -> '1234.50', 'Rp 85.000' -> '85000', '85000.00' kept; None if not a number.
    A dot followed by exactly three digits groups thousands (Indonesian); a comma before the last one or two
    digits is the decimal mark."""
    text = text.strip()
    if not NUMBER.match(text):
        return None
    digits = re.sub(r"^(?:Rp\.?\s*|IDR\s*)", "", text, flags=re.IGNORECASE)
    sign, digits = ("-", digits[1:]) if digits.startswith("-") else ("", digits)
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif "," in digits:
        decimal = "," if re.fullmatch(r"\d+,\d{1,2}", digits) else None
    elif "." in digits:
        decimal = None if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits) else "."
    else:
        decimal = None
    whole, _, fraction = digits.rpartition(decimal) if decimal else (digits, "", "")
    whole = re.sub(r"[.,]", "", whole)
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        return None
    return sign + whole + ("." + fraction if fraction else "")


def parse_phone(text: str, country_code: str = "62") -> str:
    """E.164 by the phonenumbers library (Google's libphonenumber metadata): '0812-3456-7890', '+62 812...',
    '62 812...' and '812...' (an Excel cell that lost its 0) all give '+6281234567890'; '' stays ''.

    :raises CellError: not a possible number for its country.
    """
    import phonenumbers  # imported here: only imports and the API read phones, never a customer's page

    text = text.strip()
    if not text:
        return ""
    if re.search(r"\d[.,]\d+[eE]\+?\d+$", text):
        raise CellError(f"phone {text!r} was rounded by a spreadsheet (format the column as text)")
    region = phonenumbers.region_code_for_country_code(int(country_code))
    digits = re.sub(r"\D", "", text)
    if not text.startswith("+") and digits.startswith(country_code) and len(digits) > 10:
        text = "+" + digits  # '62 812...' written without its plus
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise CellError(f"phone {text!r} is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise CellError(f"phone {text!r} is not a possible number (too short or too long)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def not_kept(status: str) -> bool:
    """True for an order status that says cancelled, returned, refunded, failed or unpaid."""
    folded = status.casefold()
    return any(word in folded for word in NOT_KEPT)
