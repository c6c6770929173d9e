"""Webhook endpoints managed through the API (GET, POST, DELETE /api/v1/webhooks) by keys with the 'webhooks' scope:
the same endpoints, checks and signing secrets as the owner's webhooks page. The contract is docs/openapi.yaml."""
from __future__ import annotations

from flask import current_app, jsonify, request

from ...errors import NotFound
from ...services.webhooks import WebhookError, add_webhook
from .. import current_store, public
from . import bp
from .routes import ApiError, require_key

SHOWN = ("id", "url", "events", "created_by", "created_at")  # the secret only in the answer that made it


@bp.get("/webhooks")
@public  # guarded by its API key, not by an owner session
def list_webhooks():
    require_key("webhooks")
    return jsonify(webhooks=[{name: hook[name] for name in SHOWN} for hook in current_store().webhooks()])


@bp.post("/webhooks")
@public
def create_webhook():
    grant = require_key("webhooks")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("url"), str) or not isinstance(body.get("events"), list):
        raise ApiError(400, "invalid_webhook", "Send {'url': 'https://...', 'events': ['response.created', ...]}.")
    try:
        hook = add_webhook(current_store(), body["url"], [e for e in body["events"] if isinstance(e, str)],
                           f"api:{grant.owner}", require_https=current_app.config["ENV"] not in ("dev", "test"))
    except WebhookError as error:
        raise ApiError(400, "invalid_webhook", str(error)) from None
    return jsonify({name: hook[name] for name in SHOWN + ("secret",)}), 201


@bp.delete("/webhooks/<hook_id>")
@public
def delete_webhook(hook_id: str):
    require_key("webhooks")
    try:
        current_store().get_webhook(hook_id)
    except NotFound:
        raise ApiError(404, "unknown_webhook", f"No webhook {hook_id!r}.") from None
    current_store().delete_webhook(hook_id)
    return "", 204
