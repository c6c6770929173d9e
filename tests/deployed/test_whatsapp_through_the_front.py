"""WhatsApp both ways, as deployed: Meta's signed notifications cross API Gateway (binary body, base64 in the proxy
event) into the web function, the jobs function does the sending. Two stages of this tier's own extend the real
ones with only the Cloud API's address and phone-number id (a local fake of the Graph API that records requests);
the App Secret, verify token and access token are the stage's SSM parameters, as in production."""
from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from survey_app.domain.models import SENT, Delivery
from survey_app.services import create_invitation, create_owner, save_survey, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests import whatsapp_payloads as meta
from tests.deployed.apigateway import Api
from tests.deployed.deployment import _secrets_for, random_api_id
from tests.deployed.front import Front
from tests.deployed.http_client import Client
from tests.factories import make_survey
from tests.http_fakes import graph_api

WEB, JOBS = "production_wa", "production_wa_jobs"
SEND_DUE = "survey_app.jobs.send_due_event"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def wa(deployed):
    with graph_api() as (fake, base):
        production = deployed.stage_config("production")
        env = production["environment_variables"] | {"SURVEY_WHATSAPP_API_BASE": base,
                                                     "SURVEY_WHATSAPP_PHONE_NUMBER_ID": "1055"}
        deployed.add_stage(WEB, {"extends": "production", "environment_variables": env}, ())
        deployed.add_stage(JOBS, {"extends": "production_jobs", "environment_variables": env}, ())
        front = Front(Api(random_api_id(), deployed.region, WEB), deployed.function(WEB))
        secrets = _secrets_for(production)
        try:
            yield SimpleNamespace(fake=fake, front=front, store=deployed.store(),
                                  secret=secrets[env["SURVEY_WHATSAPP_APP_SECRET_PARAMETER"]],
                                  verify_token=secrets[env["SURVEY_WHATSAPP_VERIFY_TOKEN_PARAMETER"]])
        finally:
            front.close()


def notify(wa, *values) -> int:
    body, headers = meta.signed(meta.envelope(*values), wa.secret)
    return Client(wa.front.url).request("POST", "/webhooks/whatsapp", body, headers).status


def send_due(deployed) -> dict:
    invocation = deployed.invoke_scheduled(JOBS, SEND_DUE)
    assert invocation.error is None, deployed.logs(JOBS)[-3000:]
    return invocation.result


def emails_to(deployed, address: str) -> int:
    """Messages moto's SES accepted for `address` (its /moto-api/data.json state: SendRawEmail's RawMessage list;
    SES's own SentLast24Hours counts recipients, and moto adds the To header's to Destinations)."""
    with urllib.request.urlopen(f"{deployed.moto_endpoint}/moto-api/data.json", timeout=10) as response:
        sent = json.loads(response.read())["ses"]["RawMessage"]
    return sum(address in message["destinations"] for message in sent)


def phone() -> str:
    return f"+62812{uuid.uuid4().int % 10**7:07d}"


def test_the_handshake_and_a_wrong_signature_through_api_gateway(wa):
    visitor = Client(wa.front.url)
    ok = visitor.get(f"/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={wa.verify_token}&hub.challenge=8812")
    assert (ok.status, ok.text) == (200, "8812")
    body, headers = meta.signed(meta.envelope(meta.text("wamid.D0", phone(), datetime.now(timezone.utc), "x")),
                                "not-the-secret")
    assert visitor.request("POST", "/webhooks/whatsapp", body, headers).status == 401


