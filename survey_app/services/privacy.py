"""Erasure on request: a customer's personal data leaves invitations, responses, comments and cases;
anonymous scores and the aggregates stay; an audit record says who erased what and when."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from ..domain.contacts import normalise_email, normalise_phone
from ..domain.models import TEXT_TYPES
from ..store import Store
from .common import utcnow


@dataclass(frozen=True)
class Erasure:
    invitations: int
    responses: int
    cases: int


def erase_customer(store: Store, *, email: str = "", phone: str = "", actor: str,
                   now: datetime | None = None) -> Erasure:
    """:raises ContactError: for an unusable e-mail or phone; ValueError when neither is given."""
    contacts = {c for c in (normalise_email(email), normalise_phone(phone)) if c}
    if not contacts:
        raise ValueError("Give the customer's e-mail or phone number.")
    at = (now or utcnow()).isoformat()
    invitations = responses = cases = 0
    for survey in store.list_surveys():
        text_questions = [q.id for q in survey.questions if q.type in TEXT_TYPES]
        for invitation in list(store.all_invitations_of(survey.id)):
            if not ({invitation.email, invitation.phone} & contacts):
                continue
            store.erase_invitation(invitation, at)
            invitations += 1
            responses += store.erase_response(survey.id, invitation.token, text_questions, at)
            cases += store.erase_case(survey.id, invitation.token, at)
    for contact in contacts:
        store.forget_contact(contact)
    store.put_audit(at, {"action": "erase-customer", "actor": actor, "at": at,
                         "contact_sha256": sorted(hashlib.sha256(c.encode()).hexdigest() for c in contacts),
                         "invitations": invitations, "responses": responses, "cases": cases})
    return Erasure(invitations, responses, cases)
