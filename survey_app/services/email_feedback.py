"""E-mail that listens back: SES events arriving through SNS mark an address undeliverable (permanent bounce)
or opted out (complaint), so no invitation or reminder goes to it again, and count on the survey's day what
SES judges the account by; the delivery page compares those rates with SES's review thresholds.

Event shapes: SES, "Contents of event data that Amazon SES publishes to Amazon SNS"
(event-publishing-retrieving-sns-contents.html: `eventType`, `mail`, `bounce.bouncedRecipients`,
`complaint.complainedRecipients`, `delivery.recipients`), and the older identity notifications of
"Amazon SNS notification contents for Amazon SES" (same objects under `notificationType`).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.contacts import ContactError, normalise_email
from ..domain.models import EMAIL_CHANNEL
from ..domain.sns import SnsMessage
from ..store import Store
from ..store.suppressions import OPTED_OUT, UNDELIVERABLE
from .common import local_day

REMEMBER_MESSAGES = timedelta(days=30)  # longer than domain.sns.MAX_AGE: a message is never processed twice
BOUNCED, COMPLAINED, DELIVERED = "bounced", "complained", "delivered"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Feedback:
    """What one SES event says about some addresses: `event` is BOUNCED (permanent only), COMPLAINED or
    DELIVERED; `reason` is kept on the contact in words an owner understands."""

    event: str
    addresses: tuple[str, ...]
    reason: str = ""
    mail_id: str = ""  # SES's MessageId of the e-mail, as SesEmail.send returned it


def feedback_of(message: str) -> Feedback | None:
    """The feedback an SES event carries, or None for events that change nothing here (Send, Open, transient
    bounces, a complaint reported as not spam...).

    :raises ValueError: not an SES event record.
    """
    try:
        event = json.loads(message)
        kind = event.get("eventType") or event.get("notificationType")
        mail_id = event["mail"]["messageId"]
        if kind == "Bounce":
            bounce = event["bounce"]
            if bounce["bounceType"] != "Permanent":
                return None
            first = bounce["bouncedRecipients"][0]
            reason = f"bounced ({bounce.get('bounceSubType', 'General')}): {first.get('diagnosticCode', '')}"
            return Feedback(BOUNCED, _addresses(r["emailAddress"] for r in bounce["bouncedRecipients"]),
                            reason.strip()[:300], mail_id)
        if kind == "Complaint":
            complaint = event["complaint"]
            if complaint.get("complaintFeedbackType") == "not-spam":
                return None
            return Feedback(COMPLAINED, _addresses(r["emailAddress"] for r in complaint["complainedRecipients"]),
                            f"marked as spam ({complaint.get('complaintFeedbackType') or 'complaint'})", mail_id)
        if kind == "Delivery":
            return Feedback(DELIVERED, _addresses(event["delivery"]["recipients"]), mail_id=mail_id)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise ValueError(f"not an SES event record: {error!r}") from None
    return None


def _addresses(raw: object) -> tuple[str, ...]:
    addresses = []
    for value in raw:
        try:
            address = normalise_email(value)
        except (ContactError, AttributeError):
            continue  # SES reports what the receiving server said; an unusable address concerns no contact
        if address and address not in addresses:
            addresses.append(address)
    return tuple(addresses)


def record_ses_event(store: Store, message: SnsMessage, tz_name: str, now: datetime) -> str:
    """Applies one verified SNS notification; 'recorded', 'duplicate' or 'ignored'.

    :raises ValueError: the notification is not an SES event record.
    """
    feedback = feedback_of(message.message)
    if feedback is None or not feedback.addresses:
        return "ignored"
    kind = {BOUNCED: UNDELIVERABLE, COMPLAINED: OPTED_OUT}.get(feedback.event)
    marks = [(address, kind, feedback.reason) for address in feedback.addresses] if kind else []
    ref = store.message_ref(feedback.mail_id)
    survey_id = (ref or {}).get("survey_id", "")  # none for an owner's alert: marked, not counted on a survey
    counters = {(survey_id, local_day(now, tz_name)): {f"inv#{EMAIL_CHANNEL}#{feedback.event}":
                                                       len(feedback.addresses)}} if survey_id else {}
    if not marks and not counters:
        return "ignored"  # a delivery of an e-mail that was no invitation (an owner's alert)
    expires = int((now + REMEMBER_MESSAGES).timestamp())
    if not store.record_email_feedback(message.message_id, expires, now.isoformat(), marks, counters):
        return "duplicate"
    if marks:
        log.info("SES %s: %d address(es) will get no more e-mail", feedback.event, len(marks))
    return "recorded"


# -- rates against SES's thresholds -------------------------------------------------------------------------------
# SES Developer Guide, "Reputation metrics messages" (reputationdashboardmessages.html) and re:Post "Why is my
# Amazon SES sending account under review or paused?": the account is placed under review at a bounce rate of 5%
# or a complaint rate of 0.1%, and sending may be paused at 10% and 0.5%. SES counts hard bounces only.
BOUNCE_REVIEW, BOUNCE_PAUSE = 0.05, 0.10
COMPLAINT_REVIEW, COMPLAINT_PAUSE = 0.001, 0.005
WINDOWS = (7, 30)


@dataclass(frozen=True)
class EmailRates:
    """Invitation e-mails of the last `days` days (first sends and reminders) and what SES reported back."""

    days: int
    sent: int
    bounced: int
    complained: int

    @property
    def bounce_rate(self) -> float | None:
        return self.bounced / self.sent if self.sent else None

    @property
    def complaint_rate(self) -> float | None:
        return self.complained / self.sent if self.sent else None

    @property
    def bounce_status(self) -> str:
        return _status(self.bounce_rate, BOUNCE_REVIEW, BOUNCE_PAUSE)

    @property
    def complaint_status(self) -> str:
        return _status(self.complaint_rate, COMPLAINT_REVIEW, COMPLAINT_PAUSE)


def _status(rate: float | None, review: float, pause: float) -> str:
    if rate is None:
        return "no_data"
    return "at_risk" if rate >= pause else "warning" if rate >= review else "healthy"


def email_rates(store: Store, tz_name: str, now: datetime) -> list[EmailRates]:
    """Across every survey, as SES judges the whole account: one row per window of WINDOWS."""
    last = local_day(now, tz_name)
    first = local_day(now - timedelta(days=max(WINDOWS) - 1), tz_name)
    per_day: dict[str, dict[str, int]] = {}
    for survey in store.list_surveys():
        for day, values in store.daily_counters(survey.id, first, last).items():
            totals = per_day.setdefault(day, {})
            for event in ("sent", "reminded", BOUNCED, COMPLAINED):
                totals[event] = totals.get(event, 0) + values.get(f"inv#{EMAIL_CHANNEL}#{event}", 0)
    rows = []
    for window in WINDOWS:
        since = local_day(now - timedelta(days=window - 1), tz_name)
        chosen = [totals for day, totals in per_day.items() if day >= since]
        rows.append(EmailRates(days=window, sent=sum(t["sent"] + t["reminded"] for t in chosen),
                               bounced=sum(t[BOUNCED] for t in chosen),
                               complained=sum(t[COMPLAINED] for t in chosen)))
    return rows
