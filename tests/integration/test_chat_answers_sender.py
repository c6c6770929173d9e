"""The whole WhatsApp path without the webhook: the real sender sends the number-reply invitation to a fake Graph
API, the customer's typed score and follow-up answers come back, and the questions go out through the same
WhatsApp channel, rendered as Meta's interactive messages."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from survey_app.channels.whatsapp import WhatsAppCloud
from survey_app.domain.conversation import InboundMessage
from survey_app.errors import StoreUnavailable
from survey_app.services import Sender, create_invitation, send_due
from survey_app.services.chat_answers import handle_reply
from tests.factories import make_survey
from tests.http_fakes import graph_api

PHONE = "+6281234567890"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def whatsapp():
    """The fake Graph API that records what we send, and the real WhatsApp channel pointed at it."""
    with graph_api() as (fake, base):
        yield fake, WhatsAppCloud(api_base=base, phone_number_id="1055", access_token="wa-token")


def _sent_invitation(app, store, channel, template):
    survey = make_survey(store, default_language="id")
    invitation = create_invitation(store, survey, customer_name="Budi", phone=PHONE, language="id",
                                   now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1))
    sender = Sender(channels={"whatsapp": channel}, base_url="https://survey.toko.test", business_name="Toko",
                    invitation_template=template)
    with app.app_context():
        assert send_due(store, sender, now=NOW) == {"sent": 1}
    return survey, invitation


def _reply(text, wamid, minutes, **fields):
    return InboundMessage(wamid, PHONE, (NOW + timedelta(minutes=minutes)).isoformat(), fields.pop("kind", "text"),
                          text, **fields)


def test_a_number_reply_to_the_sent_template_is_answered_in_the_chat_through_the_channel(app, store, whatsapp):
    fake, channel = whatsapp
    survey, invitation = _sent_invitation(app, store, channel, "survey_invitation_number")
    assert fake.requests[0]["body"]["template"]["name"] == "survey_invitation_number"
    assert handle_reply(store, _reply("8", "wamid.in1", 1), channel.send, NOW + timedelta(minutes=1)) is True
    question = fake.requests[-1]["body"]
    assert question["type"] == "text" and question["to"] == PHONE.lstrip("+")
    assert handle_reply(store, _reply("Cepat", "wamid.in2", 2), channel.send, NOW + timedelta(minutes=2)) is True
    rating = fake.requests[-1]["body"]["interactive"]
    assert rating["type"] == "list" and len(rating["action"]["sections"][0]["rows"]) == 5
    row = rating["action"]["sections"][0]["rows"][4]
    assert handle_reply(store, _reply(row["title"], "wamid.in3", 3, kind="list_reply", reply_id=row["id"]),
                        channel.send, NOW + timedelta(minutes=3)) is True
    answers = store.get_response(survey.id, invitation.token).answers
    assert answers == {"nps": 8, "reason": "Cepat", "csat_product": 5}
    assert store.get_response(survey.id, invitation.token).channel == "whatsapp"


def test_a_number_reply_to_a_link_only_template_is_not_taken_as_a_score(app, store, whatsapp):
    fake, channel = whatsapp
    survey, invitation = _sent_invitation(app, store, channel, "survey_invitation")
    assert handle_reply(store, _reply("8", "wamid.in1", 1), channel.send, NOW) is False
    assert not store.response_exists(survey.id, invitation.token) and len(fake.requests) == 1


def test_a_chat_pointer_that_cannot_be_written_never_fails_the_send(app, store, whatsapp, monkeypatch):
    fake, channel = whatsapp

    def unavailable(*args):
        raise StoreUnavailable("DynamoDB put_item failed: throttled")
    monkeypatch.setattr(store, "point_chat", unavailable)
    survey, invitation = _sent_invitation(app, store, channel, "survey_invitation_number")
    assert store.get_invitation(invitation.token).state == "sent"
    assert handle_reply(store, _reply("8", "wamid.in1", 1), channel.send, NOW) is False  # the link still works


def test_a_number_reply_to_the_chat_surveys_reminder_is_the_score(app, store, whatsapp):
    fake, channel = whatsapp
    survey = make_survey(store, default_language="id")
    invitation = create_invitation(store, survey, customer_name="Budi", phone=PHONE, language="id",
                                   now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1))
    sender = Sender(channels={"whatsapp": channel}, base_url="https://survey.toko.test", business_name="Toko",
                    invitation_template="survey_invitation_number", reminder_template="survey_reminder_number")
    later = NOW + timedelta(days=survey.delivery.reminder_after_days, minutes=1)
    with app.app_context():
        assert send_due(store, sender, now=NOW) == {"sent": 1}
        assert send_due(store, sender, now=later) == {"reminded": 1}
    assert fake.requests[-1]["body"]["template"]["name"] == "survey_reminder_number"
    assert handle_reply(store, _reply("7", "wamid.in1", 60 * 24 * 3 + 5), channel.send, later) is True
    assert store.get_response(survey.id, invitation.token).answers == {"nps": 7}
