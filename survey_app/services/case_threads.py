"""A customer thread in every case: the conversation as the owner sees it, WhatsApp's 24-hour customer-service
window, the owner's replies through the Cloud API (free text inside the window, the approved reply template
outside it) and telling a case's assignee that the customer wrote back.

The window: a business may send free-form messages only within 24 hours of the customer's last message to it;
outside, only a template (Meta, "Customer service windows", developers.facebook.com/docs/whatsapp/cloud-api/
guides/send-messages#customer-service-windows).
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import escape

from ..channels import ChannelError
from ..domain.conversation import ChatText
from ..domain.models import FollowUp
from ..i18n import translate
from ..messages import EmailContent
from ..store import Store
from .alerts import Alerter
from .chat_templates import TEMPLATES, case_reply_template
from .common import utcnow

WINDOW = timedelta(hours=24)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thread:
    entries: list[dict]  # oldest first: {"at", "direction" in/out, "text", "author", "status"}
    window_left: timedelta | None  # None: closed (or the customer never wrote)


@dataclass(frozen=True)
class ReplySettings:
    business_name: str
    template: str = TEMPLATES["case_reply"].name


def window_left(last_inbound_at: str, now: datetime) -> timedelta | None:
    if not last_inbound_at:
        return None
    left = datetime.fromisoformat(last_inbound_at) + WINDOW - now
    return left if left > timedelta(0) else None


def case_thread(store: Store, case: FollowUp, now: datetime | None = None) -> Thread:
    last_inbound = store.contact_record(case.phone).get("last_inbound_at", "") if case.phone else ""
    return Thread(store.thread_of(case.survey_id, case.response_id), window_left(last_inbound, now or utcnow()))


def reply_on_whatsapp(store: Store, channel, case: FollowUp, text: str, author: str, settings: ReplySettings,
                      use_template: bool = False, now: datetime | None = None) -> str:
    """'sent', 'window_closed' (free text refused: offer the template), 'not_configured' or the channel's reason.
    What was sent joins the thread with its message id, so its delivery statuses show there."""
    now = now or utcnow()
    if channel is None or not case.phone:
        return "not_configured"
    lang = case.language or "id"
    if use_template:
        message = case_reply_template(settings.template, case.phone, lang, case.customer_name or "Kak",
                                      settings.business_name)
        text = translate("send_template", lang)
    elif window_left(store.contact_record(case.phone).get("last_inbound_at", ""), now) is None:
        return "window_closed"
    else:
        message = ChatText(case.phone, text.strip()[:4096])  # the Cloud API's text body limit
    try:
        message_id = channel.send(message)
    except ChannelError as error:
        return str(error)
    sk = store.add_thread_entry(case.survey_id, case.response_id, {
        "at": now.isoformat(), "message_id": message_id, "direction": "out", "text": text, "author": author,
        "status": "accepted", "kind": "template" if use_template else "text"})
    store.put_message_ref(message_id, {"kind": "reply", "channel": "whatsapp", "survey_id": case.survey_id,
                                       "response_id": case.response_id, "thread_sk": sk}, int(now.timestamp()))
    store.set_open_case(case.phone, case.survey_id, case.response_id)
    return "sent"


def send_reply_alerts(store: Store, alerter: Alerter, now: datetime | None = None) -> Counter:
    """Each customer reply told once by e-mail to its case's assignee (an address), else to the alert recipients;
    a failed e-mail waits for the next run."""
    outcomes: Counter = Counter()
    for entry in store.pending_reply_alerts():
        case = store.case_or_none(entry["survey_id"], entry["response_id"])
        recipients = ((case.assignee,) if case and "@" in case.assignee else alerter.recipients) if case else ()
        if not recipients or alerter.email is None:
            store.reply_alert_done(entry)
            outcomes["reply_alert_nobody"] += 1
            continue
        try:
            for recipient in recipients:
                alerter.email.send(_reply_email(alerter, case, entry, recipient))
        except ChannelError as error:
            log.warning("reply alert for %s failed: %s", entry["sk"], error)
            outcomes["reply_alert_retry"] += 1
            continue
        store.reply_alert_done(entry)
        outcomes["reply_alerted"] += 1
    return outcomes


def _reply_email(alerter: Alerter, case: FollowUp, entry: dict, recipient: str) -> EmailContent:
    lang = alerter.language
    link = f"{alerter.dashboard_url.rstrip('/')}/owner/surveys/{case.survey_id}/cases/{case.response_id}"
    name = case.customer_name or case.phone
    return EmailContent(to=recipient, subject=translate("reply_alert_subject", lang, name=name),
                        html=f"<p>{escape(entry.get('text', ''))}</p><p><a href=\"{link}\">{link}</a></p>",
                        text=f"{entry.get('text', '')}\n\n{link}")
