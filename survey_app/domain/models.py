"""Frozen dataclasses for what the product stores; plain values so every layer can share them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .segments import segments_of

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
    retired: bool = False  # no longer offered; kept so answers already given still have their label


NPS_RANGES = {"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10), "not_promoter": (0, 8),
              "not_detractor": (7, 10)}


@dataclass(frozen=True)
class Condition:
    """Show a question only when an earlier rating is in a range, an earlier choice has one of `options`, or a
    customer property has one of `values` (compared without case)."""

    question: str = ""
    low: int | None = None
    high: int | None = None
    options: tuple[str, ...] = ()
    property: str = ""
    values: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict | None) -> "Condition | None":
        if not data:
            return None
        return cls(question=data.get("question", ""), low=data.get("low"), high=data.get("high"),
                   options=tuple(data.get("options", ())), property=data.get("property", ""),
                   values=tuple(data.get("values", ())))

    def nps_range_name(self, survey: Survey) -> str:
        """'detractor', 'promoter'... when this is a plain NPS-range condition, else ''."""
        nps = survey.nps_question
        if nps is None or self.question != nps.id or self.options or self.property:
            return ""
        return next((name for name, bounds in NPS_RANGES.items() if bounds == (self.low, self.high)), "")


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    required: bool = False
    options: tuple[Option, ...] = ()
    retired: bool = False  # no longer asked; kept so the answers it already has stay on the dashboard
    show_when: Condition | None = None  # asked only when this holds (domain/logic.py)

    @property
    def live_options(self) -> tuple[Option, ...]:
        return tuple(o for o in self.options if not o.retired)

    @property
    def scale(self) -> tuple[int, int] | None:
        return RATING_SCALES.get(self.type)


# Invitation states; every change is a conditional write (see store.transition).
# UNCONFIRMED: the sender stopped while handing the message to the provider, so whether it went out is unknown;
# it is never re-sent by itself (a customer must not get two), but shown to the owner, who may send again.
SCHEDULED, QUEUED, SENDING, SENT, FAILED, OPENED, ANSWERED, EXPIRED, OPTED_OUT, SKIPPED, UNCONFIRMED = (
    "scheduled", "queued", "sending", "sent", "failed", "opened", "answered", "expired", "opted_out", "skipped",
    "unconfirmed")
EMAIL_CHANNEL, WHATSAPP_CHANNEL, WA_LINK_CHANNEL, MANUAL_CHANNEL = "email", "whatsapp", "wa_link", "manual"
CHANNELS = (EMAIL_CHANNEL, WHATSAPP_CHANNEL, WA_LINK_CHANNEL, MANUAL_CHANNEL)


@dataclass(frozen=True)
class Delivery:
    """When and how a survey's invitations go out."""

    delay_days: int = 2
    channels: tuple[str, ...] = (WHATSAPP_CHANNEL, EMAIL_CHANNEL)
    link_days: int = 30
    reminder_after_days: int = 3  # 0: no reminder
    fatigue_days: int = 30
    purchase_max_age_days: int = 14  # imported purchases older than this are skipped: nobody is asked about last year


