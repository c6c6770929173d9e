"""Exports of raw responses, filtered like the dashboard: CSV safe to open in a spreadsheet, and JSON Lines.

Reads every response of the survey (an offline-style read, never on a dashboard path) and streams.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Iterator

from ..domain.metrics import category
from ..domain.models import Response, Survey
from ..store import Store
from .dashboard import Filters

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """OWASP CSV-injection advice: a cell a spreadsheet would run as a formula is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def matching_responses(store: Store, survey: Survey, filters: Filters) -> Iterator[Response]:
    for response in store.iter_responses(survey.id):
        if not filters.first_day <= response.day <= filters.last_day:
            continue
        if filters.segment is not None and response.segments.get(filters.segment[0]) != filters.segment[1]:
            continue
        yield response


def _row(survey: Survey, response: Response, properties: list[str]) -> dict[str, object]:
    score = response.score(survey)
    row = {"submitted_at": response.submitted_at, "day": response.day, "language": response.language,
           "channel": response.channel, "customer_name": response.customer_name, "score": score,
           "category": category(score) if score is not None else ""}
    for question in survey.questions:
        value = response.answers.get(question.id)
        row[question.id] = "|".join(value) if isinstance(value, list) else value
    row.update({f"property:{p}": response.properties.get(p, "") for p in properties})
    return row


def export_csv(store: Store, survey: Survey, filters: Filters, properties: list[str]) -> Iterator[str]:
    """Streams the header, then one neutralised line per response."""
    columns = ["submitted_at", "day", "language", "channel", "customer_name", "score", "category"] + \
        [q.id for q in survey.questions] + [f"property:{p}" for p in properties]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writerow({c: neutralise(c) for c in columns})
    for response in matching_responses(store, survey, filters):
        writer.writerow({k: neutralise(v) for k, v in _row(survey, response, properties).items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_jsonl(store: Store, survey: Survey, filters: Filters) -> Iterator[str]:
    for response in matching_responses(store, survey, filters):
        record = _row(survey, response, []) | {"answers": response.answers, "properties": response.properties}
        yield json.dumps(record, ensure_ascii=False) + "\n"
