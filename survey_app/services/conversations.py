"""What arrives on the WhatsApp webhook, each item handled once whatever Meta retries or reorders.

Statuses land on the message's invitation (or case-thread entry) with the funnel's counters; a failed invitation is
handed back to the sender for the next channel in the survey's order (the webhook itself never sends e-mail).
Customers' messages: stop words opt out for good; chat answers go to services.chat_answers; a reply about an
open case joins its thread and waits for its assignee to be told; anything else waits in the owner's inbox.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from ..channels import ChannelError
from ..domain.chat_rules import failure_group, stop_language
from ..domain.conversation import DELIVERY_ORDER, ChatText, InboundMessage, StatusUpdate
from ..domain.models import EMAIL_CHANNEL, FAILED, RESOLVED, SCHEDULED, SENT, FollowUp, Invitation
from ..errors import NotFound
from ..i18n import translate
from ..store import Store
from .chat_answers import handle_reply
from .common import local_day, utcnow

log = logging.getLogger(__name__)
Send = Callable[[object], str]
FUNNEL = ("delivered", "read")  # stages a report can newly reach ("sent" is counted by the sender)
STATUS_ATTEMPTS = 3


@dataclass(frozen=True)
class ChatSettings:
    """What handling chat traffic needs from configuration: the owner's day, case deadlines, the channels this
    deployment can send on (where a failed WhatsApp message may fall back), the language when none is known."""

    tz_name: str = "Asia/Jakarta"
    case_due_hours: int = 48
    channels: tuple[str, ...] = ()
    language: str = "id"


def process_batch(store: Store, messages: list[InboundMessage], statuses: list[StatusUpdate], send: Send,
                  settings: ChatSettings, now: datetime | None = None) -> Counter:
    """Statuses first (cheap, and a reply may follow its own message's "read"), then messages, in order."""
    now = now or utcnow()
    outcomes = Counter(record_status(store, update, settings) for update in statuses)
    outcomes.update(handle_inbound(store, message, send, settings, now) for message in messages)
    return outcomes


# -- statuses ---------------------------------------------------------------------------------------------------

def record_status(store: Store, update: StatusUpdate, settings: ChatSettings) -> str:
    """Moves the message's status forward only; "sent" after "read" or a repeat changes nothing. A transaction
    refused while the status stayed put means its invitation or thread entry is gone (erased, expired): the status
    is then recorded on the message alone."""
    with_effects = True
    for _ in range(STATUS_ATTEMPTS):
        ref = store.message_ref(update.message_id)
        if ref is None:
            return "status_of_unknown_message"
        previous = ref.get("rank")
        if previous is not None and DELIVERY_ORDER[update.status] <= previous:
            return "status_stale"
        also, counters = _effects(store, ref, update, previous, settings) if with_effects else ([], None)
        if store.record_status(update, previous, also, counters):
            return f"status_{update.status}"
        with_effects = (store.message_ref(update.message_id) or {}).get("rank") != previous
    return "status_contended"


def _effects(store: Store, ref: dict, update: StatusUpdate, previous: int | None,
             settings: ChatSettings) -> tuple[list[dict], tuple[str, str, dict] | None]:
    """The writes that go with the status: the thread entry's or invitation's status, and the funnel counters of
    every stage newly reached (a "read" without "delivered" counts both: Meta skips "delivered" then)."""
    if ref.get("kind") == "reply":
        return [store.thread_update(ref["survey_id"], ref["response_id"], ref["thread_sk"], update.status)], None
    if ref.get("kind") != "invitation":
        return [], None
    channel, rank = ref.get("channel", ""), DELIVERY_ORDER[update.status]
    if update.status == "failed":
        invitation = store.invitation_or_none(ref["token"])
        if invitation is not None:
            _fall_back(store, invitation, channel, update, settings)
        names = {f"inv#{channel}#undelivered": 1, f"wafail#{failure_group(update.error_code)}": 1}
    else:
        names = {f"inv#{channel}#{stage}": 1 for stage in FUNNEL if (previous or 0) < DELIVERY_ORDER[stage] <= rank}
    day = local_day(datetime.fromisoformat(update.at), settings.tz_name)
    return [store.invitation_status_update(ref["token"], update.status)], (ref["survey_id"], day, names) if names \
        else None


def failure_reason(update: StatusUpdate) -> str:
    return f"WhatsApp {update.error_code or ''}: {update.error_title or 'failed'}".replace(" :", ":")


def _fall_back(store: Store, invitation: Invitation, channel: str, update: StatusUpdate,
               settings: ChatSettings) -> None:
    """Once: back to the sender's queue for the next usable channel (the reason kept), or onto the owner's failure
    list when there is none. Done before the status is recorded, so a crash in between is finished by Meta's retry."""
    if invitation.state != SENT or invitation.fallback_from:
        return
    try:
        order = store.get_survey(invitation.survey_id).delivery.channels
    except NotFound:
        return
    later = order[order.index(channel) + 1:] if channel in order else ()
    usable = [c for c in later if c == EMAIL_CHANNEL and invitation.email and c in settings.channels]
    now = update.at
    common = dict(fallback_from=channel, failure=failure_reason(update), remind_at="", send_at=now,
                  delivery_status="failed")
    to = replace(invitation, state=SCHEDULED if usable else FAILED, **common)
    store.transition(invitation, to, from_states=(SENT,), extra_condition="attribute_not_exists(fallback_from)")


# -- customers' messages ------------------------------------------------------------------------------------------

def handle_inbound(store: Store, message: InboundMessage, send: Send, settings: ChatSettings, now: datetime) -> str:
    """Claimed by its id first: a retried or reordered delivery of it does nothing. A failure gives the claim back,
    so Meta's retry (after the webhook's 500) gets to try again."""
    if not store.claim_inbound(message, int(now.timestamp())):
        return "duplicate"
    try:
        return _route(store, message, send, settings, now)
    except Exception:
        store.release_inbound(message.message_id)
        raise


def _route(store: Store, message: InboundMessage, send: Send, settings: ChatSettings, now: datetime) -> str:
    store.note_inbound(message.phone, message.received_at)
    language = stop_language(message.kind, message.text, message.reply_id)
    if language is not None:
        store.opt_out(message.phone, now.isoformat())
        _send(send, ChatText(message.phone, translate("wa_opted_out", language or settings.language)))
        return "opted_out"
    if handle_reply(store, message, send, now, tz_name=settings.tz_name, case_due_hours=settings.case_due_hours):
        return "answered_in_chat"
    case = open_case_of(store, message)
    if case is not None:
        store.add_thread_entry(case.survey_id, case.response_id, {
            "at": message.received_at, "message_id": message.message_id, "direction": "in", "kind": message.kind,
            "text": message.text or message.flow_response, "author": message.profile_name}, alert=True)
        return "added_to_case"
    store.add_to_inbox(message)
    return "kept_in_inbox"


def open_case_of(store: Store, message: InboundMessage) -> FollowUp | None:
    """The unresolved case this customer is writing about: the one our replied-to message belongs to, the one the
    owner last wrote about, or the case of the last invitation sent to this number."""
    candidates = []
    ref = store.message_ref(message.context_id) if message.context_id else None
    if ref:
        candidates.append((ref.get("survey_id", ""), ref.get("response_id") or ref.get("token", "")))
    contact = store.contact_record(message.phone)
    if contact.get("open_case"):
        candidates.append(tuple(contact["open_case"].split("/", 1)))
    last = store.invitation_or_none(contact.get("last_invitation", ""))
    if last:
        candidates.append((last.survey_id, last.token))
    for survey_id, response_id in candidates:
        case = store.case_or_none(survey_id, response_id) if survey_id and response_id else None
        if case and case.status != RESOLVED:
            return case
    return None


def _send(send: Send, message) -> None:
    """A confirmation that cannot go out is logged: the opt-out itself is already recorded."""
    try:
        send(message)
    except ChannelError as error:
        log.warning("chat message to %s not sent: %s", message.to, error)

