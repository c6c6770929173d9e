"""Invitations: created by hand, imported from purchases (CSV or API), opened, opted out, retried."""
from __future__ import annotations

import urllib.parse
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping

from ..domain.contacts import ContactError, normalise_email
from ..domain.models import (FAILED, LANGUAGES, MANUAL_CHANNEL, OPENED, QUEUED, SCHEDULED, SENT, UNCONFIRMED,
                             WA_LINK_CHANNEL, Invitation, Survey)
from ..domain.segments import MAX_SEGMENT_VALUES, OTHER, SYSTEM_SEGMENTS
from ..errors import Duplicate, StoreUnavailable
from ..store import Store
from .common import local_day, new_token, utcnow

MAX_PROPERTIES = 20
MAX_FIELD = 200
MAX_PROPERTY_NAME = 40  # it becomes part of DynamoDB keys (segment aggregates)
KNOWN_COLUMNS = {"name", "customer_name", "email", "phone", "order_ref", "purchased_at", "language", "status"}
RECENT_ORDERS = 1000  # order references remembered while reading a file: an order's further item lines follow it


class LinkExpired(Exception):
    """The invitation exists but its lifetime is over."""


class PurchaseError(ValueError):
    """One purchase row that cannot become an invitation; the message says why."""


class PurchaseSkipped(PurchaseError):
    """A good row deliberately not invited: cancelled or returned, or bought too long ago."""


@dataclass(frozen=True)
class Purchase:
    order_ref: str
    customer_name: str = ""
    email: str = ""
    phone: str = ""
    purchased_at: datetime | None = None
    language: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    status: str = ""
    segments: tuple[str, ...] | None = None  # properties chosen as segments; None: all of them (API, own format)


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _clean_properties(properties: Mapping[str, object]) -> dict[str, str]:
    too_long = [str(k)[:20] for k in properties if len(str(k).strip()) > MAX_PROPERTY_NAME]
    if too_long:
        raise PurchaseError(f"property names are limited to {MAX_PROPERTY_NAME} characters ({too_long[0]}...)")
    clean = {str(k).strip().lower(): str(v).strip()[:MAX_FIELD] for k, v in properties.items()
             if str(k).strip() and v is not None and str(v).strip()}
    if len(clean) > MAX_PROPERTIES:
        raise PurchaseError(f"at most {MAX_PROPERTIES} properties per purchase")
    return clean


