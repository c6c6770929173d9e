"""Answers typed in the chat: a score replied to the invitation template is recorded exactly as the web records
it (same transaction, counters and "already answered" rule), then the follow-up questions come as chat messages
while the customer-service window is open.

Idempotent under a provider's retries and reordering: the score's submission id is derived from the provider's
message id, and every later step moves the chat's state with a condition on the step it leaves, in the same
transaction as the answer it adds. A question is sent by the one delivery that moved the chat, so at most once.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Callable

from ..channels import ChannelError
from ..domain.chat_survey import (DONE, MAX_BUTTON_TITLE, MAX_BUTTONS, MAX_ROW_TITLE, ChatState, choice_id,
                                  choice_values, is_chat_submission, next_question, parse_number, read_answer,
                                  short_title, submission_id, within_window)
from ..domain.conversation import ChatChoices, ChatText, InboundMessage
from ..domain.models import TEXT_TYPES, Invitation, Question, Survey
from ..errors import AlreadyAnswered, StoreUnavailable
from ..i18n import translate
from ..store import Store
from .chat_templates import TEMPLATES
from .responses import amendment, submit_response
from .webhooks import notify_response

log = logging.getLogger(__name__)
Send = Callable[[object], str]
# Only a reply to an invitation whose template asked for a number is read as a score (docs/whatsapp-templates.md).
NUMBER_REPLY_TEMPLATES = frozenset({TEMPLATES["invitation_number"].name})


def handle_reply(store: Store, message: InboundMessage, send: Send, now: datetime, *,
                 tz_name: str = "Asia/Jakarta", case_due_hours: int = 48) -> bool:
    """True when `message` answered our chat survey (the caller then threads it nowhere else)."""
    pointer = store.chat_pointer(message.phone)
    if pointer is None or pointer.get("template") not in NUMBER_REPLY_TEMPLATES:
        return False
    if store.is_opted_out(message.phone):
        return False  # "never messaged again" holds inside the chat too: what they write goes to the owner
    invitation = store.invitation_or_none(pointer["token"])
    if invitation is None or invitation.is_expired(datetime.fromisoformat(message.received_at)):
        return False
    survey = store.get_survey(invitation.survey_id)
    state = store.chat_state(invitation.token)
    if state is None:
        return _score_reply(store, survey, invitation, message, send, now, tz_name, case_due_hours)
    if message.message_id == state.last_message:
        return state.misses == 0  # a redelivery: handled as the first delivery was, nothing done twice
    if _is_bare_score(message) and (state.step == DONE or _is_text(survey.question(state.step))):
        return True  # the score again (a double send, a correction): the first one counts, nothing to do
    if state.step == DONE or not within_window(state.asked_at, datetime.fromisoformat(message.received_at)):
        return False  # the chat is over: a later message is for the business, not the survey
    if message.received_at <= state.asked_at:
        return False  # written before the question it would answer (a reordered delivery): not its answer
    return _follow_up_reply(store, survey, invitation, state, message, send, now, case_due_hours)


def _language(survey: Survey, invitation: Invitation) -> str:
    return invitation.language or survey.default_language


def _is_bare_score(message: InboundMessage) -> bool:
    return message.kind == "text" and parse_number(message.text, 0, 10) is not None


def _is_text(question: Question | None) -> bool:
    return question is not None and question.type in TEXT_TYPES


def _score_reply(store: Store, survey: Survey, invitation: Invitation, message: InboundMessage, send: Send,
                 now: datetime, tz_name: str, case_due_hours: int) -> bool:
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
    first = _next_state(survey, invitation.token, nps.id, message, now)
    if store.start_chat(first, _expires_epoch(invitation)):
        _ask_or_thank(send, survey, invitation, first, message, now)
    return True


def _answered_elsewhere(store: Store, survey: Survey, invitation: Invitation, message: InboundMessage,
                        send: Send) -> bool:
    """A score after a web answer records nothing; the customer is told so once, never again for this invitation."""
    ended = ChatState(invitation.token, DONE, message.received_at, outcome="answered_elsewhere",
                      last_message=message.message_id)
    if store.start_chat(ended, _expires_epoch(invitation)):
        _send(send, ChatText(message.phone, translate("chat_already_answered", _language(survey, invitation))))
    return True


def _next_state(survey: Survey, token: str, answered: str, message: InboundMessage, now: datetime) -> ChatState:
    """After `answered`: the next question, asked only inside the window the customer's message opened."""
    following = next_question(survey, answered)
    if following is None:
        return ChatState(token, DONE, message.received_at, outcome="finished", last_message=message.message_id)
    if not within_window(message.received_at, now):
        return ChatState(token, DONE, message.received_at, outcome="window_closed", last_message=message.message_id)
    return ChatState(token, following.id, message.received_at, last_message=message.message_id)


