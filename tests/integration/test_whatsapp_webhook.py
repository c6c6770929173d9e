"""The WhatsApp Cloud API webhook on both engines: Meta's handshake, signatures on the raw body, whole batches
refused when malformed, statuses that only move forward and count each funnel stage once, a failed invitation
falling back to e-mail once (sent by the sender, never by the webhook), stop words, replies threaded into open
cases, unknown numbers kept in the inbox, and Meta-style retries (the same batch three times, reordered)."""
from __future__ import annotations

import email
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from survey_app.channels.email_ses import SesEmail
from survey_app.channels.whatsapp import WhatsAppCloud
from survey_app.domain.models import Delivery
from survey_app.services import Sender, create_invitation, save_survey, send_due, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests import whatsapp_payloads as meta
from tests.conftest import REGION
from tests.factories import make_survey
from tests.http_fakes import graph_api

NOW = datetime.now(timezone.utc).replace(microsecond=0)
PHONE = "+6281234567890"
SENDER = "survey@toko.test"


@pytest.fixture
def graph():
    with graph_api() as (fake, base):
        yield fake, base


@pytest.fixture
def ses():
    with mock_aws():  # SES only on DynamoDB Local (moto lets a non-AWS endpoint through)
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        yield ses_backends[DEFAULT_ACCOUNT_ID][REGION]


@pytest.fixture
def wa_app(app, graph, ses):
    _, base = graph
    app.config.update(WHATSAPP_APP_SECRET=meta.APP_SECRET, WHATSAPP_VERIFY_TOKEN=meta.VERIFY_TOKEN,
                      WHATSAPP_API_BASE=base, WHATSAPP_PHONE_NUMBER_ID="1055", WHATSAPP_TOKEN="wa-token",
                      SES_SENDER=SENDER)
    return app


@pytest.fixture
def post(wa_app):
    client = wa_app.test_client()

    def post_payload(payload, secret=meta.APP_SECRET):
        body, headers = meta.signed(payload, secret)
        return client.post("/webhooks/whatsapp", data=body, headers=headers)
    return post_payload


@pytest.fixture
def sender(graph, ses):
    _, base = graph
    return Sender(channels={"email": SesEmail(SENDER, REGION),
                            "whatsapp": WhatsAppCloud(api_base=base, phone_number_id="1055", access_token="t")},
                  base_url="https://survey.toko.test", business_name="Toko Nusantara")


def run_sender(app, store, sender, at=NOW):
    with app.app_context():
        return send_due(store, sender, now=at)


def whatsapp_then_email_survey(store):
    return save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("whatsapp", "email"))))


def sent_on_whatsapp(wa_app, store, sender, graph, **fields):
    """An invitation sent through the fake Graph API; returns it with the wamid the API gave it."""
    survey = whatsapp_then_email_survey(store)
    invitation = create_invitation(store, survey, now=NOW - timedelta(days=1), send_at=NOW - timedelta(minutes=1),
                                   **({"customer_name": "Budi", "phone": PHONE, "email": "budi@example.com",
                                       "language": "id"} | fields))
    assert run_sender(wa_app, store, sender) == {"sent": 1}
    fake, _ = graph
    return survey, invitation, f"wamid.fake{len(fake.requests):06d}"


def day_totals(store, survey):
    totals = {}
    for counters in store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values():
        for name, value in counters.items():
            totals[name] = totals.get(name, 0) + value
    return totals