def test_a_failed_whatsapp_status_makes_the_email_go_out_once(deployed, wa):
    store, now = wa.store, datetime.now(timezone.utc)
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("whatsapp", "email"),
                                                                              reminder_after_days=0)))
    to = phone()
    invitation = create_invitation(store, survey, customer_name="Budi", phone=to, email=f"b{to[-7:]}@example.test",
                                   send_at=now - timedelta(minutes=1))
    send_due(deployed)  # the deployed table is shared: other tests' due invitations may go out in the same run
    (template,) = [r for r in wa.fake.requests if r["body"]["to"] == to.lstrip("+")]
    wamid = f"wamid.fake{wa.fake.requests.index(template) + 1:06d}"
    failed = meta.status(wamid, "failed", to, now, error_code=131026)
    assert notify(wa, failed) == 200
    assert emails_to(deployed, invitation.email) == 0  # the web function records and queues; it never calls SES
    send_due(deployed)
    assert emails_to(deployed, invitation.email) == 1
    assert notify(wa, failed) == 200  # Meta's retry
    send_due(deployed)
    assert emails_to(deployed, invitation.email) == 1
    sent = store.get_invitation(invitation.token)
    assert (sent.state, sent.channel, sent.fallback_from) == ("sent", "email", "whatsapp")
    assert sent.failure == "WhatsApp 131026: Message undeliverable"


def test_berhenti_stops_the_reminder(deployed, wa):
    store, now = wa.store, datetime.now(timezone.utc)
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("whatsapp",))))
    to = phone()
    created = create_invitation(store, survey, customer_name="Sari", phone=to, send_at=now + timedelta(days=1))
    waiting = replace(created, state=SENT, channel="whatsapp", sent_at=(now - timedelta(days=3)).isoformat(),
                      remind_at=(now - timedelta(minutes=1)).isoformat())  # sent earlier, its reminder now due
    assert store.transition(created, waiting, from_states=("scheduled",))
    assert notify(wa, meta.text("wamid.B" + uuid.uuid4().hex[:10], to, now, "Berhenti")) == 200
    assert store.is_opted_out(to)
    outcome = send_due(deployed)  # counts of the whole shared table: this customer's own items are checked below
    assert outcome.get("reminder_skipped", 0) >= 1
    to_customer = [r["body"] for r in wa.fake.requests if r["body"]["to"] == to.lstrip("+")]
    assert [b["type"] for b in to_customer] == ["text"]  # the one confirmation; no reminder template


def test_an_owners_reply_reaches_the_api_inside_the_window_and_is_refused_outside_with_a_template(deployed, wa):
    store, now = wa.store, datetime.now(timezone.utc)
    survey = make_survey(store)
    owner_email = f"agent-{uuid.uuid4().hex[:8]}@example.test"
    create_owner(store, owner_email, PASSWORD, "agent")
    visitor = Client(wa.front.url)
    token = visitor.get("/login").csrf_token()
    visitor.post("/login", {"csrf_token": token, "email": owner_email, "password": PASSWORD},
                 headers={"Referer": f"{wa.front.url}/login"})
    for wrote_hours_ago, expect in ((1, "inside"), (30, "outside")):
        to = phone()
        invitation = create_invitation(store, survey, customer_name="Rina", phone=to, language="id")
        submit_response(store, survey, {"nps": 1, "reason": "Rusak"}, language="id",
                        submission_id=new_submission_id(), invitation=invitation, now=now)
        store.claim_contact(to, invitation.token, now.isoformat(), now.isoformat())
        at = now - timedelta(hours=wrote_hours_ago)
        assert notify(wa, meta.text("wamid.R" + uuid.uuid4().hex[:10], to, at, "Tolong dibantu")) == 200
        url = f"/owner/surveys/{survey.id}/cases/{invitation.token}"
        page = visitor.get(url)
        headers = {"Referer": f"{wa.front.url}{url}"}
        answer = visitor.post(f"{url}/reply", {"csrf_token": page.csrf_token(), "text": "Kami ganti hari ini."},
                              headers=headers)
        to_customer = [r["body"] for r in wa.fake.requests if r["body"]["to"] == to.lstrip("+")]
        if expect == "inside":
            assert answer.status == 303 and [b["text"]["body"] for b in to_customer] == ["Kami ganti hari ini."]
            continue
        assert answer.status == 409 and 'id="template-form"' in answer.text and to_customer == []
        offered = visitor.post(f"{url}/reply", {"csrf_token": answer.csrf_token(), "template": "y"}, headers=headers)
        to_customer = [r["body"] for r in wa.fake.requests if r["body"]["to"] == to.lstrip("+")]
        assert offered.status == 303 and [b["template"]["name"] for b in to_customer] == ["case_reply"]
        assert json.dumps(to_customer[0]).count("Rina") == 1
