"""WhatsApp Cloud API webhook notifications shaped like Meta's documented examples, signed like Meta signs them.

Shapes from Meta's "Webhook notification payload examples" and the messages/status webhook references
(developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples, .../webhooks/reference/messages and
.../reference/messages/status): one envelope {"object": "whatsapp_business_account", "entry": [{"id": <WABA id>,
"changes": [{"field": "messages", "value": {"messaging_product", "metadata", "contacts", "messages" | "statuses"}}]}]};
timestamps are Unix seconds as strings; a failed status carries errors[{code, title, message, error_data.details}].
Signature: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of the raw body keyed with the App Secret
(developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
METADATA = {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID}
ERROR_TITLES = {131026: "Message undeliverable", 132015: "Template is Paused", 131049:
                "This message was not delivered to maintain healthy ecosystem engagement.",
                131047: "Re-engagement message", 130472: "User's number is part of an experiment",
                131056: "(Business Account, Consumer Account) pair rate limit hit"}


def _ts(at: datetime) -> str:
    return str(int(at.timestamp()))


def envelope(*values: dict) -> dict:
    """One entry per value, as Meta batches them (each change one `messages` field)."""
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"value": {"messaging_product": "whatsapp", "metadata": METADATA}
                                                  | value, "field": "messages"}]} for value in values]}


def status(wamid: str, state: str, phone: str, at: datetime, error_code: int | None = None) -> dict:
    """A `statuses` value; delivered/read carry conversation and pricing as Meta's examples do."""
    item = {"id": wamid, "status": state, "timestamp": _ts(at), "recipient_id": phone.lstrip("+")}
    if state in ("sent", "delivered", "read"):
        item |= {"conversation": {"id": "CONVERSATION_ID", "origin": {"type": "utility"}},
                 "pricing": {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}}
    if state == "failed":
        title = ERROR_TITLES.get(error_code, "Error")
        item["errors"] = [{"code": error_code, "title": title, "message": title,
                           "error_data": {"details": title},
                           "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]
    return {"statuses": [item]}


def _message(wamid: str, phone: str, at: datetime, name: str, kind: str, body: dict, context: str = "") -> dict:
    message = {"from": phone.lstrip("+"), "id": wamid, "timestamp": _ts(at), "type": kind} | body
    if context:
        message["context"] = {"from": METADATA["display_phone_number"], "id": context}
    return {"contacts": [{"profile": {"name": name}, "wa_id": phone.lstrip("+")}], "messages": [message]}


def text(wamid: str, phone: str, at: datetime, body: str, name: str = "Budi", context: str = "") -> dict:
    return _message(wamid, phone, at, name, "text", {"text": {"body": body}}, context)


def button(wamid: str, phone: str, at: datetime, payload: str, label: str, context: str = "") -> dict:
    """A template's quick-reply button tapped: type "button" with its payload and text."""
    return _message(wamid, phone, at, "Budi", "button", {"button": {"payload": payload, "text": label}}, context)


def list_reply(wamid: str, phone: str, at: datetime, row_id: str, title: str) -> dict:
    return _message(wamid, phone, at, "Budi", "interactive", {"interactive": {
        "type": "list_reply", "list_reply": {"id": row_id, "title": title, "description": ""}}})


def signed(payload: dict, secret: str = APP_SECRET) -> tuple[bytes, dict]:
    """The raw body and the headers Meta sends with it."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}
