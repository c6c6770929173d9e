"""Answering inside WhatsApp: a score typed in reply to the invitation is recorded exactly as the web records it,
once under Meta's retries, and the web and the chat each refuse what the other answered first. Runs on moto and
on DynamoDB Local (the `store` fixture)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from survey_app.domain.conversation import ChatText, InboundMessage
from survey_app.domain.models import WHATSAPP_CHANNEL
from survey_app.services import submit_response
from survey_app.services.chat_answers import handle_reply, remember_chat_invitation
from survey_app.services.common import local_day
from survey_app.errors import AlreadyAnswered
from tests.factories import make_invitation, make_survey

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
    invitation = make_invitation(store, survey, expired=True, phone=PHONE)
    remember_chat_invitation(store, invitation, "survey_invitation_number", NOW - timedelta(days=40))
    assert handle_reply(store, inbound("9"), Outbox(), NOW) is False
    assert not store.response_exists(survey.id, invitation.token)
