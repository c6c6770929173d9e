"""WhatsApp Business Cloud API: plain chat messages (domain/conversation.py) rendered as Graph API requests.

Request shapes from Meta's "Send messages" reference (developers.facebook.com/docs/whatsapp/cloud-api/reference/
messages): template with body parameters and a URL button's dynamic suffix; text; interactive `button` (at most 3
reply buttons, titles at most 20 characters) and `list` (at most 10 rows, titles at most 24, ids at most 200)."""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

from ..domain.conversation import DELIVERY_ORDER, ChatChoices, ChatTemplate, ChatText, InboundMessage, StatusUpdate
from . import Channel, ChannelError, DeliveryUnknown, register

TIMEOUT_SECONDS = 10
MAX_REPLY_BUTTONS = 3


def _recipient(to: str) -> dict:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to.lstrip("+")}


def render_template(message: ChatTemplate) -> dict:
    """Body parameters in order ({{1}}, {{2}}...); the URL button (index 0) gets the dynamic suffix; quick-reply
    buttons after it get their payloads, so a tap on Stop comes back as that payload, whatever the language."""
    components = []
    if message.body_parameters:
        components.append({"type": "body", "parameters": [{"type": "text", "text": p}
                                                          for p in message.body_parameters]})
    index = 0
    if message.url_button_suffix:
        components.append({"type": "button", "sub_type": "url", "index": "0",
                           "parameters": [{"type": "text", "text": message.url_button_suffix}]})
        index = 1
    for offset, payload in enumerate(message.quick_reply_payloads):
        components.append({"type": "button", "sub_type": "quick_reply", "index": str(index + offset),
                           "parameters": [{"type": "payload", "payload": payload}]})
    return _recipient(message.to) | {"type": "template", "template": {
        "name": message.name, "language": {"code": message.language}, "components": components}}


def render_text(message: ChatText) -> dict:
    return _recipient(message.to) | {"type": "text", "text": {"preview_url": False, "body": message.text}}


def render_choices(message: ChatChoices) -> dict:
    """Up to 3 choices as reply buttons, more (up to 10) as a list message."""
    if len(message.choices) <= MAX_REPLY_BUTTONS:
        action = {"buttons": [{"type": "reply", "reply": {"id": choice_id[:256], "title": title[:20]}}
                              for choice_id, title in message.choices]}
        kind = "button"
    else:
        action = {"button": message.button[:20], "sections": [{"rows": [
            {"id": choice_id[:200], "title": title[:24]} for choice_id, title in message.choices[:10]]}]}
        kind = "list"
    return _recipient(message.to) | {"type": "interactive", "interactive": {
        "type": kind, "body": {"text": message.body}, "action": action}}


RENDERERS = {ChatTemplate: render_template, ChatText: render_text, ChatChoices: render_choices}


