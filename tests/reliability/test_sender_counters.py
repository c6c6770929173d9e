"""Lost replies on every delivery counter: DynamoDB did the write, every reply was lost (botocore's five attempts),
the caller gave up, and whoever tries again (the next send run, Meta's or SNS's redelivery of the report) counts
nothing twice (the sent counter's own test is in test_faults.py). Each fault is scripted on the very write that
carries its counter (`where=`), and each test checks that every fault landed there. Only AWS's engine honours a
transaction's ClientRequestToken on botocore's resend (moto ignores it), so these run on DynamoDB Local, the
counters folded from its stream (tests/dynamodb_stream.py). The clock is the real one: DynamoDB Local deletes
items whose TTL has passed, as AWS does, so invitations dated in the past vanish mid-test."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.channels import DeliveryUnknown
from survey_app.domain.conversation import StatusUpdate
from survey_app.domain.models import Delivery
from survey_app.domain.sns import SnsMessage
from survey_app.errors import StoreUnavailable
from survey_app.services import Sender, create_invitation, save_survey, send_due
from survey_app.services.conversations import ChatSettings, record_status
from survey_app.services.email_feedback import record_ses_event
from tests import sns_signing
from tests.factories import make_survey
from tests.integration.test_sending_records import BUSINESS, TZ, ScriptedEmail, counters, day_of, email_survey, run
from tests.reliability.test_faults import ATTEMPTS, TIMEOUT, faults, tally_counters  # noqa: F401 (the fixture)

pytestmark = pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)
NOW = datetime.now(timezone.utc).replace(microsecond=0)
LATER = NOW + timedelta(hours=1)
PHONE = "+6281234567890"


def lose_every_reply(faults, operation: str, counter: str) -> None:  # noqa: F811
    """The write carrying `counter` is done by DynamoDB on each of botocore's attempts; every reply is lost."""
    faults.fail_next(operation, TIMEOUT, times=ATTEMPTS, where=lambda request: counter in tally_counters(request))


def landed_on(faults, operation: str, counter: str) -> bool:  # noqa: F811
    landed = [(f.operation, counter in tally_counters(f.request)) for f in faults.faulted]
    return landed == [(operation, True)] * ATTEMPTS


def due(store, survey, **contact):
    """One invitation due at NOW (an e-mail customer unless told otherwise)."""
    create_invitation(store, survey, now=NOW - timedelta(hours=1), send_at=NOW - timedelta(minutes=1),
                      customer_name="Budi", order_ref="O-1", **(contact or {"email": "c0@example.com"}))


def whatsapp_survey(store):
    return save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("whatsapp",),
                                                                            reminder_after_days=0)))


def test_a_lost_reply_on_the_reminded_counter_counts_the_reminder_once(app, store, faults):  # noqa: F811
    """The transaction recording the reminder with its counter is done on every botocore attempt, every reply
    lost: the sender's own retry finds its mark gone and counts nothing again; the reminder is not sent again."""
    survey = email_survey(store, reminder_after_days=3)
    due(store, survey)
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"sent": 1}
    remind = NOW + timedelta(days=3)
    lose_every_reply(faults, "TransactWriteItems", "inv#email#reminded")
    assert run(app, store, channel, remind) == {"reminded": 1}
    assert run(app, store, channel, remind + timedelta(hours=1)) == {}
    assert counters(store, survey)[day_of(remind)] == {"inv#email#reminded": 1}
    assert landed_on(faults, "TransactWriteItems", "inv#email#reminded") and len(channel.accepted) == 2


def no_usable_channel(store):
    """An e-mail-only customer on a WhatsApp-only survey."""
    survey = whatsapp_survey(store)
    due(store, survey)
    return survey, ScriptedEmail()


def provider_silent(store):
    survey = email_survey(store)
    due(store, survey)
    return survey, ScriptedEmail(DeliveryUnknown("SES did not answer: read timeout"))


def messaged_yesterday(store):
    survey = email_survey(store)
    due(store, survey)
    store.claim_contact("c0@example.com", "another-invitation", (NOW - timedelta(days=1)).isoformat(),
                        (NOW - timedelta(days=30)).isoformat())
    return survey, ScriptedEmail()


