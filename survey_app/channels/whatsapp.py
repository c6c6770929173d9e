"""WhatsApp Business Cloud API: an approved template whose URL button carries the invitation token."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from . import ChannelError, DeliveryUnknown

TIMEOUT_SECONDS = 10


class WhatsAppCloud:
    def __init__(self, *, api_base: str, phone_number_id: str, access_token: str, template: str):
        self.url = f"{api_base.rstrip('/')}/{phone_number_id}/messages"
        self.access_token, self.template = access_token, template

    def body(self, phone: str, language: str, name: str, token: str) -> dict:
        """Template parameters: {{1}} the customer's name in the body; the URL button's dynamic suffix the token."""
        return {
            "messaging_product": "whatsapp", "to": phone.lstrip("+"), "type": "template",
            "template": {
                "name": self.template, "language": {"code": language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": name}]},
                    {"type": "button", "sub_type": "url", "index": "0",
                     "parameters": [{"type": "text", "text": token}]},
                ],
            },
        }

    def send(self, phone: str, language: str, name: str, token: str) -> str:
        """:raises ChannelError: with the API's own error message when it gives one."""
        request = urllib.request.Request(
            self.url, data=json.dumps(self.body(phone, language, name, token)).encode(), method="POST",
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
