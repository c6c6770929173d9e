"""Customer contact normalisation: phones to E.164 (Indonesia by default), e-mails to lower case."""
from __future__ import annotations

import re

DEFAULT_COUNTRY_CODE = "62"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254


class ContactError(ValueError):
    """A phone number or e-mail address that cannot be used; the message says why."""


def normalise_phone(raw: str, country_code: str = DEFAULT_COUNTRY_CODE) -> str:
    """'0812-3456-7890' -> '+6281234567890'; '+44 20 7946 0958' kept international; '' stays ''.

    :raises ContactError: for anything that cannot be an E.164 number (8 to 15 digits).
    """
    text = raw.strip()
    if not text:
        return ""
    if re.search(r"[^\d\s\-+().]", text):
        raise ContactError(f"phone {raw!r} has characters other than digits, spaces, + - ( ) .")
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("0"):
        number = country_code + digits[1:]
    elif digits.startswith(country_code):
        number = digits
    else:
        number = country_code + digits
    if not 8 <= len(number) <= 15:
        raise ContactError(f"phone {raw!r} is not a valid number (E.164 allows 8 to 15 digits)")
    return "+" + number


def normalise_email(raw: str) -> str:
    """:raises ContactError: when it does not look like an address."""
    text = raw.strip().lower()
    if not text:
        return ""
    if len(text) > MAX_EMAIL or not EMAIL.match(text):
        raise ContactError(f"e-mail {raw!r} is not a valid address")
    return text
