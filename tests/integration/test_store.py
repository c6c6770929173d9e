"""The store on both engines (moto and DynamoDB Local): round trips, once-only answers, aggregates by key."""
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.domain import metrics
from survey_app.errors import AlreadyAnswered, NotFound
from survey_app.services import PastAnswer, counters_for, create_invitation, import_history, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.factories import business_yesterday_morning, every_type_survey, make_survey

# 10:00 in Jakarta on the business's yesterday, by the real clock: invitations carry their expiry (30 days on) as a
# TTL, and DynamoDB Local deletes items whose TTL has passed (AWS too), so a fixed past date would rot
NOW = business_yesterday_morning()
DAY, DAY_BEFORE, NINE_DAYS_BEFORE = ((NOW - timedelta(days=n)).date().isoformat() for n in (0, 1, 9))
ALL_DAYS = ("2000-01-01", "2999-12-31")


def test_create_table_twice_is_harmless(store):
    assert store.create_table() is False


def test_survey_round_trip_keeps_every_field(store):
    survey = every_type_survey(store)
    assert store.get_survey(survey.id) == survey
    assert [s.id for s in store.list_surveys()] == [survey.id]
    with pytest.raises(NotFound):
        store.get_survey("missing")


def test_invitation_round_trip_and_unknown_token(store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Siti", phone="+62812", order_ref="A1",
                                   language="id", properties={"Product": " Batik ", "empty": " "}, now=NOW)
    loaded = store.get_invitation(invitation.token)
    assert loaded == invitation and loaded.properties == {"product": "Batik"}
    assert loaded.expires_at == (NOW + timedelta(days=30)).isoformat() and loaded.state == "sent"
    with pytest.raises(NotFound):
        store.get_invitation("nope")


def test_a_second_different_submission_for_one_invitation_is_refused(store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, now=NOW)
    submit_response(store, survey, {"nps": 9}, language="id", submission_id=new_submission_id(), invitation=invitation, now=NOW)
    with pytest.raises(AlreadyAnswered):
        submit_response(store, survey, {"nps": 2}, language="id", submission_id=new_submission_id(), invitation=invitation,
                        now=NOW)
    counters = store.daily_counters(survey.id, *ALL_DAYS)
    assert metrics.nps(metrics.merge(counters.values())).promoters == 1


def test_response_day_is_the_owners_local_day(store):
    survey = make_survey(store)
    late_evening_utc = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)  # 03:00 next day in Jakarta
    submit_response(store, survey, {"nps": 9}, language="en", submission_id=new_submission_id(), now=late_evening_utc)
    assert list(store.daily_counters(survey.id, *ALL_DAYS)) == ["2026-11-28"]


def test_aggregates_by_day_and_segment_equal_a_recount_of_raw_responses(store):
    survey = make_survey(store)
    for day, score, product in [(0, 10, "Kopi"), (0, 3, "Teh"), (1, 8, "Kopi"), (9, 9, "Teh")]:
        invitation = create_invitation(store, survey, properties={"product": product, "store": "Solo"}, now=NOW)
        submit_response(store, survey, {"nps": score, "reason": f"r{score}", "csat_product": 4}, language="id",
                        submission_id=new_submission_id(), invitation=invitation, now=NOW - timedelta(days=day))
    daily = store.daily_counters(survey.id, *ALL_DAYS)
    assert len(daily) == 3
    recount = metrics.merge(counters_for(survey, r) for r in store.iter_responses(survey.id))
    assert metrics.response_part(metrics.merge(daily.values())) == recount

    last_two_days = store.daily_counters(survey.id, DAY_BEFORE, DAY)
    assert sum(c["n"] for c in last_two_days.values()) == 3
    segments = {}
    for _, value, counters in store.segment_counters(survey.id, "product", NINE_DAYS_BEFORE, DAY):
        segments[value] = metrics.merge([segments.get(value, {}), counters])
    assert metrics.nps(segments["Kopi"]).score == 50.0 and metrics.nps(segments["Teh"]).score == 0.0
    recent = list(store.segment_counters(survey.id, "product", DAY, DAY))
    assert sorted(v for _, v, _ in recent) == ["Kopi", "Teh"]


def test_latest_comments_come_newest_first_with_score_and_customer(store):
    survey = make_survey(store)
    for hours, text in [(3, "oldest"), (2, "middle"), (1, "newest")]:
        invitation = create_invitation(store, survey, customer_name=f"c-{text}", now=NOW)
        submit_response(store, survey, {"nps": 6, "reason": text}, language="id", submission_id=new_submission_id(),
                        invitation=invitation, now=NOW - timedelta(hours=hours))
    submit_response(store, survey, {"nps": 10}, language="id", submission_id=new_submission_id(), now=NOW)  # no comment
    comments = store.latest_comments(survey.id, limit=2)
    assert [c.text for c in comments] == ["newest", "middle"]
    assert comments[0].score == 6 and comments[0].customer_name == "c-newest"


def test_bulk_history_builds_the_same_aggregates_as_live_answers(store):
    survey = make_survey(store)
    past = [PastAnswer({"nps": s, "csat_product": 5}, "en", NOW - timedelta(days=s), properties={"store": "A"})
            for s in range(11)]
    assert import_history(store, survey, past, tz_name="Asia/Jakarta") == 11
    totals = metrics.merge(store.daily_counters(survey.id, *ALL_DAYS).values())
    recount = metrics.merge(counters_for(survey, r) for r in store.iter_responses(survey.id))
    assert metrics.response_part(totals) == recount and totals["n"] == 11


def test_queries_follow_pagination(store, monkeypatch):
    survey = make_survey(store)
    for day in range(5):
        submit_response(store, survey, {"nps": 9}, language="id", submission_id=new_submission_id(),
                        now=NOW - timedelta(days=day))
    original = store.client.query
    monkeypatch.setattr(store.client, "query", lambda **kw: original(**(kw | {"Limit": 2})))
    assert len(store.daily_counters(survey.id, *ALL_DAYS)) == 5
