import pytest

from survey_app.domain.branding import BrandingError, brand_colour, business_name, contrast_ratio, relative_luminance


@pytest.mark.parametrize("colour, luminance", [("#000000", 0.0), ("#ffffff", 1.0), ("#ff0000", 0.2126),
                                               ("#00ff00", 0.7152), ("#0000ff", 0.0722)])
def test_relative_luminance_follows_wcag_coefficients(colour, luminance):
    assert relative_luminance(colour) == pytest.approx(luminance)


# Known pairs: black/white is 21:1 by definition; #767676 on white is the classic lightest AA grey (4.54:1);
# #777777 just fails (4.48:1); pure red on white is 4.00:1 (WebAIM contrast checker).
@pytest.mark.parametrize("first, second, ratio", [("#000000", "#ffffff", 21.0), ("#767676", "#ffffff", 4.54),
                                                  ("#ffffff", "#777777", 4.48), ("#ff0000", "#ffffff", 4.0),
                                                  ("#123456", "#123456", 1.0)])
def test_contrast_ratio_matches_known_pairs_in_either_order(first, second, ratio):
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize("raw, kept", [("#767676", "#767676"), (" #1A5FB4 ", "#1a5fb4"), ("", "")])
def test_brand_colour_keeps_readable_colours_lower_cased(raw, kept):
    assert brand_colour(raw) == kept


@pytest.mark.parametrize("raw, reason", [("#777777", "brand_colour_low_contrast"), ("#ff0000", "brand_colour_low_contrast"),
                                         ("#ffff00", "brand_colour_low_contrast"), ("red", "brand_colour_not_hex"),
                                         ("#fff", "brand_colour_not_hex"), ("#12345g", "brand_colour_not_hex"),
                                         ("#123456;color:red", "brand_colour_not_hex")])
def test_brand_colour_refuses_unreadable_or_malformed_colours(raw, reason):
    with pytest.raises(BrandingError, match=reason):
        brand_colour(raw)


def test_business_name_is_trimmed_and_limited():
    assert business_name("  Toko   Maju ") == "Toko Maju"
    with pytest.raises(BrandingError):
        business_name("x" * 81)
