"""The teammates' NPS summary: once per person, period and channel in the fake mail (moto SES) and the fake
WhatsApp Cloud API, even when two runs go at once; in each person's language; an unsubscribe link that works
without signing in."""
from __future__ import annotations

import importlib
import json
import re
import sys
import threading
import types
from datetime import date, datetime, time, timedelta, timezone
from email import message_from_string, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from survey_app import jobs
from survey_app.channels.email_ses import SesEmail
from survey_app.channels.whatsapp import WhatsAppCloud
from survey_app.services import create_invitation, digest, submit_response
from survey_app.services.digest import (DigestSettings, due_periods, representative, send_digests,
                                        unsubscribe_token)
from survey_app.domain.models import Comment
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import REGION, csrf_token
from tests.factories import make_survey
from tests.http_fakes import graph_api
from tests.racing import Spans, all_at_once

# this week's Monday by the real clock: the answers' invitations carry their expiry (30 days on) as a TTL, and
# DynamoDB Local deletes items whose TTL has passed (AWS too, within days), so a fixed past week would rot
TODAY = datetime.now(ZoneInfo("Asia/Jakarta")).date()
MONDAY = TODAY - timedelta(days=TODAY.weekday())
MONDAY_8 = datetime.combine(MONDAY, time(1), timezone.utc)  # Monday 08:00 in Jakarta
LAST_WEEK = MONDAY_8 - timedelta(days=5) + timedelta(hours=2)  # Wednesday of the week the digest covers
WEEK = (MONDAY - timedelta(days=7), MONDAY - timedelta(days=1))  # the last full week, Monday to Sunday
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")
SENDER = "digest@toko.test"
SECRET = "s" * 40


def in_indonesian(day: date) -> str:
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


WEEK_ID = f"{in_indonesian(WEEK[0])} – {in_indonesian(WEEK[1])}"


def answer(store, survey, score, comment, when=LAST_WEEK):
    invitation = create_invitation(store, survey, customer_name="Rina", phone="+6281234567890", now=when)
    submit_response(store, survey, {"nps": score, "reason": comment}, language="id",
                    submission_id=new_submission_id(), invitation=invitation, now=when)


@pytest.fixture
def channels(app):
    with mock_aws(), graph_api() as (fake, base):
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        with app.app_context():
            yield fake, {"email": SesEmail(SENDER, REGION),
                         "whatsapp": WhatsAppCloud(api_base=base, phone_number_id="1055", access_token="t")}


def mails():
    return [message_from_string(m.raw_data, policy=policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages]


def settings(app):
    return DigestSettings(business_name="Toko Kopi", public_url="https://survey.toko.test", tz_name="Asia/Jakarta",
                          secret_key=app.secret_key)


@pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)  # two threads: moto is not thread-safe
def test_the_weekly_digest_arrives_once_per_person_and_channel_even_when_two_runs_go_at_once(
        app, store, channels, monkeypatch):
    fake, built = channels
    survey = make_survey(store)
    for score, comment in ((2, "Pengiriman lama sekali, kurir telat tiga hari"), (3, "Kurirnya lambat"),
                           (10, "Harga terlalu mahal tapi kopinya enak"), (9, "Mantap")):
        answer(store, survey, score, comment)
    store.put_digest_preference("ani@toko.test", "weekly", True, "+6281111111111", "id")
    store.put_digest_preference("ben@toko.test", "weekly", True, "", "en")
    store.put_digest_preference("cici@toko.test", "daily", False, "+6282222222222", "id")
    store.put_digest_preference("dodi@toko.test", "off", True, "", "id")
    # each run waits at its first claim (Ani's e-mail) for the other: both passed the "already sent?" read, so
    # the conditional claim alone decides, every time, which run sends it
    first_claims, waited, claim = threading.Barrier(2, timeout=30), set(), store.claim_digest

    def claim_together(*args):
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            first_claims.wait()
        return claim(*args)

    monkeypatch.setattr(store, "claim_digest", claim_together)
    runs = Spans()

    def run():
        with app.app_context():
            return send_digests(store, built, settings(app), now=MONDAY_8)

    results = all_at_once([runs.timed(run)] * 2)
    assert runs.most_at_once() == 2, runs.spans
    assert sorted(m["To"] for m in mails()) == ["ani@toko.test", "ben@toko.test"]
    assert sorted(r["body"]["to"] for r in fake.requests) == ["6281111111111", "6282222222222"]  # the API takes digits
    total = results[0] + results[1]
    assert (total["email_sent"], total["whatsapp_sent"]) == (2, 2)
    assert total["already_sent"] >= 1, results  # the loser of Ani's e-mail claim, at least
    monkeypatch.setattr(store, "claim_digest", claim)
    assert send_digests(store, built, settings(app), now=MONDAY_8 + timedelta(hours=5)) == {}  # a later run: nothing
    assert len(mails()) == 2 and len(fake.requests) == 2
    assert store.digest_record("ani@toko.test", f"weekly#{WEEK[1].isoformat()}", "email")["state"] == "sent"


