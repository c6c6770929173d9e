"""The scheduled sender: e-mail through (moto) SES, WhatsApp through a local fake of the Cloud API, the send
list, failures and retries, fatigue, opt-out, one reminder, concurrent senders and link scanners."""
from __future__ import annotations

import email
import re
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email import policy

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from survey_app.channels.email_ses import SesEmail
from survey_app.channels.whatsapp import WhatsAppCloud
from survey_app.domain.models import Delivery
from survey_app.services import Sender, create_invitation, save_survey, send_due
from tests.conftest import REGION, csrf_token
from tests.factories import answer_page, make_survey
from tests.http_fakes import graph_api
from tests.racing import Spans, all_at_once

SENDER = "survey@toko.test"
BASE = "https://survey.toko.test"
NOW = datetime.now(timezone.utc)


@pytest.fixture
def whatsapp_api():
    """The shared fake of the Cloud API (tests/http_fakes.py) and its base URL."""
    with graph_api() as (fake, base):
        yield fake, base


@pytest.fixture
def ses():
    with mock_aws():
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        yield ses_backends[DEFAULT_ACCOUNT_ID][REGION]


@pytest.fixture
def sender(ses, whatsapp_api):
    _, url = whatsapp_api
    return Sender(channels={"email": SesEmail(f"Toko Nusantara <{SENDER}>", REGION),
                            "whatsapp": WhatsAppCloud(api_base=url, phone_number_id="1055", access_token="wa-token")},
                  base_url=BASE, business_name="Toko Nusantara")


@pytest.fixture
def run(app, store, sender):
    """send_due as the scheduled event runs it (inside the app, for message templates), at a chosen time."""
    def run_at(now=NOW, batch=100):
        with app.app_context():
            return send_due(store, sender, now=now, batch=batch)
    return run_at


def due(store, survey, **fields):
    defaults = {"customer_name": "Budi", "order_ref": fields.pop("order_ref", f"O-{id(fields)}-{len(fields)}")}
    return create_invitation(store, survey, now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1),
                             **(defaults | fields))


def sent_emails(ses):
    return [email.message_from_string(m.raw_data, policy=policy.default) for m in ses.sent_messages]


def survey_with(store, **delivery):
    survey = make_survey(store)
    return save_survey(store, replace(survey, delivery=Delivery(**delivery)))


