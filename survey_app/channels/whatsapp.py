"""WhatsApp Business Cloud API: plain chat messages (domain/conversation.py) rendered as Graph API requests.

Request shapes from Meta's "Send messages" reference (developers.facebook.com/docs/whatsapp/cloud-api/reference/
messages): template with body parameters and a URL button's dynamic suffix; text; interactive `button` (at most 3
reply buttons, titles at most 20 characters) and `list` (at most 10 rows, titles at most 24, ids at most 200)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from ..domain.conversation import ChatChoices, ChatTemplate, ChatText
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
