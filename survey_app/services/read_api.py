"""The read API's answers as plain data: surveys, a survey's responses a page at a time, its summary, its cases.

A page of responses is bounded twice: by count (`limit`) and by bytes (`PAGE_BYTES`, well under Lambda's 6 MB
response limit whatever the answers hold), and reads at most `SCAN_PAGES` DynamoDB pages when a segment filter skips
most of them; its cursor names the last response given out, signed so a client can neither forge nor alter one."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict

from ..domain import metrics
from ..domain.metrics import category
from ..domain.models import FollowUp, Response, Survey
from ..domain.segments import in_segment
from ..store import Store
from ..store.reads import response_cursor
from .dashboard import Filters, survey_summary

MAX_LIMIT = 500
PAGE_BYTES = 4 * 1024 * 1024  # Lambda's synchronous response limit is 6 MB: room for headers and JSON framing
SCAN_PAGES = 5  # DynamoDB pages one API page may read while a segment filter finds too few matches


class CursorError(ValueError):
    """A cursor this API did not give out for this survey."""


def cursor_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"api-cursor", hashlib.sha256).digest()


def seal_cursor(key: bytes, survey_id: str, raw: str) -> str | None:
    if not raw:
        return None
    body = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return f"{body}.{_mac(key, survey_id, body)}"


def open_cursor(key: bytes, survey_id: str, token: str) -> str:
    """:raises CursorError:"""
    if not token:
        return ""
    body, _, mac = token.partition(".")
    if not hmac.compare_digest(mac, _mac(key, survey_id, body)):
        raise CursorError("'cursor' is not one this API gave out for this survey; start again without it.")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def _mac(key: bytes, survey_id: str, body: str) -> str:
    return hmac.new(key, f"{survey_id}.{body}".encode(), hashlib.sha256).hexdigest()[:32]


def survey_record(survey: Survey) -> dict:
    return {"id": survey.id, "title": survey.title.get(survey.default_language), "default_language":
            survey.default_language, "created_at": survey.created_at,
            "questions": [{"id": q.id, "type": q.type, "label": q.label.get(survey.default_language)}
                          for q in survey.questions]}


def response_record(survey: Survey, response: Response) -> dict:
    score = response.score(survey)
    return {"response_id": response.response_id, "order_ref": response.order_ref,
            "submitted_at": response.submitted_at, "day": response.day, "language": response.language,
            "channel": response.channel, "customer_name": response.customer_name, "score": score,
            "category": category(score) if score is not None else None, "answers": response.answers,
            "properties": response.properties, "segments": response.segments}


def response_page(store: Store, survey: Survey, filters: Filters, cursor: str, limit: int) -> tuple[list[dict], str]:
    """Responses of the date range (oldest first) in the segment, and the raw cursor after the last one given
    ("" when there are no more). A page may hold fewer than `limit`: follow the cursor until it is empty."""
    chosen, size = [], 0
    for _ in range(SCAN_PAGES):
        page, after = store.response_page(survey.id, filters.first_day, filters.last_day, cursor, limit)
        for index, response in enumerate(page):
            if not in_segment(response.segments, filters.segment):
                continue
            record = response_record(survey, response)
            size += len(json.dumps(record, ensure_ascii=False).encode()) + 1
            if chosen and size > PAGE_BYTES:
                return chosen, response_cursor(previous)
            chosen.append(record)
            previous = response
            if len(chosen) == limit:
                return chosen, after if index == len(page) - 1 else response_cursor(response)
        if not after:
            return chosen, ""
        cursor = after
    return chosen, cursor


def _nps(result: metrics.NpsResult) -> dict:
    return {"n": result.n, "promoters": result.promoters, "passives": result.passives,
            "detractors": result.detractors, "score": result.score, "margin_of_error": result.margin_of_error}


def summary_record(store: Store, survey: Survey, filters: Filters) -> dict:
    """NPS with its 95% margin, the counts, and the same per segment value: read from aggregates, O(days)."""
    summary = survey_summary(store, survey, filters, comment_limit=0)
    return {"survey_id": survey.id, "from": filters.first_day, "to": filters.last_day,
            "segment": ":".join(filters.segment) if filters.segment else None,
            "responses": summary.totals.get("n", 0), "nps": _nps(summary.nps),
            "segments": {prop: [{"value": value} | _nps(result) for value, result in rows]
                         for prop, rows in summary.segments.items()}}


def case_record(case: FollowUp) -> dict:
    fields = ("response_id", "created_at", "due_at", "reason", "score", "comment", "customer_name", "email", "phone",
              "language", "status", "assignee", "contacted_at", "resolved_at", "channel")
    record = {name: value for name, value in asdict(case).items() if name in fields}
    return record | {"notes": [{"at": n.get("at", ""), "by": n.get("by", ""), "text": n.get("text", "")}
                               for n in case.notes]}
