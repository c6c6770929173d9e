"""Recording answers: once per link, counters in the same transaction, retries recognised."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Iterable

from ..domain import logic, metrics
from ..domain.models import TEXT_TYPES, FollowUp, Invitation, Response, Survey
from ..domain.custom_themes import Vocabulary, label
from ..domain.impact import low_rating_counters
from ..domain.themes import is_complaint
from ..errors import AlreadyAnswered
from ..store import Store
from .common import local_day, new_token, utcnow
from .themes import vocabulary
from .webhooks import notify_response


@dataclass(frozen=True)
class PastAnswer:
    """One earlier response to bulk-load: what was answered, when, by whom."""

    answers: dict[str, object]
    language: str
    submitted_at: datetime
    customer_name: str = ""
    properties: dict[str, str] | None = None


@dataclass(frozen=True)
class ResponseWrite:
    """A response with everything the store writes beside it, in the same transaction."""

    response: Response
    counters: dict[str, int]
    texts: dict[str, str]
    score: int | None
    labels: dict[str, object]
    case: FollowUp | None = None


def _texts(survey: Survey, answers: dict[str, object]) -> dict[str, str]:
    return {q.id: str(answers[q.id]) for q in survey.questions if q.type in TEXT_TYPES and answers.get(q.id)}


def _labels(texts: dict[str, str], vocab: Vocabulary | None = None) -> dict[str, object]:
    joined = "\n".join(texts.values())
    return label(joined, vocab) if joined else {}


def _response_write(survey: Survey, response: Response, vocab: Vocabulary | None = None,
                    labels: dict[str, object] | None = None) -> ResponseWrite:
    """`labels`: the comment's stored themes and sentiment (a recount keeps owners' corrections and themes)."""
    texts = _texts(survey, response.answers)
    labels = _labels(texts, vocab) if labels is None or not texts else labels
    score = response.score(survey)
    counters = metrics.response_counters(survey, response.answers) | metrics.comment_counters(
        labels.get("themes", ()), labels.get("sentiment", ""), score)
    counters |= low_rating_counters(survey, response.answers, score)  # what domain/impact.py reads
    if response.completed:
        counters["complete"] = 1
    return ResponseWrite(response, counters, texts, score, labels)


def counters_for(survey: Survey, response: Response, labels: dict[str, object] | None = None) -> dict[str, int]:
    """Every aggregate counter one stored response accounts for: what a recount (reconcile) adds up; with the
    comment's stored `labels`, its theme and sentiment counters are those the owner sees (corrected or not)."""
    return _response_write(survey, response, labels=labels).counters


def _case_for(write: ResponseWrite, invitation: Invitation | None, due_hours: int) -> FollowUp | None:
    """Every detractor (0-6), and every complaint whatever the score, becomes a case to follow up."""
    complaint = is_complaint("\n".join(write.texts.values())) if write.texts else False
    detractor = write.score is not None and write.score <= 6
    if not (detractor or complaint):
        return None
    response = write.response
    created = datetime.fromisoformat(response.submitted_at)
    return FollowUp(
        survey_id=response.survey_id, response_id=response.response_id, created_at=response.submitted_at,
        due_at=(created + timedelta(hours=due_hours)).isoformat(), reason="detractor" if detractor else "complaint",
        score=write.score, comment="\n".join(write.texts.values()), customer_name=response.customer_name,
        email=invitation.email if invitation else "", phone=invitation.phone if invitation else "",
        language=response.language, properties=response.properties, channel=response.channel,
    )


def _response(survey: Survey, answers: dict[str, object], *, response_id: str, submitted_at: datetime,
              tz_name: str, language: str, submission_id: str, invitation: Invitation | None = None,
              customer_name: str = "", properties: dict[str, str] | None = None, channel: str = "open") -> Response:
    return Response(
        survey_id=survey.id, response_id=response_id, submitted_at=submitted_at.isoformat(),
        day=local_day(submitted_at, tz_name), language=language,
        answers={k: v for k, v in answers.items() if v not in (None, "", [])},
        invitation_token=invitation.token if invitation else "",
        customer_name=invitation.customer_name if invitation else customer_name,
        properties=dict(invitation.properties) if invitation else dict(properties or {}),
        submission_id=submission_id, channel=invitation.channel if invitation else channel,
        order_ref=invitation.order_ref if invitation else "", version=survey.version,
        segment_values=dict(invitation.segment_values) if invitation else dict(properties or {}),  # history: as before
    )


