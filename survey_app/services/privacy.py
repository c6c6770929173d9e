"""Erasure on request: a customer's personal data leaves invitations, responses, comments and cases;
anonymous scores and the aggregates stay; an audit record says who erased what and when.

It runs as an owner job (owner_jobs.py), a page of invitations at a time, so no run depends on finishing all."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable

from ..domain.contacts import normalise_email, normalise_phone
from ..domain.models import TEXT_TYPES, Invitation, Survey
from ..store import Store


@dataclass(frozen=True)
class Erasure:
    invitations: int = 0
    responses: int = 0
    cases: int = 0

    def __add__(self, other: "Erasure") -> "Erasure":
        return Erasure(self.invitations + other.invitations, self.responses + other.responses,
                       self.cases + other.cases)


def erasure_contacts(email: str = "", phone: str = "") -> list[str]:
    """:raises ContactError: for an unusable e-mail or phone; ValueError when neither is given."""
    contacts = sorted({c for c in (normalise_email(email), normalise_phone(phone)) if c})
    if not contacts:
        raise ValueError("Give the customer's e-mail or phone number.")
    return contacts


def erase_matching(store: Store, survey: Survey, invitations: Iterable[Invitation], contacts: set[str],
                   at: str) -> Erasure:
    """Erases what belongs to the invitations sent to one of `contacts`. Idempotent: an erased invitation has no
    contact left, so a page read again after a crash matches nothing twice."""
    text_questions = [q.id for q in survey.questions if q.type in TEXT_TYPES]
    total = Erasure()
    for invitation in invitations:
        if not ({invitation.email, invitation.phone} & contacts):
            continue
        store.erase_invitation(invitation, at)
        responses = store.erase_response(survey.id, invitation.token, text_questions, at)
        cases = store.erase_case(survey.id, invitation.token, at)
        total += Erasure(1, int(responses), int(cases))
    return total


def finish_erasure(store: Store, contacts: list[str], actor: str, at: str, erased: Erasure, job_id: str) -> None:
    """Contact items go (unless they hold an opt-out); the audit keeps hashes of the contacts, never the contacts."""
    for contact in contacts:
        store.forget_contact(contact)
    store.put_audit(at, {"action": "erase-customer", "actor": actor, "at": at, "job": job_id,
                         "contact_sha256": sorted(hashlib.sha256(c.encode()).hexdigest() for c in contacts),
                         "invitations": erased.invitations, "responses": erased.responses, "cases": erased.cases})
