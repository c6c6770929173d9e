"""Scheduled work, run by Zappa's scheduled events (and the `send-due` / `send-alerts` commands)."""
from __future__ import annotations

from collections import Counter

from flask import current_app

from .channels import build_channels
from .services import Alerter, Sender, send_alerts, send_due


def run_send_due() -> Counter:
    """Batches until the due queue is empty or a run has sent a few batches (the next event continues)."""
    config = current_app.config
    sender = Sender(channels=build_channels(config), base_url=config["PUBLIC_URL"],
                    business_name=config["BUSINESS_NAME"], tz_name=config["TIMEZONE"])
    store = current_app.extensions["survey_store"]
    total: Counter = Counter()
    for _ in range(5):
        outcomes = send_due(store, sender, batch=config["SEND_BATCH"])
        total.update(outcomes)
        if sum(outcomes.values()) < config["SEND_BATCH"]:
            break
    current_app.logger.info("send-due: %s", dict(total))
    return total


def run_send_alerts() -> Counter:
    config = current_app.config
    outcomes = send_alerts(current_app.extensions["survey_store"], build_alerter(config))
    current_app.logger.info("send-alerts: %s", dict(outcomes))
    return outcomes


def build_alerter(config) -> Alerter:
    channels = build_channels(config)
    whatsapp = None
    if "whatsapp" in channels and config["ALERT_WHATSAPP_TO"]:
        from .channels.whatsapp import WhatsAppCloud

        whatsapp = WhatsAppCloud(api_base=config["WHATSAPP_API_BASE"], phone_number_id=config["WHATSAPP_PHONE_NUMBER_ID"],
                                 access_token=config["WHATSAPP_TOKEN"], template=config["ALERT_WHATSAPP_TEMPLATE"])
    webhook = None
    if config["ALERT_WEBHOOK_URL"]:
        from .channels.webhook import Webhook

        webhook = Webhook(config["ALERT_WEBHOOK_URL"], config["ALERT_WEBHOOK_SECRET"])
    recipients = tuple(r.strip() for r in config["ALERT_EMAILS"].split(",") if r.strip())
    return Alerter(email=channels.get("email"), recipients=recipients, whatsapp=whatsapp,
                   whatsapp_to=config["ALERT_WHATSAPP_TO"], webhook=webhook, dashboard_url=config["PUBLIC_URL"],
                   language=config["OWNER_LANGUAGE"])


def send_due_event(event, context):
    """Zappa `events` entry point: every few minutes."""
    from .wsgi import app

    with app.app_context():
        return dict(run_send_due())


def send_alerts_event(event, context):
    """Zappa `events` entry point: every minute, so owners hear of a new case within a minute or two."""
    from .wsgi import app

    with app.app_context():
        return dict(run_send_alerts())


def owner_jobs_event(event, context):
    """Zappa `event_source` entry point (jobs stage, the SQS owner-jobs queue). Each record's body is a job id
    (Lambda's SQS event: {"Records": [{"messageId", "receiptHandle", "body", "eventSource": "aws:sqs", ...}]},
    docs.aws.amazon.com/lambda/latest/dg/with-sqs.html); each run has its own budget from the remaining time.
    Raising hands the batch back to SQS, which delivers it again: the job resumes from its saved cursor."""
    from .background import owner_jobs
    from .budget import Budget
    from .wsgi import app

    with app.app_context():
        margin, default = app.config["JOB_MARGIN_SECONDS"], app.config["JOB_DEFAULT_SECONDS"]
        outcomes = Counter(owner_jobs().run_job(record["body"], Budget.from_context(context, margin, default))
                           for record in event["Records"])
        current_app.logger.info("owner-jobs: %s", dict(outcomes))
        return dict(outcomes)
