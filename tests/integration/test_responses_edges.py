"""Edges of the answer path that mutation testing found unchecked: a one-tap score finished later counts complete,
imports count complete, display conditions limit what "tell us more" may add, webhook events of an amend, and what a
comment and a segment value carry back to the owner."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.domain.models import CSAT, SCHEDULED, SENT, SHORT_TEXT, Condition, Question, Text
from survey_app.services import amend_response, create_invitation, save_survey, submit_response
from survey_app.services.read_api import case_record
from survey_app.services.responses import PastAnswer, import_history
from survey_app.services.themes import save_theme
from tests.factories import every_type_survey, make_survey

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
AT = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def everything(store, survey) -> dict:
    return store.daily_counters(survey.id, "2000-01-01", "2999-12-31")


@MOTO
def test_a_one_tap_score_finished_by_tell_us_more_is_stored_and_counted_complete(store):
    survey = make_survey(store)
    response = submit_response(store, survey, {"nps": 9}, language="id", submission_id="c" * 32, now=AT,
                               complete=False)
    assert "complete" not in everything(store, survey)[response.day]
    amend_response(store, survey, response.response_id, "c" * 32, {"reason": "Cepat"}, now=AT + timedelta(minutes=1))
    assert store.get_response(survey.id, response.response_id).completed is True
    day = everything(store, survey)[response.day]
    assert (day["n"], day["complete"]) == (1, 1)


@MOTO
def test_imported_past_answers_count_as_complete(store):
    survey = make_survey(store)
    import_history(store, survey, [PastAnswer({"nps": 8}, "id", AT), PastAnswer({"nps": 2}, "id", AT)], "Asia/Jakarta")
    assert everything(store, survey)["2026-11-30"]["complete"] == 2


@MOTO
def test_tell_us_more_adds_a_conditional_question_only_when_its_score_or_property_condition_holds(store):
    survey = make_survey(store, extra_questions=(
        Question("why_low", SHORT_TEXT, Text("What went wrong?", "Apa yang salah?"),
                 show_when=Condition(question="nps", low=0, high=6)),
        Question("outlet", CSAT, Text("Rate the outlet", "Nilai gerai"),
                 show_when=Condition(property="store", values=("Bandung",))),
    ))
    bandung = create_invitation(store, survey, properties={"store": "Bandung"}, now=AT)
    low = submit_response(store, survey, {"nps": 3}, language="id", submission_id="d" * 32, invitation=bandung,
                          now=AT, complete=False)
    amend_response(store, survey, low.response_id, "d" * 32, {"why_low": "Lama", "outlet": 2}, now=AT)
    assert store.get_response(survey.id, low.response_id).answers == {"nps": 3, "why_low": "Lama", "outlet": 2}
    high = submit_response(store, survey, {"nps": 10}, language="id", submission_id="e" * 32, now=AT, complete=False)
    assert amend_response(store, survey, high.response_id, "e" * 32, {"why_low": "Lama", "outlet": 2}) == high
    assert store.get_response(survey.id, high.response_id).answers == {"nps": 10}


@MOTO
def test_tell_us_more_sends_response_updated_with_every_answer_and_case_created_or_case_updated(store):
    survey = make_survey(store)
    store.put_webhook({"id": "h1", "url": "https://hooks.example.com/",
                       "events": ["response.updated", "case.created", "case.updated"]})
    promoter = submit_response(store, survey, {"nps": 9}, language="id", submission_id="1" * 32, now=AT)
    detractor = submit_response(store, survey, {"nps": 3}, language="id", submission_id="2" * 32, now=AT)
    amend_response(store, survey, promoter.response_id, "1" * 32, {"reason": "Kurir telat, barang rusak"}, now=AT)
    amend_response(store, survey, detractor.response_id, "2" * 32, {"reason": "Mahal"}, now=AT)
    sent = sorted((d["subject_id"], json.loads(d["payload"])["event"], json.loads(d["payload"])["data"].get("answers"))
                  for d in store.due_deliveries("2999-01-01", 50))
    assert sorted(sent) == sorted([
        (promoter.response_id, "response.updated", {"nps": 9, "reason": "Kurir telat, barang rusak"}),
        (promoter.response_id, "case.created", None),
        (detractor.response_id, "case.created", None),  # at the score, before the comment
        (detractor.response_id, "response.updated", {"nps": 3, "reason": "Mahal"}),
        (detractor.response_id, "case.updated", None),
    ])


@MOTO
def test_comments_carry_their_response_channel_and_segment_values_back_to_the_owner(store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, properties={"store": "Jl. Merdeka #12"}, now=AT)
    submit_response(store, survey, {"nps": 7, "reason": "Ramah"}, language="id", submission_id="f" * 32,
                    invitation=invitation, now=AT)
    (latest,) = store.latest_comments(survey.id, 5)
    (between,) = store.comments_between(survey.id, "2026-11-30", "2026-11-30", 20)
    for comment in (latest, between):
        assert (comment.survey_id, comment.response_id, comment.channel, comment.segment_values) == (
            survey.id, invitation.token, invitation.channel, {"store": "Jl. Merdeka #12"})


@MOTO
def test_a_segment_value_with_a_hash_sign_is_read_back_whole(store):
    survey = make_survey(store)
    for store_name in ("Jl. Merdeka #12", "Gerai #3 #B"):
        invitation = create_invitation(store, survey, properties={"store": store_name}, now=AT)
        submit_response(store, survey, {"nps": 9}, language="id", submission_id=invitation.token[:32],
                        invitation=invitation, now=AT)
    assert sorted((day, value, c["n"]) for day, value, c in store.segment_counters(
        survey.id, "store", "2026-11-30", "2026-11-30")) == [
        ("2026-11-30", "Gerai #3 #B", 1), ("2026-11-30", "Jl. Merdeka #12", 1)]


@MOTO
def test_a_nameless_open_link_comment_and_an_imported_one_read_back_with_empty_name_and_channel(store):
    survey = make_survey(store)
    submit_response(store, survey, {"nps": 8, "reason": "Ramah"}, language="id", submission_id="a" * 32, now=AT)
    import_history(store, survey, [PastAnswer({"nps": 6, "reason": "Lambat"}, "id", AT - timedelta(hours=1))],
                   "Asia/Jakarta")
    assert [(c.text, c.customer_name, c.channel) for c in store.latest_comments(survey.id, 5)] == [
        ("Ramah", "", "open"), ("Lambat", "", "")]


@MOTO
def test_tell_us_more_labels_with_the_owners_themes_and_counts_a_theme_already_there_once(store):
    save_theme(store, "wifi", "Wi-Fi", "Wi-Fi", "wifi, internet", now=AT)
    survey = every_type_survey(store)
    added = submit_response(store, survey, {"nps": 9}, language="id", submission_id="b" * 32, now=AT, complete=False)
    amend_response(store, survey, added.response_id, "b" * 32, {"reason": "wifinya lemot banget"}, now=AT)
    kept = submit_response(store, survey, {"nps": 9, "reason": "internet lambat"}, language="id",
                           submission_id="c" * 32, now=AT, complete=False)
    amend_response(store, survey, kept.response_id, "c" * 32, {"city": "Bandung"}, now=AT)
    day = everything(store, survey)["2026-11-30"]
    assert {k: v for k, v in day.items() if k.startswith("theme#wifi#")} == {"theme#wifi#promoter": 2,
                                                                          "theme#wifi#n": 2}
    assert {c.response_id: "wifi" in c.themes for c in store.latest_comments(survey.id, 5)} == {
        added.response_id: True, kept.response_id: True}


@MOTO
def test_backfilling_day_keys_counts_each_response_once_and_makes_it_readable_by_its_day(store):
    survey = make_survey(store)
    import_history(store, survey, [PastAnswer({"nps": n}, "id", AT - timedelta(days=n)) for n in (1, 2, 3)],
                   "Asia/Jakarta")
    for response in store.iter_responses(survey.id):  # as responses written before they had day keys
        store.client.update_item(TableName=store.table_name,
                                 Key={"pk": {"S": f"RESP#{survey.id}"}, "sk": {"S": response.response_id}},
                                 UpdateExpression="REMOVE gsi1pk, gsi1sk")
    assert store.response_page(survey.id, "2000-01-01", "2999-12-31", "", 10)[0] == []
    assert store.index_response_days(survey.id) == 3
    (page, _) = store.response_page(survey.id, "2026-11-28", "2026-11-29", "", 10)
    assert sorted((r.day, r.answers["nps"]) for r in page) == [("2026-11-28", 2), ("2026-11-29", 1)]


@MOTO
def test_a_case_keeps_its_responses_channel_and_contacts_and_an_open_link_case_has_none(store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Sari", email="sari@toko.test", phone="+6281200001111",
                                   order_ref="SHP-77", now=AT)
    personal = submit_response(store, survey, {"nps": 3}, language="id", submission_id="7" * 32,
                               invitation=invitation, now=AT)
    opened = submit_response(store, survey, {"nps": 2}, language="en", submission_id="8" * 32, now=AT)
    cases = {r.response_id: case_record(store.get_case(survey.id, r.response_id)) for r in (personal, opened)}
    assert [(c["channel"], c["email"], c["phone"]) for c in cases.values()] == [
        (invitation.channel, "sari@toko.test", "+6281200001111"), ("open", "", "")]
    assert cases[personal.response_id]["due_at"] == (AT + timedelta(hours=48)).isoformat()  # the default: two days
    stored = [store.get_response(survey.id, r.response_id) for r in (personal, opened)]
    assert [(r.order_ref, r.channel) for r in stored] == [("SHP-77", invitation.channel), ("", "open")]


@MOTO
def test_a_response_records_the_survey_version_it_answered_and_counts_complete_by_default(store):
    survey = make_survey(store)
    edited = save_survey(store, replace(survey, title=Text("Edited", "Diubah")))
    assert edited.version == 2
    response = submit_response(store, edited, {"nps": 9}, language="id", submission_id="9" * 32, now=AT)
    stored = store.get_response(survey.id, response.response_id)
    assert (stored.version, stored.completed) == (2, True)
    day = everything(store, survey)[response.day]
    assert day["complete"] == 1
    assert not [k for k in day if k.startswith(("sentiment#", "theme#"))]  # a score alone says nothing of either


@MOTO
def test_a_low_rating_beside_a_score_is_counted_for_the_impact_of_that_item(store):
    survey = make_survey(store)
    submit_response(store, survey, {"nps": 3, "csat_product": 2, "csat_delivery": 5}, language="id",
                    submission_id="a1" * 16, now=AT)
    submit_response(store, survey, {"csat_product": 1}, language="id", submission_id="a2" * 16, now=AT)  # no score
    day = everything(store, survey)["2026-11-30"]
    assert {k: v for k, v in day.items() if "#low#" in k} == {"q#csat_product#low#detractor": 1}


@MOTO
def test_daily_counters_read_only_the_days_asked_for(store):
    survey = make_survey(store)
    for days_before in (2, 1, 0):
        submit_response(store, survey, {"nps": 9}, language="id", submission_id=f"{days_before}d" * 16,
                        now=AT - timedelta(days=days_before))
    assert sorted(store.daily_counters(survey.id, "2026-11-29", "2026-11-30")) == ["2026-11-29", "2026-11-30"]


@MOTO
def test_an_answered_invitation_leaves_the_reminder_queue(store):
    survey = make_survey(store)
    scheduled = create_invitation(store, survey, email="ani@toko.test", now=AT, send_at=AT)
    sent = replace(scheduled, state=SENT, sent_at=AT.isoformat(), remind_at=(AT + timedelta(days=3)).isoformat())
    assert store.transition(scheduled, sent, from_states=(SCHEDULED,))
    assert [i.token for i in store.due_invitations("2999-01-01", 10)] == [sent.token]  # a reminder is due
    submit_response(store, survey, {"nps": 9}, language="id", submission_id="b" * 32, invitation=sent,
                    now=AT + timedelta(days=1))
    assert store.due_invitations("2999-01-01", 10) == []
