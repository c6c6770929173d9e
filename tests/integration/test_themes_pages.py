"""The themes pages through the Flask client: roles, CSRF, escaping, and a correction that moves the impact table."""
from __future__ import annotations

import re
import uuid

import pytest

from survey_app.services import submit_response
from tests.conftest import csrf_token
from tests.factories import make_survey

pytestmark = pytest.mark.parametrize("engine", ["moto"], indirect=True)


def answer(store, survey, score, reason):
    return submit_response(store, survey, {"nps": score, "reason": reason}, language="id",
                           submission_id=uuid.uuid4().hex)


def correction(client, survey, response, themes, sentiment, token=None):
    url = f"/owner/surveys/{survey.id}/themes"
    data = {"csrf_token": token or csrf_token(client, url), "submitted_at": response.submitted_at,
            "themes": themes, "sentiment": sentiment}
    return client.post(f"/owner/surveys/{survey.id}/comments/{response.response_id}/labels", data=data)


def test_the_page_escapes_what_customers_typed_and_shows_the_impact_of_each_theme(client, owner, store):
    survey = make_survey(store)
    answer(store, survey, 2, "<script>alert(1)</script> kurir telat")
    answer(store, survey, 10, "mantap")
    owner.login(role="viewer")
    page = client.get(f"/owner/surveys/{survey.id}/themes").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; kurir telat" in page
    table = re.search(r'<table id="impact-table">.*?</table>', page, re.S).group(0)
    assert "Delivery" in table and "-200 ±" in table  # 1 detractor against 1 promoter


def test_an_admin_corrects_a_comment_and_it_shows_as_corrected(client, owner, store):
    survey = make_survey(store)
    response = answer(store, survey, 3, "Kurir telat")
    owner.login(email="boss@example.com", role="admin")
    reply = correction(client, survey, response, ["service"], "positive")
    assert reply.status_code == 302
    page = client.get(f"/owner/surveys/{survey.id}/themes").get_data(as_text=True)
    assert "corrected by boss@example.com" in page
    (day,) = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert (day["theme#service#n"], day["theme#delivery#n"]) == (1, 0)


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_only_an_admin_corrects_and_not_without_the_csrf_token(client, owner, store, role):
    survey = make_survey(store)
    response = answer(store, survey, 3, "Kurir telat")
    owner.login(email=f"{role}@example.com", role=role)
    token = csrf_token(client, "/owner/")
    assert correction(client, survey, response, ["service"], "positive", token=token).status_code == 403
    owner.login(role="admin")
    assert correction(client, survey, response, ["service"], "positive", token="forged").status_code == 400
    assert store.labelled_comment(survey.id, response.response_id, response.submitted_at).themes == ("delivery",)


def test_a_correction_to_a_theme_that_does_not_exist_is_refused(client, owner, store):
    survey = make_survey(store)
    response = answer(store, survey, 3, "Kurir telat")
    owner.login(role="admin")
    assert correction(client, survey, response, ["nope"], "positive").status_code == 400


def test_an_admin_adds_a_theme_and_recent_comments_are_relabelled_by_a_job(client, owner, store):
    survey = make_survey(store)
    response = answer(store, survey, 5, "wifinya sering putus")
    owner.login(role="admin")
    data = {"csrf_token": csrf_token(client, "/owner/themes"), "theme_id": "wifi", "name_en": "Wi-Fi",
            "name_id": "Wi-Fi", "examples": "wifi\ninternet"}
    reply = client.post("/owner/themes", data=data)
    assert reply.status_code == 302 and "relabelling=1" in reply.headers["Location"]
    assert store.labelled_comment(survey.id, response.response_id, response.submitted_at).themes == ("wifi",)
    (job,) = store.recent_jobs(survey.id)
    assert (job.kind, job.state, job.result) == ("relabel", "done", {"examined": 1, "changed": 1})
    page = client.get(f"/owner/surveys/{survey.id}/themes").get_data(as_text=True)
    assert 'value="wifi" checked' in page


def test_only_an_admin_adds_or_retires_a_theme(client, owner, store):
    owner.login(email="agent@example.com", role="agent")
    data = {"csrf_token": csrf_token(client, "/owner/"), "theme_id": "wifi", "name_en": "Wi-Fi",
            "examples": "wifi"}
    assert client.post("/owner/themes", data=data).status_code == 403
    assert client.post("/owner/themes/retire", data={"csrf_token": data["csrf_token"], "theme_id": "wifi"}).status_code \
        == 403
    assert store.vocabulary()[0].themes == ()
