"""Owners' webhooks end to end on moto and DynamoDB Local, with a real receiver on a local port: an admin adds an
endpoint (CSRF, admins only); an answer records pending deliveries and sends nothing itself; the jobs' delivery run
sends each signed, once per attempt, with the same delivery id on a retry after back-off; the log shows it and "send
again" queues it once more; an erasure strips the payloads."""
from __future__ import annotations

import functools
import json
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler

import pytest

from survey_app.background import owner_jobs
from survey_app.budget import Budget
from survey_app.channels.webhook import deliver, verify
from survey_app.services import amend_response, create_invitation, submit_response, update_case
from survey_app.services.webhooks import deliver_due
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import csrf_token
from tests.factories import make_survey
from tests.http_fakes import serving

RECEIVED: list[dict] = []
ANSWERS: list[int] = []  # statuses the receiver gives, in order; 200 once they run out


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        RECEIVED.append({"headers": dict(self.headers), "body": body})
        self.send_response(ANSWERS.pop(0) if ANSWERS else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    RECEIVED.clear()
    ANSWERS.clear()
    with serving(Receiver) as url:
        yield int(url.rsplit(":", 1)[1])


def send_via_local(port):
    """The test's DNS: hooks.example.test resolves to the local receiver (the address check is unit-tested)."""
    return functools.partial(deliver, resolve=lambda host, _: ["127.0.0.1"])


def add_hook(client, owner, port, events=("response.created", "case.created", "case.updated")):
    owner.login()
    token = csrf_token(client, "/owner/webhooks")
    added = client.post("/owner/webhooks", data={"csrf_token": token, "url": f"http://hooks.example.test:{port}/in",
                                                 "events": list(events)})
    assert added.status_code == 302, added.get_data(as_text=True)[:500]


def deliver_now(store, port, at=None):
    at = at or datetime.now(timezone.utc)
    return deliver_due(store, Budget(120), require_https=False, send=send_via_local(port), now=lambda: at)


def answered(store, survey, score=2):
    invitation = create_invitation(store, survey, customer_name="Rina Wati", phone="+6281234567890")
    submit_response(store, survey, {"nps": score, "reason": "barang rusak"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation)
    return invitation


def test_an_answer_records_deliveries_that_the_jobs_run_sends_signed_and_fresh(client, owner, store, receiver):
    add_hook(client, owner, receiver)
    (hook,) = store.webhooks()
    survey = make_survey(store)
    rina = answered(store, survey)
    assert RECEIVED == []  # the customer's request sent nothing
    assert deliver_now(store, receiver) == {"delivered": 2}
    assert deliver_now(store, receiver) == {}  # nothing twice
    events = {}
    for delivery in RECEIVED:
        headers = delivery["headers"]
        assert verify(hook["secret"], headers["X-Survey-Timestamp"], delivery["body"], headers["X-Survey-Signature"],
                      now=time.time())
        events[headers["X-Survey-Event"]] = json.loads(delivery["body"])
    assert events["response.created"]["data"]["response_id"] == rina.token
    assert events["case.created"]["data"]["comment"] == "barang rusak"
    assert len({d["headers"]["X-Survey-Delivery"] for d in RECEIVED}) == 2


def test_a_failed_delivery_is_retried_after_its_back_off_with_the_same_id(client, owner, store, receiver):
    add_hook(client, owner, receiver, events=("response.created",))
    survey = make_survey(store)
    answered(store, survey, score=9)
    ANSWERS.extend([503])
    now = datetime.now(timezone.utc)
    assert deliver_now(store, receiver, now) == {"pending": 1}
    assert deliver_now(store, receiver, now + timedelta(seconds=30)) == {}  # back-off: not yet
    assert deliver_now(store, receiver, now + timedelta(seconds=61)) == {"delivered": 1}
    first, second = RECEIVED
    assert first["headers"]["X-Survey-Delivery"] == second["headers"]["X-Survey-Delivery"]
    (hook,) = store.webhooks()
    (logged,) = store.delivery_log(hook["id"], 10)
    assert (logged["state"], logged["attempts"], logged["last_status"]) == ("delivered", 2, "answered 200")


def test_a_receiver_down_for_good_ends_failed_and_the_owner_can_send_it_again(client, owner, store, receiver):
    add_hook(client, owner, receiver, events=("response.created",))
    survey = make_survey(store)
    answered(store, survey, score=9)
    ANSWERS.extend([500] * 6)
    at = datetime.now(timezone.utc)
    for _ in range(6):
        deliver_now(store, receiver, at)
        at += timedelta(hours=7)
    (hook,) = store.webhooks()
    (logged,) = store.delivery_log(hook["id"], 10)
    assert (logged["state"], logged["attempts"]) == ("failed", 6)
    page = client.get(f"/owner/webhooks/{hook['id']}").get_data(as_text=True)
    assert "answered 500" in page and "send-again" in page
    token = csrf_token(client, f"/owner/webhooks/{hook['id']}")
    again = client.post(f"/owner/webhooks/{hook['id']}/send-again", data={
        "csrf_token": token, "survey_id": logged["survey_id"], "subject_id": logged["subject_id"],
        "delivery_id": logged["sk"]})
    assert again.status_code == 302
    assert deliver_now(store, receiver) == {"delivered": 1}
    assert RECEIVED[-1]["headers"]["X-Survey-Delivery"] == logged["sk"]


def test_case_updates_are_delivered_and_an_erasure_strips_every_payload(app, client, owner, store, receiver):
    add_hook(client, owner, receiver)
    survey = make_survey(store)
    rina = answered(store, survey)
    update_case(store, store.get_case(survey.id, rina.token), status="contacted", assignee="", note="ditelepon",
                author="cs@example.test")
    assert deliver_now(store, receiver) == {"delivered": 3}
    with app.app_context():
        job = owner_jobs().start_erasure("dpo@example.test", phone="+6281234567890")
    assert job.result["deliveries"] == 3
    (hook,) = store.webhooks()
    assert all("payload" not in d for d in store.delivery_log(hook["id"], 10))
    assert "Rina" not in json.dumps(store.delivery_log(hook["id"], 10))


def test_only_admins_manage_webhooks_every_post_needs_csrf_and_private_addresses_are_refused(
        app, client, owner, store):
    owner.login()
    token = csrf_token(client, "/owner/webhooks")
    refused = client.post("/owner/webhooks", data={"csrf_token": token, "url": "http://169.254.169.254/latest",
                                                   "events": ["response.created"]})
    assert refused.status_code == 400 and "public internet" in refused.get_data(as_text=True)
    assert client.post("/owner/webhooks", data={"url": "https://hooks.example.com/",
                                                "events": ["response.created"]}).status_code == 400
    assert store.webhooks() == []
    owner.logout()
    owner.login(email="viewer@example.test", role="viewer")
    assert client.get("/owner/webhooks").status_code in (302, 403)


def test_answers_added_later_are_delivered_as_response_updated(client, owner, store, receiver):
    add_hook(client, owner, receiver, events=("response.updated",))
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Budi", phone="+6281299990000")
    submission = new_submission_id()
    submit_response(store, survey, {"nps": 10}, language="id", submission_id=submission, invitation=invitation)
    assert deliver_now(store, receiver) == {}  # response.created was not asked for
    amend_response(store, survey, invitation.token, submission, {"reason": "cepat sekali"})
    assert deliver_now(store, receiver) == {"delivered": 1}
    (delivery,) = RECEIVED
    assert json.loads(delivery["body"])["data"]["answers"] == {"nps": 10, "reason": "cepat sekali"}
