"""Plain data exchanged with chat channels: what a customer sent us, what became of what we sent, what we send.

Webhooks (WhatsApp, later SMS) parse their provider's payload into these and hand them to services; services
build outgoing chat messages as these and a channel renders them in its own protocol. No Flask, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass

# Delivery states in the order they happen; a late report never moves a message backwards (failed is final).
DELIVERY_ORDER = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(frozen=True)
class InboundMessage:
    """One message a customer sent; `message_id` (Meta's wamid) makes its processing idempotent."""

    message_id: str
    phone: str  # E.164 with '+'
    received_at: str  # UTC ISO-8601
    kind: str  # text | button | list_reply | button_reply | nfm_reply | other
    text: str = ""  # the text body, a quick-reply button's text, or a chosen row's or button's title
    reply_id: str = ""  # a quick-reply button's payload, a list row's or reply button's id
    context_id: str = ""  # the id of our message it replies to, when the customer replied to one
    flow_response: str = ""  # a WhatsApp Flow's response_json, as the string Meta sends
    profile_name: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    """A provider's report on a message we sent: sent, delivered, read or failed (with the provider's reason)."""

    message_id: str
    phone: str
    status: str
    at: str  # UTC ISO-8601
    error_code: int | None = None
    error_title: str = ""


@dataclass(frozen=True)
class ChatText:
    """Free text: only inside the provider's customer-service window."""

    to: str
    text: str


@dataclass(frozen=True)
class ChatChoices:
    """A pick-one question: WhatsApp renders up to 3 choices as reply buttons, up to 10 as a list message."""

    to: str
    body: str
    button: str  # the list's button label
    choices: tuple[tuple[str, str], ...]  # (id, title): ids at most 200 characters, titles at most 24


@dataclass(frozen=True)
class ChatTemplate:
    """An approved template: the only thing that may open a conversation outside the window."""

    to: str
    name: str
    language: str
    body_parameters: tuple[str, ...] = ()
    url_button_suffix: str = ""  # the dynamic part of a URL button, when the template has one
    quick_reply_payloads: tuple[str, ...] = ()  # one per quick-reply button after the URL button (e.g. "STOP")