def test_the_digest_speaks_the_persons_language_with_its_numbers_themes_and_a_representative_comment(
        app, store, channels):
    fake, built = channels
    survey = make_survey(store)
    for score, comment in ((2, "Pengiriman lama sekali, kurir telat tiga hari"), (3, "Kurirnya lambat"),
                           (10, "Harga terlalu mahal tapi kopinya enak <b>")):
        answer(store, survey, score, comment)
    store.put_digest_preference("ani@toko.test", "weekly", True, "+6281111111111", "id")
    send_digests(store, built, settings(app), now=MONDAY_8)
    (mail,) = mails()
    assert " ".join(mail["Subject"].split()) == f"Toko Kopi: ringkasan NPS mingguan Anda ({WEEK_ID})"
    text = mail.get_body(("plain",)).get_content()
    # both detractors' cases have waited past their 48 hours
    assert "NPS -33" in text and "Detraktor baru: 2" in text and "Lewat tenggat: 2" in text
    assert "Pengiriman" in text and '"Pengiriman lama sekali, kurir telat tiga hari"' in text  # delivery, top theme
    html = mail.get_body(("html",)).get_content()
    assert "kopinya enak &lt;b&gt;" in html and "enak <b>" not in html
    assert mail["List-Unsubscribe"].startswith("<https://survey.toko.test/owner/digest/stop/")
    ((request),) = fake.requests
    template = request["body"]["template"]
    assert template["name"] == "nps_digest" and template["language"]["code"] == "id"
    period, summary = (p["text"] for p in template["components"][0]["parameters"])
    assert period == WEEK_ID
    assert "NPS -33" in summary and "detraktor baru 2" in summary and "\n" not in summary


def test_nothing_goes_before_seven_in_the_morning_and_the_weekly_one_covers_the_last_full_week():
    assert due_periods(datetime(2026, 11, 29, 23, 0, tzinfo=timezone.utc), "Asia/Jakarta") == {}  # 06:00 WIB
    periods = due_periods(datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc), "Asia/Jakarta")  # Wednesday 08:00
    assert (periods["weekly"].first_day, periods["weekly"].last_day) == ("2026-11-23", "2026-11-29")
    assert (periods["daily"].first_day, periods["daily"].last_day) == ("2026-12-01", "2026-12-01")


def test_a_failed_send_is_recorded_and_not_tried_again(app, store, channels):
    fake, built = channels
    fake.fail_with = 131026
    store.put_digest_preference("cici@toko.test", "daily", False, "+6282222222222", "id")
    assert send_digests(store, built, settings(app), now=MONDAY_8) == {"whatsapp_failed": 1}
    assert store.digest_record("cici@toko.test", f"daily#{WEEK[1].isoformat()}", "whatsapp")["state"] == "failed"
    fake.fail_with = None
    assert send_digests(store, built, settings(app), now=MONDAY_8) == {}
    assert len(fake.requests) == 1


