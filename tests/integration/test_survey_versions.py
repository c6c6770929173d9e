"""Editing a live survey keeps every old figure: each save is a version, questions with answers keep their id and
type (dropped ones are retired, not deleted), responses record the version they answered, and reconcile recounts
each response with that version and never rewrites today's or yesterday's aggregates."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

import pytest

from survey_app.domain.models import CES, SINGLE, DefinitionError, Option, Question, Text
from survey_app.services import create_invitation, reconcile, save_survey, submit_response
from tests.factories import business_yesterday_morning, make_survey

BOTH = pytest.mark.parametrize("engine", ["moto", "dynamodb_local"], indirect=True)
# the business's yesterday (10:00 in Jakarta) by the real clock: invitations carry their expiry (30 days on) as a
# TTL, and DynamoDB Local deletes items whose TTL has passed (AWS too), so a fixed past date would rot
AT = business_yesterday_morning()
YESTERDAY = AT.date()


def answer(store, survey, answers, now=AT):
    """A fresh submission id each time: DynamoDB Local remembers transaction tokens across tables."""
    invitation = create_invitation(store, survey, customer_name="Ani", phone="+6281234567890", now=now)
    return submit_response(store, survey, answers, language="id", submission_id=uuid.uuid4().hex,
                           invitation=invitation, now=now)


def without(survey, question_id):
    return replace(survey, questions=tuple(q for q in survey.questions if q.id != question_id))


@BOTH
def test_every_save_is_a_new_version_kept_beside_the_current_definition(store):
    survey = make_survey(store)
    assert survey.version == 1
    edited = save_survey(store, replace(survey, title=Text("New title", "Judul baru")))
    assert edited.version == 2 and store.get_survey(survey.id).version == 2
    assert store.survey_version(survey.id, 1).title == survey.title
    assert store.survey_version(survey.id, 2).title.en == "New title"


@BOTH
def test_a_response_records_the_version_it_answered(store):
    survey = save_survey(store, replace(make_survey(store), title=Text("v2", "v2")))
    response = answer(store, survey, {"nps": 9})
    assert store.get_response(survey.id, response.response_id).version == 2


@BOTH
def test_an_answered_question_keeps_its_type_and_nothing_is_saved_when_changed(store):
    survey = make_survey(store)
    answer(store, survey, {"nps": 9, "csat_product": 4})
    changed = replace(survey, questions=tuple(replace(q, type=CES) if q.id == "csat_product" else q
                                              for q in survey.questions))
    with pytest.raises(DefinitionError) as refused:
        save_survey(store, changed)
    assert "csat_product" in refused.value.errors[0] and "csat" in refused.value.errors[0]
    assert store.get_survey(survey.id).version == 1 and store.get_survey(survey.id).question("csat_product").type == "csat"


@BOTH
def test_an_unanswered_question_may_still_change_type(store):
    survey = make_survey(store)
    answer(store, survey, {"nps": 9})
    changed = replace(survey, questions=tuple(replace(q, type=CES) if q.id == "csat_delivery" else q
                                              for q in survey.questions))
    assert save_survey(store, changed).question("csat_delivery").type == CES


@BOTH
def test_removing_an_answered_question_retires_it_so_its_answers_stay_on_the_dashboard(store, app):
    survey = make_survey(store)
    answer(store, survey, {"nps": 9, "csat_product": 2})
    saved = save_survey(store, without(without(survey, "csat_product"), "csat_delivery"))
    assert saved.question("csat_product").retired and saved.question("csat_delivery") is None  # never answered
    assert "csat_product" not in {q.id for q in saved.live_questions}
    with app.test_request_context():
        from survey_app.web.answer.forms import answer_form
        assert "q_csat_product" not in answer_form(saved, "id")._fields
    assert reconcile(store, saved).clean


@BOTH
def test_a_dropped_option_with_answers_is_retired_and_no_longer_offered(store):
    colour = Question("colour", SINGLE, Text("Colour", "Warna"),
                      options=(Option("red", Text("Red", "Merah")), Option("blue", Text("Blue", "Biru"))))
    survey = make_survey(store, extra_questions=(colour,))
    answer(store, survey, {"nps": 9, "colour": "red"})
    trimmed = replace(colour, options=(Option("blue", Text("Blue", "Biru")), Option("green", Text("Green", "Hijau"))))
    saved = save_survey(store, replace(survey, questions=tuple(trimmed if q.id == "colour" else q
                                                                 for q in survey.questions)))
    options = {o.value: o.retired for o in saved.question("colour").options}
    assert options == {"blue": False, "green": False, "red": True}
    assert [o.value for o in saved.question("colour").live_options] == ["blue", "green"]


@BOTH
def test_reconcile_recounts_each_response_with_the_version_it_answered(store):
    survey = make_survey(store)
    answer(store, survey, {"nps": 9, "csat_delivery": 5})
    # csat_delivery had no answers when it was turned into CES... (it has one now: the change is refused)
    with pytest.raises(DefinitionError):
        save_survey(store, replace(survey, questions=tuple(replace(q, type=CES) if q.id == "csat_delivery" else q
                                                           for q in survey.questions)))
    # ...so a new question takes its place, and old and new responses are each counted by their own definition.
    ces = Question("effort", CES, Text("Effort", "Usaha"))
    v2 = save_survey(store, replace(without(survey, "csat_delivery"), questions=without(survey, "csat_delivery")
                                    .questions + (ces,)))
    answer(store, v2, {"nps": 3, "effort": 7})
    drift = reconcile(store, store.get_survey(survey.id), now=AT + timedelta(days=5))
    assert drift.clean and drift.responses == 2


@BOTH
def test_reconcile_fix_never_rewrites_todays_or_yesterdays_aggregates(store):
    survey = make_survey(store)
    now = datetime.combine(YESTERDAY, time(5), timezone.utc)  # 12:00 in Jakarta
    days = [f"DAY#{(now - timedelta(days=days_ago)).date().isoformat()}" for days_ago in (2, 1, 0)]
    for days_ago in (0, 1, 2):
        answer(store, survey, {"nps": 10}, now=now - timedelta(days=days_ago))
    for day in days:
        store.add_counters(survey.id, day, {"n": 1})
    drift = reconcile(store, survey, fix=True, now=now)
    assert sorted(drift.items) == days
    assert sorted(drift.held) == days[1:]
    after = reconcile(store, survey, now=now)
    assert sorted(after.items) == days[1:]  # only the old day was fixed


@BOTH
def test_two_saves_from_the_same_version_cannot_both_win(store):
    survey = make_survey(store)
    assert store.put_survey_version(replace(survey, version=2, title=Text("A", "A")))
    assert not store.put_survey_version(replace(survey, version=2, title=Text("B", "B")))
    assert store.get_survey(survey.id).title.en == "A"


@pytest.mark.parametrize("engine", ["moto"], indirect=True)
def test_the_editor_retires_a_removed_answered_question_and_refuses_a_type_change_inline(client, owner, store):
    from tests.integration.test_owner_pages import edit_form

    survey = make_survey(store)
    answer(store, survey, {"nps": 4, "csat_product": 2, "csat_delivery": 1})
    owner.login()
    data = edit_form(client, survey.id) | {"questions-2-type": "ces"}  # csat_product, answered
    refused = client.post(f"/owner/surveys/{survey.id}/edit", data=data)
    assert refused.status_code == 400 and "already has answers" in refused.get_data(as_text=True)
    assert store.get_survey(survey.id).version == 1
    data = edit_form(client, survey.id) | {"questions-3-remove": "y"}  # csat_delivery
    assert client.post(f"/owner/surveys/{survey.id}/edit", data=data).status_code == 302
    saved = store.get_survey(survey.id)
    assert saved.version == 2 and saved.question("csat_delivery").retired
    assert 'value="csat_delivery"' not in client.get(f"/owner/surveys/{survey.id}/edit").get_data(as_text=True)
    assert client.get(f"/owner/surveys/{survey.id}").status_code == 200
