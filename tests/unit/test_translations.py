"""The gettext catalogs: valid .po files a translator's tools accept, complete in every language, compiled .mo
files that match them, and the runtime's fallbacks (language, then English, then the key).

Babel reads the .po files in the build venv that compiles them (`make translations`): installed in .venv it would
be imported by flask_wtf on every page, which the Lambda zip never does."""
from __future__ import annotations

import json
import re
import string
import subprocess
from pathlib import Path

import pytest

from survey_app import i18n
from survey_app.domain.models import LANGUAGES

PACKAGE = Path(i18n.__file__).parent
ROOT = PACKAGE.parent
TRANSLATIONS = PACKAGE / "translations"
BUILD_VENV = ROOT / ".cache" / "i18n-venv" / "bin"
PLURALS = {"en": 2, "id": 1}  # CLDR: English has one/other, Indonesian has a single form
# A key written literally where the text is shown: _('key') in templates, translate("key", ...) in code;
# or the literal start of a key a template completes, _('status_' ~ case.status).
LITERAL_KEY = re.compile(r"""(?:\b_|\btranslate)\(\s*(['"])([^'"{}]+)\1\s*[,)]""")
KEY_PREFIX = re.compile(r"""\b_\(\s*(['"])([^'"{}]+)\1\s*~""")
READ_PO = """
import json, sys
from babel.messages.pofile import read_po
catalogs = {}
for name in sys.argv[1:]:
    with open(name, "rb") as source:
        catalog = read_po(source, abort_invalid=True)
    catalogs[name] = {"locale": str(catalog.locale or ""), "plural_forms": catalog.plural_forms,
                      "num_plurals": catalog.num_plurals, "fuzzy": catalog.fuzzy,
                      "messages": [{"id": m.id, "string": m.string, "comments": m.auto_comments, "fuzzy": m.fuzzy}
                                   for m in catalog if m.id]}
print(json.dumps(catalogs))
"""


def babel(*args: str) -> subprocess.CompletedProcess:
    if not (BUILD_VENV / "pybabel").exists():
        pytest.fail("Babel's build venv is missing: run `make translations`")
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def catalogs() -> dict[str, dict]:
    """Each .po file as Babel reads it (an invalid file fails here), keyed by language; "pot" is the template."""
    paths = {lang: TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po" for lang in LANGUAGES}
    paths["pot"] = TRANSLATIONS / "messages.pot"
    read = json.loads(babel(str(BUILD_VENV / "python"), "-c", READ_PO, *map(str, paths.values())).stdout)
    return {name: read[str(path)] for name, path in paths.items()}


def messages(catalog: dict) -> dict[str, str]:
    return {message["id"]: message["string"] for message in catalog["messages"]}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_language_has_a_valid_catalog_with_its_plural_forms(catalogs):
    assert set(PLURALS) == set(LANGUAGES)
    for lang, nplurals in PLURALS.items():
        assert catalogs[lang]["locale"] == lang
        assert catalogs[lang]["num_plurals"] == nplurals, lang
        assert f"nplurals={nplurals};" in catalogs[lang]["plural_forms"], lang
        assert not catalogs[lang]["fuzzy"], f"{lang}: a fuzzy header makes pybabel compile skip the whole catalog"


def test_english_indonesian_and_the_template_hold_the_same_messages(catalogs):
    english = messages(catalogs["en"])
    assert len(english) > 400
    for lang in LANGUAGES:
        assert set(messages(catalogs[lang])) == set(english), f"{lang}: run `make translations-update`, translate"
    assert set(messages(catalogs["pot"])) == set(english), "messages.pot is stale: run `make translations-update`"
    assert not any(messages(catalogs["pot"]).values()), "the template holds no translations"


def test_no_message_is_empty_or_fuzzy(catalogs):
    for lang in LANGUAGES:
        for message in catalogs[lang]["messages"]:
            assert message["string"].strip(), (lang, message["id"])
            assert not message["fuzzy"], (lang, message["id"])


def test_placeholders_are_the_same_in_every_language(catalogs):
    english = messages(catalogs["en"])
    for lang in LANGUAGES:
        for key, text in messages(catalogs[lang]).items():
            assert placeholders(text) == placeholders(english[key]), (lang, key, text)


def test_translators_see_the_english_text_beside_every_message(catalogs):
    english = messages(catalogs["en"])
    for name in [lang for lang in LANGUAGES if lang != "en"] + ["pot"]:
        for message in catalogs[name]["messages"]:
            # the comment is wrapped at 76 columns like any .po line: compare the words
            assert " ".join(message["comments"]).split() == english[message["id"]].split(), (name, message["id"])


def test_every_key_written_in_templates_and_code_is_in_the_catalog(catalogs):
    sources = [*PACKAGE.joinpath("templates").rglob("*.html"), *PACKAGE.joinpath("templates").rglob("*.txt"),
               *PACKAGE.rglob("*.py")]
    texts = [path.read_text(encoding="utf-8") for path in sources]
    used = {key for text in texts for _, key in LITERAL_KEY.findall(text)}
    prefixes = {prefix for text in texts for _, prefix in KEY_PREFIX.findall(text)}
    assert {"login", "wa_opted_out", "send_template"} <= used and "status_" in prefixes  # each form is found
    keys = set(messages(catalogs["en"]))
    assert not used - keys
    assert not {prefix for prefix in prefixes if not any(key.startswith(prefix) for key in keys)}


def test_the_compiled_catalogs_match_their_po_files(catalogs):
    for lang in LANGUAGES:
        compiled = i18n.catalog.__wrapped__(lang)  # read afresh, not the cached copy
        assert compiled == messages(catalogs[lang]), f"{lang}: the .mo is stale, run `make translations`"


def test_translate_formats_the_placeholders_of_the_requested_language(catalogs):
    english = messages(catalogs["en"])
    key = next(k for k, text in english.items() if placeholders(text) == {"name"})
    expected = messages(catalogs["id"])[key].format(name="Sari <b>")
    assert i18n.translate(key, "id", name="Sari <b>") == expected != english[key].format(name="Sari <b>")


SMALL_PO = """msgid ""
msgstr ""
"Language: {lang}\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "hello"
msgstr "{hello}"

msgid "bye"
msgstr "{bye}"
"""


@pytest.fixture
def small_catalogs(tmp_path, monkeypatch):
    """Catalogs compiled by pybabel in a scratch folder: English complete, Indonesian lacking "bye"."""
    for lang, hello, bye in (("en", "Hello {name}", "Bye"), ("id", "Halo {name}", "")):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        po, mo = folder / "messages.po", folder / "messages.mo"
        po.write_text(SMALL_PO.format(lang=lang, hello=hello, bye=bye), encoding="utf-8")
        babel(str(BUILD_VENV / "pybabel"), "compile", "-i", str(po), "-o", str(mo))
    monkeypatch.setattr(i18n, "CATALOG_DIR", tmp_path)
    i18n.catalog.cache_clear()
    yield tmp_path
    i18n.catalog.cache_clear()


def test_a_message_missing_in_a_language_falls_back_to_english_then_to_its_key(small_catalogs):
    assert i18n.translate("hello", "id", name="Sari") == "Halo Sari"
    assert i18n.translate("bye", "id") == "Bye"
    assert i18n.translate("no_such_key", "id") == "no_such_key"


def test_a_missing_compiled_catalog_fails_loudly_naming_the_make_target(small_catalogs):
    (small_catalogs / "id" / "LC_MESSAGES" / "messages.mo").unlink()
    with pytest.raises(RuntimeError, match=r"make translations"):
        i18n.translate("hello", "id", name="Sari")
