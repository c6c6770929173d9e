"""Numbers, percentages, dates and times as an Indonesian or English owner reads them, in the business's zone.

Written by hand for the two languages the app speaks: Babel would add 10.8 MB zipped (33.5 MB unzipped, 32.4 MB
of it locale data) to an 18 MB Lambda zip whose direct-upload limit is 25 MB. The separators and month names
follow CLDR's `id` and `en` data (the same Babel ships): id groups with '.', decimals with ',' and writes times
as 14.05; en the other way round and 14:05. No Flask here: services (the digest) format with it too.
"""
from __future__ import annotations

from datetime import date as Date, datetime as DateTime
from typing import Callable
from zoneinfo import ZoneInfo

SEPARATORS = {"id": (".", ","), "en": (",", ".")}  # (grouping, decimal)
TIME_SEPARATOR = {"id": ".", "en": ":"}
MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
EMPTY = "–"


def _lang(lang: str) -> str:
    return lang if lang in SEPARATORS else "en"


def number(value: float | int | None, lang: str, decimals: int | None = None) -> str:
    """1.234,5 (id) or 1,234.5 (en); whole numbers without decimals unless `decimals` is given."""
    if value is None:
        return EMPTY
    if decimals is None:
        decimals = 0 if isinstance(value, int) else 1
    group, point = SEPARATORS[_lang(lang)]
    text = f"{abs(value):,.{decimals}f}"
    whole, _, fraction = text.partition(".")
    sign = "-" if value < 0 and text.strip("0.,") else ""
    return sign + whole.replace(",", group) + (point + fraction if fraction else "")


def signed(value: float | None, lang: str, decimals: int = 0) -> str:
    """A change or an NPS with its sign, as '%+.0f' wrote it: +12 / -3,5 / +0."""
    if value is None:
        return EMPTY
    return ("-" if round(value, decimals) < 0 else "+") + number(abs(float(value)), lang, decimals)


def percent(value: float | None, lang: str, decimals: int = 0) -> str:
    """A share already in percent points (0-100), e.g. 12,5% (id) or 12.5% (en)."""
    return EMPTY if value is None else number(float(value), lang, decimals) + "%"


def _moment(value: DateTime | str | None) -> DateTime | None:
    if not value:
        return None
    moment = DateTime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def date(value: Date | DateTime | str | None, lang: str, tz_name: str = "UTC") -> str:
    """1 Desember 2026 / 1 December 2026; a moment is first moved into the business's zone."""
    if not value:
        return EMPTY
    if isinstance(value, DateTime) or (isinstance(value, str) and "T" in value):
        day = _moment(value).astimezone(ZoneInfo(tz_name)).date()
    else:
        day = Date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {MONTHS[_lang(lang)][day.month - 1]} {day.year}"


def zone_name(moment: DateTime) -> str:
    """The zone as people there write it (WIB, WITA, UTC); an abbreviation-less zone as its UTC offset."""
    name = moment.tzname() or ""
    return name if name[:1].isalpha() else f"UTC{name}"


def datetime(value: DateTime | str | None, lang: str, tz_name: str) -> str:
    """1 Desember 2026 14.05 WIB: the moment in the business's zone, with the zone named."""
    moment = _moment(value)
    if moment is None:
        return EMPTY
    local = moment.astimezone(ZoneInfo(tz_name))
    clock = f"{local.hour:02d}{TIME_SEPARATOR[_lang(lang)]}{local.minute:02d}"
    return f"{date(local.date(), lang)} {clock} {zone_name(local)}"


def local_iso(value: DateTime | str | None, tz_name: str) -> str:
    """The moment in the business's zone as ISO 8601 with its offset (exports keep the UTC column beside it)."""
    moment = _moment(value)
    return "" if moment is None else moment.astimezone(ZoneInfo(tz_name)).isoformat()


def filters(lang_of: Callable[[], str], zone_of: Callable[[], str]) -> dict[str, Callable]:
    """Jinja filters bound to the viewer's language and the business's zone, read when a value is shown."""
    return {
        "number": lambda value, decimals=None: number(value, lang_of(), decimals),
        "percent": lambda value, decimals=0: percent(value, lang_of(), decimals),
        "signed": lambda value, decimals=0: signed(value, lang_of(), decimals),
        "date": lambda value: date(value, lang_of(), zone_of()),
        "datetime": lambda value: datetime(value, lang_of(), zone_of()),
    }