def test_the_handshake_echoes_the_challenge_only_for_our_verify_token(wa_app):
    client = wa_app.test_client()
    ok = client.get("/webhooks/whatsapp", query_string={"hub.mode": "subscribe", "hub.verify_token":
                                                        meta.VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    wrong = client.get("/webhooks/whatsapp", query_string={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                                           "hub.challenge": "1158201444"})
    assert wrong.status_code == 403 and "1158201444" not in wrong.get_data(as_text=True)


def test_unsigned_or_wrongly_signed_posts_get_401_and_change_nothing(wa_app, post, store):
    payload = meta.envelope(meta.text("wamid.A1", "+6285550001", NOW, "halo"))
    assert post(payload, secret="not-the-app-secret").status_code == 401
    body, _ = meta.signed(payload)
    assert wa_app.test_client().post("/webhooks/whatsapp", data=body,
                                     headers={"Content-Type": "application/json"}).status_code == 401
    assert store.inbox() == []


def test_a_malformed_batch_gets_400_and_nothing_of_it_is_processed(post, store):
    good = meta.text("wamid.A2", "+6285550002", NOW, "halo")
    broken = {"messages": [{"from": "6285550003", "type": "text"}]}  # no id, no timestamp
    assert post(meta.envelope(good, broken)).status_code == 400
    assert post({"object": "page", "entry": []}).status_code == 400
    assert store.inbox() == []
    assert post(meta.envelope(good)).status_code == 200 and len(store.inbox()) == 1


def test_statuses_move_forward_only_and_each_funnel_stage_is_counted_once(wa_app, post, store, sender, graph):
    survey, invitation, wamid = sent_on_whatsapp(wa_app, store, sender, graph)
    batch = meta.envelope(meta.status(wamid, "sent", PHONE, NOW), meta.status(wamid, "read", PHONE, NOW),
                          meta.status(wamid, "delivered", PHONE, NOW))
    assert post(batch).status_code == 200
    assert post(meta.envelope(meta.status(wamid, "sent", PHONE, NOW + timedelta(minutes=1)))).status_code == 200
    assert store.get_invitation(invitation.token).delivery_status == "read"
    totals = day_totals(store, survey)
    assert (totals["inv#whatsapp#sent"], totals["inv#whatsapp#delivered"], totals["inv#whatsapp#read"]) == (1, 1, 1)


def test_a_failed_whatsapp_invitation_falls_back_to_email_once_with_its_reason(wa_app, post, store, sender, graph,
                                                                              ses):
    survey, invitation, wamid = sent_on_whatsapp(wa_app, store, sender, graph)
    failed = meta.envelope(meta.status(wamid, "failed", PHONE, NOW, error_code=131026))
    assert post(failed).status_code == 200
    assert ses.sent_messages == []  # the webhook records and queues; the sender sends
    waiting = store.get_invitation(invitation.token)
    assert (waiting.state, waiting.fallback_from) == ("scheduled", "whatsapp")
    assert waiting.failure == "WhatsApp 131026: Message undeliverable"
    assert run_sender(wa_app, store, sender, NOW + timedelta(minutes=1)) == {"sent": 1}
    assert post(failed).status_code == 200  # Meta retries the failure: nothing more happens
    assert run_sender(wa_app, store, sender, NOW + timedelta(minutes=2)) == {}
    (mail,) = ses.sent_messages
    assert email.message_from_string(mail.raw_data)["To"] == "budi@example.com"
    sent = store.get_invitation(invitation.token)
    assert (sent.state, sent.channel, sent.failure) == ("sent", "email", "WhatsApp 131026: Message undeliverable")
    totals = day_totals(store, survey)
    assert (totals["inv#whatsapp#undelivered"], totals["wafail#not_on_whatsapp"], totals["inv#email#sent"]) == (1, 1, 1)


def test_a_failure_with_no_other_channel_goes_to_the_owners_failure_list(wa_app, post, store, sender, graph):
    survey, invitation, wamid = sent_on_whatsapp(wa_app, store, sender, graph, email="")
    assert post(meta.envelope(meta.status(wamid, "failed", PHONE, NOW, error_code=132015))).status_code == 200
    assert [(i.token, i.failure) for i in store.failures_of(survey.id, 10)] == [
        (invitation.token, "WhatsApp 132015: Template is Paused")]
    assert day_totals(store, survey)["wafail#template_paused"] == 1


@pytest.mark.parametrize("words", ["berhenti", "STOP", "Jangan kirim lagi!", "unsubscribe"])
def test_stop_words_opt_out_for_good_and_are_confirmed_once(post, store, graph, words):
    fake, _ = graph
    phone = "+6285550010"
    batch = meta.envelope(meta.text("wamid.S1", phone, NOW, words))
    for _ in range(3):
        assert post(batch).status_code == 200
    assert store.is_opted_out(phone)
    (confirmation,) = fake.requests
    assert confirmation["body"]["to"] == phone.lstrip("+") and confirmation["body"]["type"] == "text"
    assert store.inbox() == []


def test_the_templates_stop_button_opts_out(post, store, graph):
    phone = "+6285550011"
    assert post(meta.envelope(meta.button("wamid.S2", phone, NOW, "STOP", "Berhenti"))).status_code == 200
    assert store.is_opted_out(phone) and len(graph[0].requests) == 1


def test_a_reply_about_an_open_case_joins_its_thread_and_waits_for_its_assignee(post, store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Rina", phone=PHONE, language="id")
    submit_response(store, survey, {"nps": 2, "reason": "Barang rusak"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation, now=NOW)
    store.claim_contact(PHONE, invitation.token, NOW.isoformat(), NOW.isoformat())
    assert post(meta.envelope(meta.text("wamid.R1", PHONE, NOW, "Kapan diganti <b>barangnya</b>?"))).status_code == 200
    (entry,) = store.thread_of(survey.id, invitation.token)
    assert (entry["direction"], entry["text"], entry["author"]) == ("in", "Kapan diganti <b>barangnya</b>?", "Budi")
    assert [e["sk"] for e in store.pending_reply_alerts()] == [entry["sk"]]
    assert store.inbox() == []


def test_messages_from_unknown_numbers_are_kept_in_the_inbox_once_under_retries_and_reordering(post, store):
    values = [meta.text(f"wamid.U{i}", f"+62855501{i:02d}", NOW + timedelta(seconds=i), f"pesan {i}")
              for i in range(6)] + [meta.list_reply("wamid.U9", "+6285550199", NOW, "row-1", "Pilihan satu")]
    rng = random.Random(11)
    for _ in range(3):
        rng.shuffle(values)
        assert post(meta.envelope(*values)).status_code == 200
    inbox = store.inbox()
    assert sorted(m["message_id"] for m in inbox) == sorted(f"wamid.U{i}" for i in (0, 1, 2, 3, 4, 5, 9))


def test_a_status_of_an_invitation_gone_since_is_still_recorded_on_its_message(post, store):
    store.put_message_ref("wamid.GONE", {"kind": "invitation", "token": "erased-token", "survey_id": "s1",
                                         "channel": "whatsapp"}, int(NOW.timestamp()))
    assert post(meta.envelope(meta.status("wamid.GONE", "delivered", PHONE, NOW))).status_code == 200
    assert store.message_ref("wamid.GONE")["status"] == "delivered"
    assert store.daily_counters("s1", "2000-01-01", "2999-12-31") == {}


def test_the_whatsapp_reminder_uses_its_own_template_with_the_stop_button(wa_app, post, store, sender, graph):
    fake, _ = graph
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("whatsapp",),
                                                                              reminder_after_days=3)))
    invitation = create_invitation(store, survey, now=NOW - timedelta(days=1), send_at=NOW - timedelta(minutes=1),
                                   customer_name="Budi", phone=PHONE, language="en")
    assert run_sender(wa_app, store, sender) == {"sent": 1}
    assert run_sender(wa_app, store, sender, NOW + timedelta(days=3, minutes=1)) == {"reminded": 1}
    invitation_body, reminder_body = (r["body"]["template"] for r in fake.requests)
    assert (invitation_body["name"], reminder_body["name"]) == ("survey_invitation", "survey_reminder")
    assert reminder_body["components"][1]["parameters"] == [{"type": "text", "text": invitation.token}]
    assert reminder_body["components"][2]["parameters"] == [{"type": "payload", "payload": "STOP"}]
