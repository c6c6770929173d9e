"""Closing the loop: cases for detractors and complaints, the workflow, one-tap contact, alerts by
e-mail (moto SES) and signed webhook (a local receiver), retried and recorded when they fail."""
from __future__ import annotations

import json
import re
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from survey_app.budget import Budget
from survey_app.channels.email_ses import SesEmail
from survey_app.channels.webhook import Webhook, signature
from survey_app.services import Alerter, create_invitation, send_alerts, submit_response, update_case
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import REGION, csrf_token
from tests.factories import make_survey
from tests.http_fakes import serving

NOW = datetime.now(timezone.utc)


def answer(store, survey, score, comment="", **invitation_fields):
    invitation = create_invitation(store, survey, **({"customer_name": "Rina", "phone": "+6281234567890",
                                                      "language": "id"} | invitation_fields))
    answers = {"nps": score} | ({"reason": comment} if comment else {})
    submit_response(store, survey, answers, language="id", submission_id=new_submission_id(),
                    invitation=invitation, now=NOW)
    return invitation


def test_detractors_and_complaints_open_cases_and_happy_customers_do_not(store):
    survey = make_survey(store)
    detractor = answer(store, survey, 4, "Pengiriman lama sekali")
    complaint = answer(store, survey, 8, "Admin tidak membalas chat, kecewa")
    answer(store, survey, 10, "Mantap, cepat dan ramah")
    cases = {c.response_id: c for c in store.open_cases(survey.id)}
    assert set(cases) == {detractor.token, complaint.token}
    case = cases[detractor.token]
    assert case.reason == "detractor" and case.score == 4 and case.phone == "+6281234567890"
    assert case.due_at == (NOW + timedelta(hours=48)).isoformat()
    assert cases[complaint.token].reason == "complaint"


def test_case_workflow_with_notes_median_and_asking_again(client, owner, store):
    survey = make_survey(store)
    invitation = answer(store, survey, 2, "Barang rusak")
    owner.login()
    board = client.get(f"/owner/surveys/{survey.id}/cases").get_data(as_text=True)
    assert 'id="open-cases">1<' in board and "Barang rusak" in board
    url = f"/owner/surveys/{survey.id}/cases/{invitation.token}"
    page = client.get(url).get_data(as_text=True)
    whatsapp = re.search(r'id="reach-whatsapp" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert whatsapp.startswith("https://wa.me/6281234567890?text=")
    assert "Halo Rina" in urllib.parse.unquote(whatsapp)
    token = csrf_token(client, url)
    client.post(url, data={"csrf_token": token, "status": "contacted", "assignee": "ani@toko.test",
                           "note": "Ditelepon, kirim pengganti"})
    done = client.post(url, data={"csrf_token": token, "status": "resolved", "assignee": "ani@toko.test",
                                  "note": "Pengganti diterima", "ask_again": "y"})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and 'id="new-link"' in text
    new_token = re.search(r'/s/([A-Za-z0-9_-]{12})"', text).group(1)
    assert store.get_invitation(new_token).phone == "+6281234567890"
    case = store.get_case(survey.id, invitation.token)
    assert case.status == "resolved" and [n["text"] for n in case.notes] == ["Ditelepon, kirim pengganti",
                                                                            "Pengganti diterima"]
    assert case.contacted_at and case.resolved_at and case.notes[0]["by"] == "owner@example.test"
    board = client.get(f"/owner/surveys/{survey.id}/cases").get_data(as_text=True)
    assert 'id="open-cases">0<' in board and store.resolution_histogram(survey.id) == {0: 1}


def test_a_stale_case_form_does_not_overwrite_newer_changes(client, owner, store):
    survey = make_survey(store)
    invitation = answer(store, survey, 1)
    owner.login()
    url = f"/owner/surveys/{survey.id}/cases/{invitation.token}"
    token = csrf_token(client, url)
    stale = store.get_case(survey.id, invitation.token)
    client.post(url, data={"csrf_token": token, "status": "contacted", "note": "first"})
    from survey_app.services import update_case

    assert update_case(store, stale, status="resolved", assignee="", note="late", author="x") is None
    assert store.get_case(survey.id, invitation.token).status == "contacted"


class Receiver(BaseHTTPRequestHandler):
    deliveries: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).deliveries.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.deliveries, Receiver.status = [], 200
    with serving(Receiver) as url:
        yield Receiver, f"{url}/hooks/survey"


