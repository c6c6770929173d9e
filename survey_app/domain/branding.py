"""A survey's brand colour is accepted only when its buttons stay readable: WCAG 2.1 contrast, AA (4.5:1)."""
from __future__ import annotations

import re

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
AA_MINIMUM = 4.5  # WCAG 2.1 SC 1.4.3, normal-size text
WHITE = "#ffffff"
BUSINESS_NAME_MAX = 80


class BrandingError(ValueError):
    """The owner's branding was refused; the message key says why."""


def _channel(value: int) -> float:
    # WCAG 2.1 "relative luminance" (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance), sRGB linearised.
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter over the darker (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio)."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def brand_colour(raw: str) -> str:
    """'' (no colour) or '#rrggbb' lower-cased; white text on it and it as text on white must both reach AA.
    :raises BrandingError:"""
    colour = raw.strip().lower()
    if not colour:
        return ""
    if not HEX_COLOUR.match(colour):
        raise BrandingError("brand_colour_not_hex")
    if contrast_ratio(colour, WHITE) < AA_MINIMUM:  # the same pair both ways: white on it, it on white
        raise BrandingError("brand_colour_low_contrast")
    return colour


def business_name(raw: str) -> str:
    """:raises BrandingError: too long for a page header."""
    name = " ".join(raw.split())
    if len(name) > BUSINESS_NAME_MAX:
        raise BrandingError("business_name_too_long")
    return name