@dataclass(frozen=True)
class Survey:
    id: str
    title: Text
    intro: Text
    questions: tuple[Question, ...]
    default_language: str = "id"
    created_at: str = ""
    delivery: Delivery = field(default_factory=Delivery)
    version: int = 1  # +1 on every saved change; each response records the version it answered
    review_url: str = ""  # a public review page (Google Maps, Tokopedia, Shopee) offered on the thank-you page
    review_property: str = ""  # ...or per store: the customer property whose value picks one of review_urls
    review_urls: dict[str, str] = field(default_factory=dict)
    archived_at: str = ""  # archived: takes no new invitations; its links and figures stay
    business_name: str = ""  # branding (domain/branding.py): shown on the answer pages; "" = BUSINESS_NAME
    brand_colour: str = ""  # "#rrggbb", AA contrast with white both ways
    logo_key: str = ""  # the checked logo's key in the branding bucket

    def review_link(self, properties: dict[str, str]) -> str:
        """The review page for this customer: their store's, else the survey's; shown to every customer whatever
        their score (asking only happy customers, "review gating", is against Google's rules)."""
        value = properties.get(self.review_property, "") if self.review_property else ""
        return self.review_urls.get(value, "") or self.review_url

    @property
    def live_questions(self) -> tuple[Question, ...]:
        """What a customer is asked today; retired questions stay in `questions` for the history."""
        return tuple(q for q in self.questions if not q.retired)

    @property
    def nps_question(self) -> Question | None:
        return next((q for q in self.questions if q.type == NPS and not q.retired), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Invitation:
    token: str
    survey_id: str
    customer_name: str = ""
    email: str = ""
    phone: str = ""
    order_ref: str = ""
    language: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    channel: str = MANUAL_CHANNEL
    state: str = SENT
    created_at: str = ""
    send_at: str = ""
    expires_at: str = ""
    sent_at: str = ""
    opened_at: str = ""
    answered_at: str = ""
    remind_at: str = ""
    reminded_at: str = ""
    failure: str = ""
    attempts: int = 0
    handing_over_at: str = ""  # set just before the provider is called; cleared with the outcome
    reminder_handing_over_at: str = ""  # the same mark for the reminder
    delivery_status: str = ""  # the provider's latest report on the message: delivered, read, failed...
    fallback_from: str = ""  # the channel whose message failed after it was sent; never tried again
    segment_values: dict[str, str] = field(default_factory=dict)  # the chosen segments, capped (domain/segments)

    def is_expired(self, now: datetime) -> bool:
        return bool(self.expires_at) and self.expires_at <= now.isoformat()

    @property
    def contact(self) -> str:
        return self.phone or self.email


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
    amended_at: str = ""
    channel: str = ""
    order_ref: str = ""  # the invitation's, kept with the response: exports need it after the invitation expires
    version: int = 0  # the survey definition's version it answered; 0: answered before versions were kept
    completed: bool = False  # the customer sent the last step (counted as "complete" for the drop-off)
    segment_values: dict[str, str] = field(default_factory=dict)  # its invitation's chosen segments

    def score(self, survey: Survey) -> int | None:
        question = survey.nps_question
        value = self.answers.get(question.id) if question else None
        return value if isinstance(value, int) else None

    @property
    def segments(self) -> dict[str, str]:
        """What a dashboard can slice by: the chosen segments, plus language and channel."""
        return segments_of(self.segment_values, self.language, self.channel)


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
    language: str = ""
    themes: tuple[str, ...] = ()
    sentiment: str = ""
    channel: str = ""
    segment_values: dict[str, str] = field(default_factory=dict)

    @property
    def segments(self) -> dict[str, str]:
        """The same slices as its response's, so a segment's comments are the comments of its responses."""
        return segments_of(self.segment_values, self.language, self.channel)


OPEN, CONTACTED, RESOLVED = "open", "contacted", "resolved"
CASE_STATES = (OPEN, CONTACTED, RESOLVED)


@dataclass(frozen=True)
class FollowUp:
    """A close-the-loop case: an unhappy customer the owner should reach, by a due time."""

    survey_id: str
    response_id: str
    created_at: str
    due_at: str
    reason: str  # "detractor" or "complaint"
    score: int | None = None
    comment: str = ""
    customer_name: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    status: str = OPEN
    assignee: str = ""
    notes: tuple[dict, ...] = ()
    contacted_at: str = ""
    resolved_at: str = ""
    alerted_at: str = ""
    alert_failures: tuple[str, ...] = ()
    alert_failed_runs: int = 0
    alerts_delivered: tuple[str, ...] = ()  # targets ("email:<address>", "whatsapp", "webhook") already told
    channel: str = ""  # the response's: "open" for the public (QR) link, whose alerts are grouped
    version: int = 0  # +1 on every workflow change (not on alert bookkeeping): a stale form is refused, not applied

    def is_overdue(self, now_iso: str) -> bool:
        return self.status != RESOLVED and self.due_at <= now_iso


@dataclass(frozen=True)
class Owner:
    email: str
    password_hash: str
    role: str = "admin"  # admin, agent or viewer (web/access.py)
    session_version: int = 1  # +1 revokes every session (removal, password or role change, "log out everywhere")
    totp_secret: str = ""  # base32; empty: no two-factor sign-in
    recovery_codes: tuple[str, ...] = ()  # SHA-256 of each unused recovery code
    totp_last_step: int = 0  # the last TOTP time step accepted: a code works once
