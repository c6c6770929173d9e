"""The scheduled sender: due invitations go out once each, on the first usable channel; failures are
recorded and retried with back-off; at most one reminder; fatigue window and opt-outs honoured.

Safe to run twice at once, and to be killed at any instant: each invitation is claimed with a conditional write
(a lease) before anything is sent, the hand-over to the provider is recorded before the call (intent) and its
outcome after it. A claim whose lease ran out is finished by the next run: sent again only if the provider was
never called, else marked unconfirmed for the owner, so no customer is ever messaged twice by a crash.
"""
from __future__ import annotations

import contextvars
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Mapping

from ..channels import ChannelError, DeliveryUnknown
from ..budget import Budget
from ..domain.models import (ANSWERED, EMAIL_CHANNEL, EXPIRED, FAILED, OPENED, OPTED_OUT, QUEUED, SCHEDULED,
                             SENDING, SENT, SKIPPED, UNCONFIRMED, WA_LINK_CHANNEL, WHATSAPP_CHANNEL, Invitation, Survey)
from ..errors import NotFound, StoreUnavailable
from ..messages import email_content
from ..store import Store
from .chat_answers import remember_chat_invitation
from .chat_templates import TEMPLATES, invitation_template
from .common import local_day, utcnow
from .pacing import Pace

MAX_ATTEMPTS = 3
RECORD_ATTEMPTS = 4
LEASE = timedelta(minutes=10)  # a crashed sender's claim expires; longer than the jobs function's timeout
log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """5 min, 20 min, 80 min..."""
    return timedelta(minutes=5 * 4 ** (attempts - 1))


@dataclass(frozen=True)
class Sender:
    """What a send run needs besides the store: channels, where links point, who the message is from, how many
    sends may be in flight, each channel's messages-per-second ceiling and the WhatsApp templates' names."""

    channels: dict
    base_url: str
    business_name: str
    tz_name: str = "Asia/Jakarta"
    concurrency: int = 1
    rates: Mapping[str, float] = field(default_factory=dict)
    paces: dict = field(default_factory=dict, compare=False)
    invitation_template: str = TEMPLATES["invitation"].name
    reminder_template: str = TEMPLATES["reminder"].name

    def __post_init__(self):
        self.paces.update({channel: Pace(rate) for channel, rate in self.rates.items()})

    def pace(self, channel: str) -> None:
        if channel in self.paces:
            self.paces[channel].wait()


def send_due(store: Store, sender: Sender, now: datetime | None = None, batch: int = 100,
             budget: Budget | None = None) -> Counter:
    """One pass over the due queue (sends and reminders); returns counts per outcome. With a budget, nothing
    new is claimed once it runs low: those invitations wait for the next run, untouched."""
    now = now or utcnow()
    due = []
    surveys: dict[str, Survey] = {}
    for invitation in store.due_invitations(now.isoformat(), batch):
        try:
            surveys[invitation.survey_id] = surveys.get(invitation.survey_id) or store.get_survey(invitation.survey_id)
        except NotFound:
            continue
        due.append(invitation)

    def one(invitation: Invitation) -> str:
        if budget is not None and not budget.allows():
            return "left_for_next_run"
        survey = surveys[invitation.survey_id]
        try:
            if invitation.state in (SENT, OPENED):
                return _remind(store, sender, survey, invitation, now)
            return _send(store, sender, survey, invitation, now)
        except StoreUnavailable as error:  # this one waits for a later run; the rest of the batch goes on
            log.warning("invitation %s left for a later run: %s", invitation.token, error)
            return "store_unavailable"

    if sender.concurrency <= 1 or len(due) <= 1:
        return Counter(map(one, due))
    store.client  # built once here: threads then share one (thread-safe) client
    with ThreadPoolExecutor(max_workers=sender.concurrency, thread_name_prefix="send") as pool:
        # each send runs in a copy of the caller's context (message templates need the caller's app context)
        futures = [pool.submit(contextvars.copy_context().run, one, invitation) for invitation in due]
        return Counter(future.result() for future in futures)


def _count(invitation: Invitation, event: str, now: datetime, sender: Sender, channel: str = "") -> tuple[str, str]:
    return local_day(now, sender.tz_name), f"inv#{channel or invitation.channel}#{event}"


