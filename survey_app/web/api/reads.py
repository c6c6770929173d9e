"""The read API: GET surveys, a survey's responses (cursor pages, date range, segment), its summary and its cases,
with the same API keys as POST /purchases (those with the 'read' scope, for the surveys they cover). The contract is docs/openapi.yaml; tests validate against it."""
from __future__ import annotations

import re
from datetime import date

from flask import current_app, jsonify, request

from ...services.dashboard import Filters
from ...services.read_api import (MAX_LIMIT, CursorError, case_record, cursor_key, open_cursor, response_page,
                                  seal_cursor, summary_record, survey_record)
from .. import current_store, public
from . import bp
from .routes import ApiError, require_key, survey_or_404

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
EVERYTHING = ("2000-01-01", "2999-12-31")


@bp.get("/surveys")
@public  # guarded by its API key, not by an owner session
def surveys():
    grant = require_key("read")
    return jsonify(surveys=[survey_record(s) for s in current_store().list_surveys() if grant.covers(s.id)])


@bp.get("/surveys/<survey_id>/responses")
@public
def responses(survey_id: str):
    survey = survey_or_404(survey_id, require_key("read"))
    key = cursor_key(current_app.config["SECRET_KEY"])
    try:
        cursor = open_cursor(key, survey.id, request.args.get("cursor", ""))
    except (CursorError, ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor", "'cursor' is not one this API gave out for this survey.") from None
    page, after = response_page(current_store(), survey, _filters(EVERYTHING), cursor, _limit())
    return jsonify(responses=page, next_cursor=seal_cursor(key, survey.id, after))


@bp.get("/surveys/<survey_id>/summary")
@public
def summary(survey_id: str):
    survey = survey_or_404(survey_id, require_key("read"))
    recent = Filters.last_days(current_app.config["DASHBOARD_DAYS"], current_app.config["TIMEZONE"])
    return jsonify(summary_record(current_store(), survey, _filters((recent.first_day, recent.last_day))))


@bp.get("/surveys/<survey_id>/cases")
@public
def cases(survey_id: str):
    survey = survey_or_404(survey_id, require_key("read"))
    status = request.args.get("status", "open")
    if status not in ("open", "all"):
        raise ApiError(400, "invalid_status", "'status' is 'open' (the default) or 'all'.")
    key = cursor_key(current_app.config["SECRET_KEY"])
    try:
        cursor = open_cursor(key, survey.id, request.args.get("cursor", ""))
    except (CursorError, ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor", "'cursor' is not one this API gave out for this survey.") from None
    page, after = current_store().case_page(survey.id, status == "open", cursor, _limit())
    return jsonify(cases=[case_record(c) for c in page], next_cursor=seal_cursor(key, survey.id, after))


def _filters(default: tuple[str, str]) -> Filters:
    first, last = (_day(name, value) for name, value in zip(("from", "to"), default))
    if first > last:
        raise ApiError(400, "invalid_range", "'from' must not be after 'to'.")
    segment = request.args.get("segment", "")
    if segment and ":" not in segment[1:]:
        raise ApiError(400, "invalid_segment", "'segment' is 'property:value', e.g. 'store:Bandung'.")
    prop, _, value = segment.partition(":")
    return Filters(first, last, (prop, value) if segment else None)


def _day(name: str, default: str) -> str:
    value = request.args.get(name, default)
    try:
        if not DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ApiError(400, "invalid_date", f"'{name}' is a day as YYYY-MM-DD (the shop's calendar).") from None


def _limit() -> int:
    value = request.args.get("limit", "100")
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(400, "invalid_limit", f"'limit' is a whole number from 1 to {MAX_LIMIT}.")
    return int(value)
