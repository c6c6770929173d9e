"""The read API on moto and DynamoDB Local: every answer is validated against docs/openapi.yaml; responses page by a
signed cursor through a date range and a segment, every response once; the summary gives NPS with its margin per
segment; cases list open or all; keys, dates, limits and cursors are checked."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from survey_app.services import PastAnswer, create_api_key, create_invitation, import_history, submit_response
from survey_app.services import read_api
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey

OPENAPI = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
NOW = datetime.now(timezone.utc)


def conforms(answer, path: str, status: int = 200) -> dict:
    """The answer's status is documented for GET `path` and its body matches the documented schema."""
    documented = OPENAPI["paths"][path]["get"]["responses"][str(status)]
    if "$ref" in documented:
        documented = OPENAPI["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"]["application/json"]["schema"]
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    Draft202012Validator(schema | {"components": OPENAPI["components"]}).validate(answer.json)
    return answer.json


@pytest.fixture
def key(store):
    return {"Authorization": f"Bearer {create_api_key(store, 'crm', 'owner@example.test')}"}


def history(store, survey, count, days_ago, store_name):
    import_history(store, survey, (PastAnswer(answers={"nps": i % 11}, language="id", properties={"store": store_name},
                                              submitted_at=NOW - timedelta(days=days_ago, minutes=i))
                                   for i in range(count)), "Asia/Jakarta")


def test_surveys_are_listed_with_their_questions_for_a_valid_key_only(client, store, key):
    survey = make_survey(store)
    body = conforms(client.get("/api/v1/surveys", headers=key), "/surveys")
    assert [s["id"] for s in body["surveys"]] == [survey.id] and body["surveys"][0]["questions"][0]["id"] == "nps"
    conforms(client.get("/api/v1/surveys"), "/surveys", 401)
    conforms(client.get("/api/v1/surveys", headers={"Authorization": "Bearer sk_nope"}), "/surveys", 401)


def test_responses_page_through_a_range_and_segment_once_each_by_a_signed_cursor(client, store, key, monkeypatch):
    survey = make_survey(store)
    history(store, survey, 7, days_ago=3, store_name="Solo")
    history(store, survey, 5, days_ago=3, store_name="Bandung")
    history(store, survey, 9, days_ago=30, store_name="Solo")  # outside the range asked
    path, seen, cursor = "/surveys/{survey_id}/responses", [], None
    first = (NOW - timedelta(days=5)).date().isoformat()
    while True:
        query = {"from": first, "segment": "store:Solo", "limit": 3} | ({"cursor": cursor} if cursor else {})
        body = conforms(client.get(f"/api/v1/surveys/{survey.id}/responses", query_string=query, headers=key), path)
        assert len(body["responses"]) <= 3
        seen += body["responses"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 == len({r["response_id"] for r in seen})
    assert {r["properties"]["store"] for r in seen} == {"Solo"} and all(r["day"] >= first for r in seen)
    assert [r["submitted_at"] for r in seen] == sorted(r["submitted_at"] for r in seen)  # oldest first


def test_a_page_stops_at_its_byte_budget_and_the_next_page_goes_on_from_there(client, store, key, monkeypatch):
    survey = make_survey(store)
    history(store, survey, 6, days_ago=2, store_name="Solo")
    monkeypatch.setattr(read_api, "PAGE_BYTES", 900)  # about two responses' JSON
    url = f"/api/v1/surveys/{survey.id}/responses"
    pages, cursor = [], None
    while True:
        body = client.get(url, query_string={"cursor": cursor} if cursor else {}, headers=key).json
        pages.append(len(body["responses"]))
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sum(pages) == 6 and max(pages) < 6 and min(pages) >= 1


def test_a_forged_or_foreign_cursor_and_malformed_parameters_are_refused(client, store, key):
    survey, other = make_survey(store), make_survey(store)
    history(store, survey, 3, days_ago=1, store_name="Solo")
    history(store, other, 3, days_ago=1, store_name="Solo")
    path = "/surveys/{survey_id}/responses"
    page = client.get(f"/api/v1/surveys/{other.id}/responses", query_string={"limit": 1}, headers=key).json
    for query in ({"cursor": page["next_cursor"]}, {"cursor": "eyJwayI6IHt9fQ.00"}, {"from": "2026-13-01"},
                  {"from": "2026-12-02", "to": "2026-12-01"}, {"limit": 0}, {"limit": 501}, {"segment": "store"}):
        body = conforms(client.get(f"/api/v1/surveys/{survey.id}/responses", query_string=query, headers=key), path,
                        400)
        assert body["error"]["message"]
    conforms(client.get("/api/v1/surveys/nope/responses", headers=key), path, 404)


def test_summary_gives_nps_with_its_margin_and_counts_overall_and_per_segment(client, store, key):
    survey = make_survey(store)
    history(store, survey, 11, days_ago=2, store_name="Solo")  # scores 0..10: 2 promoters, 2 passives, 7 detractors
    history(store, survey, 2, days_ago=2, store_name="Bandung")  # scores 0, 1
    body = conforms(client.get(f"/api/v1/surveys/{survey.id}/summary", headers=key), "/surveys/{survey_id}/summary")
    assert body["responses"] == 13 and (body["nps"]["promoters"], body["nps"]["detractors"]) == (2, 9)
    assert body["nps"]["score"] == pytest.approx(100 * (2 - 9) / 13) and body["nps"]["margin_of_error"] > 0
    stores = {row["value"]: row for row in body["segments"]["store"]}
    assert (stores["Solo"]["n"], stores["Bandung"]["n"], stores["Bandung"]["score"]) == (11, 2, -100)
    solo = conforms(client.get(f"/api/v1/surveys/{survey.id}/summary", query_string={"segment": "store:Solo"},
                               headers=key), "/surveys/{survey_id}/summary")
    assert solo["responses"] == 11 and solo["segment"] == "store:Solo"


def test_cases_list_open_ones_or_all_with_their_notes(client, store, key):
    survey = make_survey(store)
    for i in range(3):
        invitation = create_invitation(store, survey, customer_name=f"Rina {i}", phone=f"+62812345678{i:02d}")
        submit_response(store, survey, {"nps": 1, "reason": "lambat"}, language="id",
                        submission_id=new_submission_id(), invitation=invitation)
    path = "/surveys/{survey_id}/cases"
    body = conforms(client.get(f"/api/v1/surveys/{survey.id}/cases", query_string={"limit": 2}, headers=key), path)
    assert len(body["cases"]) == 2 and body["next_cursor"]
    rest = conforms(client.get(f"/api/v1/surveys/{survey.id}/cases", headers=key,
                               query_string={"limit": 2, "cursor": body["next_cursor"]}), path)
    assert {c["customer_name"] for c in body["cases"] + rest["cases"]} == {"Rina 0", "Rina 1", "Rina 2"}
    every = conforms(client.get(f"/api/v1/surveys/{survey.id}/cases", query_string={"status": "all"},
                                headers=key), path)
    assert len(every["cases"]) == 3 and every["cases"][0]["comment"] == "lambat"
    conforms(client.get(f"/api/v1/surveys/{survey.id}/cases", query_string={"status": "closed"}, headers=key),
             path, 400)
