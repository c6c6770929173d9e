"""Scheduled work, run by Zappa's scheduled events (and `survey-app send-due`)."""
from __future__ import annotations

from collections import Counter

from flask import current_app

from .channels import build_channels
from .services import Sender, send_due


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


def send_due_event(event, context):
    """Zappa `events` entry point: every few minutes."""
    from .wsgi import app

    with app.app_context():
        return dict(run_send_due())
