"""Answering inside WhatsApp: a score typed in reply to the invitation is recorded exactly as the web records it,
once under Meta's retries, and the web and the chat each refuse what the other answered first. Runs on moto and
on DynamoDB Local (the `store` fixture)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from survey_app.channels import ChannelError
from survey_app.domain.conversation import ChatText, InboundMessage
from survey_app.errors import AlreadyAnswered
from survey_app.services import reconcile, submit_response
from survey_app.services.chat_answers import handle_reply, remember_chat_invitation
from survey_app.services.common import local_day
from tests.factories import make_invitation, make_survey
from tests.racing import Spans, all_at_once

PHONE = "+6281234567890"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


class Outbox:
    """Stands in for the WhatsApp channel's send(): keeps what would go out and answers with an id like Meta's."""

    def __init__(self):
        self.sent = []

    def __call__(self, message) -> str:
        self.sent.append(message)
        return f"wamid.out{len(self.sent)}"


def inbound(text: str, wamid: str = "wamid.in1", at: datetime = NOW, **fields) -> InboundMessage:
    """What A's webhook parses from Meta's `messages[]` entry of type text (developers.facebook.com/docs/whatsapp/
    cloud-api/webhooks/payload-examples#text-messages): the sender's wa_id with '+', the wamid, the time."""
    return InboundMessage(message_id=wamid, phone=PHONE, received_at=at.isoformat(), kind=fields.pop("kind", "text"),
                          text=text, **fields)


@pytest.fixture
def chat(store):
    """A post-purchase survey and one invitation sent by WhatsApp with the number-reply template."""
    survey = make_survey(store, default_language="id")
    invitation = make_invitation(store, survey, phone=PHONE)
    remember_chat_invitation(store, invitation, "survey_invitation_number", NOW - timedelta(minutes=5))
    return survey, invitation


def _day(store, survey):
    return store.daily_counters(survey.id, local_day(NOW, "Asia/Jakarta"), local_day(NOW, "Asia/Jakarta")).get(
        local_day(NOW, "Asia/Jakarta"), {})


def test_a_score_typed_in_the_chat_is_recorded_like_a_web_answer(store, chat):
    survey, invitation = chat
    outbox = Outbox()
    assert handle_reply(store, inbound(" 9 "), outbox, NOW) is True
    response = store.get_response(survey.id, invitation.token)
    assert response.answers == {"nps": 9}
    assert response.language == "id" and response.properties == {"product": "Kopi", "store": "Bandung"}
    assert store.get_invitation(invitation.token).answered_at == NOW.isoformat()
    day = _day(store, survey)
    assert (day["n"], day["promoter"], day["q#nps#v9"]) == (1, 1, 1)


def test_a_low_score_in_the_chat_opens_a_case_like_on_the_web(store, chat):
    survey, invitation = chat
    handle_reply(store, inbound("tiga"), Outbox(), NOW)
    case = store.case_or_none(survey.id, invitation.token)
    assert case is not None and case.score == 3 and case.phone == PHONE


def test_the_same_reply_delivered_twice_is_recorded_once(store, chat):
    survey, _ = chat
    outbox = Outbox()
    assert handle_reply(store, inbound("9"), outbox, NOW) is True
    assert handle_reply(store, inbound("9"), outbox, NOW) is True
    assert _day(store, survey)["n"] == 1
    assert len(outbox.sent) == 1  # the retry sends nothing either


def test_two_messages_with_a_score_count_the_first_only(store, chat):
    survey, invitation = chat
    handle_reply(store, inbound("9", "wamid.a"), Outbox(), NOW)
    handle_reply(store, inbound("7", "wamid.b", NOW + timedelta(seconds=2)), Outbox(), NOW)
    assert _day(store, survey)["n"] == 1
    assert store.get_response(survey.id, invitation.token).answers["nps"] == 9


def test_a_web_answer_after_a_chat_score_is_already_answered(store, chat):
    survey, invitation = chat
    handle_reply(store, inbound("9"), Outbox(), NOW)
    with pytest.raises(AlreadyAnswered):
        submit_response(store, survey, {"nps": 3}, language="id", submission_id="f" * 32,
                        invitation=store.get_invitation(invitation.token))
    assert _day(store, survey)["n"] == 1


def test_a_chat_score_after_a_web_answer_records_nothing_and_says_so_once(store, chat):
    survey, invitation = chat
    submit_response(store, survey, {"nps": 3}, language="id", submission_id="f" * 32, invitation=invitation)
    outbox = Outbox()
    assert handle_reply(store, inbound("9", "wamid.a"), outbox, NOW) is True
    assert handle_reply(store, inbound("10", "wamid.b"), outbox, NOW) is True
    assert store.get_response(survey.id, invitation.token).answers == {"nps": 3}
    assert _day(store, survey)["n"] == 1
    assert outbox.sent == [ChatText(PHONE, "Terima kasih! Survei ini sudah dijawab, jadi tidak perlu apa-apa lagi.")]


def test_a_message_that_is_not_a_score_is_left_for_the_owner(store, chat):
    survey, _ = chat
    outbox = Outbox()
    assert handle_reply(store, inbound("Pesanan saya belum sampai"), outbox, NOW) is False
    assert _day(store, survey).get("n") is None and outbox.sent == []


def test_a_score_from_a_phone_without_a_chat_invitation_is_not_ours(store):
    assert handle_reply(store, inbound("9"), Outbox(), NOW) is False


def test_a_score_after_a_link_only_invitation_is_not_read_as_an_answer(store):
    survey = make_survey(store)
    invitation = make_invitation(store, survey, phone=PHONE)
    remember_chat_invitation(store, invitation, "survey_invitation", NOW)
    assert handle_reply(store, inbound("9"), Outbox(), NOW) is False


def test_a_score_for_an_expired_invitation_is_not_recorded(store):
    survey = make_survey(store)
    # the reply comes ten days past the link's life, forty after the question: expired by the message's time, not
    # by the real clock, since the invitation and its chat pointer carry its expiry as their TTL and DynamoDB Local
    # deletes items whose TTL has passed (AWS within days): a vanished invitation would refuse it for another reason
    invitation = make_invitation(store, survey, phone=PHONE)
    remember_chat_invitation(store, invitation, "survey_invitation_number", NOW)
    later = datetime.fromisoformat(invitation.expires_at) + timedelta(days=10)
    assert store.chat_pointer(PHONE) and store.invitation_or_none(invitation.token)  # both there when it comes
    assert handle_reply(store, inbound("9", at=later), Outbox(), later) is False
    assert not store.response_exists(survey.id, invitation.token)


def _state(store, invitation):
    return store.chat_state(invitation.token)


def _reply_to_list(row_id: str, title: str, wamid: str, at: datetime) -> InboundMessage:
    """An interactive list_reply as A's webhook parses it (Meta: messages[].interactive.list_reply {id, title})."""
    return inbound(title, wamid, at, kind="list_reply", reply_id=row_id)


def test_the_follow_ups_come_one_by_one_and_each_answer_joins_the_same_response(store, chat):
    survey, invitation = chat
    outbox = Outbox()
    handle_reply(store, inbound("9", "wamid.1", NOW), outbox, NOW)
    assert outbox.sent == [ChatText(PHONE, "Apa alasan utama Anda memberikan nilai tersebut?")]
    assert handle_reply(store, inbound("Pengiriman cepat", "wamid.2", NOW + timedelta(minutes=1)), outbox, NOW) is True
    product = outbox.sent[-1]
    assert product.body == "Seberapa puas Anda dengan produknya?" and product.button == "Pilih"
    assert product.choices == (("csat_product:1", "1 - Sangat tidak puas"), ("csat_product:2", "2"),
                               ("csat_product:3", "3"), ("csat_product:4", "4"), ("csat_product:5", "5 - Sangat puas"))
    assert handle_reply(store, _reply_to_list("csat_product:4", "4", "wamid.3", NOW + timedelta(minutes=2)),
                        outbox, NOW) is True
    assert outbox.sent[-1].body == "Seberapa puas Anda dengan pengirimannya?"
    assert handle_reply(store, inbound("lima", "wamid.4", NOW + timedelta(minutes=3)), outbox, NOW) is True
    assert outbox.sent[-1] == ChatText(PHONE, "Terima kasih atas jawaban Anda!") and len(outbox.sent) == 4
    response = store.get_response(survey.id, invitation.token)
    assert response.answers == {"nps": 9, "reason": "Pengiriman cepat", "csat_product": 4, "csat_delivery": 5}
    day = _day(store, survey)
    assert (day["n"], day["q#csat_product#n"], day["q#csat_product#v4"], day["q#csat_delivery#top2"]) == (1, 1, 1, 1)
    assert [c.text for c in store.comments_between(survey.id, "2000", "9999", 5)] == ["Pengiriman cepat"]
    assert _state(store, invitation).outcome == "finished"


def test_a_reason_after_a_low_score_is_added_to_its_case(store, chat):
    survey, invitation = chat
    handle_reply(store, inbound("2", "wamid.1", NOW), Outbox(), NOW)
    handle_reply(store, inbound("Barangnya rusak", "wamid.2", NOW + timedelta(minutes=1)), Outbox(), NOW)
    assert store.case_or_none(survey.id, invitation.token).comment == "Barangnya rusak"


def test_a_follow_up_answer_delivered_twice_is_added_once_and_the_next_question_sent_once(store, chat):
    survey, invitation = chat
    outbox = Outbox()
    handle_reply(store, inbound("9", "wamid.1", NOW), outbox, NOW)
    reason = inbound("Murah", "wamid.2", NOW + timedelta(minutes=1))
    assert handle_reply(store, reason, outbox, NOW) is True
    assert handle_reply(store, reason, outbox, NOW) is True
    assert len(outbox.sent) == 2
    assert store.get_response(survey.id, invitation.token).answers["reason"] == "Murah"


def test_text_where_a_rating_was_asked_is_asked_again_once_then_the_chat_stops(store, chat):
    survey, invitation = chat
    outbox = Outbox()
    handle_reply(store, inbound("9", "wamid.1", NOW), outbox, NOW)
    handle_reply(store, inbound("Murah", "wamid.2", NOW + timedelta(minutes=1)), outbox, NOW)
    assert handle_reply(store, inbound("lumayan", "wamid.3", NOW + timedelta(minutes=2)), outbox, NOW) is False
    reask = outbox.sent[-1]
    assert reask.body.startswith("Mohon pilih salah satu dari daftar") and len(reask.choices) == 5
    assert handle_reply(store, inbound("bagus deh", "wamid.4", NOW + timedelta(minutes=3)), outbox, NOW) is False
    assert handle_reply(store, inbound("oke", "wamid.5", NOW + timedelta(minutes=4)), outbox, NOW) is False
    assert len(outbox.sent) == 3  # score -> reason question, reason -> rating, one re-ask; nothing after
    assert _state(store, invitation).outcome == "stopped"
    assert "csat_product" not in store.get_response(survey.id, invitation.token).answers


def test_an_answer_after_the_re_ask_is_taken(store, chat):
    survey, invitation = chat
    outbox = Outbox()
    handle_reply(store, inbound("9", "wamid.1", NOW), outbox, NOW)
    handle_reply(store, inbound("Murah", "wamid.2", NOW + timedelta(minutes=1)), outbox, NOW)
    handle_reply(store, inbound("lumayan", "wamid.3", NOW + timedelta(minutes=2)), outbox, NOW)
    assert handle_reply(store, inbound("3", "wamid.4", NOW + timedelta(minutes=3)), outbox, NOW) is True
    assert store.get_response(survey.id, invitation.token).answers["csat_product"] == 3


def test_no_follow_up_is_sent_once_the_window_has_closed(store, chat):
    survey, invitation = chat
    outbox = Outbox()
    late = NOW + timedelta(hours=25)  # Meta retried the delivery for a day
    assert handle_reply(store, inbound("9", "wamid.1", NOW), outbox, late) is True
    assert store.get_response(survey.id, invitation.token).answers == {"nps": 9}
    assert outbox.sent == [] and _state(store, invitation).outcome == "window_closed"


def test_a_reply_long_after_the_question_is_not_taken_as_its_answer(store, chat):
    survey, invitation = chat
    handle_reply(store, inbound("9", "wamid.1", NOW), Outbox(), NOW)
    two_days = NOW + timedelta(days=2)
    assert handle_reply(store, inbound("Kapan promo lagi?", "wamid.2", two_days), Outbox(), two_days) is False
    assert "reason" not in store.get_response(survey.id, invitation.token).answers


def test_a_message_written_before_the_question_is_not_its_answer(store, chat):
    """Meta may deliver out of order: 'and fast' sent with the score must not become the reason."""
    survey, invitation = chat
    handle_reply(store, inbound("9", "wamid.2", NOW), Outbox(), NOW)
    assert handle_reply(store, inbound("mantap", "wamid.1", NOW - timedelta(seconds=3)), Outbox(), NOW) is False
    assert "reason" not in store.get_response(survey.id, invitation.token).answers


def test_the_personal_link_says_already_answered_after_a_chat_score(store, chat, client):
    survey, invitation = chat
    handle_reply(store, inbound("9"), Outbox(), NOW)
    page = client.get(f"/s/{invitation.token}?lang=en")
    assert page.status_code == 200 and "This link has already been used" in page.get_data(as_text=True)


def test_a_question_that_cannot_be_sent_leaves_the_score_recorded(store, chat):
    survey, invitation = chat

    def refused(message):
        raise ChannelError("WhatsApp API 400: (#131047) Re-engagement message")
    assert handle_reply(store, inbound("9"), refused, NOW) is True
    assert store.get_response(survey.id, invitation.token).answers == {"nps": 9}


@pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)  # moto's in-process tables are not thread-safe
def test_concurrent_deliveries_of_scores_and_of_a_follow_up_answer_count_once(store, chat):
    """Meta may deliver the same message to two Lambda instances at once, and a customer may tap twice."""
    survey, invitation = chat
    outbox, deliveries = Outbox(), Spans()
    scores = [inbound(str(score), f"wamid.s{score}") for score in (9, 9, 8, 7)]
    store.client  # one client, shared by the threads (boto3 clients are thread-safe)
    reply = deliveries.timed(handle_reply, "score")
    assert all(all_at_once([lambda m=m: reply(store, m, outbox, NOW) for m in scores]))
    reason = inbound("Cepat", "wamid.reason", NOW + timedelta(minutes=1))
    follow_up = deliveries.timed(handle_reply, "reason")
    all_at_once([lambda: follow_up(store, reason, outbox, NOW)] * 4)
    assert deliveries.most_at_once(lambda name: name == "score") >= 2, deliveries.spans
    assert deliveries.most_at_once(lambda name: name == "reason") >= 2, deliveries.spans
    assert _day(store, survey)["n"] == 1
    answers = store.get_response(survey.id, invitation.token).answers
    assert answers["reason"] == "Cepat" and answers["nps"] in (9, 8, 7)
    assert [type(m).__name__ for m in outbox.sent] == ["ChatText", "ChatChoices"]  # each question sent once
    drift = reconcile(store, survey)
    assert drift.clean and drift.responses == 1, drift.items


