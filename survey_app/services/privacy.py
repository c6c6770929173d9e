"""Erasure on request: a customer's personal data leaves invitations, order references, responses, comments, cases
(with their notes and chat threads), webhook deliveries and the WhatsApp messages they sent (inbox included); an
opt-out or bounce stays only as a keyed hash (store/privacy.py); anonymous scores and the aggregates stay. Everything is found through the
contact index (store/contacts.py), which outlives the invitations TTL deletes. An audit record is written before the
first item is touched ("started") and again at the end ("done", with counts); it holds keyed hashes of the contacts.

It runs as an owner job (owner_jobs.py), a page of index entries at a time, so no run depends on finishing all."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass
from typing import Iterable

from ..domain.contacts import normalise_email, normalise_phone
from ..domain.models import TEXT_TYPES
from ..errors import NotFound
from ..store import Store

ACTION = "erase-customer"
PAGE = 100  # received-message entries read at a time


@dataclass(frozen=True)
class Erasure:
    """Items that still held the customer's data when the erasure reached them."""

    invitations: int = 0
    responses: int = 0
    cases: int = 0
    deliveries: int = 0
    messages: int = 0

    def __add__(self, other: "Erasure") -> "Erasure":
        return Erasure(*(a + b for a, b in zip(asdict(self).values(), asdict(other).values())))


def erasure_contacts(email: str = "", phone: str = "") -> list[str]:
    """:raises ContactError: for an unusable e-mail or phone; ValueError when neither is given."""
    contacts = sorted({c for c in (normalise_email(email), normalise_phone(phone)) if c})
    if not contacts:
        raise ValueError("Give the customer's e-mail or phone number.")
    return contacts


def audit_key(secret_key: str) -> bytes:
    """A key of its own for audit hashes, derived from the app's secret (SSM in production): a bare SHA-256 of a
    phone number is reversed by hashing every phone number, a keyed hash is not without the key."""
    return hmac.new(secret_key.encode(), b"erasure-audit", hashlib.sha256).digest()


def contact_hash(key: bytes, contact: str) -> str:
    return hmac.new(key, contact.encode(), hashlib.sha256).hexdigest()


def audit_erasure(store: Store, key: bytes, contacts: Iterable[str], actor: str, at: str, job_id: str,
                  erased: Erasure | None = None) -> None:
    """'started' (no counts) before anything is erased, 'done' with the counts after: the same audit item."""
    record = {"action": ACTION, "actor": actor, "at": at, "job": job_id, "state": "started" if erased is None else "done",
              "contact_hmac": sorted(contact_hash(key, c) for c in contacts)}
    store.put_audit(at, record | ({} if erased is None else asdict(erased)))


def erase_holdings(store: Store, contact: str, entries: list[dict], at: str, text_questions: dict) -> Erasure:
    """Erases the items of each index entry (an invitation's token keys its response, comment, case, case thread
    and webhook deliveries; a received message's id keys its claim and inbox copy), then drops the entries of every
    contact of that invitation. Idempotent: an entry read again after a crash finds nothing left to count.
    `text_questions` caches each survey's free-text question ids (None: survey gone, every answer goes)."""
    total = Erasure()
    for entry in entries:
        if entry.get("kind") == "inbound":  # a WhatsApp message from the phone, kept in the inbox or not
            total += _erase_message(store, contact, entry)
            continue
        survey_id, token = entry["survey_id"], entry["token"]
        if survey_id not in text_questions:
            text_questions[survey_id] = _text_questions(store, survey_id)
        total += Erasure(
            invitations=int(store.erase_invitation(survey_id, token, entry.get("order_ref", ""), at)),
            responses=int(store.erase_response(survey_id, token, text_questions[survey_id], at)),
            cases=int(store.erase_case(survey_id, token, at)),
            deliveries=store.erase_deliveries(survey_id, token, at),
            messages=store.erase_thread(survey_id, token))
        for sibling in entry.get("contacts") or [contact]:  # the invitation's other contact left with it
            if sibling != contact:  # and what it wrote to the WhatsApp number (erased by e-mail, found by phone)
                while inbound := store.inbound_holdings(sibling, PAGE):
                    total += sum((_erase_message(store, sibling, message) for message in inbound), Erasure())
            store.drop_holding(sibling, entry)
            store.forget_contact(sibling)
    return total


def _erase_message(store: Store, contact: str, entry: dict) -> Erasure:
    erased = Erasure(messages=int(store.erase_inbound(entry["message_id"], entry["received_at"])))
    store.drop_holding(contact, entry)
    return erased


def _text_questions(store: Store, survey_id: str) -> list[str] | None:
    try:
        survey = store.get_survey(survey_id)
    except NotFound:
        return None
    return [q.id for q in survey.questions if q.type in TEXT_TYPES]


def forget_contacts(store: Store, contacts: Iterable[str]) -> None:
    """Contact items go; an opt-out or bounce stays as a keyed hash, so it is honoured forever."""
    for contact in contacts:
        store.forget_contact(contact)