class WhatsAppCloud(Channel):
    type = "whatsapp"

    def __init__(self, *, api_base: str, phone_number_id: str, access_token: str):
        self.url = f"{api_base.rstrip('/')}/{phone_number_id}/messages"
        self.access_token = access_token

    @classmethod
    def configuration_schema(cls) -> dict:
        return {"properties": {"WHATSAPP_API_BASE": {"type": "string", "title": "Graph API base, with version"},
                               "WHATSAPP_PHONE_NUMBER_ID": {"type": "string", "title": "Business phone number id"},
                               "WHATSAPP_TOKEN": {"type": "string", "title": "Access token (SSM)"}},
                "required": ["WHATSAPP_API_BASE", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_TOKEN"]}

    @classmethod
    def from_configuration(cls, configuration) -> "WhatsAppCloud":
        return cls(api_base=configuration["WHATSAPP_API_BASE"],
                   phone_number_id=configuration["WHATSAPP_PHONE_NUMBER_ID"],
                   access_token=configuration["WHATSAPP_TOKEN"])

    def body(self, message) -> dict:
        try:
            return RENDERERS[type(message)](message)
        except KeyError:
            raise ChannelError(f"WhatsApp cannot send a {type(message).__name__}") from None

    def send(self, message) -> str:
        """:raises ChannelError: with the API's own error message when it gives one."""
        request = urllib.request.Request(
            self.url, data=json.dumps(self.body(message)).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.access_token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return json.loads(response.read())["messages"][0]["id"]
        except urllib.error.HTTPError as error:
            raise ChannelError(f"WhatsApp API {error.code}: {_api_message(error)}") from error
        except urllib.error.URLError as error:  # urllib wraps what fails before the request is out
            raise ChannelError(f"WhatsApp API unreachable: {error}") from error
        except OSError as error:  # ...and lets through what fails while awaiting the answer (timeout, reset)
            raise DeliveryUnknown(f"WhatsApp API did not answer: {error!r}") from error
        except (ValueError, KeyError, IndexError) as error:
            raise ChannelError(f"WhatsApp API answered something unexpected: {error}") from error


def _api_message(error: urllib.error.HTTPError) -> str:
    try:
        return json.loads(error.read())["error"]["message"][:300]
    except (ValueError, KeyError, TypeError):
        return error.reason or "error"


register(WhatsAppCloud)


# -- the webhook: what Meta sends us ------------------------------------------------------------------------------

class PayloadError(ValueError):
    """A webhook body that is not Meta's shape: the whole batch is refused, nothing of it processed."""


def signature_matches(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the App Secret>` (Meta's "Webhooks:
    validating payloads", developers.facebook.com/docs/graph-api/webhooks/getting-started), in constant time."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def _at(timestamp) -> str:
    try:
        return datetime.fromtimestamp(int(timestamp), timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError, OSError) as error:
        raise PayloadError(f"bad timestamp {timestamp!r}") from error


def _text(value, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{name} missing")
    return value


def _phone(wa_id) -> str:
    return "+" + _text(wa_id, "phone").lstrip("+")


def _inbound(message: dict, names: dict[str, str]) -> InboundMessage:
    """Meta's message object (webhooks/reference/messages: text, button, interactive list_reply/button_reply/
    nfm_reply); any other type is kept as "other" with nothing to read."""
    kind, fields = message.get("type"), {}
    if kind == "text":
        fields = {"text": str(message.get("text", {}).get("body", ""))}
    elif kind == "button":
        button = message.get("button") or {}
        fields = {"text": str(button.get("text", "")), "reply_id": str(button.get("payload", ""))}
    elif kind == "interactive":
        interactive = message.get("interactive") or {}
        kind = interactive.get("type")
        if kind in ("list_reply", "button_reply"):
            reply = interactive.get(kind) or {}
            fields = {"text": str(reply.get("title", "")), "reply_id": str(reply.get("id", ""))}
        elif kind == "nfm_reply":
            fields = {"flow_response": str((interactive.get("nfm_reply") or {}).get("response_json", ""))}
        else:
            kind = "other"
    else:
        kind = "other"
    sender = _text(message.get("from"), "from")
    return InboundMessage(message_id=_text(message.get("id"), "message id"), phone=_phone(sender),
                          received_at=_at(message.get("timestamp")), kind=kind,
                          context_id=str((message.get("context") or {}).get("id", "")),
                          profile_name=names.get(sender, ""), **fields)


def _status(status: dict) -> StatusUpdate | None:
    """Meta's status object (webhooks/reference/messages/status); statuses we do not track (played...) are None."""
    if status.get("status") not in DELIVERY_ORDER:
        _text(status.get("status"), "status")
        return None
    error = (status.get("errors") or [{}])[0]
    code = error.get("code")
    return StatusUpdate(message_id=_text(status.get("id"), "status id"), phone=_phone(status.get("recipient_id")),
                        status=status["status"], at=_at(status.get("timestamp")),
                        error_code=int(code) if isinstance(code, int) or str(code).isdigit() else None,
                        error_title=str(error.get("title") or error.get("message") or "")[:200])


def parse_webhook(payload) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """Every entry's every `messages` change, parsed before anything is processed.

    :raises PayloadError: anything not shaped like Meta's payload, so nothing of a bad batch is half-done.
    """
    messages, statuses = [], []
    try:
        if payload.get("object") != "whatsapp_business_account":
            raise PayloadError("not a WhatsApp Business Account notification")
        for entry in payload["entry"]:
            for change in entry["changes"]:
                if change.get("field") != "messages":
                    continue  # account and template updates: not ours to act on
                value = change["value"]
                names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts", [])}
                messages += [_inbound(m, names) for m in value.get("messages", [])]
                statuses += [s for s in map(_status, value.get("statuses", [])) if s]
    except (AttributeError, KeyError, TypeError) as error:
        raise PayloadError(f"malformed notification: {error!r}") from error
    return messages, statuses
