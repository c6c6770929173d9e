"""Owners' outgoing webhooks: endpoints (URL and events, admins only), events recorded as pending deliveries where
they happen (one write, no network: the customer's request never waits on a receiver), and delivery by the jobs
function within its time budget: claimed, signed, sent once per attempt, retried with back-off, logged, sent again
on the owner's request. Each delivery keeps its id on every attempt, so a receiver that has it can ignore a repeat."""
from __future__ import annotations

import json
import logging
import secrets
from collections import Counter
from datetime import datetime, timedelta
from typing import Callable

from ..budget import Budget
from ..errors import StoreUnavailable
from ..store import Store
from .common import new_token, utcnow

log = logging.getLogger(__name__)
EVENTS = ("response.created", "response.updated", "case.created", "case.updated")
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (60, 300, 1800, 7200, 21600)  # after attempts 1..5: a receiver down for a day still gets it
SEND_SECONDS = 30  # a claim's lease: a run that dies mid-send leaves it due again after this
DELIVERY_DAYS = 30  # the delivery log's TTL
MAX_WEBHOOKS = 10


class WebhookError(ValueError):
    """An endpoint the owner cannot add, in their words."""


def add_webhook(store: Store, url: str, events: list[str], created_by: str, require_https: bool) -> dict:
    """A new endpoint with its own signing secret (shown on the webhooks page). :raises WebhookError:"""
    from ..channels.webhook import UnsafeUrl, check_url, public_addresses

    chosen = [e for e in EVENTS if e in events]
    if not chosen:
        raise WebhookError("Choose at least one event.")
    if len(store.webhooks()) >= MAX_WEBHOOKS:
        raise WebhookError(f"At most {MAX_WEBHOOKS} webhooks; remove one first.")
    try:
        _, host, port = check_url(url, require_https)
        if require_https:
            public_addresses(host, port)  # checked again on every delivery
    except UnsafeUrl as error:
        raise WebhookError(str(error)) from None
    hook = {"id": new_token(), "url": url.strip(), "events": chosen, "secret": "whsec_" + secrets.token_urlsafe(24),
            "created_by": created_by, "created_at": utcnow().isoformat()}
    store.put_webhook(hook)
    return hook


def notify_response(store: Store, survey, response, event: str, case=None, case_event: str = "case.created") -> None:
    """After a response (and maybe its case) was written: its events recorded for the endpoints that want them."""
    record_event(store, event, survey.id, response.response_id, lambda: _read_api().response_record(survey, response))
    if case is not None:
        notify_case(store, case, case_event)


def notify_case(store: Store, case, event: str) -> None:
    record_event(store, event, case.survey_id, case.response_id, lambda: _read_api().case_record(case))


def _read_api():
    """The read API's records are the webhooks' payloads too (one shape to document); imported only when needed."""
    from . import read_api

    return read_api


def record_event(store: Store, event: str, survey_id: str, subject_id: str, payload: Callable[[], dict],
                 now: datetime | None = None) -> int:
    """Pending deliveries of `event` to every endpoint that asked for it (written, not sent); the number recorded.
    Called after the event's own write succeeded: a store failure here is logged, never raised to the customer.
    Deliveries are keyed by their subject (the response id), so an erasure finds them."""
    try:
        hooks = [h for h in store.webhooks() if event in h.get("events", ())]
        if not hooks:
            return 0
        now = now or utcnow()
        body = json.dumps({"event": event, "survey_id": survey_id, "data": payload()}, ensure_ascii=False,
                          sort_keys=True)
        store.add_deliveries([{"id": new_token(), "hook_id": h["id"], "event": event, "survey_id": survey_id,
                               "subject_id": subject_id, "payload": body, "created_at": now.isoformat(),
                               "next_at": now.isoformat()} for h in hooks],
                             int((now + timedelta(days=DELIVERY_DAYS)).timestamp()))
    except StoreUnavailable as error:
        log.error("webhook %s of %s/%s not recorded: %s", event, survey_id, subject_id, error)
        return 0
    return len(hooks)


def deliver_due(store: Store, budget: Budget, *, require_https: bool, now=utcnow, send=None,
                batch: int = 50) -> Counter:
    """Sends what is due while the budget allows: claim (so two runs never send one delivery at once), send one
    attempt, record the outcome; a run killed between send and record leaves the claim to expire, and the
    delivery goes again with the same id."""
    from ..channels.webhook import deliver

    send = send or deliver
    hooks = {h["id"]: h for h in store.webhooks()}
    outcomes: Counter = Counter()
    for delivery in store.due_deliveries(now().isoformat(), batch):
        if not budget.allows(SEND_SECONDS):
            break
        at = now()
        claimed = store.claim_delivery(delivery, at.isoformat(), (at + timedelta(seconds=SEND_SECONDS)).isoformat())
        if claimed is None:
            outcomes["taken"] += 1
            continue
        hook = hooks.get(claimed["hook_id"])
        if hook is None or "payload" not in claimed:
            ok, status = False, "the webhook was removed" if hook is None else "the payload was erased"
            attempts_left = False
        else:
            ok, status = send(hook["url"], hook["secret"], claimed["event"], claimed["sk"],
                              claimed["payload"].encode(), require_https=require_https)
            attempts_left = claimed["attempts"] < MAX_ATTEMPTS
        outcomes[_record(store, claimed, ok, status, attempts_left, now())] += 1
    return outcomes


def _record(store: Store, delivery: dict, ok: bool, status: str, attempts_left: bool, at: datetime) -> str:
    from ..store.webhooks import DELIVERED, FAILED, PENDING

    if ok:
        state, next_at = DELIVERED, ""
    elif attempts_left:
        wait = BACKOFF_SECONDS[min(delivery["attempts"], len(BACKOFF_SECONDS)) - 1]
        state, next_at = PENDING, (at + timedelta(seconds=wait)).isoformat()
    else:
        state, next_at = FAILED, ""
    store.delivery_outcome(delivery, state, status, at.isoformat(), next_at)
    return state


def send_again(store: Store, survey_id: str, subject_id: str, delivery_id: str) -> bool:
    """The owner's "send again": an ended delivery is due now, with the same id; False if it is not ended."""
    return store.send_again(survey_id, subject_id, delivery_id, utcnow().isoformat())
