"""The survey builder without JavaScript: reorder by position, duplicate a question, pick a type by its name,
errors beside the question they concern, and a phone-sized preview of the saved survey that only the builder
may frame."""
import re

import pytest

from tests.factories import make_survey
from tests.integration.test_owner_pages import edit_form

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)


@MOTO
def test_positions_reorder_questions_and_a_duplicate_follows_its_original(client, owner, store):
    survey = make_survey(store)  # nps, reason, csat_product, csat_delivery
    owner.login()
    data = edit_form(client, survey.id) | {"questions-3-position": "2", "questions-2-copy": "y"}
    assert client.post(f"/owner/surveys/{survey.id}/edit", data=data).status_code == 302
    saved = store.get_survey(survey.id)
    assert [q.id for q in saved.questions] == ["nps", "csat_delivery", "reason", "csat_product", "csat_product_2"]
    assert saved.question("csat_product_2").label == saved.question("csat_product").label


@MOTO
def test_types_are_offered_by_name_in_the_owners_language(client, owner, store):
    survey = make_survey(store)
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/edit?lang=id").get_data(as_text=True)
    assert '<option value="csat" selected>Kepuasan 1-5 (CSAT)</option>' in page
    assert '<option value="long_text">Teks panjang</option>' in page


@MOTO
def test_an_error_is_shown_beside_its_question_and_nothing_is_saved(client, owner, store):
    survey = make_survey(store)
    owner.login()
    data = edit_form(client, survey.id) | {"questions-2-options": "x | X", "questions-3-position": "1",
                                           "title_en": "", "title_id": ""}
    page = client.post(f"/owner/surveys/{survey.id}/edit", data=data).get_data(as_text=True)
    row = page.split('id="question-3"', 1)[1].split("</fieldset>", 1)[0]  # csat_product, row 3 on the page
    assert 'class="field-error" role="alert">only choice questions have options.' in row
    top = page.split('class="notice error"', 1)[1].split("</div>", 1)[0]
    assert "needs a title" in top and "only choice questions" not in top
    assert store.get_survey(survey.id) == survey


@MOTO
def test_the_preview_may_be_framed_by_the_builder_and_nothing_else_may(client, owner, store):
    survey = make_survey(store)
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/edit").get_data(as_text=True)
    assert re.search(rf'<iframe title="[^"]+" src="/owner/surveys/{survey.id}/preview\?lang=\w+"', page)
    preview = client.get(f"/owner/surveys/{survey.id}/preview")
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    editor = client.get(f"/owner/surveys/{survey.id}/edit")
    assert "frame-ancestors 'none'" in editor.headers["Content-Security-Policy"]
    assert editor.headers["X-Frame-Options"] == "DENY"
