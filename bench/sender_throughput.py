"""Scheduled sender throughput on DynamoDB Local, one channel at a time, through the real channel code: the
WhatsApp Cloud API client against a local fake answering in 300 ms, and the SES client (boto3, its endpoint
pointed at a local fake of the SES Query API answering SendRawEmail in 80 ms). Each run is `run_send_due` with the
production settings (8 sends in flight, WhatsApp 80 msg/s, SES 14 msg/s) and a Lambda-like budget; the fakes count
messages per recipient, so duplicates are counted, not assumed."""
from __future__ import annotations

import argparse
import json
import os
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common import dynamodb_local, make_app, new_store, print_result, row

TARGET_PER_HOUR = 20_000


class FakeProvider(BaseHTTPRequestHandler):
    """WhatsApp: JSON `to`; SES Query API: form field `Destinations.member.1` (docs.aws.amazon.com/ses/latest/
    APIReference/API_SendRawEmail.html). Answers after `latency` seconds with the provider's success shape."""

    latency, received, lock = 0.0, Counter(), threading.Lock()

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(type(self).latency)
        if self.headers.get("Content-Type", "").startswith("application/json"):
            recipient = json.loads(body)["to"]
            data, kind = json.dumps({"messages": [{"id": f"wamid.{uuid.uuid4().hex}"}]}).encode(), "application/json"
        else:
            recipient = urllib.parse.parse_qs(body.decode())["Destinations.member.1"][0]
            data = (f'<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult>'
                    f"<MessageId>{uuid.uuid4().hex}</MessageId></SendRawEmailResult><ResponseMetadata><RequestId>"
                    f"{uuid.uuid4()}</RequestId></ResponseMetadata></SendRawEmailResponse>").encode()
            kind = "text/xml"
        with type(self).lock:
            type(self).received[recipient] += 1
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def fake_provider(latency: float):
    FakeProvider.latency, FakeProvider.received = latency, Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProvider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def measure(endpoint: str, channel: str, invitations: int, latency: float) -> tuple[float, int, int]:
    """(seconds, messages, customers messaged twice or more) for `invitations` due on one channel."""
    from dataclasses import replace

    from survey_app.budget import Budget
    from survey_app.domain.models import Delivery
    from survey_app.jobs import run_send_due
    from survey_app.services import create_invitation, save_survey, survey_from_template, utcnow

    store = new_store(endpoint)
    now = utcnow()
    survey = save_survey(store, replace(survey_from_template("post_purchase_nps", now, "id"),
                                        delivery=Delivery(channels=(channel,), reminder_after_days=0)))
    contact = {"whatsapp": lambda i: {"phone": f"+62812{i:07d}"}, "email": lambda i: {"email": f"c{i}@toko.test"}}
    for i in range(invitations):
        create_invitation(store, survey, customer_name="Budi", order_ref=f"T-{i}", now=now - timedelta(days=1),
                          send_at=now - timedelta(minutes=1), **contact[channel](i))
    with fake_provider(latency) as url:
        os.environ["AWS_ENDPOINT_URL_SES"] = url
        app = make_app(store)
        app.config.update(WHATSAPP_API_BASE=url, WHATSAPP_PHONE_NUMBER_ID="1055", WHATSAPP_TOKEN="t",
                          SES_SENDER="Toko <survey@toko.test>")
        started = time.perf_counter()
        with app.app_context():
            outcomes = run_send_due(Budget(270, 30))  # the jobs function: 300 s timeout, 30 s margin
        seconds = time.perf_counter() - started
        os.environ.pop("AWS_ENDPOINT_URL_SES")
    assert outcomes.get("sent") == invitations, outcomes
    received = FakeProvider.received
    return seconds, sum(received.values()), sum(n > 1 for n in received.values())


def run(invitations: int = 1000) -> dict:
    rows, notes = [], []
    with dynamodb_local() as endpoint:
        for channel, latency in (("whatsapp", 0.3), ("email", 0.08)):
            seconds, messages, twice = measure(endpoint, channel, invitations, latency)
            per_hour = messages / seconds * 3600
            rows.append(row(f"Sender, {channel} (provider answers in {latency * 1000:.0f} ms), {invitations:,} due",
                            f"{per_hour:,.0f} invitations/h ({seconds:.1f} s); {twice} customers messaged twice",
                            target=f">= {TARGET_PER_HOUR:,}/h, 0 twice",
                            met=per_hour >= TARGET_PER_HOUR and twice == 0 and messages == invitations))
    from survey_app.config import DEFAULTS

    flight, ses, whatsapp = DEFAULTS["SEND_CONCURRENCY"], DEFAULTS["SES_SEND_RATE"], DEFAULTS["WHATSAPP_SEND_RATE"]
    notes.append(f"the SES ceiling is the account's send rate (SURVEY_SES_SEND_RATE, {ses}/s = {ses * 3600:,}/h by "
                 f"default); WhatsApp's is {whatsapp} msg/s per number; within them, {flight} sends in flight carry "
                 f"300 ms answers at {flight / 0.3:.0f}/s at most")
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invitations", type=int, default=1000)
    print_result(run(**vars(parser.parse_args())))
