"""One-off migration: the JSON catalogs (survey_app/translations/<lang>.json) become gettext catalogs, keeping
every key as the msgid and its text as the msgstr, in the JSON's order; the template is written beside them.
Each non-English entry carries the English text as its extracted comment (#.) for the translator."""
from __future__ import annotations

import json
import sys

from babel.messages.catalog import Catalog
from po_template import PROJECT, TRANSLATIONS, catalog_path, template, write


def convert(lang: str, english: dict[str, str]) -> Catalog:
    texts = json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8"))
    catalog = Catalog(locale=lang, project=PROJECT, fuzzy=False)
    for key, text in texts.items():
        comments = [] if lang == "en" else [english.get(key, "")]
        catalog.add(key, text, auto_comments=comments)
    return catalog


def main() -> int:
    english = json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))
    for lang in sorted(path.stem for path in TRANSLATIONS.glob("*.json")):
        write(convert(lang, english), catalog_path(lang))
    en = convert("en", english)
    write(template(en), TRANSLATIONS / "messages.pot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
