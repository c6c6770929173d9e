"""The WhatsApp Cloud API webhook: Meta's verification handshake (GET) and its signed notifications (POST).

Shapes from Meta's "Webhooks" guide (developers.facebook.com/docs/graph-api/webhooks/getting-started: the GET
carries hub.mode=subscribe, hub.verify_token and hub.challenge, answered with the challenge; every POST carries
X-Hub-Signature-256) and the WhatsApp webhook references (messages, statuses). Meta retries a notification until it
gets a 200, so a 500 here means "send it again" and every item is processed once by its id.
"""
from __future__ import annotations

import hmac
import json

from flask import abort, current_app, request

from ...channels import ChannelError, build_channel, build_channels
from ...extensions import csrf
from ...services.conversations import ChatSettings, process_batch
from .. import current_store, public, upload_limit
from . import bp


@bp.get("/whatsapp")
@public
def verify():
    """Meta's subscription check: echo the challenge only for our verify token."""
    token = current_app.config["WHATSAPP_VERIFY_TOKEN"]
    given = request.args.get("hub.verify_token", "")
    if request.args.get("hub.mode") != "subscribe" or not token or not hmac.compare_digest(given, token):
        abort(403)
    return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.post("/whatsapp")
@public
@upload_limit("WHATSAPP_WEBHOOK_MAX_BYTES")
@csrf.exempt
def notification():
    """Signature on the raw body first (401, nothing read otherwise); then the whole batch parsed (400 for a
    malformed one, nothing processed); then each status and message, once."""
    from ...channels.whatsapp import PayloadError, parse_webhook, signature_matches  # this route's alone

    if not signature_matches(current_app.config["WHATSAPP_APP_SECRET"], request.get_data(cache=True),
                             request.headers.get("X-Hub-Signature-256")):
        abort(401)
    try:
        messages, statuses = parse_webhook(json.loads(request.get_data()))
    except (ValueError, PayloadError):  # json's errors are ValueErrors too
        abort(400)
    outcomes = process_batch(current_store(), messages, statuses, _send, chat_settings())
    current_app.logger.info("whatsapp webhook: %s", dict(outcomes))
    return {"received": sum(outcomes.values())}


def chat_settings() -> ChatSettings:
    config = current_app.config
    shared = current_app.extensions.setdefault("chat", {})
    if "settings" not in shared:
        shared["settings"] = ChatSettings(tz_name=config["TIMEZONE"], case_due_hours=config["CASE_DUE_HOURS"],
                                          channels=tuple(build_channels(config)), language=config["OWNER_LANGUAGE"])
    return shared["settings"]


def whatsapp_channel():
    """The Cloud API channel built once per app (None where it is not configured): chat replies and the case
    page's owner replies go straight out through it."""
    shared = current_app.extensions.setdefault("chat", {})
    if "whatsapp" not in shared:
        shared["whatsapp"] = build_channel("whatsapp", current_app.config)
    return shared["whatsapp"]


def _send(message) -> str:
    """Replies inside the chat (an opt-out's confirmation, the chat survey's next question)."""
    channel = whatsapp_channel()
    if channel is None:
        raise ChannelError("WhatsApp Cloud API is not configured")
    return channel.send(message)
