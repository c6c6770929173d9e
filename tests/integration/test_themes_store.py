"""Owner themes, corrections and re-labelling on both engines: labels change and the day counters move with them."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.budget import Budget
from survey_app.errors import AlreadyAnswered
from survey_app.services import submit_response
from survey_app.services.themes import ThemeError, correct, relabel_recent, retire_theme, save_theme
from survey_app.store.themes import LabelChange
from tests.factories import make_survey

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def answer(store, survey, score, reason, minutes_ago=0):
    """A submit with a fresh id: DynamoDB Local remembers transaction tokens across tables for ten minutes."""
    return submit_response(store, survey, {"nps": score, "reason": reason}, language="id",
                           submission_id=uuid.uuid4().hex, now=NOW - timedelta(minutes=minutes_ago))


def day(store, survey) -> dict:
    """The one day's counters (every answer here is from the last few minutes)."""
    (counters,) = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    return counters


def comment_of(store, survey, response):
    return store.labelled_comment(survey.id, response.response_id, response.submitted_at)


def test_a_new_owner_theme_relabels_recent_comments_and_their_counters_once(store):
    survey = make_survey(store)
    before = answer(store, survey, 4, "wifinya lemot banget")
    assert comment_of(store, survey, before).themes == ()
    save_theme(store, "wifi", "Wi-Fi", "Wi-Fi", "wifi, internet", now=NOW)
    done = relabel_recent(store, survey, Budget(60))
    assert (done.examined, done.changed, done.cursor) == (1, 1, "")
    assert comment_of(store, survey, before).themes == ("wifi",)
    counters = day(store, survey)
    assert (counters["theme#wifi#n"], counters["theme#wifi#detractor"]) == (1, 1)
    assert relabel_recent(store, survey, Budget(60)).changed == 0  # a repeated run counts nothing twice
    assert day(store, survey)["theme#wifi#n"] == 1
    after = answer(store, survey, 9, "internetnya kencang")  # labelled with the theme at once
    assert comment_of(store, survey, after).themes == ("wifi",)
    retire_theme(store, "wifi", now=NOW)
    relabel_recent(store, survey, Budget(60))
    assert comment_of(store, survey, after).themes == ()
    assert day(store, survey)["theme#wifi#n"] == 0


def test_a_correction_is_kept_counted_at_once_learnt_and_never_relabelled(store):
    survey = make_survey(store)
    response = answer(store, survey, 3, "Kurir telat dua hari")
    assert comment_of(store, survey, response).themes == ("delivery",)
    fixed = correct(store, survey, response.response_id, response.submitted_at, ["service"], "positive",
                    by="owner@example.com", now=NOW)
    assert (fixed.themes, fixed.sentiment, fixed.corrected_by) == (("service",), "positive", "owner@example.com")
    assert fixed.corrected_at == NOW.isoformat()
    counters = day(store, survey)
    assert (counters["theme#delivery#n"], counters["theme#delivery#detractor"]) == (0, 0)
    assert (counters["theme#service#n"], counters["theme#service#detractor"]) == (1, 1)
    assert (counters["sentiment#negative"], counters["sentiment#positive"]) == (0, 1)
    vocabulary, version = store.vocabulary()
    assert version == 1 and vocabulary.weights["w:telat"] > 0
    assert relabel_recent(store, survey, Budget(60)).changed == 0
    assert comment_of(store, survey, response).themes == ("service",)


def test_a_change_from_labels_read_before_another_change_is_refused(store):
    survey = make_survey(store)
    response = answer(store, survey, 8, "pelayanan ramah")
    stale = comment_of(store, survey, response)
    correct(store, survey, response.response_id, response.submitted_at, [], "neutral", by="a@example.com", now=NOW)
    with pytest.raises(AlreadyAnswered):
        store.change_labels(LabelChange(stale, store.get_response(survey.id, response.response_id), ("price",),
                                        "negative", {"theme#price#n": 1}, NOW.isoformat()))
    assert "theme#price#n" not in day(store, survey)


def test_relabelling_stops_when_its_budget_is_spent_and_resumes_from_its_cursor(store):
    survey = make_survey(store)
    older = answer(store, survey, 6, "wifi putus terus", minutes_ago=5)
    newer = answer(store, survey, 6, "wifi lambat")
    save_theme(store, "wifi", "Wi-Fi", "", "wifi", now=NOW)
    stopped = relabel_recent(store, survey, Budget(0))
    assert (stopped.examined, stopped.cursor) == (0, comment_of(store, survey, newer).sk)
    done = relabel_recent(store, survey, Budget(60), cursor=stopped.cursor)
    assert (done.examined, done.changed, done.cursor) == (2, 2, "")
    assert comment_of(store, survey, older).themes == comment_of(store, survey, newer).themes == ("wifi",)


@pytest.mark.parametrize("engine", ["moto"], indirect=True)
@pytest.mark.parametrize("theme_id, name, examples", [
    ("delivery", "x", "x"), ("Bad Id", "x", "x"), ("wifi", "", "x"), ("wifi", "x", " , "), ("wifi", "x", "!!!")])
def test_a_theme_without_a_usable_id_name_or_example_is_refused(store, theme_id, name, examples):
    with pytest.raises(ThemeError):
        save_theme(store, theme_id, name, "", examples)
    assert store.vocabulary()[0].themes == ()


@pytest.mark.parametrize("engine", ["moto"], indirect=True)
def test_a_correction_to_an_unknown_theme_is_refused(store):
    survey = make_survey(store)
    response = answer(store, survey, 9, "mantap")
    with pytest.raises(ThemeError):
        correct(store, survey, response.response_id, response.submitted_at, ["nope"], "positive", by="a@example.com")
