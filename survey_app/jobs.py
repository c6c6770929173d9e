"""Work outside requests, run by the jobs function (Zappa stage `production_jobs`): scheduled events and the
`send-due` / `send-alerts` commands. Each run takes its time budget from Lambda's context and stops claiming
work with a margin left; the next run picks up the rest."""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from flask import current_app

from .budget import Budget
from .channels import build_channels
from .services import Alerter, Sender, send_alerts, send_due
from .services.case_threads import send_reply_alerts
from .services.webhooks import deliver_due

log = logging.getLogger(__name__)
OVERDUE_SECONDS = 120  # the stream folds within seconds; older unfolded tallies are the sweep's


def run_send_due(budget: Budget | None = None, now: datetime | None = None) -> Counter:
    """Batches until the due queue is empty or the budget says stop (`now`: a later time, to finish stale
    claims in tests)."""
    config = current_app.config
    budget = budget or Budget(config["JOB_DEFAULT_SECONDS"], config["JOB_MARGIN_SECONDS"])
    sender = Sender(channels=build_channels(config), base_url=config["PUBLIC_URL"],
                    business_name=config["BUSINESS_NAME"], tz_name=config["TIMEZONE"],
                    concurrency=config["SEND_CONCURRENCY"],
                    rates={"whatsapp": config["WHATSAPP_SEND_RATE"], "email": config["SES_SEND_RATE"]},
                    invitation_template=config["WHATSAPP_TEMPLATE"],
                    reminder_template=config["WHATSAPP_REMINDER_TEMPLATE"])
    store = current_app.extensions["survey_store"]
    total: Counter = Counter()
    while budget.allows():
        outcomes = send_due(store, sender, now=now, batch=config["SEND_BATCH"], budget=budget)
        total.update(outcomes)
        if sum(outcomes.values()) < config["SEND_BATCH"]:
            break
    current_app.logger.info("send-due: %s", dict(total))
    return total


def run_send_alerts(budget: Budget | None = None) -> Counter:
    config = current_app.config
    budget = budget or Budget(config["JOB_DEFAULT_SECONDS"], config["JOB_MARGIN_SECONDS"])
    store, alerter = current_app.extensions["survey_store"], build_alerter(config)
    outcomes = send_alerts(store, alerter, budget=budget)
    outcomes.update(send_reply_alerts(store, alerter))  # customers' WhatsApp replies to open cases
    webhooks = deliver_due(store, budget, require_https=config["ENV"] not in ("dev", "test"))  # owners' webhooks
    outcomes.update({f"webhook_{outcome}": n for outcome, n in webhooks.items()})
    current_app.logger.info("send-alerts: %s", dict(outcomes))
    return outcomes


def run_digests(budget: Budget | None = None, now: datetime | None = None) -> Counter:
    """Teammates' NPS summaries that are due (services/digest.py), each once per person, period and channel."""
    from .services.digest import DigestSettings, send_digests

    config = current_app.config
    budget = budget or Budget(config["JOB_DEFAULT_SECONDS"], config["JOB_MARGIN_SECONDS"])
    settings = DigestSettings(business_name=config["BUSINESS_NAME"], public_url=config["PUBLIC_URL"],
                              tz_name=config["TIMEZONE"], secret_key=current_app.secret_key)
    outcomes = send_digests(current_app.extensions["survey_store"], build_channels(config), settings, now=now,
                            budget=budget)
    current_app.logger.info("digests: %s", dict(outcomes))
    return outcomes


def build_alerter(config) -> Alerter:
    channels = build_channels(config)
    webhook = None
    if config["ALERT_WEBHOOK_URL"]:
        from .channels.webhook import Webhook

        webhook = Webhook(config["ALERT_WEBHOOK_URL"], config["ALERT_WEBHOOK_SECRET"])
    recipients = tuple(r.strip() for r in config["ALERT_EMAILS"].split(",") if r.strip())
    return Alerter(email=channels.get("email"), recipients=recipients, whatsapp=channels.get("whatsapp"),
                   whatsapp_to=config["ALERT_WHATSAPP_TO"], whatsapp_template=config["ALERT_WHATSAPP_TEMPLATE"],
                   webhook=webhook, dashboard_url=config["PUBLIC_URL"],
                   language=config["OWNER_LANGUAGE"])


