"""Owner alerts for new cases, within a minute: e-mail, WhatsApp and a signed webhook, each failure
recorded on the case and retried by the next run (up to a limit), never lost silently."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Callable

from markupsafe import escape

from ..budget import Budget
from ..channels import ChannelError
from ..domain.models import FollowUp
from ..messages import EmailContent
from ..i18n import translate
from ..store import Store
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
    webhook: object | None = None
    dashboard_url: str = ""
    language: str = "id"


ALERT_SECONDS = 20  # the longest one target may take (a webhook's three attempts with their timeouts)


def send_alerts(store: Store, alerter: Alerter, now: datetime | None = None, budget: Budget | None = None) -> Counter:
    """Each pending case's targets are told once each: a target that succeeded is recorded at once and never
    told again, whatever happens to the others; with a budget, no target is started without time to finish."""
    now = now or utcnow()
    outcomes: Counter = Counter()
    for case in store.pending_alerts():
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
        finished = not failures or case.alert_failed_runs + 1 >= MAX_ALERT_RUNS
        store.record_alert_run(case, failures, finished_at=now.isoformat() if finished else "")
        outcomes[("alert_failed" if failures else "alerted") if finished else "alert_retry"] += 1
    return outcomes


def _targets(alerter: Alerter, case: FollowUp) -> list[tuple[str, Callable[[], object]]]:
    """(target, send) for every configured target: each e-mail recipient is a target of its own."""
    lang = alerter.language
    summary = translate("alert_summary", lang, score="–" if case.score is None else case.score,
                        name=case.customer_name or "?", comment=case.comment[:300] or "–")
    link = f"{alerter.dashboard_url.rstrip('/')}/owner/surveys/{case.survey_id}/cases/{case.response_id}"
    targets = []
    if alerter.email:
        subject = translate("alert_subject", lang, reason=translate(f"reason_{case.reason}", lang))
        for recipient in alerter.recipients:
            targets.append((f"email:{recipient}", partial(alerter.email.send, EmailContent(
                to=recipient, subject=subject, html=f"<p>{escape(summary)}</p><p><a href=\"{link}\">{link}</a></p>",
                text=f"{summary}\n\n{link}"))))
    if alerter.whatsapp and alerter.whatsapp_to:
        targets.append(("whatsapp", partial(alerter.whatsapp.send, alerter.whatsapp_to, lang, summary[:60],
                                            f"{case.survey_id}/cases/{case.response_id}")))
    if alerter.webhook:
        targets.append(("webhook", partial(alerter.webhook.send, "case.opened", {
            "survey_id": case.survey_id, "response_id": case.response_id, "reason": case.reason,
            "score": case.score, "comment": case.comment, "customer_name": case.customer_name,
            "properties": case.properties, "due_at": case.due_at, "url": link})))
    return targets
