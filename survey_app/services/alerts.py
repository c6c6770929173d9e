"""Owner alerts for new cases, within a minute: e-mail, WhatsApp and a signed webhook, each failure
recorded on the case and retried by the next run (up to a limit), never lost silently. Cases from the public
link are grouped and throttled per target, so a bot cannot spend the owner's WhatsApp budget."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Callable

from markupsafe import escape

from ..budget import Budget
from ..channels import ChannelError
from ..domain.models import FollowUp
from ..messages import EmailContent
from ..i18n import translate
from ..store import Store
from .chat_templates import TEMPLATES, case_alert_template
from .common import utcnow

MAX_ALERT_RUNS = 5
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alerter:
    """Where alerts go; every part optional."""

    email: object | None = None
    recipients: tuple[str, ...] = ()
    whatsapp: object | None = None
    whatsapp_to: str = ""
    whatsapp_template: str = TEMPLATES["case_alert"].name
    webhook: object | None = None
    dashboard_url: str = ""
    language: str = "id"
    open_group_minutes: int = 15  # public-link cases: at most one message per target per this many minutes


OPEN_CHANNEL = "open"  # a response (and its case) from the public link
GROUP_LISTED = 20  # cases listed one by one in a grouped e-mail; the rest are counted
ALERT_SECONDS = 20  # the longest one target may take (a webhook's three attempts with their timeouts)


def send_alerts(store: Store, alerter: Alerter, now: datetime | None = None, budget: Budget | None = None) -> Counter:
    """Each pending case's targets are told once each: a target that succeeded is recorded at once and never
    told again, whatever happens to the others; with a budget, no target is started without time to finish.
    Open-link (public) cases are told in groups: one message per target per `open_group_minutes`."""
    now = now or utcnow()
    outcomes: Counter = Counter()
    pending = store.pending_alerts()
    for case in (c for c in pending if c.channel != OPEN_CHANNEL):
        failures = []
        for target, deliver in _targets(alerter, case):
            if target in case.alerts_delivered:
                continue
            if budget is not None and not budget.allows(ALERT_SECONDS):
                outcomes["left_for_next_run"] += 1
                return outcomes
            try:
                deliver()
            except ChannelError as error:
                log.warning("alert %s for case %s failed: %s", target, case.response_id, error)
                failures.append(f"{target}: {error}")
                continue
            store.record_alert_delivered(case, target)
        _record_run(store, case, failures, now, outcomes)
    public = [c for c in pending if c.channel == OPEN_CHANNEL]
    if public:
        _send_grouped(store, alerter, public, now, budget, outcomes)
    return outcomes


def _record_run(store: Store, case: FollowUp, failures: list[str], now: datetime, outcomes: Counter) -> None:
    finished = not failures or case.alert_failed_runs + 1 >= MAX_ALERT_RUNS
    store.record_alert_run(case, failures, finished_at=now.isoformat() if finished else "")
    outcomes[("alert_failed" if failures else "alerted") if finished else "alert_retry"] += 1


def _send_grouped(store: Store, alerter: Alerter, cases: list[FollowUp], now: datetime, budget: Budget | None,
                  outcomes: Counter) -> None:
    """Public-link cases: per target, one message summarising every case it has not been told of, at most once
    per `open_group_minutes` (a slot claimed conditionally, so two runs never both send); a bot flooding the
    open link costs the owner one e-mail, one WhatsApp message and one webhook call per period."""
    failures: dict[str, list[str]] = {c.response_id: [] for c in cases}
    held: set[str] = set()
    free_before = (now - timedelta(minutes=alerter.open_group_minutes)).isoformat()
    for target, deliver in _group_targets(alerter):
        waiting = [c for c in cases if target not in c.alerts_delivered]
        if not waiting:
            continue
        if budget is not None and not budget.allows(ALERT_SECONDS):
            outcomes["left_for_next_run"] += len(cases)
            return
        previous = store.claim_alert_slot(target, now.isoformat(), free_before)
        if previous is None:  # told of a group within the period: these wait for the next slot
            held.update(c.response_id for c in waiting)
            continue
        try:
            deliver(waiting)
        except ChannelError as error:
            log.warning("grouped alert %s for %d cases failed: %s", target, len(waiting), error)
            store.release_alert_slot(target, now.isoformat(), previous)
            for case in waiting:
                failures[case.response_id].append(f"{target}: {error}")
            continue
        for case in waiting:
            store.record_alert_delivered(case, target)
    for case in cases:
        if case.response_id in held and not failures[case.response_id]:
            outcomes["alert_grouped_later"] += 1
            continue
        _record_run(store, case, failures[case.response_id], now, outcomes)


def _summary(case: FollowUp, lang: str) -> str:
    return translate("alert_summary", lang, score="–" if case.score is None else case.score,
                     name=case.customer_name or "?", comment=case.comment[:300] or "–")


def _case_link(alerter: Alerter, case: FollowUp) -> str:
    return f"{alerter.dashboard_url.rstrip('/')}/owner/surveys/{case.survey_id}/cases/{case.response_id}"


def _payload(case: FollowUp, link: str) -> dict:
    return {"survey_id": case.survey_id, "response_id": case.response_id, "reason": case.reason,
            "score": case.score, "comment": case.comment, "customer_name": case.customer_name,
            "properties": case.properties, "due_at": case.due_at, "url": link}


def _group_targets(alerter: Alerter) -> list[tuple[str, Callable[[list[FollowUp]], object]]]:
    """(target, send(cases)) with the same target names as single alerts: one message summarising the cases."""
    lang = alerter.language

    def email(recipient, cases):
        lines = [f"{_summary(c, lang)}\n{_case_link(alerter, c)}" for c in cases[:GROUP_LISTED]]
        more = [translate("alert_group_more", lang, n=len(cases) - GROUP_LISTED)] if len(cases) > GROUP_LISTED else []
        html = "".join(f"<p>{escape(_summary(c, lang))}<br><a href=\"{_case_link(alerter, c)}\">"
                       f"{_case_link(alerter, c)}</a></p>" for c in cases[:GROUP_LISTED])
        return alerter.email.send(EmailContent(
            to=recipient, subject=translate("alert_group_subject", lang, n=len(cases)),
            html=html + "".join(f"<p>{escape(m)}</p>" for m in more), text="\n\n".join(lines + more)))

    def whatsapp(cases):
        lowest = min((c.score for c in cases if c.score is not None), default="–")
        return alerter.whatsapp.send(case_alert_template(
            alerter.whatsapp_template, alerter.whatsapp_to, lang,
            translate("alert_group_summary", lang, n=len(cases), low=lowest), f"{cases[0].survey_id}/cases"))

    def webhook(cases):
        return alerter.webhook.send("cases.opened", {"cases": [_payload(c, _case_link(alerter, c)) for c in cases]})

    targets = []
    if alerter.email:
        targets += [(f"email:{r}", partial(email, r)) for r in alerter.recipients]
    if alerter.whatsapp and alerter.whatsapp_to:
        targets.append(("whatsapp", whatsapp))
    if alerter.webhook:
        targets.append(("webhook", webhook))
    return targets


def _targets(alerter: Alerter, case: FollowUp) -> list[tuple[str, Callable[[], object]]]:
    """(target, send) for every configured target: each e-mail recipient is a target of its own."""
    lang = alerter.language
    summary, link = _summary(case, lang), _case_link(alerter, case)
    targets = []
    if alerter.email:
        subject = translate("alert_subject", lang, reason=translate(f"reason_{case.reason}", lang))
        for recipient in alerter.recipients:
            targets.append((f"email:{recipient}", partial(alerter.email.send, EmailContent(
                to=recipient, subject=subject, html=f"<p>{escape(summary)}</p><p><a href=\"{link}\">{link}</a></p>",
                text=f"{summary}\n\n{link}"))))
    if alerter.whatsapp and alerter.whatsapp_to:
        targets.append(("whatsapp", partial(alerter.whatsapp.send, case_alert_template(
            alerter.whatsapp_template, alerter.whatsapp_to, lang, summary,
            f"{case.survey_id}/cases/{case.response_id}"))))
    if alerter.webhook:
        targets.append(("webhook", partial(alerter.webhook.send, "case.opened", _payload(case, link))))
    return targets
