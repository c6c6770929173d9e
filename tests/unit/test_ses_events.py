"""SES event records (through SNS) read into feedback: services/email_feedback.feedback_of."""
import json

import pytest

from survey_app.services.email_feedback import BOUNCED, COMPLAINED, DELIVERED, Feedback, feedback_of
from tests import sns_signing


def test_a_permanent_bounce_names_its_addresses_once_in_lower_case_with_the_servers_reason():
    record = json.loads(sns_signing.ses_bounce("Sari@Example.com", message_id="m-1"))
    record["bounce"]["bouncedRecipients"] += [{"emailAddress": "sari@example.com"}, {"emailAddress": "not an address"}]
    assert feedback_of(json.dumps(record)) == Feedback(
        BOUNCED, ("sari@example.com",), "bounced (General): smtp; 550 5.1.1 user unknown", "m-1")


def test_a_complaint_and_a_delivery_are_read_from_their_own_objects():
    assert feedback_of(sns_signing.ses_complaint("budi@example.com", message_id="m-2")) == Feedback(
        COMPLAINED, ("budi@example.com",), "marked as spam (abuse)", "m-2")
    assert feedback_of(sns_signing.ses_delivery("budi@example.com", message_id="m-3")) == Feedback(
        DELIVERED, ("budi@example.com",), "", "m-3")


@pytest.mark.parametrize("record", [
    sns_signing.ses_bounce("sari@example.com", bounce_type="Transient"),
    sns_signing.ses_bounce("sari@example.com", bounce_type="Undetermined"),
    json.dumps(json.loads(sns_signing.ses_complaint("b@example.com")) | {"complaint": {
        "complainedRecipients": [{"emailAddress": "b@example.com"}], "complaintFeedbackType": "not-spam"}}),
    json.dumps({"eventType": "Open", "mail": {"messageId": "m"}, "open": {}}),
])
def test_events_that_say_nothing_about_the_address_are_none(record):
    assert feedback_of(record) is None


@pytest.mark.parametrize("message", ["Hello world!", "[]", '{"eventType": "Bounce"}',
                                     '{"eventType": "Bounce", "mail": {"messageId": "m"}, "bounce": {}}'])
def test_what_is_not_an_ses_event_record_is_a_value_error(message):
    with pytest.raises(ValueError):
        feedback_of(message)