def test_the_representative_comment_comes_from_the_themes_usual_group_and_names_it_alone():
    def comment(text, score, themes):
        return Comment("s", text, "2026-11-25", "reason", text, score, themes=themes)

    comments = [comment("Kurir telat dan harga mahal", 2, ("delivery", "price")),
                comment("Kurir telat", 3, ("delivery",)), comment("Kirim cepat", 10, ("delivery",))]
    assert representative(comments, "delivery") == "Kurir telat"
    assert representative(comments, "service") == ""


def test_the_unsubscribe_link_asks_then_stops_the_digest_without_a_login(app, client, store, channels):
    _, built = channels
    store.put_digest_preference("ben@toko.test", "weekly", True, "", "en")
    link = f"/owner/digest/stop/{unsubscribe_token(app.secret_key, 'ben@toko.test')}?lang=en"
    page = client.get(link)
    assert page.status_code == 200 and "ben@toko.test" in page.get_data(as_text=True)
    assert store.digest_preference("ben@toko.test")["frequency"] == "weekly"  # a mail scanner's GET changes nothing
    stopped = client.post(link)  # RFC 8058 one-click: no session, no CSRF token
    assert stopped.status_code == 200 and 'id="digest-stopped"' in stopped.get_data(as_text=True)
    assert store.digest_preference("ben@toko.test")["frequency"] == "off"
    assert send_digests(store, built, settings(app), now=MONDAY_8) == {}
    forged = unsubscribe_token("another secret" * 3, "ben@toko.test")
    assert client.post(f"/owner/digest/stop/{forged}").status_code == 404


def test_each_teammate_sets_their_own_digest_on_its_page(client, owner, store):
    owner.login(email="agent@toko.test", role="agent")
    token = csrf_token(client, "/owner/account/digest")
    saved = client.post("/owner/account/digest", data={"csrf_token": token, "frequency": "daily", "email_on": "y",
                                               "whatsapp": "0812-3456-7890", "language": "id"})
    assert saved.status_code == 302
    assert store.digest_preference("agent@toko.test") == {
        "pk": "DIGESTPREF", "sk": "agent@toko.test", "email": "agent@toko.test", "frequency": "daily",
        "email_on": True, "whatsapp_to": "+6281234567890", "language": "id"}
    refused = client.post("/owner/account/digest", data={"csrf_token": token, "frequency": "daily",
                                                         "whatsapp": "call me", "language": "id"})
    assert refused.status_code == 400
    assert re.search(r"WhatsApp", refused.get_data(as_text=True))
    no_csrf = client.post("/owner/account/digest", data={"frequency": "daily", "language": "id"})
    assert no_csrf.status_code == 400


def test_the_hourly_schedule_names_the_jobs_entry_point_that_sends_the_digest(app, store, monkeypatch):
    """zappa_settings.json's production_jobs stage runs survey_app.jobs.digests_event every hour, and that entry
    point reaches the digest with the app's settings and the Lambda's remaining time as its budget."""
    stage = json.loads((Path(__file__).resolve().parents[2] / "zappa_settings.json").read_text())["production_jobs"]
    (event,) = [e for e in stage["events"] if e["function"].endswith("digests_event")]
    module, name = event["function"].rsplit(".", 1)
    assert getattr(importlib.import_module(module), name) is jobs.digests_event
    assert event["expression"] == "rate(1 hour)"
    calls = []
    monkeypatch.setattr(digest, "send_digests", lambda *args, **kwargs: calls.append(kwargs) or {"email_sent": 1})
    monkeypatch.setitem(sys.modules, "survey_app.wsgi", types.SimpleNamespace(app=app))  # the Lambda's app

    class Context:
        def get_remaining_time_in_millis(self):
            return 120_000

    assert jobs.digests_event({}, Context()) == {"email_sent": 1}
    assert 100 < calls[0]["budget"].remaining() <= 120
