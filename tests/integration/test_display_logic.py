"""Display logic and piping through the answer pages: without JavaScript the questions that wait on the score come
as the next step (saved to the same response once); with the script they are on the page, hidden until they apply;
what customers and imports typed is escaped wherever it is piped."""
import re
from dataclasses import replace

import pytest

from survey_app.services import create_invitation, save_survey, survey_from_template, utcnow
from tests.conftest import csrf_token

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)


def by_score_survey(store):
    return save_survey(store, survey_from_template("nps_by_score", utcnow(), "en"))


def submission_of(text):
    return re.search(r'name="submission" type="hidden" value="([0-9a-f]{32})"', text).group(1)


@MOTO
def test_without_javascript_a_detractor_is_asked_what_went_wrong_on_the_next_step(client, store):
    survey = by_score_survey(store)
    invitation = create_invitation(store, survey, customer_name="Ani", phone="+6281234567890",
                                   properties={"product": "Kopi <b>Susu</b>"})
    page = client.get(f"/s/{invitation.token}?lang=en").get_data(as_text=True)
    assert re.search(r'id="q_went_wrong-block" hidden data-when="q_nps" data-low="0" data-high="6"', page)
    assert "Kopi &lt;b&gt;Susu&lt;/b&gt;" in page and "<b>Susu</b>" not in page  # piped, escaped
    data = {"csrf_token": csrf_token(client, f"/s/{invitation.token}"), "survey": survey.id,
            "submission": submission_of(page), "q_nps": "3", "q_csat_delivery": "2"}
    step = client.post(f"/s/{invitation.token}?lang=en", data=data).get_data(as_text=True)
    assert "What went wrong?" in step and "What would make it a 10?" not in step and "love most" not in step
    stored = store.get_response(survey.id, invitation.token)
    assert stored.answers == {"nps": 3, "csat_delivery": 2}  # the first answers are saved at once
    more = {"csrf_token": data["csrf_token"], "survey": survey.id, "submission": data["submission"],
            "q_went_wrong": "Kurir telat"}
    assert client.post(f"/s/{invitation.token}/more", data=more).status_code == 200
    assert client.post(f"/s/{invitation.token}/more", data=more).status_code == 200  # a resend: once
    assert store.get_response(survey.id, invitation.token).answers == {"nps": 3, "csat_delivery": 2,
                                                                        "went_wrong": "Kurir telat"}


@MOTO
def test_an_answer_to_a_question_that_does_not_apply_is_not_kept(client, store):
    survey = by_score_survey(store)
    invitation = create_invitation(store, survey, customer_name="Ani", phone="+6281234567890")
    page = client.get(f"/s/{invitation.token}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, f"/s/{invitation.token}"), "survey": survey.id,
            "submission": submission_of(page), "q_nps": "10", "q_went_wrong": "typed, then the score changed",
            "q_loved": "the coffee"}
    done = client.post(f"/s/{invitation.token}", data=data)
    assert done.status_code == 200 and "What went wrong" not in done.get_data(as_text=True)
    assert store.get_response(survey.id, invitation.token).answers == {"nps": 10, "loved": "the coffee"}


@MOTO
def test_the_open_link_asks_its_next_step_and_adds_it_to_the_same_response(client, store):
    survey = by_score_survey(store)
    page = client.get(f"/o/{survey.id}?lang=en").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    data = {"csrf_token": csrf_token(client, f"/o/{survey.id}"), "survey": survey.id,
            "submission": submission_of(page), "q_nps": "8"} | fields
    step = client.post(f"/o/{survey.id}?lang=en", data=data)
    assert "What would make it a 10?" in step.get_data(as_text=True)
    more = {"csrf_token": data["csrf_token"], "survey": survey.id, "submission": data["submission"],
            "q_to_ten": "Faster delivery"}
    assert client.post(f"/o/{survey.id}/more", data=more).status_code == 200
    stored = store.get_response(survey.id, "o" + data["submission"])
    assert stored.answers == {"nps": 8, "to_ten": "Faster delivery"}
    assert client.post(f"/o/{survey.id}/more", data=more | {"submission": "f" * 32}).status_code == 404


@MOTO
def test_the_editor_sets_a_condition_in_plain_words_and_keeps_one_it_cannot_show(client, owner, store):
    from survey_app.domain.models import Condition
    from tests.integration.test_owner_pages import edit_form

    survey = by_score_survey(store)
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/edit").get_data(as_text=True)
    assert '<option value="detractor" selected>when the score is 0-6 (detractors)</option>' in page
    data = edit_form(client, survey.id) | {"questions-4-show_when": "not_promoter"}  # csat_delivery
    assert client.post(f"/owner/surveys/{survey.id}/edit", data=data).status_code == 302
    saved = store.get_survey(survey.id)
    assert saved.question("csat_delivery").show_when == Condition(question="nps", low=0, high=8)
    assert saved.question("went_wrong").show_when == Condition(question="nps", low=0, high=6)
    custom = Condition(question="nps", low=2, high=3)
    save_survey(store, replace(saved, questions=tuple(replace(q, show_when=custom) if q.id == "loved" else q
                                                      for q in saved.questions)))
    data = edit_form(client, survey.id)
    assert data["questions-1-show_when"] == "keep"
    assert client.post(f"/owner/surveys/{survey.id}/edit", data=data).status_code == 302
    assert store.get_survey(survey.id).question("loved").show_when == custom
    bad = edit_form(client, survey.id) | {"questions-0-show_when": "promoter"}  # the NPS question on itself
    refused = client.post(f"/owner/surveys/{survey.id}/edit", data=bad)
    assert refused.status_code == 400 and "not an earlier question" in refused.get_data(as_text=True)
