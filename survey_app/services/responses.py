"""Recording answers: once per link, counters in the same transaction, retries recognised."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from ..domain import metrics
from ..domain.models import TEXT_TYPES, Invitation, Response, Survey
from ..errors import AlreadyAnswered
from ..store import Store
from .common import local_day, new_token, utcnow


@dataclass(frozen=True)
class PastAnswer:
    """One earlier response to bulk-load: what was answered, when, by whom."""

    answers: dict[str, object]
    language: str
    submitted_at: datetime
    customer_name: str = ""
    properties: dict[str, str] | None = None


def _texts(survey: Survey, answers: dict[str, object]) -> dict[str, str]:
    return {q.id: str(answers[q.id]) for q in survey.questions if q.type in TEXT_TYPES and answers.get(q.id)}


def _response_write(survey: Survey, response: Response) -> tuple[Response, dict[str, int], dict[str, str], int | None]:
    """A response with what the store writes beside it: counters, comment texts, NPS score."""
    return response, metrics.response_counters(survey, response.answers), _texts(survey, response.answers), \
        response.score(survey)


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
    written, counters, texts, score = _response_write(survey, response)
    counters[f"inv#{invitation.channel if invitation else 'open'}#answered"] = 1
    try:
        store.record_response(written, counters, texts, score)
    except AlreadyAnswered:
        if not _is_same_submission(store, response):
            raise
    return response


def _is_same_submission(store: Store, response: Response) -> bool:
    if response.invitation_token:
        return store.submission_of(response.invitation_token) == response.submission_id
    return store.response_exists(response.survey_id, response.response_id)


def unanswered_questions(survey: Survey, response: Response) -> list:
    return [q for q in survey.questions if q.id not in response.answers]


def amend_response(store: Store, survey: Survey, response_id: str, submission_id: str,
                   extra: dict[str, object], now: datetime | None = None) -> Response:
    """The 'tell us more' step after a one-tap score: adds answers to unanswered questions, once.

    :raises AlreadyAnswered: already amended, or not this browser's submission.
    :raises NotFound: no such response.
    """
    response = store.get_response(survey.id, response_id)
    if response.submission_id != submission_id or response.amended_at:
        raise AlreadyAnswered("not this submission, or already added to")
    open_questions = {q.id for q in unanswered_questions(survey, response)}
    added = {k: v for k, v in extra.items() if k in open_questions and v not in (None, "", [])}
    if not added:
        return response
    counters = metrics.response_counters(survey, added)
    counters.pop("n")
    merged = response.answers | added
    store.amend_response(response, added, counters, _texts(survey, merged), response.score(survey),
                         amended_at=(now or utcnow()).isoformat())
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
