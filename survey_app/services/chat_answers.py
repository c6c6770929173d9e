"""Answers typed in the chat: a score replied to the invitation template is recorded exactly as the web records
it (same transaction, counters and "already answered" rule), then the follow-up questions come as chat messages
while the customer-service window is open.

Idempotent under a provider's retries: the score's submission id is derived from the provider's message id, and
every later step moves the chat's state with a condition on the step it leaves.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from ..channels import ChannelError
from ..domain.chat_survey import (DONE, NUMBER_REPLY_TEMPLATES, ChatState, is_chat_submission, parse_number,
                                  submission_id)
from ..domain.conversation import ChatText, InboundMessage
from ..domain.models import Invitation, Survey
from ..errors import AlreadyAnswered
from ..i18n import translate
from ..store import Store
from .responses import submit_response

log = logging.getLogger(__name__)
Send = Callable[[object], str]


def handle_reply(store: Store, message: InboundMessage, send: Send, now: datetime, *,
                 tz_name: str = "Asia/Jakarta", case_due_hours: int = 48) -> bool:
    """True when `message` answered our chat survey (the caller then threads it nowhere else)."""
    pointer = store.chat_pointer(message.phone)
    if pointer is None or pointer.get("template") not in NUMBER_REPLY_TEMPLATES:
        return False
    invitation = store.invitation_or_none(pointer["token"])
    if invitation is None or invitation.is_expired(datetime.fromisoformat(message.received_at)):
        return False
    survey = store.get_survey(invitation.survey_id)
    return _score_reply(store, survey, invitation, message, send, tz_name, case_due_hours)


def _language(survey: Survey, invitation: Invitation) -> str:
    return invitation.language or survey.default_language


def _score_reply(store: Store, survey: Survey, invitation: Invitation, message: InboundMessage, send: Send,
                 tz_name: str, case_due_hours: int) -> bool:
    """The first reply: a score records the response; anything else is not an answer (it goes to the owner)."""
    nps = survey.nps_question
    score = parse_number(message.text, 0, 10) if nps and message.kind == "text" else None
    if score is None:
        return False
    if invitation.answered_at and not is_chat_submission(store.submission_of(invitation.token)):
        return _answered_elsewhere(store, survey, invitation, message, send)
    try:
        submit_response(store, survey, {nps.id: score}, language=_language(survey, invitation),
                        submission_id=submission_id(invitation.token, message.message_id), invitation=invitation,
                        now=datetime.fromisoformat(message.received_at), tz_name=tz_name,
                        case_due_hours=case_due_hours)
    except AlreadyAnswered:
        if is_chat_submission(store.submission_of(invitation.token)):
            return True  # another chat message recorded the score first: this one is not counted
        return _answered_elsewhere(store, survey, invitation, message, send)
    if store.start_chat(ChatState(invitation.token, DONE, message.received_at, outcome="finished"),
                        _expires_epoch(invitation)):
        _send(send, ChatText(message.phone, translate("chat_thanks", _language(survey, invitation))))
    return True


def _answered_elsewhere(store: Store, survey: Survey, invitation: Invitation, message: InboundMessage,
                        send: Send) -> bool:
    """A score after a web answer records nothing; the customer is told so once, never again for this invitation."""
    ended = ChatState(invitation.token, DONE, message.received_at, outcome="answered_elsewhere")
    if store.start_chat(ended, _expires_epoch(invitation)):
        _send(send, ChatText(message.phone, translate("chat_already_answered", _language(survey, invitation))))
    return True


def _expires_epoch(invitation: Invitation) -> int:
    """The chat's state lives as long as its invitation."""
    return int(datetime.fromisoformat(invitation.expires_at).timestamp()) if invitation.expires_at else 0


def _send(send: Send, message) -> None:
    """The answer is already stored: a message that cannot go out is logged, never raised into the webhook."""
    try:
        send(message)
    except ChannelError as error:
        log.warning("chat message to %s not sent: %s", getattr(message, "to", "?"), error)


def remember_chat_invitation(store: Store, invitation: Invitation, template: str, sent_at: datetime) -> None:
    """Called by the sender once a WhatsApp invitation is out: this phone's replies now answer it (when its
    template asked for a number; a link-only invitation still takes the place of an older one)."""
    store.point_chat(invitation.phone, invitation.token, template, sent_at.isoformat(), _expires_epoch(invitation))
