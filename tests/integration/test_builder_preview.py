"""The builder's preview of unsaved changes: the builder's fields posted to the preview endpoint are drawn with the
answer page's template, framed by the builder only; nothing is written to the table, whatever is posted; a draft
that cannot be drawn says why; only an admin's post with its CSRF token is drawn."""
import json

import pytest

from tests.conftest import csrf_token
from tests.factories import make_survey
from tests.integration.test_owner_pages import edit_form

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)


def table(store) -> list[str]:
    return sorted(json.dumps(i, sort_keys=True, default=str) for i in store.client.scan(
        TableName=store.table_name)["Items"])


@MOTO
def test_the_preview_draws_the_unsaved_form_and_writes_nothing(client, owner, store):
    survey = make_survey(store)
    owner.login()
    data = edit_form(client, survey.id) | {"questions-1-label_en": "Tell us <b>more</b>", "questions-2-remove": "y",
                                           "title_en": "Draft title"}
    before = table(store)

    preview = client.post(f"/owner/surveys/{survey.id}/preview?lang=en", data=data)

    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<h1>Draft title</h1>" in page
    assert "Tell us &lt;b&gt;more&lt;/b&gt;" in page and 'name="q_csat_product"' not in page
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert table(store) == before and store.get_survey(survey.id) == survey


@MOTO
def test_a_draft_that_cannot_be_drawn_says_why_and_writes_nothing(client, owner, store):
    survey = make_survey(store)
    owner.login()
    data = edit_form(client, survey.id) | {"questions-2-options": "x | X", "title_en": "", "title_id": ""}
    before = table(store)
    preview = client.post(f"/owner/surveys/{survey.id}/preview?lang=en", data=data)
    problems = preview.get_data(as_text=True).split('id="preview-problems"', 1)[1]
    assert preview.status_code == 400 and "needs a title" in problems and "only choice questions" in problems
    assert table(store) == before


@MOTO
def test_only_an_admin_with_the_csrf_token_gets_a_preview(client, owner, store):
    survey = make_survey(store)
    owner.login()
    data = edit_form(client, survey.id)
    without = {k: v for k, v in data.items() if k != "csrf_token"}
    assert client.post(f"/owner/surveys/{survey.id}/preview", data=without).status_code == 400
    owner.logout()
    owner.login(email="viewer@example.test", role="viewer")
    assert client.post(f"/owner/surveys/{survey.id}/preview",
                       data=data | {"csrf_token": csrf_token(client, "/owner/")}).status_code == 403


@MOTO
def test_the_builder_offers_a_preview_button_aimed_at_the_frame(client, owner, store):
    survey = make_survey(store)
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/edit?lang=en").get_data(as_text=True)
    assert (f'formaction="/owner/surveys/{survey.id}/preview?lang=en" formtarget="preview-frame"' in page
            and 'name="preview-frame"' in page and "builder.js" in page)
