"""Writes survey_app/translations/messages.pot from the English catalog, so a translator's tools (Poedit's
"Update from POT", `pybabel init` and `pybabel update`) see every message with its English text beside it.

The msgids are the app's symbolic keys ("dashboard_title"); the English catalog holds their text and is the
reference every other language translates. Run through `make translations-update`, which then merges the
template into each language's catalog. Needs Babel (the `i18n` extra), a build tool that never ships."""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

TRANSLATIONS = Path(__file__).resolve().parents[1] / "survey_app" / "translations"
PROJECT = "survey_app"


def catalog_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def template(english: Catalog) -> Catalog:
    """Every English message as an untranslated entry whose extracted comment (#.) is its English text."""
    pot = Catalog(project=PROJECT, fuzzy=True)
    for message in english:
        if message.id:
            pot.add(message.id, auto_comments=[message.string])
    return pot


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog, ignore_obsolete=True)  # pybabel update's own layout: no churn between the two


def main() -> int:
    with catalog_path("en").open("rb") as source:
        english = read_po(source, locale="en")
    write(template(english), TRANSLATIONS / "messages.pot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
