"""Indonesian and English UI text from gettext catalogs compiled at build time, read with the stdlib alone:
translators keep the usual .po tools and the answer path imports nothing heavier than before."""
from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from flask import Flask, current_app, g, request, session

from . import formatting

from .domain.models import LANGUAGES

CATALOG_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"


@cache
def catalog(lang: str) -> dict[str, str]:
    """The language's own messages (msgid -> text) from its compiled .mo, read once per process."""
    path = CATALOG_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as compiled:
            translations = gettext.GNUTranslations(compiled)
    except FileNotFoundError:
        raise RuntimeError(f"{path} is missing: the .mo catalogs are built from the .po files by "
                           "`make translations` (scripts/package.sh does it for the Lambda zip)") from None
    # GNUTranslations keeps the parsed messages in _catalog (CPython's Lib/gettext.py); "" is the .po header.
    return {msgid: text for msgid, text in translations._catalog.items() if msgid}


def translate(key: str, lang: str | None = None, **values) -> str:
    """The message in `lang` (default: the request's), falling back to English, then to the key itself."""
    lang = lang or getattr(g, "lang", "en")
    text = catalog(lang).get(key) or catalog("en").get(key) or key
    return text.format(**values) if values else text


def choose_language(*preferences: str | None, default: str = "id") -> str:
    """The first supported language among explicit choices, then Accept-Language, then the default."""
    for preference in preferences:
        if preference in LANGUAGES:
            return preference
    best = request.accept_languages.best_match(LANGUAGES) if request else None
    return best or default


def owner_language() -> str:
    """Owner pages: ?lang= sticks in the session; otherwise the browser's preference."""
    if request.args.get("lang") in LANGUAGES:
        session["lang"] = request.args["lang"]
    return choose_language(session.get("lang"), default="en")


def install(app: Flask) -> None:
    app.jinja_env.globals.update(_=translate, LANGUAGES=LANGUAGES)
    app.jinja_env.filters.update(formatting.filters(lambda: getattr(g, "lang", "en"),
                                                    lambda: current_app.config["TIMEZONE"]))
