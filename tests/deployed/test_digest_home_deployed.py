"""The digest and the owner's home as deployed. The jobs function runs the digest from the EventBridge event Zappa's
hourly rule sends (twice: a repeated run sends nothing more), through SES (moto server) and the WhatsApp Cloud API
(a local fake of the Graph API); each teammate who asked gets one message per channel, in their language. The home
page, through API Gateway's proxy event, shows an Indonesian viewer Indonesian numbers and dates, and a case's time
in the business's zone (WIB)."""
from __future__ import annotations

import email
import json
import re
import urllib.request
import uuid
from datetime import datetime, timezone
from email import policy
from zoneinfo import ZoneInfo

import pytest

from survey_app.services import create_invitation, create_owner, submit_response
from survey_app.services.digest import SEND_HOUR, save_preference
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey
from tests.http_fakes import graph_api

JOBS = "production_digest_jobs"
DIGESTS = "survey_app.jobs.digests_event"
PASSWORD = "correct horse battery staple"
INDONESIAN = {"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"}  # what a browser set to Indonesian sends
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")
ANSWERED = datetime(2026, 1, 14, 18, 5, tzinfo=timezone.utc)  # 15 January 2026, 01:05 in Jakarta: before any period


def digest_zone(now: datetime) -> str | None:
    """The production zone (Asia/Jakarta) once its day's digests are due (from SEND_HOUR local time); before that
    hour (17:00-24:00 UTC) a zone where they already are, so the test runs at any hour. None: keep production's."""
    if now.astimezone(ZoneInfo("Asia/Jakarta")).hour >= SEND_HOUR:
        return None
    return "Pacific/Kiritimati"  # UTC+14: 07:00-14:00 while Jakarta is before 07:00


@pytest.fixture(scope="module")
def digest_jobs(deployed):
    """A jobs stage of this tier's own: production_jobs (its schedule, timeout and SSM-read token) with only the
    Cloud API's address and phone-number id added, as tests/deployed/test_whatsapp_through_the_front.py does."""
    with graph_api() as (fake, base):
        env = deployed.stage_config("production")["environment_variables"] | {
            "SURVEY_WHATSAPP_API_BASE": base, "SURVEY_WHATSAPP_PHONE_NUMBER_ID": "1077"}
        zone = digest_zone(datetime.now(timezone.utc))
        if zone:
            env["SURVEY_TIMEZONE"] = zone
        deployed.add_stage(JOBS, {"extends": "production_jobs", "environment_variables": env}, ())
        yield fake


def sent_mail(deployed, address: str) -> list[email.message.EmailMessage]:
    """The messages moto's SES accepted for `address` (its /moto-api/data.json state, SendRawEmail's list)."""
    with urllib.request.urlopen(f"{deployed.moto_endpoint}/moto-api/data.json", timeout=10) as response:
        sent = json.loads(response.read())["ses"]["RawMessage"]
    return [email.message_from_string(m["raw_data"], policy=policy.default) for m in sent
            if address in m["destinations"]]


def run_digests(deployed) -> dict:
    invocation = deployed.invoke_scheduled(JOBS, DIGESTS)
    assert invocation.error is None, deployed.logs(JOBS)[-3000:]
    return invocation.result


def test_the_digest_job_sends_each_teammate_one_message_per_channel_in_their_language(deployed, digest_jobs):
    store = deployed.store()
    survey = make_survey(store)
    for score in (10, 9, 2):
        submit_response(store, survey, {"nps": score}, language="id", submission_id=new_submission_id())
    tag = uuid.uuid4().hex[:8]
    rina, budi, sari = (f"{name}-{tag}@example.test" for name in ("rina", "budi", "sari"))
    phone = f"+62813{uuid.uuid4().int % 10**7:07d}"
    for address, frequency, whatsapp, language in ((rina, "weekly", phone, "id"), (budi, "daily", "", "en"),
                                                   (sari, "off", "", "id")):
        create_owner(store, address, PASSWORD, "viewer")
        save_preference(store, address, frequency, True, whatsapp, language, "62")

    first, again = run_digests(deployed), run_digests(deployed)

    assert first.get("email_sent", 0) >= 2 and first.get("whatsapp_sent", 0) >= 1, first
    assert "email_sent" not in again and "whatsapp_sent" not in again, again  # the second run found them sent
    (to_rina,), (to_budi,) = sent_mail(deployed, rina), sent_mail(deployed, budi)
    assert sent_mail(deployed, sari) == []
    assert "ringkasan NPS mingguan Anda" in to_rina["Subject"]
    assert "your NPS summary of" in to_budi["Subject"]
    assert to_rina["List-Unsubscribe"] and "/owner/digest/stop/" in to_rina["List-Unsubscribe"]
    (template,) = [r["body"] for r in digest_jobs.requests if r["body"]["to"] == phone.lstrip("+")]
    assert template["type"] == "template" and template["template"]["language"]["code"] == "id"


def test_the_home_page_shows_an_indonesian_viewer_indonesian_numbers_and_dates(deployed):
    store = deployed.store()
    survey = make_survey(store)
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()  # the business's day, not UTC's
    store.add_counters(survey.id, f"DAY#{today.isoformat()}", {"n": 1500, "promoter": 1000, "passive": 300,
                                                                "detractor": 200})
    # its link lives until a month past the real today: the invitation's TTL is its expiry, and DynamoDB Local
    # deletes items whose TTL has passed (AWS too, within days), so a link dated January could vanish before the
    # answer reaches it (the case page itself reads the case, not the invitation)
    alive_for = (datetime.now(timezone.utc) - ANSWERED).days + 30
    invitation = create_invitation(store, survey, customer_name="Rina", phone="+6281234567890", now=ANSWERED,
                                   lifetime_days=alive_for)
    submit_response(store, survey, {"nps": 2, "reason": "Kurir telat"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation, now=ANSWERED)
    viewer_email = f"viewer-{uuid.uuid4().hex[:8]}@example.test"
    create_owner(store, viewer_email, PASSWORD, "viewer")
    viewer = deployed.client()
    token = viewer.get("/login", headers=INDONESIAN).csrf_token()
    signed_in = viewer.post("/login", {"csrf_token": token, "email": viewer_email, "password": PASSWORD},
                            headers={"Referer": f"{deployed.url}/login"} | INDONESIAN)
    assert signed_in.status == 302, signed_in.status

    home = viewer.get("/owner/", headers=INDONESIAN)
    assert home.status == 200 and '<html lang="id"' in home.text
    glance = re.search(rf'<li id="survey-{survey.id}">.*?</li>', home.text, re.S).group(0)
    assert re.search(r'class="value this-week">1\.500<', glance), glance
    assert re.search(r'class="value nps">\+53<', glance), glance
    assert "NPS seluruh bisnis" in home.text and "Kasus terbuka" in home.text
    assert f"{today.day} {MONTHS_ID[today.month - 1]} {today.year}" in home.text  # the period ends today, in WIB

    case = viewer.get(f"/owner/surveys/{survey.id}/cases/{invitation.token}", headers=INDONESIAN)
    assert case.status == 200 and "15 Januari 2026 01.05 WIB" in case.text and "18:05" not in case.text