def _follow_up_reply(store: Store, survey: Survey, invitation: Invitation, state: ChatState,
                     message: InboundMessage, send: Send, now: datetime, case_due_hours: int) -> bool:
    """A reply to a follow-up question: added to the response, or re-asked once, or (a second miss) the end."""
    question = survey.question(state.step)
    lang = _language(survey, invitation)
    value = None if question is None else read_answer(question, message.kind, message.text, message.reply_id,
                                                     dict(_choices(question, lang)))
    if value is None:
        return _missed(store, survey, invitation, state, question, message, send, now)
    after = _next_state(survey, invitation.token, question.id, message, now)
    response = store.get_response(survey.id, invitation.token)
    change = amendment(store, survey, response, {question.id: value}, case_due_hours)
    if store.add_chat_answer(state, after, response, question.id, value, change.counters, change.write.texts,
                             change.write.score, change.write.labels, change.case, change.case_exists,
                             at=message.received_at):
        notify_response(store, survey, replace(response, answers=response.answers | {question.id: value}),
                        "response.updated", change.case, "case.updated" if change.case_exists else "case.created")
        _ask_or_thank(send, survey, invitation, after, message, now)
    return True


def _missed(store: Store, survey: Survey, invitation: Invitation, state: ChatState, question: Question | None,
            message: InboundMessage, send: Send, now: datetime) -> bool:
    """Not an answer: the question once more with a hint, then, at the second miss, the chat ends quietly. The
    message itself is not an answer, so it goes to the owner like any other."""
    if question is not None and state.misses == 0:
        reasked = store.move_chat(state, replace(state, misses=1, last_message=message.message_id))
        if reasked and within_window(message.received_at, now):
            _send(send, _question_message(question, survey, invitation, reask=True))
        return False
    store.move_chat(state, replace(state, step=DONE, outcome="stopped", last_message=message.message_id))
    return False


def _ask_or_thank(send: Send, survey: Survey, invitation: Invitation, state: ChatState, message: InboundMessage,
                  now: datetime) -> None:
    if state.step != DONE:
        _send(send, _question_message(survey.question(state.step), survey, invitation))
    elif state.outcome == "finished" and within_window(message.received_at, now):
        _send(send, ChatText(invitation.phone, translate("chat_thanks", _language(survey, invitation))))


def _question_message(question: Question, survey: Survey, invitation: Invitation, reask: bool = False):
    """Free text as a plain message; a rating or a choice as reply buttons (up to 3) or a list (up to 10)."""
    lang = _language(survey, invitation)
    label = question.label.get(lang)
    if question.type in TEXT_TYPES:
        return ChatText(invitation.phone, f"{translate('chat_reask_text', lang)}\n\n{label}" if reask else label)
    body = f"{translate('chat_reask_choice', lang)}\n\n{label}" if reask else label
    return ChatChoices(invitation.phone, body, translate("chat_choose", lang),
                       tuple((choice_id(question, value), title) for value, title in _choices(question, lang)))


def _choices(question: Question, lang: str) -> list[tuple[str, str]]:
    """(value, title) per choice: a scale's ends carry their words ("1 - Sangat tidak puas"), options their label."""
    values = choice_values(question)
    limit = MAX_BUTTON_TITLE if len(values) <= MAX_BUTTONS else MAX_ROW_TITLE
    if question.scale:
        ends = {values[0]: translate(f"{question.type}_low", lang),
                values[-1]: translate(f"{question.type}_high", lang)}
        titles = [f"{value} - {ends[value]}" if value in ends else value for value in values]
    else:
        titles = [option.label.get(lang) for option in question.live_options]
    return [(value, short_title(title, limit)) for value, title in zip(values, titles)]


def _expires_epoch(invitation: Invitation) -> int:
    """The chat's items live as long as their invitation (every invitation is created with its expiry)."""
    return int(datetime.fromisoformat(invitation.expires_at).timestamp())


def _send(send: Send, message) -> None:
    """The answer is already stored: a message that cannot go out is logged, never raised into the webhook."""
    try:
        send(message)
    except ChannelError as error:
        log.warning("chat message to %s not sent: %s", getattr(message, "to", "?"), error)


def remember_chat_invitation(store: Store, invitation: Invitation, template: str, sent_at: datetime) -> None:
    """Called by the sender once a WhatsApp invitation is out: this phone's replies now answer it (when its
    template asked for a number; a link-only invitation still takes the place of an older one)."""
    try:
        store.point_chat(invitation.phone, invitation.token, template, sent_at.isoformat(),
                         _expires_epoch(invitation))
    except StoreUnavailable as error:  # the message is out; a typed score then goes to the owner, the link works
        log.warning("chat replies of %s will not be read as answers: %s", invitation.token, error)