def test_the_chat_items_expire_with_their_invitation(store, chat):
    survey, invitation = chat
    handle_reply(store, inbound("9"), Outbox(), NOW)
    expires = int(datetime.fromisoformat(invitation.expires_at).timestamp())
    for pk in (f"CHAT#{PHONE}", f"INV#{invitation.token}"):
        item = store.client.get_item(TableName=store.table_name, Key={"pk": {"S": pk}, "sk": {"S": "CHAT"}})["Item"]
        assert int(item["expires_epoch"]["N"]) == expires, pk


def test_an_opted_out_customer_is_asked_nothing_more_and_their_messages_go_to_the_owner(store, chat):
    survey, invitation = chat
    outbox = Outbox()
    handle_reply(store, inbound("9", "wamid.1", NOW), outbox, NOW)
    store.opt_out(PHONE, NOW.isoformat())  # "berhenti" between two answers (the webhook handles the stop word)
    assert handle_reply(store, inbound("Murah", "wamid.2", NOW + timedelta(minutes=1)), outbox, NOW) is False
    assert len(outbox.sent) == 1 and "reason" not in store.get_response(survey.id, invitation.token).answers


def test_a_survey_without_an_nps_question_takes_no_score_in_the_chat(store):
    survey = make_survey(store, template="after_sales_csat")
    invitation = make_invitation(store, survey, phone=PHONE)
    remember_chat_invitation(store, invitation, "survey_invitation_number", NOW)
    assert handle_reply(store, inbound("5"), Outbox(), NOW) is False
    assert not store.response_exists(survey.id, invitation.token)
