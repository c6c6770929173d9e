"""Survey definitions: the built-in templates are valid, and invalid ones are refused with every reason."""
import pytest

from survey_app.domain.models import LANGUAGES, NPS, SINGLE, DefinitionError, Option, Question, Survey, Text
from survey_app.domain.templates import TEMPLATES
from survey_app.domain.validation import validate_survey


def make(questions, **kwargs):
    return Survey(id="s", title=kwargs.pop("title", Text("Title", "Judul")), intro=Text(), questions=tuple(questions),
                  **kwargs)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_is_valid_and_fully_bilingual(key):
    template = TEMPLATES[key]
    validate_survey(make(template["questions"], title=template["title"]))
    for question in template["questions"]:
        assert question.label.en and question.label.id
        for option in question.options:
            assert option.label.en and option.label.id


def test_post_purchase_template_asks_score_then_reason_then_optional_csat():
    types = [(q.type, q.required) for q in TEMPLATES["post_purchase_nps"]["questions"]]
    assert types == [("nps", True), ("long_text", False), ("csat", False), ("csat", False)]


def test_complaint_template_offers_the_six_categories():
    category = TEMPLATES["complaint_follow_up"]["questions"][0]
    assert [o.value for o in category.options] == ["product", "service", "communication", "delivery", "system", "price"]


def test_invalid_definition_reports_every_problem_at_once():
    questions = [
        Question("nps", NPS, Text("a")),
        Question("nps", NPS, Text("")),
        Question("Bad Id", "stars", Text("x")),
        Question("pick", SINGLE, Text("p"), options=(Option("only", Text("o")),)),
    ]
    with pytest.raises(DefinitionError) as raised:
        validate_survey(make(questions, title=Text(), default_language="fr"))
    text = " | ".join(raised.value.errors)
    for expected in ("title", "Default language", "Only one NPS", "used twice", "needs a label",
                     "lowercase", "unknown type", "2 to 20 options"):
        assert expected in text


def test_survey_without_questions_is_refused():
    with pytest.raises(DefinitionError, match="at least one question"):
        validate_survey(make([]))


def test_text_falls_back_to_the_other_language():
    assert Text("Only English", "").get("id") == "Only English"
    assert Text("", "Hanya Indonesia").get("en") == "Hanya Indonesia"
    assert set(LANGUAGES) == {"id", "en"}
