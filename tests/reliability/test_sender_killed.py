"""The send job killed (SIGKILL, as Lambda's timeout or a crash kills it) at random instants over 1,000
invitations: no customer gets two messages, none is lost, none stays stuck. The job runs in its own process on
DynamoDB Local; WhatsApp is a local fake of the Cloud API that counts messages per recipient."""
from __future__ import annotations

import ast
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from survey_app.domain.models import Delivery
from survey_app.services import create_invitation, local_day, save_survey
from survey_app.services.sending import LEASE
from survey_app.store import Store
from tests.conftest import REGION
from tests.factories import make_survey
from tests.http_fakes import serving

ROOT = Path(__file__).resolve().parents[2]
INVITATIONS = int(os.environ.get("SURVEY_KILL_INVITATIONS", "1000"))
REMINDERS = int(os.environ.get("SURVEY_KILL_REMINDERS", "400"))
KILLS = 12
JOB = """
import sys
from datetime import datetime
from survey_app import create_app
from survey_app.jobs import run_send_due
app = create_app()
print("ready", flush=True)
with app.app_context():
    print(dict(run_send_due(now=datetime.fromisoformat(sys.argv[1]))), flush=True)
"""


class CountingWhatsApp(BaseHTTPRequestHandler):
    """Accepts every template message after a provider-like delay and counts it per recipient."""

    received: Counter = Counter()
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(0.02)
        with type(self).lock:
            type(self).received[body["to"]] += 1
            number = sum(type(self).received.values())
        data = json.dumps({"messages": [{"id": f"wamid.{number}"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def job(env: dict[str, str], at: datetime, kill_after: float | None):
    """One run of the send job; with `kill_after`, SIGKILLed that many seconds after it started working."""
    process = subprocess.Popen([sys.executable, "-c", JOB, at.isoformat()], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready", process.stderr.read()[-2000:]
    try:
        out, err = process.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.communicate()
        return None
    assert process.returncode == 0, err[-2000:]
    return ast.literal_eval(out.strip().splitlines()[-1])  # the job prints its outcome counts


def killed_then_finished(env: dict[str, str], at: datetime, rng: random.Random) -> tuple[int, dict]:
    """KILLS runs of the job at `at`, each killed at a random instant; then runs left alone until the queue is
    empty, and once more after the lease for the claims the kills left. Returns the kills and that last run."""
    kills = sum(job(env, at, kill_after=rng.uniform(0.05, 1.5)) is None for _ in range(KILLS))
    while job(env, at, kill_after=None):  # the rest, unharmed
        pass
    stale = job(env, at + LEASE + timedelta(minutes=1), kill_after=None)  # claims whose lease ran out
    assert job(env, at + LEASE + timedelta(minutes=2), kill_after=None) == {}
    return kills, stale


def job_environment(store: Store, whatsapp_url: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION, "SURVEY_ENV": "production",
            "SURVEY_SECRET_KEY": "k" * 40, "SURVEY_PUBLIC_URL": "https://survey.toko.test",
            "SURVEY_TABLE_NAME": store.table_name, "AWS_ENDPOINT_URL_DYNAMODB": store.endpoint_url,
            "SURVEY_WHATSAPP_API_BASE": whatsapp_url, "SURVEY_WHATSAPP_PHONE_NUMBER_ID": "1055",
            "SURVEY_WHATSAPP_TOKEN": "wa-token", "SURVEY_SEND_CONCURRENCY": "8", "SURVEY_SEND_BATCH": "100"}


@pytest.fixture
def local_store(dynamodb_local):
    store = Store(f"survey-kill-{uuid.uuid4().hex[:8]}", REGION, dynamodb_local)
    store.create_table()
    yield store
    store.client.delete_table(TableName=store.table_name)


def test_a_send_job_killed_at_random_instants_messages_each_customer_at_most_once_and_loses_none(local_store):
    store, rng = local_store, random.Random(20261201)
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("whatsapp",),
                                                                               reminder_after_days=0)))
    now = datetime.now(timezone.utc)
    phones = [f"+62812{i:07d}" for i in range(INVITATIONS)]
    tokens = [create_invitation(store, survey, now=now - timedelta(days=1), send_at=now - timedelta(minutes=1),
                                phone=phone, customer_name="Budi", order_ref=f"K-{i}").token
              for i, phone in enumerate(phones)]
    CountingWhatsApp.received = Counter()
    with serving(CountingWhatsApp) as url:
        env = job_environment(store, f"{url}/v21.0")

        kills, stale = killed_then_finished(env, now, rng)
    received = CountingWhatsApp.received
    invitations = [store.get_invitation(token) for token in tokens]
    states = Counter(i.state for i in invitations)
    unconfirmed = {i.phone.lstrip("+") for i in invitations if i.state == "unconfirmed"}
    sent = {i.phone.lstrip("+") for i in invitations if i.state == "sent"}
    never_received = {p.lstrip("+") for p in phones} - set(received)
    # each counted on the owner's day of the run that sent or flagged it (sent_at / send_at: that run's clock)
    expected = Counter((local_day(datetime.fromisoformat(i.sent_at if i.state == "sent" else i.send_at),
                                  "Asia/Jakarta"), f"inv#whatsapp#{i.state}") for i in invitations)
    store.fold_pending(survey.id)  # the job folds from the stream in production; this table has none: fold here
    counted = {(day, name): n for day, values in store.daily_counters(survey.id, "2000-01-01", "2999-12-31").items()
               for name, n in values.items() if name.startswith("inv#") and n}
    assert kills >= KILLS // 2, f"only {kills} runs were killed mid-work: the run did not test what it claims"
    assert max(received.values()) == 1, [p for p, n in received.items() if n > 1][:5]
    assert set(states) <= {"sent", "unconfirmed"}, states
    assert never_received <= unconfirmed  # nobody silently lost: whoever got nothing is flagged for the owner
    assert len(unconfirmed) <= kills * 8  # at most the sends in flight at each kill
    assert sent <= set(received) and set(received) - sent <= unconfirmed  # whoever is counted sent got it
    assert counted == dict(expected), sorted(set(counted.items()) ^ set(expected.items()))
    print(f"kills={kills} received={len(received)} unconfirmed={len(unconfirmed)} stale-run={stale}")


def test_a_reminder_job_killed_at_random_instants_reminds_each_customer_once_at_most_and_counts_each(local_store):
    """The same kills over the reminders of REMINDERS sent invitations: a reminder whose hand-over a kill cut is
    flagged unconfirmed on its invitation and counted so, never sent again; every other one is counted reminded."""
    store, rng = local_store, random.Random(20261202)
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("whatsapp",),
                                                                               reminder_after_days=1)))
    now = datetime.now(timezone.utc)
    phones = [f"+62813{i:07d}" for i in range(REMINDERS)]
    tokens = [create_invitation(store, survey, send_at=now - timedelta(minutes=1), phone=phone,
                                customer_name="Budi", order_ref=f"R-{i}").token for i, phone in enumerate(phones)]
    CountingWhatsApp.received = Counter()
    with serving(CountingWhatsApp) as url:
        env = job_environment(store, f"{url}/v21.0")
        while job(env, now, kill_after=None):  # every invitation sent, unharmed
            pass
        assert sum(CountingWhatsApp.received.values()) == REMINDERS
        kills, stale = killed_then_finished(env, now + timedelta(days=1, minutes=1), rng)
    received = CountingWhatsApp.received
    invitations = [store.get_invitation(token) for token in tokens]
    left = [i.token for i in invitations if i.remind_at or i.reminder_handing_over_at or not i.reminded_at]
    unconfirmed = {i.phone.lstrip("+") for i in invitations if i.failure.startswith("reminder:")}
    reminded = {p.lstrip("+") for p in phones} - unconfirmed
    expected = Counter((local_day(datetime.fromisoformat(i.reminded_at), "Asia/Jakarta"),
                        "inv#whatsapp#reminder_unconfirmed" if i.failure else "inv#whatsapp#reminded")
                       for i in invitations)
    store.fold_pending(survey.id)
    counted = {(day, name): n for day, values in store.daily_counters(survey.id, "2000-01-01", "2999-12-31").items()
               for name, n in values.items() if "#remind" in name and n}
    assert kills >= KILLS // 2, f"only {kills} runs were killed mid-work: the run did not test what it claims"
    assert not left, left[:5]  # none stuck in the queue or mid hand-over
    assert max(received.values()) <= 2, [p for p, n in received.items() if n > 2][:5]  # the invitation + one
    assert {p for p, n in received.items() if n < 2} <= unconfirmed  # nobody silently left unreminded
    assert all(received[p] == 2 for p in reminded)  # whoever is counted reminded got the reminder
    assert len(unconfirmed) <= kills * 8  # at most the reminders in flight at each kill
    assert counted == dict(expected), sorted(set(counted.items()) ^ set(expected.items()))
    print(f"kills={kills} reminders={sum(received.values()) - REMINDERS} unconfirmed={len(unconfirmed)} "
          f"stale-run={stale}")