def submit_response(
    store: Store, survey: Survey, answers: dict[str, object], *, language: str, submission_id: str,
    invitation: Invitation | None = None, now: datetime | None = None, tz_name: str = "Asia/Jakarta",
    case_due_hours: int = 48, complete: bool = True,
) -> Response:
    """Store one response with its counters; a retry of the same submission succeeds without counting twice.
    `complete`: False when the page goes on to a next step (counted complete when that step is sent).

    :raises AlreadyAnswered: the invitation was answered by a different submission.
    """
    response = _response(
        survey, answers, response_id=invitation.token if invitation else f"o{submission_id}",
        submitted_at=now or utcnow(), tz_name=tz_name, language=language, submission_id=submission_id,
        invitation=invitation,
    )
    response = replace(response, completed=complete)
    write = _response_write(survey, response, vocabulary(store))
    write.counters[f"inv#{response.channel}#answered"] = 1
    case = _case_for(write, invitation, case_due_hours)
    try:
        store.record_response(response, write.counters, write.texts, write.score, write.labels, case)
    except AlreadyAnswered:
        if not _is_same_submission(store, response):
            raise
    else:
        notify_response(store, survey, response, "response.created", case)
    return response


def _is_same_submission(store: Store, response: Response) -> bool:
    if response.invitation_token:
        return store.submission_of(response.invitation_token) == response.submission_id
    return store.response_exists(response.survey_id, response.response_id)


def unanswered_questions(survey: Survey, response: Response) -> list:
    """What may still be added: live questions whose display condition holds for what was answered."""
    return [q for q in logic.applicable(survey, response.answers, response.properties) if q.id not in response.answers]


def amend_response(store: Store, survey: Survey, response_id: str, submission_id: str,
                   extra: dict[str, object], now: datetime | None = None, case_due_hours: int = 48) -> Response:
    """The 'tell us more' step after a one-tap score: adds answers to unanswered questions, once.

    :raises AlreadyAnswered: already amended, or not this browser's submission.
    :raises NotFound: no such response.
    """
    response = store.get_response(survey.id, response_id)
    if response.submission_id != submission_id:
        raise AlreadyAnswered("not this submission")
    if response.amended_at:
        if _already_holds(response, extra):
            return response  # a resend of what was saved (its reply was lost): success, counted once
        raise AlreadyAnswered("already added to")
    open_questions = {q.id for q in unanswered_questions(survey, response)}
    added = {k: v for k, v in extra.items() if k in open_questions and v not in (None, "", [])}
    if not added:
        return response
    change = amendment(store, survey, response, added, case_due_hours, complete=True)
    try:
        store.amend_response(response, added, change.counters, change.write.texts, change.write.score,
                             amended_at=(now or utcnow()).isoformat(), labels=change.write.labels, case=change.case,
                             case_exists=change.case_exists)
    except AlreadyAnswered:
        stored = store.get_response(survey.id, response_id)
        if not (stored.amended_at and _already_holds(stored, added)):
            raise
        return stored
    notify_response(store, survey, replace(response, answers=response.answers | added), "response.updated",
                    change.case, "case.updated" if change.case_exists else "case.created")
    return response


@dataclass(frozen=True)
class Amendment:
    """What adding answers to a stored response writes besides them: counter deltas, texts, score, labels, case."""

    counters: dict[str, int]
    write: ResponseWrite
    case: FollowUp | None
    case_exists: bool


def amendment(store: Store, survey: Survey, response: Response, added: dict[str, object],
              case_due_hours: int, complete: bool = False) -> Amendment:
    """Answers added after the score (web "tell us more", chat follow-ups) move counters by their difference (a
    sentiment or theme may be taken back) and may open a case or add their text to the one a low score opened;
    `complete`: this was the last step."""
    before = _response_write(survey, response, vocabulary(store))
    after = _response_write(survey, replace(response, answers=response.answers | added,
                                            completed=response.completed or complete), vocabulary(store))
    counters = {k: after.counters.get(k, 0) - before.counters.get(k, 0) for k in after.counters.keys() | before.counters
                if after.counters.get(k, 0) != before.counters.get(k, 0)}
    case = _case_for(after, store.invitation_or_none(response.invitation_token), case_due_hours)
    existing = store.case_or_none(survey.id, response.response_id)
    if existing is not None and case is not None:
        case = replace(existing, comment=case.comment)
    return Amendment(counters, after, case, existing is not None)


def _already_holds(response: Response, extra: dict[str, object]) -> bool:
    return all(response.answers.get(k) == v for k, v in extra.items() if v not in (None, "", []))


def import_history(store: Store, survey: Survey, past: Iterable[PastAnswer], tz_name: str) -> int:
    """Bulk-load earlier responses (no invitations: those links expired long ago); returns how many."""
    writes = (_response_write(survey, replace(_response(
        survey, p.answers, response_id=f"h{new_token()}", submitted_at=p.submitted_at, tz_name=tz_name,
        language=p.language, submission_id="", customer_name=p.customer_name, properties=p.properties,
        channel="",  # unknown for earlier results
    ), completed=True)) for p in past)
    return store.load_history((w.response, w.counters, w.texts, w.score, w.labels) for w in writes)
