"""Which items a survey's deletion takes: exactly those naming its id in a key or in `survey_id`, never another
survey's whose id merely contains it."""
import pytest

from survey_app.store.survey_deletion import names_survey

SURVEY = "Ab3_xY"


@pytest.mark.parametrize("item", [
    {"pk": f"RESP#{SURVEY}", "sk": "tok1"},
    {"pk": f"THREAD#{SURVEY}#tok1", "sk": "2026-12-01T10:00:00#wamid.1"},
    {"pk": f"RATE#open#{SURVEY}#203.0.113.7", "sk": "2026-12-01T10"},
    {"pk": "CONTACTDATA#+6281234567890", "sk": f"{SURVEY}#tok1"},
    {"pk": "INV#tok1", "sk": "INV", "gsi1pk": f"SURVEY#{SURVEY}#INV"},
    {"pk": "INV#tok2", "sk": "INV", "gsi2pk": f"WALINK#{SURVEY}"},
    {"pk": "MSG#wamid.9", "sk": "MSG", "survey_id": SURVEY},
    {"pk": "CONTACT#+6281234567890", "sk": "CONTACT", "open_case": f"{SURVEY}/tok1"},
    {"pk": "SURVEYS", "sk": f"SURVEY#{SURVEY}"},
])
def test_an_item_naming_the_survey_is_taken(item):
    assert names_survey(item, SURVEY)


@pytest.mark.parametrize("item", [
    {"pk": f"RESP#{SURVEY}2", "sk": "tok1"},
    {"pk": f"RESP#x{SURVEY}", "sk": "tok1"},
    {"pk": "CONTACTDATA#+6281234567890", "sk": f"{SURVEY}z#tok1"},
    {"pk": "CONTACT#+6281234567890", "sk": "CONTACT", "open_case": f"{SURVEY}z/tok1"},
    {"pk": "JOB#j1", "sk": "JOB", "survey_id": "-", "gsi1pk": "JOBS#-"},
    {"pk": "SURVEYS", "sk": f"SURVEY#{SURVEY.lower()}"},
])
def test_an_item_of_another_survey_is_left(item):
    assert not names_survey(item, SURVEY)
