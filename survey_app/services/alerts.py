"""Owner alerts for new cases, within a minute: e-mail, WhatsApp and a signed webhook, each failure
recorded on the case and retried by the next run (up to a limit), never lost silently."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from markupsafe import escape

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


def send_alerts(store: Store, alerter: Alerter, now: datetime | None = None) -> Counter:
    now = now or utcnow()
    outcomes: Counter = Counter()
    for case in store.pending_alerts():
        failures = _deliver(alerter, case)
        if failures and len(case.alert_failures) + 1 < MAX_ALERT_RUNS:
            store.save_case(case, replace(case, alert_failures=case.alert_failures + tuple(failures)))
            outcomes["alert_retry"] += 1
            continue
        store.save_case(case, replace(case, alerted_at=now.isoformat(),
                                      alert_failures=case.alert_failures + tuple(failures)))
        outcomes["alert_failed" if failures else "alerted"] += 1
    return outcomes


def _deliver(alerter: Alerter, case: FollowUp) -> list[str]:
    failures = []
    lang = alerter.language
    summary = translate("alert_summary", lang, score="–" if case.score is None else case.score,
                        name=case.customer_name or "?", comment=case.comment[:300] or "–")
    link = f"{alerter.dashboard_url.rstrip('/')}/owner/surveys/{case.survey_id}/cases/{case.response_id}"
    targets = []
    if alerter.email and alerter.recipients:
        targets.append(("email", lambda: [alerter.email.send(EmailContent(
            to=recipient, subject=translate("alert_subject", lang, reason=translate(f"reason_{case.reason}", lang)),
            html=f"<p>{escape(summary)}</p><p><a href=\"{link}\">{link}</a></p>", text=f"{summary}\n\n{link}",
            unsubscribe_url=link)) for recipient in alerter.recipients]))
    if alerter.whatsapp and alerter.whatsapp_to:
        targets.append(("whatsapp", lambda: alerter.whatsapp.send(alerter.whatsapp_to, lang, summary[:60],
                                                                  f"{case.survey_id}/cases/{case.response_id}")))
    if alerter.webhook:
        targets.append(("webhook", lambda: alerter.webhook.send("case.opened", {
            "survey_id": case.survey_id, "response_id": case.response_id, "reason": case.reason,
            "score": case.score, "comment": case.comment, "customer_name": case.customer_name,
            "properties": case.properties, "due_at": case.due_at, "url": link})))
    for name, deliver in targets:
        try:
            deliver()
        except ChannelError as error:
            log.warning("alert %s for case %s failed: %s", name, case.response_id, error)
            failures.append(f"{name}: {error}")
    return failures