def _send(store: Store, sender: Sender, survey: Survey, invitation: Invitation, now: datetime) -> str:
    claimed = replace(invitation, state=SENDING, send_at=(now + LEASE).isoformat())
    if not store.transition(invitation, claimed, from_states=(SCHEDULED, SENDING), extra_condition="send_at <= :now",
                            values={":now": now.isoformat()}):
        return "claimed_by_another"
    if invitation.handing_over_at:  # a run stopped mid hand-over: whether it went out is unknown
        _record_unconfirmed(store, sender, claimed, "the sender stopped while handing this message to the "
                            "provider: it may or may not have arrived; send again only if the customer did not "
                            "get it", now)
        return UNCONFIRMED
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
    handing_over = replace(claimed, channel=channel, handing_over_at=utcnow().isoformat())
    lease = {"extra_condition": "send_at = :lease", "values": {":lease": claimed.send_at}}
    try:
        if not store.transition(claimed, handing_over, from_states=(SENDING,), **lease):
            return "claimed_by_another"
    except StoreUnavailable:  # the intent may have been written (a lost reply): withdraw it, nothing was sent
        _retried(lambda: store.transition(handing_over, claimed, from_states=(SENDING,), **lease))
        raise
    claimed = handing_over
    try:
        sender.pace(channel)
        message_id = _deliver(sender, survey, invitation, channel, reminder=False)
    except DeliveryUnknown as error:
        _record_unconfirmed(store, sender, claimed, f"{error}: it may or may not have arrived; send again only "
                                                    "if the customer did not get it", now)
        return UNCONFIRMED
    except ChannelError as error:
        return _record_failure(store, sender, claimed, channel, str(error), now)
    reminder_days = survey.delivery.reminder_after_days
    sent = replace(claimed, state=SENT, handing_over_at="", channel=channel, sent_at=now.isoformat(),
                   failure=claimed.failure if claimed.fallback_from else "", delivery_status="",  # why it fell back
                   attempts=invitation.attempts + 1,
                   remind_at=(now + timedelta(days=reminder_days)).isoformat() if reminder_days else "")
    _record_message(store, message_id, invitation, channel, "invitation", now)
    if channel == WHATSAPP_CHANNEL:
        remember_chat_invitation(store, sent, sender.invitation_template, now)
    _record_sent(store, claimed, sent, _count(invitation, SENT, now, sender, channel))
    return SENT


def _record_message(store: Store, message_id: str, invitation: Invitation, channel: str, kind: str,
                    now: datetime) -> None:
    """Which invitation a provider message id belongs to, so its delivery reports (WhatsApp statuses, SES events)
    find it; written at once, as the first report may follow within a second."""
    try:
        store.put_message_ref(message_id, {"kind": kind, "token": invitation.token, "survey_id": invitation.survey_id,
                                           "channel": channel}, int(now.timestamp()))
    except StoreUnavailable as error:  # the message is out; its reports will be ignored, never a second send
        log.warning("message %s of %s not recorded: %s", message_id, invitation.token, error)


def _record_sent(store: Store, claimed: Invitation, sent: Invitation, count: tuple[str, str]) -> None:
    """The message is out: keep trying to say so, with its counter in the same transaction (a job killed in
    between never leaves it sent and uncounted); if it cannot be said, the next run finds the hand-over mark and
    flags the send unconfirmed instead of sending again."""
    _retried(lambda: store.transition(claimed, sent, from_states=(SENDING,), count=count))


def _retried(write) -> bool:
    """A bookkeeping write that matters for what the next run does: a few tries, with back-off. Returns the
    write's answer, or True when a retry's condition refused it, as the try before may have landed with its reply
    lost (a caller that reads the answer conditions on a mark only its own write removes)."""
    for attempt in range(RECORD_ATTEMPTS):
        try:
            return write() or attempt > 0
        except StoreUnavailable:
            if attempt == RECORD_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * 2**attempt)


def _record_unconfirmed(store: Store, sender: Sender, claimed: Invitation, reason: str, now: datetime) -> None:
    """Not re-sent by itself: on the owner's failure list with the reason, where a person decides."""
    unconfirmed = replace(claimed, state=UNCONFIRMED, send_at=now.isoformat(), handing_over_at="", failure=reason)
    store.transition(claimed, unconfirmed, from_states=(SENDING,), count=_count(claimed, UNCONFIRMED, now, sender))


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
    """In the survey's order, skipping a channel whose message already failed after it was sent (a fallback)."""
    for channel in survey.delivery.channels:
        if channel == invitation.fallback_from:
            continue
        needs = invitation.email if channel == EMAIL_CHANNEL else invitation.phone
        if needs and (channel == WA_LINK_CHANNEL or channel in sender.channels):
            return channel
    return None


