"""docs/whatsapp-templates.md and the code that sends templates agree: every template the code can send is in
the doc's table with its name, its number of body parameters, its URL button and its quick replies; each language's
body has exactly the placeholders {{1}}..{{n}}; the builders fill exactly those parameters."""
import re
from pathlib import Path

from survey_app.config import DEFAULTS
from survey_app.services.chat_templates import (TEMPLATES, case_alert_template, case_reply_template,
                                                invitation_template)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "whatsapp-templates.md").read_text(encoding="utf-8")


def table_rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in TEMPLATES:
            rows[cells[0]] = cells
    return rows


def bodies(name: str) -> dict[str, str]:
    section = DOC.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^- (id|en): `([^`]+)`", section, flags=re.M))


def test_every_template_in_the_code_is_in_the_doc_table_with_the_same_shape():
    rows = table_rows()
    assert set(rows) == set(TEMPLATES)
    for key, spec in TEMPLATES.items():
        _, name, category, languages, parameters, url, quick = rows[key]
        assert name.startswith(f"`{spec.name}`") and category == "utility" and languages == "id, en", key
        assert int(parameters.split(":")[0]) == len(spec.body_parameters), key
        assert (url != "–") == bool(spec.url_suffix), key
        assert (quick.split(", ") if quick != "–" else []) == list(spec.quick_replies), key


def test_each_language_body_has_exactly_the_parameters_the_code_fills():
    for spec in TEMPLATES.values():
        texts = bodies(spec.name)
        assert set(texts) == {"id", "en"}, spec.name
        for text in texts.values():
            assert sorted(set(re.findall(r"\{\{(\d+)\}\}", text))) == [str(i + 1) for i in
                                                                       range(len(spec.body_parameters))], spec.name


def test_the_builders_fill_the_documented_parameters_and_the_settings_default_to_the_documented_names():
    built = {"invitation": invitation_template("survey_invitation", "+62811", "id", "Budi", "tok"),
             "case_alert": case_alert_template("case_alert", "+62811", "id", "x" * 80, "s/cases/r"),
             "case_reply": case_reply_template("case_reply", "+62811", "id", "Budi", "Toko")}
    for key, message in built.items():
        spec = TEMPLATES[key]
        assert len(message.body_parameters) == len(spec.body_parameters), key
        assert bool(message.url_button_suffix) == bool(spec.url_suffix), key
        assert message.quick_reply_payloads == spec.quick_replies, key
    assert len(built["case_alert"].body_parameters[0]) == 60
    assert (DEFAULTS["WHATSAPP_TEMPLATE"], DEFAULTS["WHATSAPP_REMINDER_TEMPLATE"], DEFAULTS["ALERT_WHATSAPP_TEMPLATE"],
            DEFAULTS["WHATSAPP_REPLY_TEMPLATE"]) == tuple(TEMPLATES[k].name for k in
                                                          ("invitation", "reminder", "case_alert", "case_reply"))
