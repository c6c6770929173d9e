"""Whole-survey actions: duplicate (same questions, no answers), archive (no new invitations by any way in, links
already sent still work) and restore; admins only, CSRF-protected."""
import re

import pytest

from survey_app.errors import NotFound
from survey_app.services import PurchaseError, create_invitation
from survey_app.services.surveys import archive_survey, restore_survey
from tests.conftest import csrf_token
from tests.factories import make_survey

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)


@MOTO
def test_duplicate_copies_the_questions_and_none_of_the_answers(client, owner, store):
    survey = make_survey(store)
    owner.login()
    token = csrf_token(client, f"/owner/surveys/{survey.id}/edit")
    response = client.post(f"/owner/surveys/{survey.id}/duplicate", data={"csrf_token": token})
    assert response.status_code == 303
    copy_id = re.search(r"/owner/surveys/([^/]+)/edit", response.headers["Location"]).group(1)
    copy = store.get_survey(copy_id)
    assert copy.id != survey.id and copy.questions == survey.questions and copy.version == 1
    assert copy.title.en == f"{survey.title.en} (copy)" and list(store.iter_responses(copy.id)) == []


@MOTO
def test_an_archived_survey_takes_no_new_invitation_but_its_sent_links_still_work(client, owner, store):
    survey = make_survey(store)
    sent = create_invitation(store, survey, customer_name="Ani", phone="+6281234567890")
    owner.login()
    token = csrf_token(client, f"/owner/surveys/{survey.id}/edit")
    assert client.post(f"/owner/surveys/{survey.id}/archive", data={"csrf_token": token}).status_code == 303
    archived = store.get_survey(survey.id)
    assert archived.archived_at and "Archived: it takes no new invitations" in client.get(
        f"/owner/surveys/{survey.id}/edit").get_data(as_text=True)
    with pytest.raises(PurchaseError, match="archived"):
        create_invitation(store, archived, customer_name="Budi", phone="+6281234567891")
    links = client.post(f"/owner/surveys/{survey.id}/links", data={
        "csrf_token": token, "customer_name": "Citra", "contact": "0812-3456-7892", "language": "id"})
    assert links.status_code == 303 and len(store.invitations_of(survey.id)) == 1
    assert client.get(f"/s/{sent.token}").status_code == 200
    restore_survey(store, archived)
    assert create_invitation(store, store.get_survey(survey.id), customer_name="Budi", phone="+6281234567891")


@MOTO
def test_the_api_refuses_purchases_for_an_archived_survey_row_by_row(client, store):
    from survey_app.services import create_api_key

    survey = archive_survey(store, make_survey(store))
    key = create_api_key(store, "shop", "admin@toko.test")
    response = client.post("/api/v1/purchases", headers={"Authorization": f"Bearer {key}"}, json={
        "survey_id": survey.id, "purchases": [{"order_ref": "A-1", "name": "Ani", "phone": "081234567890"}]})
    assert "archived" in response.get_data(as_text=True) and store.invitations_of(survey.id) == []


@MOTO
def test_survey_actions_need_an_admin_and_a_csrf_token(client, owner, store):
    survey = make_survey(store)
    owner.login(role="viewer")
    assert client.post(f"/owner/surveys/{survey.id}/archive", data={}).status_code in (400, 403)
    owner.login()
    assert client.post(f"/owner/surveys/{survey.id}/archive", data={}).status_code == 400
    assert not store.get_survey(survey.id).archived_at
    with pytest.raises(NotFound):
        store.get_survey("missing")
