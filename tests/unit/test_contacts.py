"""Phone numbers to E.164 with Indonesia as the default country; e-mails checked and lower-cased."""
import pytest

from survey_app.domain.contacts import ContactError, normalise_email, normalise_phone


@pytest.mark.parametrize("raw,expected", [
    ("0812-3456-7890", "+6281234567890"),
    ("081234567890", "+6281234567890"),
    ("+62 812 3456 7890", "+6281234567890"),
    ("6281234567890", "+6281234567890"),
    ("812 3456 7890", "+6281234567890"),
    ("0062 812 3456 7890", "+6281234567890"),
    ("+44 20 7946 0958", "+442079460958"),
    ("(021) 555-1234", "+62215551234"),
    ("", ""),
])
def test_phones_become_e164_with_indonesia_by_default(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["call me", "0812", "+1234567890123456", "0812-ABC-7890"])
def test_impossible_phones_are_refused_with_a_reason(raw):
    with pytest.raises(ContactError, match="phone"):
        normalise_phone(raw)


def test_emails_are_lower_cased_and_checked():
    assert normalise_email("  Sarah@Example.COM ") == "sarah@example.com"
    assert normalise_email("") == ""
    with pytest.raises(ContactError):
        normalise_email("sarah@")
