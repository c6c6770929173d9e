"""SES feedback as deployed: SNS posts signed messages to the built zip's /email-events/sns through API Gateway and
Zappa's handler; the function fetches SNS's signing certificate over verified HTTPS (sns_host.py), and after a
bounce the jobs function's next reminder skips that customer.

The web function runs as its own stage here only to add what production sets and this tier cannot know: the topic
(SURVEY_SES_EVENTS_TOPIC_ARN, infra/template.yaml's output) and the way to the fake SNS host (HTTPS_PROXY and
SSL_CERT_FILE in the function's environment, as Zappa's `aws_environment_variables` set them)."""
from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.domain.models import SENT, Delivery
from survey_app.services import create_invitation, save_survey
from tests import sns_signing
from tests.deployed.apigateway import Api
from tests.deployed.deployment import random_api_id
from tests.deployed.front import Front
from tests.deployed.http_client import Client
from tests.deployed.sns_host import FakeSnsHost
from tests.factories import make_survey

STAGE = "ses_events"
SNS_HOST = f"sns.{sns_signing.REGION}.amazonaws.com"
NOW = datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def sns(deployed):
    """(a client of the stage's front, the fake SNS host)."""
    assert deployed.region == sns_signing.REGION
    host = FakeSnsHost((SNS_HOST,), sns_signing.certificate_pem(), deployed.root / "sns-test-ca.pem")
    web = deployed.stage_config("production")
    deployed.add_stage(STAGE, {
        "extends": "production",
        "environment_variables": {**web["environment_variables"], "SURVEY_SES_EVENTS_TOPIC_ARN": sns_signing.TOPIC_ARN},
        "aws_environment_variables": {**web.get("aws_environment_variables", {}), "HTTPS_PROXY": host.proxy_url,
                                      "SSL_CERT_FILE": str(host.ca_file)},
    }, ())
    front = Front(Api(random_api_id(), deployed.region, STAGE), deployed.function(STAGE))
    try:
        yield Client(front.url), host
    finally:
        front.close()
        host.close()


def post(client: Client, message: dict):
    return client.request("POST", "/email-events/sns", sns_signing.body(message), sns_signing.headers(message))


def emails_to(deployed, address: str) -> list[str]:
    """SES message ids of what moto's SES accepted for this address (moto's model data)."""
    with urllib.request.urlopen(f"{deployed.moto_endpoint}/moto-api/data.json", timeout=30) as response:
        messages = json.load(response).get("ses", {}).get("RawMessage", [])
    return [m["id"] for m in messages if address in m["destinations"]]


def test_a_signed_bounce_makes_the_next_reminder_skip_that_customer(deployed, sns):
    client, host = sns
    store = deployed.store()
    address = f"sari-{uuid.uuid4().hex[:8]}@example.test"
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(
        channels=("email",), reminder_after_days=1, fatigue_days=0)))
    invitation = create_invitation(store, survey, now=NOW - timedelta(days=1), customer_name="Sari", email=address,
                                   send_at=NOW - timedelta(minutes=1))
    first = deployed.invoke_scheduled("production_jobs", "survey_app.jobs.send_due_event")
    assert not first.error and first.result.get("sent", 0) >= 1, first.error or first.result
    (mail_id,) = emails_to(deployed, address)

    answer = post(client, sns_signing.notification(sns_signing.ses_bounce(address, message_id=mail_id), version="2"))
    assert (answer.status, answer.text.strip()) == (200, "recorded"), answer.text
    assert host.requests == [(SNS_HOST, "/" + sns_signing.CERT_URL.rsplit("/", 1)[1])]
    assert store.is_opted_out(address)
    assert deployed.start_stream_mapping().caught_up(30)  # the bounce's tally, folded by the jobs function
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert sum(day.get("inv#email#bounced", 0) for day in days) == 1

    sent = store.get_invitation(invitation.token)
    assert sent.state == SENT and sent.remind_at
    assert store.transition(sent, replace(sent, remind_at=(NOW - timedelta(minutes=1)).isoformat()),
                            from_states=(SENT,))  # the reminder falls due now
    second = deployed.invoke_scheduled("production_jobs", "survey_app.jobs.send_due_event")
    assert not second.error and second.result.get("reminder_skipped", 0) >= 1, second.error or second.result
    assert store.get_invitation(invitation.token).reminded_at and emails_to(deployed, address) == [mail_id]


def test_the_subscription_is_confirmed_and_foreign_certificates_are_never_fetched(deployed, sns):
    client, host = sns
    host.requests.clear()
    confirmation = sns_signing.subscription_confirmation(version="1")
    answer = post(client, confirmation)
    assert (answer.status, answer.text.strip()) == (200, "confirmed"), answer.text
    assert (SNS_HOST, confirmation["SubscribeURL"].split(SNS_HOST, 1)[1]) in host.requests
    host.requests.clear()
    lookalike = sns_signing.notification(sns_signing.ses_complaint("budi@example.test"),
                                         cert_url=f"https://{SNS_HOST}.evil.com/SimpleNotificationService-1.pem")
    assert post(client, lookalike).status == 403
    assert host.requests == [] and not deployed.store().is_opted_out("budi@example.test")
