"""Answering a survey inside a chat: reading a typed score, which question comes next, what a reply means.

Pure: the service (services/chat_answers.py) reads and writes the store and sends; this module only decides.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import CES, CSAT, NPS, SINGLE, TEXT_TYPES, Question, Survey

# WhatsApp's customer-service window: free-form (non-template) messages only within 24 hours of the customer's
# last message (developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages#customer-service-windows).
SERVICE_WINDOW = timedelta(hours=24)
# Interactive message limits (developers.facebook.com/docs/whatsapp/cloud-api/messages/interactive-list-messages
# and .../interactive-reply-buttons-messages): 10 list rows, row titles 24 characters, row ids 200; 3 buttons of
# 20 characters.
MAX_LIST_ROWS, MAX_ROW_TITLE, MAX_ROW_ID, MAX_BUTTONS, MAX_BUTTON_TITLE = 10, 24, 200, 3, 20
DONE = "done"  # a chat's step once nothing more will be asked

NUMBER_WORDS = {
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7, "delapan": 8,
    "sembilan": 9, "sepuluh": 10,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10,
}
KEYCAPS = {"\u20e3": "", "\ufe0f": "", "\U0001f51f": "10"}  # "9️⃣" is 9 + U+FE0F + U+20E3; "🔟" is ten
_SCORE = re.compile(r"^(?:nilai|nilainya|skor|score)?\s*:?\s*(\d{1,2}|[a-z]+)(?:\s*(?:/|dari|of|out of)\s*(\d{1,2}))?"
                    r"\s*[.!]*$")


def parse_number(text: str, low: int, high: int) -> int | None:
    """A reply that is only a number on the scale ('9', '9/10', '10 dari 10', 'sembilan', '9️⃣'), else None."""
    cleaned = "".join(KEYCAPS.get(ch, ch) for ch in text).strip().lower()
    match = _SCORE.match(cleaned)
    if not match:
        return None
    word, out_of = match.groups()
    value = int(word) if word.isdigit() else NUMBER_WORDS.get(word)
    if value is None or not low <= value <= high or (out_of is not None and int(out_of) != high):
        return None
    return value


def submission_id(token: str, message_id: str) -> str:
    """A chat answer's submission id: one provider message on one invitation always gives the same (36 characters
    at most, DynamoDB's ClientRequestToken limit, which is shared by the whole account), and 'wa-' tells it from a
    web submission."""
    return "wa-" + hashlib.sha256(f"{token}:{message_id}".encode()).hexdigest()[:32]


def is_chat_submission(submission: str) -> bool:
    return submission.startswith("wa-")


@dataclass(frozen=True)
class ChatState:
    """Where one invitation's chat stands: the question waiting for a reply (DONE when none), when it was asked
    (the provider's time of the customer message it followed: later replies carry the same clock), and whether
    its one re-ask was used."""

    token: str
    step: str = DONE
    asked_at: str = ""
    misses: int = 0
    outcome: str = ""  # why it ended: finished, answered_elsewhere, stopped, window_closed
    last_message: str = ""  # the provider id of the reply that moved it here: its redelivery is recognised


def askable(question: Question) -> bool:
    """What a chat can ask: free text, a rating (CSAT 1-5, CES 1-7), one choice out of at most ten."""
    return (question.type in TEXT_TYPES or question.type in (CSAT, CES)
            or (question.type == SINGLE and 0 < len(question.live_options) <= MAX_LIST_ROWS))


def next_question(survey: Survey, after: str) -> Question | None:
    """The first askable question after `after` (a question id) in the survey's order; never the NPS again, never
    a retired question."""
    start = [q.id for q in survey.questions].index(after) + 1
    return next((q for q in survey.questions[start:] if q.type != NPS and not q.retired and askable(q)), None)


def within_window(received_at: str, now: datetime) -> bool:
    """May we still send free-form messages, counting from this customer message?"""
    return now < datetime.fromisoformat(received_at) + SERVICE_WINDOW


def choice_id(question: Question, value: str) -> str:
    return f"{question.id}:{value}"[:MAX_ROW_ID]


def choice_values(question: Question) -> list[str]:
    """The values a pick-one question offers, in order: the scale's numbers or the live options' values."""
    if question.scale:
        low, high = question.scale
        return [str(v) for v in range(low, high + 1)]
    return [option.value for option in question.live_options]


def read_answer(question: Question, kind: str, text: str, reply_id: str, titles: dict[str, str]) -> object | None:
    """What a reply answers to `question`, or None when it does not fit (text where a number was asked...).

    `titles` maps each offered value to the title the customer saw, so typing a title counts too.
    """
    if question.type in TEXT_TYPES:
        return text.strip() or None if kind == "text" else None
    values = choice_values(question)
    if reply_id:
        prefix = f"{question.id}:"
        value = reply_id[len(prefix):] if reply_id.startswith(prefix) else None
        return _typed(question, value) if value in values else None
    typed = text.strip().lower()
    if question.scale:
        number = parse_number(typed, *question.scale)
        if number is not None:
            return number
    for value in values:
        if typed and typed == titles.get(value, "").strip().lower():
            return _typed(question, value)
    return None


def _typed(question: Question, value: str) -> object:
    return int(value) if question.scale else value


def short_title(text: str, limit: int = MAX_ROW_TITLE) -> str:
    """WhatsApp refuses longer titles: cut at a word where one fits, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    return (head.rsplit(maxsplit=1) or [head])[0] + "…"
