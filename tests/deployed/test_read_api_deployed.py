"""Data out, as deployed: the read API answers through API Gateway's proxy event into the built zip with the key in
its Authorization header, a page never near Lambda's 6 MB response limit however long the answers; a key's scope is
refused there with the documented 403; webhook endpoints are managed through it by a key with that scope; the jobs
function never sends a webhook to a private address."""
from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.services import PastAnswer, create_api_key, create_invitation, import_history, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024  # synchronous invocation payload (Lambda quotas page); the front answers 502
LONG = "Pengiriman lambat dan kemasan rusak, tapi penjual ramah. " * 250  # about 14 KB of answer per response
COUNT = 500  # MAX_LIMIT of one page: without the byte budget, 500 x 14 KB = 7 MB would not fit


@pytest.fixture(scope="module")
def long_answers(deployed):
    """A survey whose responses are long enough that one page of the largest `limit` would outgrow Lambda's limit."""
    store = deployed.store()
    survey = make_survey(store)
    now = datetime.now(timezone.utc)
    import_history(store, survey, (PastAnswer(answers={"nps": i % 11, "reason": f"{i:04d} {LONG}"}, language="id",
                                              properties={"store": "Solo"}, submitted_at=now - timedelta(minutes=i))
                                   for i in range(COUNT)), "Asia/Jakarta")
    return survey


def test_a_page_of_long_answers_crosses_api_gateway_under_lambdas_limit_and_the_cursor_gives_every_one(
        deployed, long_answers):
    key = create_api_key(deployed.store(), "crm", "owner@example.test", scopes=["read"])
    client, headers = deployed.client(), {"Authorization": f"Bearer {key}"}
    url, seen, sizes = f"/api/v1/surveys/{long_answers.id}/responses?limit=500", [], []
    while url:
        page = client.get(url, headers=headers)
        assert page.status == 200, page.text[:300]
        assert page.header("Content-Type") == "application/json"
        sizes.append(len(page.body))
        body = json.loads(page.body)
        seen += [r["response_id"] for r in body["responses"]]
        cursor = body["next_cursor"]
        url = f"/api/v1/surveys/{long_answers.id}/responses?limit=500&cursor={cursor}" if cursor else ""
    assert len(seen) == COUNT == len(set(seen))
    assert len(sizes) >= 2 and max(sizes) < LAMBDA_RESPONSE_LIMIT * 0.7, sizes  # the 4 MB budget, not the count


def test_a_key_without_the_scope_is_refused_through_the_front_with_the_documented_json(deployed, long_answers):
    key = create_api_key(deployed.store(), "till", "owner@example.test", scopes=["purchases"])
    refused = deployed.client().get(f"/api/v1/surveys/{long_answers.id}/summary",
                                    headers={"Authorization": f"Bearer {key}"})
    assert refused.status == 403 and refused.header("Content-Type") == "application/json"
    assert json.loads(refused.body)["error"]["code"] == "scope_refused"
    unsigned = deployed.client().get("/api/v1/surveys")
    assert unsigned.status == 401 and json.loads(unsigned.body)["error"]["code"] == "unauthorized"


class Listener:
    """A receiver on this machine: counts the connections it is offered (none may come)."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.url = f"https://127.0.0.1:{self.socket.getsockname()[1]}/hooks/survey"

    def offered(self) -> int:
        count = 0
        while True:
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                return count
            connection.close()
            count += 1


def test_the_jobs_function_refuses_to_deliver_a_webhook_to_a_private_address_and_logs_why(deployed):
    """What the deployed jobs function does with a pending delivery whose endpoint points inside (here 127.0.0.1,
    as an address stored before the check or rebound since): no connection is made, the log says why. A delivery to
    a listening receiver cannot be shown here: deliver() connects only to an address it resolved and found public,
    and this machine has none (its only addresses are loopback, 192.0.2.2 and fd00::2); the signed request itself
    is checked by tests/integration/test_webhooks.py with a test resolver."""
    listener, store = Listener(), deployed.store()
    hook = {"id": "deployed-private", "url": listener.url, "events": ["response.created"], "secret": "whsec_x",
            "created_by": "owner@example.test", "created_at": datetime.now(timezone.utc).isoformat()}
    store.put_webhook(hook)  # as stored before the address was judged (the page refuses it today)
    try:
        survey = make_survey(store)
        invitation = create_invitation(store, survey, customer_name="Sari", email="sari.hook@example.test")
        submit_response(store, survey, {"nps": 3, "reason": "Kurir tersesat"}, language="id",
                        submission_id=new_submission_id(), invitation=invitation)  # records the pending delivery
        outcome = deployed.invoke_scheduled("production_jobs", "survey_app.jobs.send_alerts_event").result
        assert outcome.get("webhook_pending", 0) >= 1 and not outcome.get("webhook_delivered"), outcome
        (logged,) = store.delivery_log(hook["id"], 10)
        assert logged["state"] == "pending" and logged["attempts"] == 1
        assert logged["last_status"] == "refused: The address must be reachable on the public internet."
        assert listener.offered() == 0
    finally:
        store.delete_webhook(hook["id"])
        listener.socket.close()


def test_webhook_endpoints_are_managed_through_the_front_by_a_webhooks_key_and_a_private_address_is_refused(deployed):
    store = deployed.store()
    manager = {"Authorization": f"Bearer {create_api_key(store, 'crm', 'owner@example.test', scopes=['webhooks'])}",
               "Content-Type": "application/json"}
    body = json.dumps({"url": "https://127.0.0.1/hooks", "events": ["case.created"]}).encode()
    refused = deployed.client().request("POST", "/api/v1/webhooks", body, manager)
    assert refused.status == 400, refused.text
    assert json.loads(refused.body)["error"]["message"] == "The address must be reachable on the public internet."
    listed = deployed.client().get("/api/v1/webhooks", headers=manager)
    assert listed.status == 200 and all(h["url"] != "https://127.0.0.1/hooks" for h in json.loads(listed.body)["webhooks"])
    reader = {"Authorization": f"Bearer {create_api_key(store, 'bi', 'owner@example.test', scopes=['read'])}"}
    forbidden = deployed.client().get("/api/v1/webhooks", headers=reader)
    assert forbidden.status == 403 and json.loads(forbidden.body)["error"]["code"] == "scope_refused"
