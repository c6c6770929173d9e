"""Closing the loop: the owner's queue of unhappy customers, its workflow, and asking again."""
from __future__ import annotations

import statistics
import urllib.parse
from dataclasses import dataclass, replace
from datetime import datetime

from ..domain.models import CASE_STATES, CONTACTED, RESOLVED, FollowUp, Invitation, Survey
from ..i18n import translate
from ..store import Store
from .common import utcnow
from .invitations import create_invitation
from .webhooks import notify_case


@dataclass(frozen=True)
class CaseBoard:
    open: list[FollowUp]
    overdue: int
    median_hours_to_resolve: float | None


def case_board(store: Store, survey: Survey, now: datetime | None = None) -> CaseBoard:
    """Open cases by due time (overdue first), and the median time to resolve from a stored histogram."""
    now_iso = (now or utcnow()).isoformat()
    cases = store.open_cases(survey.id)
    histogram = store.resolution_histogram(survey.id)
    hours = [h for h, count in sorted(histogram.items()) for _ in range(count)]
    return CaseBoard(open=cases, overdue=sum(c.is_overdue(now_iso) for c in cases),
                     median_hours_to_resolve=statistics.median(hours) if hours else None)


def update_case(store: Store, case: FollowUp, *, status: str, assignee: str, note: str, author: str,
                now: datetime | None = None) -> FollowUp | None:
    """Status, assignee and an appended note, as the case's next version; None when someone else changed the
    case since `case` was read (its version moved on).

    :raises ValueError: for an unknown status.
    """
    if status not in CASE_STATES:
        raise ValueError(f"status must be one of {', '.join(CASE_STATES)}")
    now = now or utcnow()
    notes = case.notes + ({"at": now.isoformat(), "by": author, "text": note.strip()[:2000]},) if note.strip() \
        else case.notes
    updated = replace(case, status=status, assignee=assignee.strip()[:254], notes=notes, version=case.version + 1)
    if status == CONTACTED and not case.contacted_at:
        updated = replace(updated, contacted_at=now.isoformat())
    if status == RESOLVED and not case.resolved_at:
        updated = replace(updated, resolved_at=now.isoformat())
    if not store.save_case(case, updated):
        return None
    notify_case(store, updated, "case.updated")
    if status == RESOLVED and case.status != RESOLVED:
        hours = (now - datetime.fromisoformat(case.created_at)).total_seconds() // 3600
        store.count_resolution(case.survey_id, int(hours))
    return updated


def ask_again(store: Store, survey: Survey, case: FollowUp) -> Invitation:
    """After resolving: a fresh link for the same customer, to see whether they recovered."""
    return create_invitation(store, survey, customer_name=case.customer_name, email=case.email, phone=case.phone,
                             language=case.language, properties=case.properties)


def contact_links(case: FollowUp, business_name: str, link: str = "") -> dict[str, str]:
    """One tap to reach the customer: wa.me with an apology in their language, or a mailto."""
    lang = case.language or "id"
    text = translate("case_whatsapp", lang, name=case.customer_name or ("Kak" if lang == "id" else "there"),
                     business=business_name) + (f" {link}" if link else "")
    links = {}
    if case.phone:
        links["whatsapp"] = f"https://wa.me/{case.phone.lstrip('+')}?text={urllib.parse.quote(text)}"
    if case.email:
        subject = translate("case_email_subject", lang, business=business_name)
        links["email"] = (f"mailto:{case.email}?subject={urllib.parse.quote(subject)}"
                          f"&body={urllib.parse.quote(text)}")
    return links