def opted_out(store):
    survey = email_survey(store)
    due(store, survey)
    store.opt_out("c0@example.com", (NOW - timedelta(days=1)).isoformat())
    return survey, ScriptedEmail()


@pytest.mark.parametrize("setup, state, counter", [
    (no_usable_channel, "failed", "inv#none#failed"),
    (provider_silent, "unconfirmed", "inv#email#unconfirmed"),
    (messaged_yesterday, "skipped", "inv#none#skipped"),
    (opted_out, "opted_out", "inv#none#opted_out"),
], ids=["failed", "unconfirmed", "skipped", "opted-out"])
def test_a_lost_reply_on_a_state_change_counts_it_once(app, store, faults, setup, state, counter):  # noqa: F811
    survey, channel = setup(store)
    lose_every_reply(faults, "TransactWriteItems", counter)
    assert run(app, store, channel, NOW) == {"store_unavailable": 1}  # the run gave up on this one...
    assert run(app, store, channel, LATER) == {}  # ...and the next finds it done: nothing to redo, nothing recounted
    (invitation,) = store.invitations_of(survey.id)
    assert invitation.state == state
    assert counters(store, survey) == {day_of(NOW): {counter: 1}}
    assert landed_on(faults, "TransactWriteItems", counter) and not channel.accepted


def sent_on_whatsapp(app, store):
    """One WhatsApp invitation sent at NOW; returns the survey and the provider's message id."""
    survey = whatsapp_survey(store)
    due(store, survey, phone=PHONE)
    channel = ScriptedEmail()  # any object with send(message) -> id is a channel
    with app.app_context():
        assert send_due(store, Sender(channels={"whatsapp": channel}, base_url="https://survey.toko.test",
                                      business_name=BUSINESS, tz_name=TZ), now=NOW) == {"sent": 1}
    return survey, "ses-1"


@pytest.mark.parametrize("status, counted", [
    ("delivered", {"inv#whatsapp#delivered": 1}),
    ("read", {"inv#whatsapp#delivered": 1, "inv#whatsapp#read": 1}),  # Meta skips "delivered" then: both counted
    ("failed", {"inv#whatsapp#undelivered": 1}),
])
def test_a_lost_reply_on_a_whatsapp_status_counts_it_once(app, store, faults, status, counted):  # noqa: F811
    survey, message_id = sent_on_whatsapp(app, store)
    update = StatusUpdate(message_id, PHONE.lstrip("+"), status, NOW.isoformat(),  # counted on NOW's day too
                          *((131026, "Message undeliverable") if status == "failed" else ()))
    last = sorted(counted)[-1]
    lose_every_reply(faults, "TransactWriteItems", last)
    with pytest.raises(StoreUnavailable):  # the webhook answers 500...
        record_status(store, update, ChatSettings(tz_name=TZ))
    assert record_status(store, update, ChatSettings(tz_name=TZ)) == "status_stale"  # ...Meta delivers it again
    assert counters(store, survey) == {day_of(NOW): {"inv#whatsapp#sent": 1} | counted}
    assert landed_on(faults, "TransactWriteItems", last)


@pytest.mark.parametrize("event, counter", [(sns_signing.ses_bounce, "inv#email#bounced"),
                                            (sns_signing.ses_complaint, "inv#email#complained")],
                         ids=["bounce", "complaint"])
def test_a_lost_reply_on_an_ses_event_counts_it_once(app, store, faults, event, counter):  # noqa: F811
    survey = email_survey(store)
    due(store, survey)
    assert run(app, store, ScriptedEmail(), NOW) == {"sent": 1}
    notification = SnsMessage(type="Notification", message_id="sns-1", topic_arn="arn:aws:sns:ses-events",
                              message=event("c0@example.com", message_id="ses-1"), timestamp=NOW.isoformat())
    lose_every_reply(faults, "TransactWriteItems", counter)
    with pytest.raises(StoreUnavailable):  # the endpoint answers 500...
        record_ses_event(store, notification, TZ, NOW)
    assert record_ses_event(store, notification, TZ, NOW + timedelta(minutes=2)) == "duplicate"  # ...SNS retries
    assert counters(store, survey) == {day_of(NOW): {"inv#email#sent": 1, counter: 1}}
    assert landed_on(faults, "TransactWriteItems", counter)
