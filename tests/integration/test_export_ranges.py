"""Exports by date range read only that range (a key range on gsi1, counted by DynamoDB's ScannedCount), on moto and
DynamoDB Local; each row carries the response id, the order reference, the channel, every property and answer."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from survey_app.services import PastAnswer, create_invitation, import_history, submit_response
from survey_app.services.dashboard import Filters
from survey_app.services.exports import export_csv, export_properties, responses_to_read
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey

NOW = datetime.now(timezone.utc)


def scanned_by_queries(store, monkeypatch) -> list[int]:
    """ScannedCount of every Query the store makes: what DynamoDB read (and bills), before any filter."""
    counts, call = [], store._call

    def counting(operation, **kwargs):
        page = call(operation, **kwargs)
        if operation == "query":
            counts.append(page["ScannedCount"])
        return page
    monkeypatch.setattr(store, "_call", counting)
    return counts


def history(store, survey, count, days_ago):
    import_history(store, survey, (PastAnswer(answers={"nps": 9, "reason": f"old {i}"}, language="id",
                                              submitted_at=NOW - timedelta(days=days_ago, minutes=i),
                                              properties={"store": "Solo"}) for i in range(count)), "Asia/Jakarta")


def test_an_export_of_a_date_range_reads_only_the_responses_of_that_range(store, monkeypatch):
    survey = make_survey(store)
    history(store, survey, 60, days_ago=40)
    invitation = create_invitation(store, survey, customer_name="Rina", phone="+6281234567890", order_ref="SHP-77",
                                   properties={"store": "Bandung"})
    submit_response(store, survey, {"nps": 3, "reason": "=HYPERLINK(\"x\")"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation)
    last_week = Filters((NOW - timedelta(days=7)).date().isoformat(), (NOW + timedelta(days=1)).date().isoformat())
    assert responses_to_read(store, survey, last_week) == 1
    scanned = scanned_by_queries(store, monkeypatch)

    rows = list(csv.DictReader(io.StringIO("".join(export_csv(store, survey, last_week,
                                                               export_properties(store, survey),
                                                               tz_name="Asia/Jakarta")))))

    assert sum(scanned) == 1  # not the 61 responses of the survey
    (row,) = rows
    assert (row["response_id"], row["order_ref"], row["channel"], row["property:store"], row["nps"]) == \
        (invitation.token, "SHP-77", invitation.channel, "Bandung", "3")
    assert row["reason"] == "'=HYPERLINK(\"x\")"  # formula-safe


def test_backfilled_day_keys_make_older_responses_exportable_by_range(app, store):
    survey = make_survey(store)
    history(store, survey, 3, days_ago=5)
    for response in store.iter_responses(survey.id):  # as responses written before they had day keys
        store.client.update_item(TableName=store.table_name,
                                 Key={"pk": {"S": f"RESP#{survey.id}"}, "sk": {"S": response.response_id}},
                                 UpdateExpression="REMOVE gsi1pk, gsi1sk")
    everything = Filters("2000-01-01", "2999-12-31")
    assert store.response_page(survey.id, everything.first_day, everything.last_day, "", 10)[0] == []
    assert app.test_cli_runner().invoke(args=["backfill-indexes"]).exit_code == 0
    assert len(store.response_page(survey.id, everything.first_day, everything.last_day, "", 10)[0]) == 3
