"""Edges of the answer path that mutation testing found unchecked: a one-tap score finished later counts complete,
imports count complete, display conditions limit what "tell us more" may add, webhook events of an amend, and what a
comment and a segment value carry back to the owner."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.domain.models import CSAT, SHORT_TEXT, Condition, Question, Text
from survey_app.services import amend_response, create_invitation, submit_response
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
        assert (comment.response_id, comment.channel, comment.segment_values) == (
            invitation.token, invitation.channel, {"store": "Jl. Merdeka #12"})


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
