"""POST /email-events/sns: SES's configuration set publishes bounces, complaints and deliveries to an SNS topic,
and SNS posts each message here. Nothing is believed before its signature is; answers follow SNS's rules
(sns-message-delivery-retries.html): 2xx and 4xx end the delivery, 5xx makes SNS retry."""
from __future__ import annotations

import logging

from flask import abort, current_app, request

from ...domain import sns
from ...services.common import utcnow
from ...services.email_feedback import record_ses_event
from .. import current_store, public, upload_limit
from . import bp, sns_http

log = logging.getLogger(__name__)


def _text(body: str, status: int):
    return body + "\n", status, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.post("/email-events/sns")
@public
@upload_limit("SNS_MAX_BYTES")
def sns_message():
    topic = current_app.config["SES_EVENTS_TOPIC_ARN"]
    if not topic:
        abort(404)
    now = utcnow()
    try:
        fields = sns.parse(request.get_data())
        if fields["TopicArn"] != topic:
            raise sns.InvalidMessage(f"topic {fields['TopicArn'][:200]!r} is not {topic!r}")
        message = sns.verify(fields, sns_http.certificate(sns.certificate_url(fields)), now)
    except sns.InvalidMessage as refused:
        log.warning("SNS message refused: %s", refused)
        return _text("refused", 403)
    except sns_http.Unreachable as error:
        log.warning("SNS signing certificate unavailable: %s", error)
        return _text("certificate unavailable, try again", 503)
    if message.type == sns.SUBSCRIBE:
        return _confirm(message)
    if message.type == sns.UNSUBSCRIBE:
        log.warning("SNS says this endpoint was unsubscribed from %s: bounces and complaints no longer arrive; "
                    "subscribe it again (README, 'Bounces and complaints')", message.topic_arn)
        return _text("noted", 200)
    try:
        outcome = record_ses_event(current_store(), message, current_app.config["TIMEZONE"], now)
    except ValueError as error:
        log.warning("SNS notification %s is not an SES event: %s", message.message_id, error)
        return _text("not an SES event", 400)
    return _text(outcome, 200)


def _confirm(message: sns.SnsMessage):
    try:
        sns_http.confirm_subscription(message.subscribe_url)
    except ValueError as error:
        log.warning("SNS subscription confirmation refused: %s", error)
        return _text("refused", 403)
    except sns_http.Unreachable as error:
        log.warning("SNS subscription not confirmed: %s", error)
        return _text("not confirmed, try again", 503)
    log.warning("SNS subscription to %s confirmed", message.topic_arn)
    return _text("confirmed", 200)
