"""The dashboard's comment list reads pages it needs, not DynamoDB's 1 MB default page: its cost must not grow
with a survey's comment volume (bench/dashboard_scaling.py found it did)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from survey_app.services.dashboard import Filters, filtered_comments
from survey_app.services.responses import PastAnswer, import_history
from tests.factories import make_survey

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)


@MOTO
def test_twenty_newest_comments_read_one_small_page_however_many_comments_there_are(store):
    survey = make_survey(store)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    import_history(store, survey, (PastAnswer({"nps": 9, "reason": f"Komentar {i}: " + "kopi enak " * 20}, "id",
                                              start + timedelta(minutes=i)) for i in range(600)), "Asia/Jakarta")
    read = []

    def count(parsed, **_):
        read.append(parsed.get("Count", 0))

    store.client.meta.events.register("after-call.dynamodb.Query", count)
    try:
        shown = filtered_comments(store, survey, Filters("2026-11-01", "2026-11-30"), "Asia/Jakarta", 20)
    finally:
        store.client.meta.events.unregister("after-call.dynamodb.Query", count)
    assert [c.text.split(":")[0] for c in shown] == [f"Komentar {i}" for i in range(599, 579, -1)]
    assert sum(read) <= 100, f"{sum(read)} comment items read in {len(read)} pages to show 20"


@MOTO
def test_the_latest_five_comments_read_five_items_in_one_page(store):
    survey = make_survey(store)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    import_history(store, survey, (PastAnswer({"nps": 7, "reason": f"Komentar {i}"}, "id", start + timedelta(minutes=i))
                                   for i in range(40)), "Asia/Jakarta")
    read = []

    def count(parsed, **_):
        read.append(parsed.get("Count", 0))

    store.client.meta.events.register("after-call.dynamodb.Query", count)
    try:
        latest = store.latest_comments(survey.id, 5)
    finally:
        store.client.meta.events.unregister("after-call.dynamodb.Query", count)
    assert [c.text for c in latest] == [f"Komentar {i}" for i in range(39, 34, -1)]
    assert read == [5], read
