"""reconcile recounts a comment's theme and sentiment counters from the labels stored on it, so an owner's
correction (or a re-labelling with their own themes) is not reported as drift, nor undone by --fix."""
from datetime import datetime, timedelta, timezone

from survey_app.services import reconcile, submit_response
from survey_app.services.themes import correct
from tests.factories import make_survey

AT = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def test_a_corrected_comment_reconciles_and_fix_keeps_the_correction(store):
    survey = make_survey(store)
    response = submit_response(store, survey, {"nps": 3, "reason": "Kurir telat dua hari"}, language="id",
                               submission_id="c" * 32, now=AT)
    correct(store, survey, response.response_id, response.submitted_at, ["service"], "positive",
            by="owner@example.com", now=AT + timedelta(hours=1))
    later = AT + timedelta(days=5)
    assert reconcile(store, survey, now=later).clean
    store.add_counters(survey.id, f"DAY#{response.day}", {"theme#service#n": 1})
    drift = reconcile(store, survey, fix=True, now=later)
    assert drift.items == {f"DAY#{response.day}": {"theme#service#n": (2, 1)}}
    day = store.daily_counters(survey.id, response.day, response.day)[response.day]
    assert (day["theme#service#n"], day.get("theme#delivery#n", 0), day["sentiment#positive"]) == (1, 0, 1)
