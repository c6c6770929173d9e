"""Exports of raw responses, filtered like the dashboard: CSV safe to open in a spreadsheet, JSON Lines and XLSX.

Small exports stream in the request; one that could pass Lambda's 6 MB response or its timeout runs as an owner
job to S3 (owner_jobs.py). Both write the same lines through the functions below.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Iterator

from ..domain.metrics import category
from ..domain.models import Response, Survey
from ..domain.segments import in_segment
from ..formatting import local_iso
from ..store import Store
from .dashboard import Filters

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# submitted_at stays UTC; submitted_at_local is the same moment in the business's zone, named in time_zone
BASE_COLUMNS = ["response_id", "order_ref", "submitted_at", "submitted_at_local", "time_zone", "day", "language",
                "channel", "customer_name", "score", "category"]


def neutralise(value: object) -> str:
    """OWASP CSV-injection advice: a cell a spreadsheet would run as a formula is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def belongs(response: Response, filters: Filters) -> bool:
    if not filters.first_day <= response.day <= filters.last_day:
        return False
    return in_segment(response.segments, filters.segment)


def matching_responses(store: Store, survey: Survey, filters: Filters, page_size: int = 500) -> Iterator[Response]:
    cursor = ""
    while True:
        page, cursor = store.response_page(survey.id, filters.first_day, filters.last_day, cursor, page_size)
        yield from (response for response in page if belongs(response, filters))
        if not cursor:
            return


def responses_to_read(store: Store, survey: Survey, filters: Filters) -> int:
    """How many responses an export reads (those of its date range, read by key range): summed from the day
    aggregates the dashboard reads, O(days)."""
    return sum(day.get("n", 0) for day in store.daily_counters(survey.id, filters.first_day, filters.last_day).values())


def export_properties(store: Store, survey: Survey) -> list[str]:
    return [p for p in store.segment_properties(survey.id) if p not in ("language", "channel")]


def _row(survey: Survey, response: Response, properties: list[str], tz_name: str) -> dict[str, object]:
    score = response.score(survey)
    row = {"response_id": response.response_id, "order_ref": response.order_ref,
           "submitted_at": response.submitted_at, "submitted_at_local": local_iso(response.submitted_at, tz_name),
           "time_zone": tz_name, "day": response.day, "language": response.language,
           "channel": response.channel, "customer_name": response.customer_name, "score": score,
           "category": category(score) if score is not None else ""}
    for question in survey.questions:
        value = response.answers.get(question.id)
        row[question.id] = "|".join(value) if isinstance(value, list) else value
    row.update({f"property:{p}": response.properties.get(p, "") for p in properties})
    return row


def csv_columns(survey: Survey, properties: list[str]) -> list[str]:
    return BASE_COLUMNS + [q.id for q in survey.questions] + [f"property:{p}" for p in properties]


def lines(fmt: str, survey: Survey, responses: Iterable[Response], properties: list[str], *, tz_name: str,
          header: bool = False) -> Iterator[str]:
    """One text line per response in `fmt` (csv: neutralised, with the header line first when asked)."""
    if fmt == "jsonl":
        for response in responses:
            record = _row(survey, response, [], tz_name) | {"answers": response.answers,
                                                            "properties": response.properties}
            yield json.dumps(record, ensure_ascii=False) + "\n"
        return
    columns = csv_columns(survey, properties)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    if header:
        writer.writerow({c: neutralise(c) for c in columns})
    for response in responses:
        writer.writerow({k: neutralise(v) for k, v in _row(survey, response, properties, tz_name).items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_csv(store: Store, survey: Survey, filters: Filters, properties: list[str], *,
               tz_name: str) -> Iterator[str]:
    """Streams the header, then one neutralised line per response."""
    return lines("csv", survey, matching_responses(store, survey, filters), properties, tz_name=tz_name,
                 header=True)


def rows(survey: Survey, responses: Iterable[Response], properties: list[str], *, tz_name: str) -> Iterator[dict]:
    """The CSV's rows as values (XLSX keeps numbers as numbers)."""
    return (_row(survey, response, properties, tz_name) for response in responses)


def export_xlsx(store: Store, survey: Survey, filters: Filters, properties: list[str], *, tz_name: str):
    """The workbook (a rewound file) of the CSV's columns and rows: a zip is written whole, so it is not streamed."""
    from .export_xlsx import xlsx_file

    return xlsx_file(csv_columns(survey, properties),
                     rows(survey, matching_responses(store, survey, filters), properties, tz_name=tz_name))[0]


def export_jsonl(store: Store, survey: Survey, filters: Filters, *, tz_name: str) -> Iterator[str]:
    return lines("jsonl", survey, matching_responses(store, survey, filters), [], tz_name=tz_name)