def _deliver(sender: Sender, survey: Survey, invitation: Invitation, channel: str, reminder: bool) -> str:
    """The message built as plain data for the channel, which renders and sends it; returns its provider id."""
    lang = invitation.language or survey.default_language
    if channel == EMAIL_CHANNEL:
        message = email_content(invitation, survey, base_url=sender.base_url, business_name=sender.business_name,
                                lang=lang, reminder=reminder)
    elif channel == WHATSAPP_CHANNEL:
        message = invitation_template(sender.reminder_template if reminder else sender.invitation_template,
                                      invitation.phone, lang, invitation.customer_name or "Kak", invitation.token)
    else:
        raise ChannelError(f"channel {channel!r} cannot send automatically")
    return sender.channels[channel].send(message)


def _record_failure(store: Store, sender: Sender, claimed: Invitation, channel: str, reason: str,
                    now: datetime) -> str:
    """Nothing is lost: the reason is kept, and the invitation goes back to the queue until attempts run out."""
    attempts = claimed.attempts + 1
    if attempts < MAX_ATTEMPTS:
        retry = replace(claimed, state=SCHEDULED, attempts=attempts, failure=reason, handing_over_at="",
                        send_at=(now + backoff(attempts)).isoformat())
        store.transition(claimed, retry, from_states=(SENDING,))
        return "retry_scheduled"
    failed = replace(claimed, state=FAILED, attempts=attempts, failure=reason, send_at=now.isoformat(),
                     handing_over_at="")
    store.transition(claimed, failed, from_states=(SENDING,), count=_count(claimed, FAILED, now, sender, channel))
    return FAILED


def _remind(store: Store, sender: Sender, survey: Survey, invitation: Invitation, now: datetime) -> str:
    """At most one reminder, on the channel the invitation went out on, never to an opted-out contact. As with a
    send, the reminder is leased and marked before the provider is called and recorded with its counter in one
    transaction after, so a run stopped in between is found by the next one (the lease ran out, the mark is there),
    which flags the reminder unconfirmed: never sent twice, never left uncounted."""
    if invitation.reminder_handing_over_at:
        return _record_reminder_unconfirmed(store, sender, invitation, now, "the sender stopped while handing it to "
                                                                            "the provider")
    due = {":now": now.isoformat()}
    unclaimed = "attribute_not_exists(reminded_at) AND remind_at <= :now"
    if invitation.is_expired(now) or any(store.is_opted_out(c) for c in (invitation.phone, invitation.email) if c):
        skipped = replace(invitation, reminded_at=now.isoformat(), remind_at="")
        changed = store.transition(invitation, skipped, from_states=(SENT, OPENED), extra_condition=unclaimed,
                                   values=due)
        return "reminder_skipped" if changed else "claimed_by_another"
    reminding = replace(invitation, remind_at=(now + LEASE).isoformat(), reminder_handing_over_at=utcnow().isoformat())
    if not store.transition(invitation, reminding, from_states=(SENT, OPENED), values=due,
                            extra_condition=f"{unclaimed} AND attribute_not_exists(reminder_handing_over_at)"):
        return "claimed_by_another"
    try:
        sender.pace(invitation.channel)
        message_id = _deliver(sender, survey, invitation, invitation.channel, reminder=True)
    except DeliveryUnknown as error:
        return _record_reminder_unconfirmed(store, sender, reminding, now, str(error))
    except ChannelError as error:
        _record_reminder(store, reminding, replace(reminding, failure=f"reminder: {error}"), now)
        return "reminder_failed"
    _record_message(store, message_id, invitation, invitation.channel, "reminder", now)
    _record_reminder(store, reminding, reminding, now, count=_count(invitation, "reminded", now, sender))
    return "reminded"


def _record_reminder(store: Store, reminding: Invitation, outcome: Invitation, now: datetime,
                     count: tuple[str, str] | None = None) -> bool:
    """The reminder's outcome, with its counter, iff the mark it was handed over under is still there (a lost
    reply's retry finds it gone and counts nothing again); the customer may have opened or answered meanwhile."""
    done = replace(outcome, reminded_at=now.isoformat(), remind_at="", reminder_handing_over_at="")
    return _retried(lambda: store.transition(reminding, done, from_states=(SENT, OPENED, ANSWERED), count=count,
                                             extra_condition="reminder_handing_over_at = :mark",
                                             values={":mark": reminding.reminder_handing_over_at}))


def _record_reminder_unconfirmed(store: Store, sender: Sender, reminding: Invitation, now: datetime,
                                 reason: str) -> str:
    """Whether the reminder arrived is unknown: counted apart from those that went out, the reason on the
    invitation."""
    unconfirmed = replace(reminding, failure=f"reminder: {reason}: it may or may not have arrived")
    if _record_reminder(store, reminding, unconfirmed, now, _count(reminding, "reminder_unconfirmed", now, sender)):
        return "reminder_unconfirmed"
    return "claimed_by_another"
