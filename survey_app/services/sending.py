"""The scheduled sender: due invitations go out once each, on the first usable channel; failures are
recorded and retried with back-off; at most one reminder; fatigue window and opt-outs honoured.

Safe to run twice at once: each invitation is claimed with a conditional write before anything is sent.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..channels import ChannelError
from ..domain.models import (EMAIL_CHANNEL, EXPIRED, FAILED, OPENED, OPTED_OUT, QUEUED, SCHEDULED, SENDING, SENT,
                             SKIPPED, WA_LINK_CHANNEL, WHATSAPP_CHANNEL, Invitation, Survey)
from ..errors import NotFound, StoreUnavailable
from ..messages import email_content
from ..store import Store
from .common import local_day, utcnow

MAX_ATTEMPTS = 3
RECORD_ATTEMPTS = 4
LEASE = timedelta(minutes=10)  # a crashed sender's claim expires; far longer than one Lambda run
log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """5 min, 20 min, 80 min..."""
    return timedelta(minutes=5 * 4 ** (attempts - 1))


@dataclass(frozen=True)
class Sender:
    """What a send run needs besides the store: channels, where links point, who the message is from."""

    channels: dict
    base_url: str
    business_name: str
    tz_name: str = "Asia/Jakarta"


def send_due(store: Store, sender: Sender, now: datetime | None = None, batch: int = 100) -> Counter:
    """One pass over the due queue (sends and reminders); returns counts per outcome."""
    now = now or utcnow()
    outcomes: Counter = Counter()
    surveys: dict[str, Survey] = {}
    for invitation in store.due_invitations(now.isoformat(), batch):
        try:
            survey = surveys.get(invitation.survey_id) or store.get_survey(invitation.survey_id)
        except NotFound:
            continue
        surveys[survey.id] = survey
        try:
            if invitation.state in (SENT, OPENED):
                outcomes[_remind(store, sender, survey, invitation, now)] += 1
            else:
                outcomes[_send(store, sender, survey, invitation, now)] += 1
        except StoreUnavailable as error:  # this one waits for a later run; the rest of the batch goes on
            log.warning("invitation %s left for a later run: %s", invitation.token, error)
            outcomes["store_unavailable"] += 1
    return outcomes


def _count(invitation: Invitation, event: str, now: datetime, sender: Sender, channel: str = "") -> tuple[str, str]:
    return local_day(now, sender.tz_name), f"inv#{channel or invitation.channel}#{event}"


def _send(store: Store, sender: Sender, survey: Survey, invitation: Invitation, now: datetime) -> str:
    claimed = replace(invitation, state=SENDING, send_at=(now + LEASE).isoformat())
    if not store.transition(invitation, claimed, from_states=(SCHEDULED, SENDING), extra_condition="send_at <= :now",
                            values={":now": now.isoformat()}):
        return "claimed_by_another"
    if invitation.is_expired(now):
        store.transition(claimed, replace(claimed, state=EXPIRED), from_states=(SENDING,))
        return EXPIRED
    verdict = _contact_allowed(store, survey, invitation, now)
    if verdict != "ok":
        state = OPTED_OUT if verdict == "opted_out" else SKIPPED
        reason = "opted out" if state == OPTED_OUT else f"messaged within {survey.delivery.fatigue_days} days"
        store.transition(claimed, replace(claimed, state=state, failure=reason), from_states=(SENDING,),
                         count=_count(invitation, state, now, sender, "none"))
        return state
    channel = _first_usable_channel(survey, invitation, sender)
    if channel is None:
        failed = replace(claimed, state=FAILED, failure="no usable channel: needs a phone (WhatsApp) or an e-mail "
                                                        "with that channel configured", send_at=now.isoformat())
        store.transition(claimed, failed, from_states=(SENDING,), count=_count(invitation, FAILED, now, sender, "none"))
        return FAILED
    if channel == WA_LINK_CHANNEL:
        queued = replace(claimed, state=QUEUED, channel=WA_LINK_CHANNEL, send_at=now.isoformat())
        store.transition(claimed, queued, from_states=(SENDING,))
        return QUEUED
    try:
        _deliver(sender, survey, invitation, channel, reminder=False)
    except ChannelError as error:
        return _record_failure(store, sender, claimed, channel, str(error), now)
    reminder_days = survey.delivery.reminder_after_days
    sent = replace(claimed, state=SENT, channel=channel, sent_at=now.isoformat(), failure="",
                   attempts=invitation.attempts + 1,
                   remind_at=(now + timedelta(days=reminder_days)).isoformat() if reminder_days else "")
    _record_sent(store, claimed, sent)
    try:
        day, counter = _count(invitation, SENT, now, sender, channel)
        store.add_day_counters(survey.id, day, {counter: 1})
    except StoreUnavailable as error:  # a statistic, not the customer's message: never worth a second send
        log.warning("sent counter for %s not added: %s", invitation.token, error)
    return SENT


def _record_sent(store: Store, claimed: Invitation, sent: Invitation) -> None:
    """The message is out: keep trying to say so (a plain update, away from the busy day item), since an
    unrecorded send would be sent again once its lease ends."""
    for attempt in range(RECORD_ATTEMPTS):
        try:
            store.transition(claimed, sent, from_states=(SENDING,))
            return
        except StoreUnavailable:
            if attempt == RECORD_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * 2**attempt)


def _contact_allowed(store: Store, survey: Survey, invitation: Invitation, now: datetime) -> str:
    """'ok', 'opted_out' or 'fatigued', across all surveys and channels, for every contact the invitation has."""
    window_start = (now - timedelta(days=survey.delivery.fatigue_days)).isoformat()
    for contact in (invitation.phone, invitation.email):
        if contact:
            verdict = store.claim_contact(contact, invitation.token, now.isoformat(), window_start)
            if verdict != "ok":
                return verdict
    return "ok"


def _first_usable_channel(survey: Survey, invitation: Invitation, sender: Sender) -> str | None:
    for channel in survey.delivery.channels:
        needs = invitation.email if channel == EMAIL_CHANNEL else invitation.phone
        if needs and (channel == WA_LINK_CHANNEL or channel in sender.channels):
            return channel
    return None


def _deliver(sender: Sender, survey: Survey, invitation: Invitation, channel: str, reminder: bool) -> None:
    lang = invitation.language or survey.default_language
    if channel == EMAIL_CHANNEL:
        sender.channels[EMAIL_CHANNEL].send(email_content(
            invitation, survey, base_url=sender.base_url, business_name=sender.business_name, lang=lang,
            reminder=reminder))
    elif channel == WHATSAPP_CHANNEL:
        sender.channels[WHATSAPP_CHANNEL].send(invitation.phone, lang, invitation.customer_name or "Kak",
                                               invitation.token)
    else:
        raise ChannelError(f"channel {channel!r} cannot send automatically")


def _record_failure(store: Store, sender: Sender, claimed: Invitation, channel: str, reason: str,
                    now: datetime) -> str:
    """Nothing is lost: the reason is kept, and the invitation goes back to the queue until attempts run out."""
    attempts = claimed.attempts + 1
    if attempts < MAX_ATTEMPTS:
        retry = replace(claimed, state=SCHEDULED, attempts=attempts, failure=reason,
                        send_at=(now + backoff(attempts)).isoformat())
        store.transition(claimed, retry, from_states=(SENDING,))
        return "retry_scheduled"
    failed = replace(claimed, state=FAILED, attempts=attempts, failure=reason, send_at=now.isoformat())
    store.transition(claimed, failed, from_states=(SENDING,), count=_count(claimed, FAILED, now, sender, channel))
    return FAILED


def _remind(store: Store, sender: Sender, survey: Survey, invitation: Invitation, now: datetime) -> str:
    """At most one reminder, on the channel the invitation went out on, never to an opted-out contact."""
    reminded = replace(invitation, reminded_at=now.isoformat(), remind_at="")
    if not store.transition(invitation, reminded, from_states=(SENT, OPENED),
                            extra_condition="attribute_not_exists(reminded_at) AND remind_at <= :now",
                            values={":now": now.isoformat()}):
        return "claimed_by_another"
    if invitation.is_expired(now) or any(store.is_opted_out(c) for c in (invitation.phone, invitation.email) if c):
        return "reminder_skipped"
    try:
        _deliver(sender, survey, invitation, invitation.channel, reminder=True)
    except ChannelError as error:
        store.transition(reminded, replace(reminded, failure=f"reminder: {error}"), from_states=(SENT, OPENED))
        return "reminder_failed"
    store.add_day_counters(survey.id, local_day(now, sender.tz_name), {f"inv#{invitation.channel}#reminded": 1})
    return "reminded"

