"""Numbers, dates and times as an Indonesian or English owner reads them, in the business's zone."""
from datetime import date, datetime, timezone

import pytest

from survey_app import formatting


@pytest.mark.parametrize("value, lang, decimals, shown", [
    (1234.5, "id", None, "1.234,5"),
    (1234.5, "en", None, "1,234.5"),
    (1234567, "id", None, "1.234.567"),
    (1234567, "en", None, "1,234,567"),
    (-12.25, "id", 2, "-12,25"),
    (-0.04, "en", 1, "0.0"),
    (0, "id", None, "0"),
    (42.0, "fr", None, "42.0"),
])
def test_numbers_group_and_separate_decimals_in_the_viewers_language(value, lang, decimals, shown):
    assert formatting.number(value, lang, decimals) == shown


def test_percentages_use_the_languages_decimal_mark():
    assert formatting.percent(12.5, "id", 1) == "12,5%"
    assert formatting.percent(12.5, "en", 1) == "12.5%"
    assert formatting.percent(None, "en") == formatting.EMPTY


def test_signed_numbers_always_carry_their_sign_as_before():
    assert formatting.signed(12.4, "id") == "+12"
    assert formatting.signed(-3.46, "id", 1) == "-3,5"
    assert formatting.signed(0.2, "en") == "+0" and formatting.signed(-0.2, "en") == "+0"
    assert formatting.signed(None, "en") == formatting.EMPTY


def test_dates_name_the_month_in_the_viewers_language():
    assert formatting.date(date(2026, 12, 1), "id") == "1 Desember 2026"
    assert formatting.date("2026-12-01", "en") == "1 December 2026"
    assert formatting.date("2026-05-31", "id") == "31 Mei 2026"


def test_a_moments_date_is_the_day_in_the_business_zone():
    # 18:30 UTC on 30 November is already 1 December in Jakarta (UTC+7)
    assert formatting.date("2026-11-30T18:30:00+00:00", "id", "Asia/Jakarta") == "1 Desember 2026"
    assert formatting.date("2026-11-30T18:30:00+00:00", "en", "UTC") == "30 November 2026"


def test_times_are_shown_in_the_business_zone_with_the_zone_named():
    moment = datetime(2026, 11, 30, 18, 5, tzinfo=timezone.utc)
    assert formatting.datetime(moment, "id", "Asia/Jakarta") == "1 Desember 2026 01.05 WIB"
    assert formatting.datetime(moment.isoformat(), "en", "Asia/Makassar") == "1 December 2026 02:05 WITA"
    assert formatting.datetime("2026-11-30T18:05:00", "en", "UTC") == "30 November 2026 18:05 UTC"


def test_a_zone_without_an_abbreviation_is_named_by_its_offset():
    assert formatting.datetime("2026-06-01T00:00:00+00:00", "en", "Asia/Dubai") == "1 June 2026 04:00 UTC+04"


def test_missing_values_show_a_dash_not_an_error():
    assert formatting.number(None, "id") == formatting.EMPTY
    assert formatting.date("", "id") == formatting.EMPTY
    assert formatting.datetime(None, "en", "Asia/Jakarta") == formatting.EMPTY
    assert formatting.local_iso("", "Asia/Jakarta") == ""


def test_local_iso_keeps_the_offset_for_exports():
    assert formatting.local_iso("2026-11-30T18:05:00+00:00", "Asia/Jakarta") == "2026-12-01T01:05:00+07:00"


def test_template_filters_read_the_language_when_the_value_is_shown():
    lang = ["id"]
    filters = formatting.filters(lambda: lang[0], lambda: "Asia/Jakarta")
    assert filters["number"](1234.5) == "1.234,5"
    lang[0] = "en"
    assert filters["number"](1234.5) == "1,234.5"
    assert filters["percent"](50) == "50%"
    assert filters["signed"](7) == "+7"
    assert filters["datetime"]("2026-11-30T18:05:00+00:00") == "1 December 2026 01:05 WIB"
    assert filters["date"]("2026-12-01") == "1 December 2026"