def test_email_has_a_tappable_scale_and_one_click_unsubscribe(run, store, ses, client):
    survey = survey_with(store)
    invitation = due(store, survey, email="sarah@example.com", language="en", customer_name="Sarah")
    assert run() == {"sent": 1}
    (message,) = sent_emails(ses)
    assert message["To"] == "sarah@example.com" and "Toko Nusantara" in message["Subject"]
    assert message["List-Unsubscribe"] == f"<{BASE}/u/{invitation.token}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    links = re.findall(r'href="([^"]+)"', html)
    assert [f"{BASE}/s/{invitation.token}/{score}" for score in range(11)] == links[:11]
    assert "Hi Sarah" in html and f"{BASE}/s/{invitation.token}" in text
    page = client.get(links[9].removeprefix(BASE))  # a scanner following the link
    assert page.status_code == 200 and re.search(r'<input checked[^>]*value="9"', page.get_data(as_text=True))
    assert list(store.iter_responses(survey.id)) == []
    stored = store.get_invitation(invitation.token)
    assert stored.state == "opened" and stored.channel == "email" and stored.remind_at
    counters = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    assert sum(c.get("inv#email#sent", 0) for c in counters.values()) == 1


def test_whatsapp_template_carries_the_token_as_its_url_button(run, store, whatsapp_api):
    fake, _ = whatsapp_api
    survey = survey_with(store)
    invitation = due(store, survey, phone="+6281234567890", email="budi@example.com", language="id")
    assert run() == {"sent": 1}
    (request,) = fake.requests
    assert request["path"] == "/v21.0/1055/messages" and request["auth"] == "Bearer wa-token"
    body = request["body"]
    assert body["to"] == "6281234567890" and body["template"]["name"] == "survey_invitation"
    assert body["template"]["language"] == {"code": "id"}
    button = body["template"]["components"][1]
    assert button["sub_type"] == "url" and button["parameters"] == [{"type": "text", "text": invitation.token}]
    assert store.get_invitation(invitation.token).channel == "whatsapp"


def test_failed_sends_keep_their_reason_retry_with_backoff_then_wait_for_the_owner(run, store, whatsapp_api, ses,
                                                                                    client, owner):
    fake, _ = whatsapp_api
    fake.fail_with = 131026  # Message undeliverable
    survey = survey_with(store, channels=("whatsapp",))
    invitation = due(store, survey, phone="+6281234567890")
    assert run() == {"retry_scheduled": 1}
    first = store.get_invitation(invitation.token)
    assert first.state == "scheduled" and first.attempts == 1 and "131026" in first.failure
    assert run() == {}  # not due again before its back-off
    assert run(NOW + timedelta(minutes=6)) == {"retry_scheduled": 1}
    assert run(NOW + timedelta(minutes=30)) == {"failed": 1}
    assert store.get_invitation(invitation.token).state == "failed"
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/invitations").get_data(as_text=True)
    assert "Message undeliverable" in page
    fake.fail_with = None
    token = csrf_token(client, f"/owner/surveys/{survey.id}/invitations")
    client.post(f"/owner/surveys/{survey.id}/invitations/{invitation.token}/retry", data={"csrf_token": token})
    assert run(NOW + timedelta(minutes=31)) == {"sent": 1}
    assert len(fake.requests) == 4 and ses.sent_messages == []


def test_no_usable_channel_is_a_recorded_failure(run, store):
    survey = survey_with(store, channels=("email",))
    invitation = due(store, survey, phone="+6281234567890")
    assert run() == {"failed": 1}
    assert "no usable channel" in store.get_invitation(invitation.token).failure


def test_a_contact_is_not_invited_again_within_the_fatigue_window(run, store, ses):
    first, second = (survey_with(store, channels=("email",), reminder_after_days=0) for _ in range(2))
    pair = [due(store, first, email="budi@example.com"), due(store, second, email="budi@example.com")]
    assert run() == {"sent": 1, "skipped": 1}
    (skipped,) = [i for i in map(store.get_invitation, (p.token for p in pair)) if i.state == "skipped"]
    assert "within 30 days" in skipped.failure
    create_invitation(store, second, email="budi@example.com", order_ref="later", send_at=NOW + timedelta(days=31))
    assert run(NOW + timedelta(days=31, minutes=1)) == {"sent": 1}
    assert len(ses.sent_messages) == 2


def test_opt_out_is_asked_on_get_recorded_on_post_and_honoured_forever(run, store, ses, client):
    survey = survey_with(store, channels=("email",))
    invitation = due(store, survey, email="rina@example.com")
    run()
    page = client.get(f"/u/{invitation.token}", headers={"Accept-Language": "en"})
    assert "Stop survey messages?" in page.get_data(as_text=True)
    assert not store.is_opted_out("rina@example.com")
    assert client.post(f"/u/{invitation.token}", data="List-Unsubscribe=One-Click").status_code == 200
    assert store.is_opted_out("rina@example.com")
    again = create_invitation(store, survey, email="rina@example.com", order_ref="again",
                              send_at=NOW + timedelta(days=400))
    assert run(NOW + timedelta(days=400, minutes=1)) == {"opted_out": 1, "reminder_skipped": 1}
    assert store.get_invitation(again.token).state == "opted_out" and len(ses.sent_messages) == 1


def test_exactly_one_reminder_and_none_after_an_answer(run, store, ses, client):
    survey = survey_with(store, channels=("email",), reminder_after_days=3)
    quiet = due(store, survey, email="a@example.com", order_ref="quiet")
    answers = due(store, survey, email="b@example.com", order_ref="answers")
    assert run() == {"sent": 2}
    _, hidden = answer_page(client, f"/s/{answers.token}")
    client.post(f"/s/{answers.token}", data=hidden | {"q_nps": "9"})
    assert run(NOW + timedelta(days=2)) == {}
    assert run(NOW + timedelta(days=3, minutes=1)) == {"reminded": 1}
    assert run(NOW + timedelta(days=10)) == {}
    reminder = sent_emails(ses)[-1]
    assert reminder["To"] == "a@example.com" and "one minute" in reminder["Subject"]
    assert store.get_invitation(quiet.token).reminded_at


def test_expired_before_sending_is_not_sent(run, store, ses):
    survey = survey_with(store, channels=("email",), link_days=1)
    invitation = due(store, survey, email="late@example.com")
    assert run(NOW + timedelta(days=2)) == {"expired": 1}
    assert store.get_invitation(invitation.token).state == "expired" and ses.sent_messages == []


def test_send_list_gives_wa_me_links_and_mark_as_sent(run, store, client, owner):
    survey = survey_with(store, channels=("wa_link",))
    invitation = due(store, survey, phone="+6281234567890", customer_name="Siti", language="id")
    assert run() == {"queued": 1}
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/send-list").get_data(as_text=True)
    link = re.search(r'href="(https://wa.me/6281234567890\?text=[^"]+)"', page).group(1)
    assert "Halo%20Siti" in link and invitation.token in link
    token = csrf_token(client, f"/owner/surveys/{survey.id}/send-list")
    client.post(f"/owner/surveys/{survey.id}/send-list/{invitation.token}/sent", data={"csrf_token": token})
    assert store.get_invitation(invitation.token).state == "sent"
    assert "Nothing waiting" in client.get(f"/owner/surveys/{survey.id}/send-list").get_data(as_text=True)


@pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)  # moto is not thread-safe; AWS's engine is
def test_two_senders_at_once_send_each_invitation_exactly_once(app, store, sender, ses):
    survey = survey_with(store, channels=("email",), reminder_after_days=0)
    tokens = {due(store, survey, email=f"c{i}@example.com", order_ref=f"race-{i}").token for i in range(60)}
    runs = Spans()

    def one_sender():
        with app.app_context():
            return send_due(store, sender, now=NOW, batch=100)

    results = all_at_once([runs.timed(one_sender)] * 2)
    assert runs.most_at_once() == 2, runs.spans  # the runs overlapped
    assert all(r["sent"] > 0 and r["claimed_by_another"] > 0 for r in results), results  # each won and lost claims
    assert sum(r["sent"] for r in results) == 60
    recipients = Counter(m["To"] for m in sent_emails(ses))
    assert recipients == {f"c{i}@example.com": 1 for i in range(60)}  # one e-mail per customer
    assert {store.get_invitation(t).state for t in tokens} == {"sent"}
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert sum(day.get("inv#email#sent", 0) for day in days) == 60  # each send counted once, by one run


def test_scanner_get_and_head_record_nothing_and_the_score_waits_preselected_for_a_persons_tap(store, client):
    survey = make_survey(store)
    invitation = create_invitation(store, survey)
    assert client.head(f"/s/{invitation.token}/8").status_code == 200
    page = client.get(f"/s/{invitation.token}/8")
    text = page.get_data(as_text=True)
    assert re.search(r'<input checked [^>]*name="q_nps"[^>]*value="8"', text)
    assert len(re.findall(r'<button type="submit"', text)) == 1
    nonce = re.search(r'<script nonce="([^"]+)">', text).group(1)
    assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
    script = text.split(f'<script nonce="{nonce}">', 1)[1].split("</script>", 1)[0]
    assert "isTrusted" in script and "setTimeout" not in script and "onload" not in script
    assert list(store.iter_responses(survey.id)) == []
    assert store.get_invitation(invitation.token).answered_at == ""


def test_one_tap_score_then_tell_us_more_adds_to_the_same_response(store, client):
    survey = make_survey(store)
    invitation = create_invitation(store, survey)
    _, hidden = answer_page(client, f"/s/{invitation.token}/3")
    more = client.post(f"/s/{invitation.token}", data=hidden | {"q_nps": "3", "quick": "1"})
    text = more.get_data(as_text=True)
    assert more.status_code == 200 and 'name="q_reason"' in text and 'name="q_nps"' not in text
    submission = re.search(r'name="submission" type="hidden" value="([0-9a-f]+)"', text).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)
    done = client.post(f"/s/{invitation.token}/more", data={"csrf_token": csrf, "submission": submission,
                                                            "q_reason": "Kurir telat", "q_csat_delivery": "1"})
    assert done.status_code == 200
    assert client.post(f"/s/{invitation.token}/more", data={"csrf_token": csrf, "submission": submission,
                                                            "q_reason": "again"}).status_code == 409
    (response,) = store.iter_responses(survey.id)
    assert response.answers == {"nps": 3, "reason": "Kurir telat", "csat_delivery": 1}
    totals = next(iter(store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()))
    assert totals["n"] == 1 and totals["detractor"] == 1 and totals["q#csat_delivery#n"] == 1
    assert [c.text for c in store.latest_comments(survey.id, 5)] == ["Kurir telat"]


def test_send_due_command_reports_outcomes(runner, store, ses):
    result = runner.invoke(args=["send-due"])
    assert result.exit_code == 0 and result.output.strip() == "nothing due"
