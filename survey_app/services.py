"""Use cases shared by web views and CLI commands; neither holds business logic of its own."""
from __future__ import annotations

import functools
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from werkzeug.security import check_password_hash, generate_password_hash

from .domain import metrics
from .domain.models import TEXT_TYPES, Comment, Invitation, Owner, Response, Survey
from .domain.templates import TEMPLATES
from .domain.validation import validate_survey
from .errors import AlreadyAnswered, NotFound
from .store import Store

TOKEN_BYTES = 9  # 72 bits of entropy, 12 URL-safe characters: short enough for a WhatsApp message
DEFAULT_LINK_DAYS = 30
MAX_PROPERTIES = 20


class LinkExpired(Exception):
    """The invitation exists but its lifetime is over."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def local_day(moment: datetime, tz_name: str) -> str:
    """Aggregates are bucketed by the owner's calendar day, not UTC's."""
    return moment.astimezone(ZoneInfo(tz_name)).date().isoformat()


# -- surveys ---------------------------------------------------------------
def survey_from_template(template_key: str, now: datetime, default_language: str = "id") -> Survey:
    """:raises NotFound: for an unknown template key."""
    if template_key not in TEMPLATES:
        raise NotFound(f"no template {template_key!r}")
    template = TEMPLATES[template_key]
    return Survey(
        id=new_token(), title=template["title"], intro=template["intro"], questions=template["questions"],
        default_language=default_language, created_at=now.isoformat(),
    )


def save_survey(store: Store, survey: Survey) -> Survey:
    """:raises DefinitionError: nothing is saved when the definition is invalid."""
    validate_survey(survey)
    store.put_survey(survey)
    return survey


# -- invitations -------------------------------------------------------------
def create_invitation(
    store: Store, survey: Survey, *, customer_name: str = "", contact: str = "", order_ref: str = "",
    language: str = "", properties: dict[str, str] | None = None, now: datetime | None = None,
    lifetime_days: int = DEFAULT_LINK_DAYS,
) -> Invitation:
    now = now or utcnow()
    expires = now + timedelta(days=lifetime_days)
    clean = {k.strip().lower(): str(v).strip() for k, v in (properties or {}).items() if k.strip() and str(v).strip()}
    invitation = Invitation(
        token=new_token(), survey_id=survey.id, customer_name=customer_name.strip(), contact=contact.strip(),
        order_ref=order_ref.strip(), language=language, properties=dict(list(clean.items())[:MAX_PROPERTIES]),
        created_at=now.isoformat(), expires_at=expires.isoformat(),
    )
    store.put_invitation(invitation, expires_epoch=int(expires.timestamp()))
    return invitation


def open_invitation(store: Store, token: str, now: datetime | None = None) -> tuple[Survey, Invitation]:
    """:raises NotFound: unknown token. :raises LinkExpired: past its lifetime (TTL deletes lazily)."""
    invitation = store.get_invitation(token)
    if invitation.is_expired(now or utcnow()):
        raise LinkExpired(token)
    return store.get_survey(invitation.survey_id), invitation


def whatsapp_share_link(invitation: Invitation, survey: Survey, link: str, lang: str) -> str:
    """A wa.me click-to-chat URL with the personal message prefilled in the customer's language."""
    name = invitation.customer_name or ("Kak" if lang == "id" else "there")
    if lang == "id":
        message = f"Halo {name}, terima kasih sudah berbelanja! Boleh minta waktunya 1 menit untuk mengisi survei singkat kami? {link}"
    else:
        message = f"Hi {name}, thank you for your purchase! Could you spare a minute for our short survey? {link}"
    digits = "".join(ch for ch in invitation.contact if ch.isdigit())
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    phone = digits if "@" not in invitation.contact else ""
    return f"https://wa.me/{phone}?text={urllib.parse.quote(message)}"


# -- responses ---------------------------------------------------------------
@dataclass(frozen=True)
class PastAnswer:
    """One earlier response to bulk-load: what was answered, when, by whom."""

    answers: dict[str, object]
    language: str
    submitted_at: datetime
    customer_name: str = ""
    properties: dict[str, str] | None = None


