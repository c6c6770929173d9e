"""POST /api/v1/purchases: one purchase or a batch becomes scheduled invitations, idempotent by order_ref.

The contract is docs/openapi.yaml; tests validate requests and answers against it.
"""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from ...errors import Duplicate, NotFound, StoreUnavailable
from ...imports.mapping import Mapping
from ...services import PurchaseError, api_key_grant, invitation_for_purchase, parse_purchase, utcnow
from ...services.accounts import ApiKey
from ...services.imports import MappingError, named_mapping
from ...services.invitations import PurchaseSkipped
from .. import current_store, public
from . import bp

MAX_BATCH = 500
MAX_BODY = 1024 * 1024
PURCHASE_FIELDS = {"name", "email", "phone", "order_ref", "purchased_at", "language", "properties"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return jsonify(error={"code": error.code, "message": error.message}), error.status


@bp.errorhandler(StoreUnavailable)
def store_unavailable(error: StoreUnavailable):
    current_app.logger.error("API: store unavailable: %s", error)
    return jsonify(error={"code": "store_unavailable",
                          "message": "The database did not answer; nothing was half-written. Retry shortly."}), 503


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    message = f"The body is larger than {MAX_BODY // (1024 * 1024)} MB." if error.code == 413 else error.description
    return jsonify(error={"code": error.name.lower().replace(" ", "_"), "message": message}), error.code


@bp.post("/purchases")
@public  # guarded by its API key below, not by an owner session
def purchases():
    request.max_content_length = MAX_BODY
    grant = require_key("purchases")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object (Content-Type: application/json).")
    survey = survey_or_404(body.get("survey_id"), grant)
    mapping = _mapping(survey, body) if "mapping" in body else None
    items = body.get("rows" if mapping else "purchases")
    if items is None and mapping is None:
        items = [{k: v for k, v in body.items() if k != "survey_id"}]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise ApiError(400, "invalid_batch", f"'purchases' (or 'rows', with a mapping) must be a list of 1 to "
                                             f"{MAX_BATCH} items.")
    now = utcnow()
    created, duplicates, errors, skipped = [], 0, [], []
    for index, item in enumerate(items):
        try:
            purchase = parse_purchase(_flat(item) if mapping is None else _mapped(mapping, item), now,
                                      current_app.config["COUNTRY_CODE"], current_app.config["TIMEZONE"])
            invitation = invitation_for_purchase(current_store(), survey, purchase, now)
        except PurchaseSkipped as skip:
            skipped.append({"index": index, "reason": str(skip)})
        except PurchaseError as error:
            errors.append({"index": index, "reason": str(error)})
        except Duplicate:
            duplicates += 1
        else:
            created.append({"order_ref": invitation.order_ref, "token": invitation.token,
                            "url": url_for("answer.personal", token=invitation.token, _external=True),
                            "send_at": invitation.send_at})
    status = 201 if created else (422 if errors and not (duplicates or skipped) else 200)
    return jsonify(created=created, duplicates=duplicates, errors=errors,
                   **({"skipped": skipped} if skipped else {})), status


def _mapping(survey, body) -> Mapping:
    """The saved mapping named in the body, fitted to the columns its rows use (a shop's own system sends rows
    as its export has them)."""
    name, rows = body.get("mapping"), body.get("rows")
    if not isinstance(name, str) or not isinstance(rows, list):
        raise ApiError(400, "invalid_mapping", "'mapping' (the name of a mapping saved on the dashboard) goes with "
                                               "'rows': objects of column name -> value, as in the export.")
    columns = list(dict.fromkeys(str(k) for row in rows[:MAX_BATCH] if isinstance(row, dict) for k in row))
    try:
        return named_mapping(current_store(), survey.id, columns, name)
    except MappingError as error:
        raise ApiError(400, "invalid_mapping", str(error)) from None


def _mapped(mapping: Mapping, row) -> dict:
    if not isinstance(row, dict) or any(isinstance(v, (dict, list)) for v in row.values()):
        raise PurchaseError("each row must be an object of column names to plain values")
    return mapping.apply(["" if row.get(h) is None else str(row.get(h)) for h in mapping.headers])


WHAT = {"purchases": "post purchases", "read": "read surveys, responses, summaries or cases",
        "webhooks": "manage webhooks"}


def require_key(scope: str) -> ApiKey:
    """What the key may do; :raises ApiError: 401 for a missing, unknown or revoked key, 403 outside its scopes."""
    grant = api_key_grant(current_store(), _bearer_key())
    if grant is None:
        raise ApiError(401, "unauthorized", "Send a valid API key as 'Authorization: Bearer <key>'.")
    if scope not in grant.scopes:
        raise ApiError(403, "scope_refused", f"This API key may not {WHAT[scope]}: create a key with the "
                                             f"'{scope}' scope on the API keys page.")
    return grant


def _bearer_key() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def survey_or_404(survey_id, grant: ApiKey):
    """:raises ApiError: 403 for a survey the key is not limited to (whether or not it exists), 404 unknown."""
    if not isinstance(survey_id, str) or not survey_id:
        raise ApiError(400, "missing_survey_id", "'survey_id' (string) is required.")
    if not grant.covers(survey_id):
        raise ApiError(403, "survey_refused", "This API key is limited to other surveys.")
    try:
        return current_store().get_survey(survey_id)
    except NotFound:
        raise ApiError(404, "unknown_survey", f"No survey {survey_id!r}.") from None


def _flat(item) -> dict:
    """A purchase object as the flat row parse_purchase reads: its properties become extra columns."""
    if not isinstance(item, dict):
        raise PurchaseError("each purchase must be a JSON object")
    unknown = set(item) - PURCHASE_FIELDS
    if unknown:
        raise PurchaseError(f"unknown fields: {', '.join(sorted(unknown))} (put extra data under 'properties')")
    properties = item.get("properties") or {}
    if not isinstance(properties, dict) or any(isinstance(v, (dict, list)) for v in properties.values()):
        raise PurchaseError("'properties' must be an object of plain values")
    clashing = {str(name).strip().lower() for name in properties} & PURCHASE_FIELDS
    if clashing:
        raise PurchaseError(f"properties cannot be named {', '.join(sorted(clashing))}")
    fields = {k: v for k, v in item.items() if k != "properties"}
    if any(isinstance(v, (dict, list)) for v in fields.values()):
        raise PurchaseError("purchase fields must be strings")
    return fields | properties
