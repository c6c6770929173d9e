"""Frozen dataclasses for what the product stores; plain values so every layer can share them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

LANGUAGES = ("id", "en")

NPS, CSAT, CES = "nps", "csat", "ces"
SINGLE, MULTI = "single", "multi"
SHORT_TEXT, LONG_TEXT = "short_text", "long_text"
QUESTION_TYPES = (NPS, CSAT, CES, SINGLE, MULTI, SHORT_TEXT, LONG_TEXT)
RATING_SCALES = {NPS: (0, 10), CSAT: (1, 5), CES: (1, 7)}
CHOICE_TYPES = (SINGLE, MULTI)
TEXT_TYPES = (SHORT_TEXT, LONG_TEXT)


class DefinitionError(ValueError):
    """A survey definition that cannot be saved; `errors` lists every reason."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Text:
    """One label in both languages; falls back to the other language when one is blank."""

    en: str = ""
    id: str = ""

    def get(self, lang: str) -> str:
        first, other = (self.id, self.en) if lang == "id" else (self.en, self.id)
        return first or other


@dataclass(frozen=True)
class Option:
    value: str
    label: Text


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    required: bool = False
    options: tuple[Option, ...] = ()

    @property
    def scale(self) -> tuple[int, int] | None:
        return RATING_SCALES.get(self.type)


@dataclass(frozen=True)
class Survey:
    id: str
    title: Text
    intro: Text
    questions: tuple[Question, ...]
    default_language: str = "id"
    open_token: str = ""
    created_at: str = ""

    @property
    def nps_question(self) -> Question | None:
        return next((q for q in self.questions if q.type == NPS), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Invitation:
    token: str
    survey_id: str
    customer_name: str = ""
    contact: str = ""
    order_ref: str = ""
    language: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    expires_at: str = ""
    answered_at: str = ""

    def is_expired(self, now: datetime) -> bool:
        return bool(self.expires_at) and self.expires_at <= now.isoformat()


@dataclass(frozen=True)
class Response:
    survey_id: str
    response_id: str
    submitted_at: str
    day: str
    language: str
    answers: dict[str, object]
    invitation_token: str = ""
    customer_name: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    submission_id: str = ""

    def score(self, survey: Survey) -> int | None:
        question = survey.nps_question
        value = self.answers.get(question.id) if question else None
        return value if isinstance(value, int) else None


@dataclass(frozen=True)
class Comment:
    survey_id: str
    response_id: str
    submitted_at: str
    question_id: str
    text: str
    score: int | None
    customer_name: str = ""
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Owner:
    email: str
    password_hash: str
    role: str = "admin"