def _response_write(survey: Survey, response: Response) -> tuple[Response, dict[str, int], dict[str, str], int | None]:
    """A response with what the store writes beside it: counters, comment texts, NPS score."""
    texts = {q.id: str(response.answers[q.id]) for q in survey.questions
             if q.type in TEXT_TYPES and response.answers.get(q.id)}
    return response, metrics.response_counters(survey, response.answers), texts, response.score(survey)


def _response(survey: Survey, answers: dict[str, object], *, response_id: str, submitted_at: datetime,
              tz_name: str, language: str, submission_id: str, invitation: Invitation | None = None,
              customer_name: str = "", properties: dict[str, str] | None = None) -> Response:
    return Response(
        survey_id=survey.id, response_id=response_id, submitted_at=submitted_at.isoformat(),
        day=local_day(submitted_at, tz_name), language=language,
        answers={k: v for k, v in answers.items() if v not in (None, "", [])},
        invitation_token=invitation.token if invitation else "",
        customer_name=invitation.customer_name if invitation else customer_name,
        properties=dict(invitation.properties) if invitation else dict(properties or {}),
        submission_id=submission_id,
    )


def submit_response(
    store: Store, survey: Survey, answers: dict[str, object], *, language: str, submission_id: str,
    invitation: Invitation | None = None, now: datetime | None = None, tz_name: str = "Asia/Jakarta",
) -> Response:
    """Store one response with its counters; a retry of the same submission succeeds without counting twice.

    :raises AlreadyAnswered: the invitation was answered by a different submission.
    """
    response = _response(
        survey, answers, response_id=invitation.token if invitation else f"o{submission_id}",
        submitted_at=now or utcnow(), tz_name=tz_name, language=language, submission_id=submission_id,
        invitation=invitation,
    )
    try:
        store.record_response(*_response_write(survey, response))
    except AlreadyAnswered:
        if not _is_same_submission(store, response):
            raise
    return response


def import_history(store: Store, survey: Survey, past: Iterable[PastAnswer], tz_name: str) -> int:
    """Bulk-load earlier responses (no invitations: those links expired long ago); returns how many."""
    return store.load_history(
        _response_write(survey, _response(
            survey, p.answers, response_id=f"h{new_token()}", submitted_at=p.submitted_at, tz_name=tz_name,
            language=p.language, submission_id="", customer_name=p.customer_name, properties=p.properties,
        ))
        for p in past
    )


def _is_same_submission(store: Store, response: Response) -> bool:
    if response.invitation_token:
        return store.submission_of(response.invitation_token) == response.submission_id
    return store.response_exists(response.survey_id, response.response_id)


# -- dashboard ---------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    survey: Survey
    first_day: str
    last_day: str
    totals: dict[str, int]
    nps: metrics.NpsResult
    weekly: dict[str, metrics.NpsResult]
    comments: list[Comment]


def survey_summary(
    store: Store, survey: Survey, *, days: int = 90, now: datetime | None = None,
    tz_name: str = "Asia/Jakarta", comment_limit: int = 20,
) -> Summary:
    """Everything the dashboard shows, read from per-day aggregate items only: O(days), not O(responses)."""
    last = date.fromisoformat(local_day(now or utcnow(), tz_name))
    first = last - timedelta(days=days - 1)
    daily = store.daily_counters(survey.id, first.isoformat(), last.isoformat())
    totals = dict(metrics.merge(daily.values()))
    return Summary(
        survey=survey, first_day=first.isoformat(), last_day=last.isoformat(), totals=totals,
        nps=metrics.nps(totals), weekly=metrics.weekly(daily),
        comments=store.latest_comments(survey.id, comment_limit),
    )


# -- owners ------------------------------------------------------------------
def create_owner(store: Store, email: str, password: str, role: str = "admin") -> Owner:
    """Passwords are stored only as a slow salted hash (scrypt)."""
    if len(password) < 8:
        raise ValueError("Password must be at least 8 characters.")
    owner = Owner(email=email.strip().lower(), password_hash=generate_password_hash(password), role=role)
    store.put_owner(owner)
    return owner


def authenticate(store: Store, email: str, password: str) -> Owner | None:
    try:
        owner = store.get_owner(email.strip().lower())
    except NotFound:
        check_password_hash(_dummy_hash(), password)  # same cost for unknown accounts: no enumeration by timing
        return None
    return owner if check_password_hash(owner.password_hash, password) else None


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))
