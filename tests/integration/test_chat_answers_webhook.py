"""Answering inside WhatsApp through the signed webhook, on both engines: the invitation goes out through the fake
Graph API with the number-reply template, and Meta-shaped notifications (text, interactive list_reply and
button_reply) come back on POST /webhooks/whatsapp, retried and reordered as Meta does."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from survey_app.channels.whatsapp import WhatsAppCloud
from survey_app.domain.models import SINGLE, Option, Question, Text
from survey_app.services import Sender, create_invitation, send_due
from tests import whatsapp_payloads as meta
from tests.factories import make_survey
from tests.http_fakes import graph_api

NOW = datetime.now(timezone.utc).replace(microsecond=0)
PHONE = "+6281234567890"
RESOLVED = Question("resolved", SINGLE, Text("Was it delivered complete?", "Apakah pesanan diterima lengkap?"),
                    options=(Option("yes", Text("Yes", "Ya")), Option("partly", Text("Partly", "Sebagian")),
                             Option("no", Text("No", "Tidak"))))


def button_reply(wamid: str, phone: str, at: datetime, button_id: str, title: str) -> dict:
    """A reply button tapped: messages[].interactive {type: button_reply, button_reply: {id, title}} (Meta's
    webhooks/payload-examples, "Reply Button" and webhooks/reference/messages/interactive)."""
    return meta._message(wamid, phone, at, "Budi", "interactive", {"interactive": {
        "type": "button_reply", "button_reply": {"id": button_id, "title": title}}})


@pytest.fixture
def graph():
    with graph_api() as (fake, base):
        yield fake, base


@pytest.fixture
def chat(app, store, graph):
    """A survey whose last question has three options (reply buttons), sent with the number-reply template."""
    fake, base = graph
    app.config.update(WHATSAPP_APP_SECRET=meta.APP_SECRET, WHATSAPP_API_BASE=base, WHATSAPP_PHONE_NUMBER_ID="1055",
                      WHATSAPP_TOKEN="wa-token")
    survey = make_survey(store, default_language="id", extra_questions=(RESOLVED,))
    invitation = create_invitation(store, survey, customer_name="Budi", phone=PHONE, language="id",
                                   now=NOW - timedelta(days=1), send_at=NOW - timedelta(minutes=5))
    sender = Sender(channels={"whatsapp": WhatsAppCloud(api_base=base, phone_number_id="1055", access_token="t")},
                    base_url="https://survey.toko.test", business_name="Toko",
                    invitation_template="survey_invitation_number")
    with app.app_context():
        assert send_due(store, sender, now=NOW - timedelta(minutes=5)) == {"sent": 1}
    client = app.test_client()

    def post(*values):
        body, headers = meta.signed(meta.envelope(*values))
        answer = client.post("/webhooks/whatsapp", data=body, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    return survey, invitation, fake, post


def _at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_a_whole_survey_answered_in_the_chat_through_the_webhook(store, chat):
    survey, invitation, fake, post = chat
    post(meta.text("wamid.c1", PHONE, _at(0), "9"))
    assert fake.requests[-1]["body"]["text"]["body"] == "Apa alasan utama Anda memberikan nilai tersebut?"
    post(meta.text("wamid.c2", PHONE, _at(1), "Pengiriman cepat"))
    listed = fake.requests[-1]["body"]["interactive"]
    assert listed["type"] == "list" and listed["action"]["button"] == "Pilih"
    rows = listed["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [f"csat_product:{v}" for v in range(1, 6)]
    assert all(len(r["title"]) <= 24 for r in rows)
    post(meta.list_reply("wamid.c3", PHONE, _at(2), rows[3]["id"], rows[3]["title"]))
    post(meta.text("wamid.c4", PHONE, _at(3), "5"))
    buttons = fake.requests[-1]["body"]["interactive"]
    assert buttons["type"] == "button"
    assert [b["reply"] for b in buttons["action"]["buttons"]] == [
        {"id": "resolved:yes", "title": "Ya"}, {"id": "resolved:partly", "title": "Sebagian"},
        {"id": "resolved:no", "title": "Tidak"}]
    post(button_reply("wamid.c5", PHONE, _at(4), "resolved:partly", "Sebagian"))
    assert fake.requests[-1]["body"]["text"]["body"] == "Terima kasih atas jawaban Anda!"
    assert store.get_response(survey.id, invitation.token).answers == {
        "nps": 9, "reason": "Pengiriman cepat", "csat_product": 4, "csat_delivery": 5, "resolved": "partly"}


def test_meta_retrying_and_reordering_the_score_and_a_second_score_count_once(store, chat):
    survey, invitation, fake, post = chat
    first, second = meta.text("wamid.r1", PHONE, _at(0), "9"), meta.text("wamid.r2", PHONE, _at(0), "9")
    post(first)
    post(first)
    post(second, first)
    counters = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    assert sum(day.get("n", 0) for day in counters.values()) == 1
    assert sum(day.get("inv#whatsapp#answered", 0) for day in counters.values()) == 1
    assert len(fake.requests) == 2  # the invitation and the one follow-up question


def test_a_text_where_a_rating_was_asked_is_re_asked_once_and_kept_for_the_owner(store, chat):
    survey, invitation, fake, post = chat
    post(meta.text("wamid.m1", PHONE, _at(0), "3"))
    post(meta.text("wamid.m2", PHONE, _at(1), "Kurirnya telat"))
    sent_before = len(fake.requests)
    post(meta.text("wamid.m3", PHONE, _at(2), "pokoknya kecewa"))
    post(meta.text("wamid.m4", PHONE, _at(3), "sudah ya"))
    assert len(fake.requests) == sent_before + 1  # one re-ask, no loop
    assert fake.requests[-1]["body"]["interactive"]["body"]["text"].startswith("Mohon pilih salah satu")
    assert store.case_or_none(survey.id, invitation.token).comment == "Kurirnya telat"  # the reason joined the case
    thread = [entry["text"] for entry in store.thread_of(survey.id, invitation.token)]
    assert thread == ["pokoknya kecewa", "sudah ya"]  # not answers: the owner reads them in the case's thread


def nfm_reply(wamid: str, phone: str, at: datetime, response_json: str) -> dict:
    """A WhatsApp Flow completed: messages[].interactive {type: nfm_reply, nfm_reply: {name: "flow", body: "Sent",
    response_json: <a JSON string with the flow_token>}} (Meta's webhooks/reference/messages/interactive)."""
    return meta._message(wamid, phone, at, "Budi", "interactive", {"interactive": {
        "type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": response_json}}})


def test_a_quick_reply_tap_or_a_flow_reply_is_no_answer_to_a_chat_question_and_is_kept_for_the_owner(store, chat):
    survey, invitation, fake, post = chat
    post(meta.text("wamid.f1", PHONE, _at(0), "10"))
    post(meta.button("wamid.f2", PHONE, _at(1), "LATER", "Nanti saja"))
    assert fake.requests[-1]["body"]["text"]["body"].startswith("Mohon balas dengan beberapa kata.")
    sent = len(fake.requests)
    post(nfm_reply("wamid.f3", PHONE, _at(2), '{"flow_token": "%s", "reason": "Cepat"}' % invitation.token))
    assert len(fake.requests) == sent  # the second miss ends the chat quietly
    assert store.get_response(survey.id, invitation.token).answers == {"nps": 10}
    assert sorted(m["message_id"] for m in store.inbox()) == ["wamid.f2", "wamid.f3"]  # the owner reads them