def _budget(context) -> Budget:
    config = current_app.config
    return Budget.from_context(context, config["JOB_MARGIN_SECONDS"], config["JOB_DEFAULT_SECONDS"])


def send_due_event(event, context):
    """Zappa `events` entry point (jobs stage): every minute."""
    from .wsgi import app

    with app.app_context():
        return dict(run_send_due(_budget(context)))


def send_alerts_event(event, context):
    """Zappa `events` entry point (jobs stage): every minute, so owners hear of a new case within a minute or two."""
    from .wsgi import app

    with app.app_context():
        return dict(run_send_alerts(_budget(context)))


def digests_event(event, context):
    """Zappa `events` entry point (jobs stage): every hour; from 07:00 in the business's zone the day's digests go
    (weekly ones any day of the week until sent), so a failed run is made up by the next."""
    from .wsgi import app

    with app.app_context():
        return dict(run_digests(_budget(context)))


def owner_jobs_event(event, context):
    """Zappa `event_source` entry point (jobs stage, the SQS owner-jobs queue). Each record's body is a job id
    (Lambda's SQS event: {"Records": [{"messageId", "receiptHandle", "body", "eventSource": "aws:sqs", ...}]},
    docs.aws.amazon.com/lambda/latest/dg/with-sqs.html); each run has its own budget from the remaining time.
    Raising hands the batch back to SQS, which delivers it again: the job resumes from its saved cursor."""
    from .background import owner_jobs
    from .wsgi import app

    with app.app_context():
        outcomes = Counter(owner_jobs().run_job(record["body"], _budget(context)) for record in event["Records"])
        current_app.logger.info("owner-jobs: %s", dict(outcomes))
        return dict(outcomes)


def fold_tallies_event(event, context):
    """Zappa `event_source` entry point (counters stage, its own function and reserved concurrency, so owner jobs
    and sends never hold up counting): the table's DynamoDB stream, filtered to new tally items
    (infra/template.yaml's event source mapping). Lambda's record shape: docs.aws.amazon.com/lambda/latest/dg/
    with-ddb.html ({"Records": [{"eventID", "eventName", "dynamodb": {"NewImage", "SequenceNumber", ...},
    "eventSourceARN"}]}). Returns ReportBatchItemFailures' answer: the first record not folded, from which Lambda
    delivers the batch again (what was folded before it is never counted twice)."""
    from .wsgi import app

    with app.app_context():
        return fold_stream_batch(current_app.extensions["survey_store"], event)


def fold_overdue_event(event, context):
    """Zappa `events` entry point (counters stage): every minute, folds tallies the stream has not folded within
    OVERDUE_SECONDS (the mapping was deleted by a `zappa undeploy`, names the wrong stream, is throttled, or parked
    a batch): counts arrive late instead of never, and the log says the stream consumer needs a look."""
    from .wsgi import app

    with app.app_context():
        return dict(fold_overdue(current_app.extensions["survey_store"], _budget(context)))


def fold_overdue(store, budget: Budget, now: datetime | None = None) -> Counter:
    from datetime import timedelta, timezone

    before = ((now or datetime.now(timezone.utc)) - timedelta(seconds=OVERDUE_SECONDS)).isoformat()
    outcomes: Counter = Counter()
    for survey in store.list_surveys():
        if not budget.allows():
            break
        report = store.fold_pending(survey.id, written_before=before)
        outcomes.update({"folded": report.folded, "failed": report.failed})
        if report.folded or report.failed:
            log.warning("survey %s: %d tallies older than %d s were not folded by the stream (%d failed): check the "
                        "counters function's event source mapping", survey.id, report.folded + report.failed,
                        OVERDUE_SECONDS, report.failed)
    return outcomes


def fold_stream_batch(store, event: dict) -> dict:
    report = store.fold_records(event.get("Records", []))
    log.info("fold: %d folded, %d already, failed at %r", report.folded, report.already, report.failed_at)
    return {"batchItemFailures": [{"itemIdentifier": report.failed_at}] if report.failed_at else []}