@pytest.fixture
def alerter(receiver, app):
    with mock_aws():
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="alerts@toko.test")
        _, url = receiver
        yield Alerter(email=SesEmail("alerts@toko.test", REGION), recipients=("owner@toko.test",),
                      webhook=Webhook(url, "s3cret", sleep=lambda seconds: None),
                      dashboard_url="https://survey.toko.test", language="en")


def test_new_case_alerts_by_email_and_signed_webhook_once(store, alerter, receiver):
    survey = make_survey(store)
    invitation = answer(store, survey, 3, "Kurir kasar <script>alert(1)</script>")
    assert send_alerts(store, alerter, now=NOW) == {"alerted": 1}
    assert send_alerts(store, alerter, now=NOW) == {}
    (mail,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert mail.destinations == {"ToAddresses": ["owner@toko.test"]} or "owner@toko.test" in str(mail.destinations)
    assert "&lt;script&gt;" in mail.raw_data and "<script>alert" not in mail.raw_data.split("text/html", 1)[1]
    fake, _ = receiver
    ((headers, body),) = fake.deliveries
    assert headers["X-Survey-Signature"] == signature("s3cret", headers["X-Survey-Timestamp"], body)
    payload = json.loads(body)
    assert payload["event"] == "case.opened" and payload["data"]["response_id"] == invitation.token
    assert store.get_case(survey.id, invitation.token).alerted_at


def test_failing_webhook_is_retried_recorded_and_given_up_after_a_limit(store, alerter, receiver):
    fake, _ = receiver
    fake.status = 503
    survey = make_survey(store)
    invitation = answer(store, survey, 0)
    outcomes = [send_alerts(store, alerter, now=NOW) for _ in range(5)]
    assert outcomes[:4] == [{"alert_retry": 1}] * 4 and outcomes[4] == {"alert_failed": 1}
    assert len(fake.deliveries) == 15  # 3 attempts per run, 5 runs
    case = store.get_case(survey.id, invitation.token)
    assert case.alerted_at and len(case.alert_failures) == 5 and "503" in case.alert_failures[0]


def test_a_failed_target_is_retried_alone_and_the_others_are_never_told_twice(store, alerter, receiver):
    fake, _ = receiver
    fake.status = 503
    survey = make_survey(store)
    invitation = answer(store, survey, 2)
    assert send_alerts(store, alerter, now=NOW) == {"alert_retry": 1}
    fake.status = 200
    assert send_alerts(store, alerter, now=NOW) == {"alerted": 1}
    assert len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages) == 1  # the e-mail went out once
    assert len(fake.deliveries) == 4  # three attempts in the failed run, one in the next
    case = store.get_case(survey.id, invitation.token)
    assert case.alerts_delivered == ("email:owner@toko.test", "webhook") and case.alert_failed_runs == 1


def test_an_alert_run_never_overwrites_a_colleagues_edit(store, alerter, receiver):
    fake, _ = receiver
    fake.status = 503
    survey = make_survey(store)
    invitation = answer(store, survey, 1)
    case = store.get_case(survey.id, invitation.token)
    assert update_case(store, case, status="contacted", assignee="ani", note="Called, will refund",
                       author="ani@toko.test", now=NOW)
    send_alerts(store, alerter, now=NOW)
    case = store.get_case(survey.id, invitation.token)
    assert case.status == "contacted" and [n["text"] for n in case.notes] == ["Called, will refund"]
    assert update_case(store, case, status="resolved", assignee="ani", note="", author="ani@toko.test", now=NOW)
    case = store.get_case(survey.id, invitation.token)  # ...and a colleague's edit keeps the alert's records
    assert case.alert_failed_runs == 1 and case.alerts_delivered == ("email:owner@toko.test",)


def test_no_alert_target_is_started_without_time_left_to_finish_it(store, alerter, receiver):
    survey = make_survey(store)
    invitation = answer(store, survey, 0)
    assert send_alerts(store, alerter, now=NOW, budget=Budget(seconds=25, margin=10)) == {"left_for_next_run": 1}
    fake, _ = receiver
    assert fake.deliveries == [] and ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages == []
    assert not store.get_case(survey.id, invitation.token).alerted_at