def parse_purchase(row: Mapping[str, object], now: datetime, country_code: str = "62",
                   tz_name: str = "Asia/Jakarta") -> Purchase:
    """A purchase from a file row (mapped: imports/mapping.py) or an API object: columns beyond the known ones
    become customer properties.

    :raises PurchaseError: with the reason, for the report.
    """
    from ..imports.mapping import SEGMENTS, UNREADABLE
    from ..imports.values import CellError, parse_phone, parse_time

    if UNREADABLE in row:
        raise PurchaseError(str(row[UNREADABLE]))
    segments = row.get(SEGMENTS)
    values = {str(k).strip().lower(): ("" if v is None else str(v).strip()) for k, v in row.items()
              if k and k != SEGMENTS}
    if any(not _encodable(text) for pair in values.items() for text in pair):
        raise PurchaseError("text must be valid Unicode (a lone UTF-16 surrogate was sent)")
    order_ref = values.get("order_ref", "")
    if not order_ref:
        raise PurchaseError("order_ref is required (it makes re-imports safe)")
    for name in KNOWN_COLUMNS:
        if len(values.get(name, "")) > MAX_FIELD:
            raise PurchaseError(f"{name} is longer than {MAX_FIELD} characters")
    try:
        email = normalise_email(values.get("email", ""))
        phone = parse_phone(values.get("phone", ""), country_code)
    except (ContactError, CellError) as error:
        raise PurchaseError(str(error)) from None
    try:
        purchased_at = parse_time(values.get("purchased_at", ""), tz_name) or now
    except CellError as error:
        raise PurchaseError(f"purchased_at {error}") from None
    if not (email or phone):
        raise PurchaseError("needs an e-mail or a phone number")
    language = values.get("language", "").lower()
    if language and language not in LANGUAGES:
        raise PurchaseError(f"language must be one of {', '.join(LANGUAGES)} or empty")
    return Purchase(
        order_ref=order_ref, customer_name=values.get("name") or values.get("customer_name", ""), email=email,
        phone=phone, purchased_at=purchased_at, language=language,
        properties=_clean_properties({k: v for k, v in values.items() if k not in KNOWN_COLUMNS}),
        status=values.get("status", ""), segments=tuple(segments) if segments is not None else None,
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _capped_segments(store: Store, survey_id: str, properties: Mapping[str, str],
                     names: Iterable[str] | None) -> dict[str, str]:
    """The chosen segments' values; a value beyond a segment's first MAX_SEGMENT_VALUES counts as 'other'."""
    chosen = properties if names is None else {n: properties[n] for n in names if properties.get(n)}
    return {name: value if store.claim_segment_value(survey_id, name, value[:100], MAX_SEGMENT_VALUES) else OTHER
            for name, value in chosen.items() if name not in SYSTEM_SEGMENTS}


def create_invitation(
    store: Store, survey: Survey, *, customer_name: str = "", email: str = "", phone: str = "",
    order_ref: str = "", language: str = "", properties: dict[str, str] | None = None,
    now: datetime | None = None, lifetime_days: int | None = None, send_at: datetime | None = None,
    tz_name: str = "Asia/Jakarta", segments: Iterable[str] | None = None,
) -> Invitation:
    """A personal link. With `send_at` it is scheduled for the sender; without, the owner shares it by hand.
    `segments` names the properties the dashboard counts (None: every property, as the API has always done).

    :raises Duplicate: the survey already has an invitation for this order reference.
    :raises PurchaseError: the survey is archived.
    """
    if survey.archived_at:
        raise PurchaseError("this survey is archived: it takes no new invitations (restore it, or use another)")
    now = now or utcnow()
    starts = (send_at or now).astimezone(timezone.utc)  # stored times are UTC: queues compare them as strings
    expires = starts + timedelta(days=lifetime_days or survey.delivery.link_days)
    invitation = Invitation(
        token=new_token(), survey_id=survey.id, customer_name=customer_name.strip()[:MAX_FIELD],
        email=email, phone=phone, order_ref=order_ref.strip()[:MAX_FIELD], language=language,
        properties=(clean := _clean_properties(properties or {})),
        segment_values=_capped_segments(store, survey.id, clean, segments), channel=MANUAL_CHANNEL,
        state=SCHEDULED if send_at else SENT, created_at=now.isoformat(),
        send_at=starts.isoformat(), sent_at="" if send_at else now.isoformat(), expires_at=expires.isoformat(),
    )
    store.put_invitation(invitation, expires_epoch=int(expires.timestamp()))
    if not send_at:  # a link the owner shares by hand counts as sent now, for the response rate
        store.add_day_counters(survey.id, local_day(now, tz_name), {f"inv#{MANUAL_CHANNEL}#sent": 1},
                               once=f"m-{invitation.token}")
    return invitation


def send_time(survey: Survey, purchase: Purchase, now: datetime) -> datetime:
    """When the invitation for a purchase goes out.

    :raises PurchaseSkipped: the order was cancelled or returned, or bought longer ago than the survey allows.
    """
    from ..imports.values import not_kept

    if purchase.status and not_kept(purchase.status):
        raise PurchaseSkipped(f"order status {purchase.status!r}: cancelled or returned, not invited")
    if purchase.purchased_at < now - timedelta(days=survey.delivery.purchase_max_age_days):
        raise PurchaseSkipped(f"bought {purchase.purchased_at.date()}, more than "
                              f"{survey.delivery.purchase_max_age_days} days ago: not invited")
    return max(purchase.purchased_at + timedelta(days=survey.delivery.delay_days), now)


def invitation_for_purchase(store: Store, survey: Survey, purchase: Purchase, now: datetime) -> Invitation:
    """:raises Duplicate: re-imported order reference. :raises PurchaseSkipped: cancelled or too old."""
    send_at = send_time(survey, purchase, now)
    return create_invitation(
        store, survey, customer_name=purchase.customer_name, email=purchase.email, phone=purchase.phone,
        order_ref=purchase.order_ref, language=purchase.language, properties=purchase.properties, now=now,
        send_at=send_at, segments=purchase.segments,
    )


def import_purchases(store: Store, survey: Survey, rows: Iterable[tuple[int, Mapping[str, object]]],
                     now: datetime | None = None, tz_name: str = "Asia/Jakarta",
                     progress=lambda: None, workers: int = 1, country_code: str = "62") -> ImportReport:
    """Every good row becomes a scheduled invitation; bad rows are reported by line, skipped ones (cancelled,
    too old) by line too, duplicates and further item lines of an order counted. A row is all or nothing.

    With `workers` > 1 rows are written in parallel (DynamoDB is the bottleneck, not Python), with a bounded
    number in flight so memory stays flat however large the file.
    """
    now = now or utcnow()
    report = ImportReport()
    recent: dict[str, None] = {}  # insertion-ordered: the oldest is forgotten first

    def one(line: int, row: Mapping[str, object]) -> None:
        try:
            purchase = parse_purchase(row, now, country_code, tz_name)
            invitation = invitation_for_purchase(store, survey, purchase, now)
        except PurchaseSkipped as skipped:
            report.skipped.append((line, str(skipped)))
        except PurchaseError as error:
            report.errors.append((line, str(error)))
        except Duplicate:
            report.duplicates += 1
        else:
            report.created += 1
            report.tokens.append(invitation.token)
        progress()

    def first_line_of_order(row: Mapping[str, object]) -> bool:
        """Marketplaces write one line per item; the order's first line stands for it, the others are counted
        as duplicates without being read."""
        order_ref = str(row.get("order_ref") or "").strip()
        if order_ref in recent:
            report.duplicates += 1
            progress()
            return False
        if order_ref:
            recent[order_ref] = None
            if len(recent) > RECENT_ORDERS:
                del recent[next(iter(recent))]
        return True

    if workers <= 1:
        for line, row in rows:
            if first_line_of_order(row):
                one(line, row)
        return report
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: set = set()
        for line, row in rows:
            if not first_line_of_order(row):
                continue
            if len(pending) >= workers * 4:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
            pending.add(pool.submit(one, line, row))
        for future in pending:
            future.result()
    report.errors.sort()
    report.skipped.sort()
    return report


def open_invitation(store: Store, token: str, now: datetime | None = None, tz_name: str = "Asia/Jakarta",
                    mark_opened: bool = True) -> tuple[Survey, Invitation]:
    """The survey and invitation behind a link; a sent invitation becomes 'opened' (counted once).

    :raises NotFound: unknown token. :raises LinkExpired: past its lifetime (TTL deletes lazily).
    """
    now = now or utcnow()
    invitation = store.get_invitation(token)
    if invitation.is_expired(now):
        raise LinkExpired(token)
    if mark_opened and invitation.state == SENT:
        opened = replace(invitation, state=OPENED, opened_at=now.isoformat())
        try:
            if store.transition(invitation, opened, from_states=(SENT,),
                                count=(local_day(now, tz_name), f"inv#{invitation.channel}#opened")):
                invitation = opened
        except StoreUnavailable:
            pass  # open tracking is best effort: the customer gets the page whatever happens to the counter
    return store.get_survey(invitation.survey_id), invitation


def opt_out(store: Store, token: str, now: datetime | None = None) -> Invitation:
    """Honoured forever, for every survey and channel: the contact is never messaged again."""
    invitation = store.get_invitation(token)
    for contact in (invitation.email, invitation.phone):
        if contact:
            store.opt_out(contact, (now or utcnow()).isoformat())
    return invitation


def send_list(store: Store, survey: Survey, limit: int = 100) -> list[Invitation]:
    """Invitations waiting for the owner to send them by WhatsApp click-to-chat."""
    return store.send_list_of(survey.id, limit)


def mark_sent(store: Store, invitation: Invitation, now: datetime | None = None,
              tz_name: str = "Asia/Jakarta") -> bool:
    now = now or utcnow()
    sent = replace(invitation, state=SENT, sent_at=now.isoformat(), channel=WA_LINK_CHANNEL)
    return store.transition(invitation, sent, from_states=(QUEUED,),
                            count=(local_day(now, tz_name), f"inv#{WA_LINK_CHANNEL}#sent"))


def failures(store: Store, survey: Survey, limit: int = 100) -> list[Invitation]:
    return store.failures_of(survey.id, limit)


def retry_failed(store: Store, invitation: Invitation, now: datetime | None = None) -> bool:
    """The owner's retry (also of an unconfirmed send, knowingly): back to the due queue now, fresh attempts."""
    retry = replace(invitation, state=SCHEDULED, send_at=(now or utcnow()).isoformat(), attempts=0,
                    handing_over_at="")
    return store.transition(invitation, retry, from_states=(FAILED, UNCONFIRMED))


def whatsapp_share_link(invitation: Invitation, link: str, lang: str) -> str:
    """A wa.me click-to-chat URL with the personal message prefilled in the customer's language."""
    from ..messages import whatsapp_text

    phone = invitation.phone.lstrip("+")
    return f"https://wa.me/{phone}?text={urllib.parse.quote(whatsapp_text(invitation, link, lang))}"
