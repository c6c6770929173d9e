"""Data out, as deployed: the read API answers through API Gateway's proxy event into the built zip with the key in
its Authorization header, a page never near Lambda's 6 MB response limit however long the answers; a key's scope is
refused there with the documented 403; webhook endpoints are managed through it by a key with that scope; the jobs
function never sends a webhook to a private address, and signs and sends one to a receiver on a public address (where
the machine has one: `make test-webhook-delivery` runs it in a network namespace that gives it one)."""
from __future__ import annotations

import ipaddress
import json
import re
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from survey_app.channels.webhook import verify

from survey_app.services import PastAnswer, create_api_key, create_invitation, import_history, submit_response
from survey_app.services.webhooks import add_webhook
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey

PEM = serialization.Encoding.PEM
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


def public_address() -> str | None:
    """An IPv4 address of this machine on the public internet (what a receiver needs: the jobs function connects
    only to addresses `ipaddress` calls global), or None; a network namespace can give one (see the test below)."""
    shown = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=False).stdout
    found = [ipaddress.ip_address(a) for a in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", shown)]
    return next((str(a) for a in found if a.is_global), None)


PUBLIC = public_address()
IN_A_NAMESPACE = "make test-webhook-delivery (a network namespace whose loopback holds 8.8.8.8)"


class Receiver:
    """An owner's endpoint at https://<public address>: a certificate for that address from a test CA (the function
    trusts it through SSL_CERT_FILE, as sns_host.py does); records each POST's headers and body, answers 204."""

    def __init__(self, address: str, ca_file):
        now = datetime.now(timezone.utc)

        def certificate(subject, key, issuer, issuer_key, ip=None):
            builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                       .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1)))
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip)]), critical=False) if ip \
                else builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            return builder.sign(issuer_key, hashes.SHA256())

        ca_key, server_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
        ca_file.write_bytes(certificate("Webhook test CA", ca_key, "Webhook test CA", ca_key).public_bytes(PEM))
        ca_file.chmod(0o644)  # read by the function's user
        self._private = tempfile.TemporaryDirectory(prefix="webhook-receiver-")
        chain, key = Path(self._private.name) / "server.pem", Path(self._private.name) / "server.key"
        chain.write_bytes(certificate(address, server_key, "Webhook test CA", ca_key,
                                      ipaddress.ip_address(address)).public_bytes(PEM))
        key.write_bytes(server_key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(chain, key)
        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://{address}:{self.server.server_address[1]}/hooks/survey"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self._private.cleanup()


@pytest.mark.skipif(PUBLIC is None, reason=f"no public address to receive on; run it in a namespace: {IN_A_NAMESPACE}")
def test_a_webhook_is_signed_and_sent_by_the_jobs_function_to_a_receiver_on_a_public_address(deployed):
    """The production jobs stage unchanged but for SSL_CERT_FILE (the receiver's test CA): the receiver must be on a
    public address, as deliver() connects only to one, so this runs where the machine has one (a namespace)."""
    receiver = Receiver(PUBLIC, deployed.root / "webhook-test-ca.pem")
    jobs = deployed.stage_config("production_jobs")
    deployed.add_stage("production_jobs_receiver", {"extends": "production_jobs", "aws_environment_variables": {
        **jobs.get("aws_environment_variables", {}), "SSL_CERT_FILE": str(deployed.root / "webhook-test-ca.pem")}}, ())
    store = deployed.store()
    hook = add_webhook(store, receiver.url, ["response.created"], "owner@example.test", require_https=True)
    try:
        survey = make_survey(store)
        invitation = create_invitation(store, survey, customer_name="Sari", email="sari.signed@example.test")
        submit_response(store, survey, {"nps": 3, "reason": "Kurir tersesat"}, language="id",
                        submission_id=new_submission_id(), invitation=invitation)  # records the pending delivery
        outcome = deployed.invoke_scheduled("production_jobs_receiver", "survey_app.jobs.send_alerts_event").result
        assert outcome.get("webhook_delivered", 0) >= 1, outcome
        ((headers, body),) = [r for r in receiver.received if json.loads(r[1])["data"]["response_id"]
                              == invitation.token]
        assert headers["X-Survey-Event"] == "response.created" and headers["X-Survey-Delivery"]
        assert verify(hook["secret"], headers["X-Survey-Timestamp"], body, headers["X-Survey-Signature"], time.time())
        assert not verify("whsec_other", headers["X-Survey-Timestamp"], body, headers["X-Survey-Signature"],
                          time.time())
        assert json.loads(body)["data"]["answers"]["reason"] == "Kurir tersesat"
        (logged,) = store.delivery_log(hook["id"], 10)
        assert (logged["state"], logged["last_status"]) == ("delivered", "answered 204")
        again = deployed.invoke_scheduled("production_jobs_receiver", "survey_app.jobs.send_alerts_event").result
        assert not again.get("webhook_delivered") and len(receiver.received) == 1  # sent once
    finally:
        store.delete_webhook(hook["id"])
        receiver.close()
