"""Link scanners versus people: a GET records nothing, but a person tapping a score in the e-mail and then
the page's send button records exactly that score, then is offered the optional questions."""
import email
from datetime import datetime, timedelta, timezone
from email import policy

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from playwright.sync_api import expect

from survey_app.channels.email_ses import SesEmail
from survey_app.services import Sender, create_invitation, send_due
from tests.conftest import REGION
from tests.factories import make_survey

pytestmark = pytest.mark.browser


def test_tapping_8_in_the_email_then_send_records_8_and_offers_the_rest(browser, live_app):
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="survey@toko.test")
    survey = make_survey(live_app.store)
    now = datetime.now(timezone.utc)
    invitation = create_invitation(live_app.store, survey, email="sarah@example.com", language="en",
                                   order_ref="E-1", send_at=now - timedelta(minutes=1))
    sender = Sender(channels={"email": SesEmail("survey@toko.test", REGION)}, base_url=live_app.url,
                    business_name="Toko")
    with live_app.app.app_context():
        assert send_due(live_app.store, sender, now=now) == {"sent": 1}
    (message,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.set_content(_decoded_html(message.raw_data))
    page.click("a:text-is('8')")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Thank you! Anything else?")
    (response,) = live_app.store.iter_responses(survey.id)
    assert response.answers == {"nps": 8} and response.invitation_token == invitation.token

    page.fill("textarea[name=q_reason]", "Fast delivery")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Thank you!")
    (response,) = live_app.store.iter_responses(survey.id)
    assert response.answers == {"nps": 8, "reason": "Fast delivery"}
    page.context.close()


def _decoded_html(raw: str) -> str:
    return email.message_from_string(raw, policy=policy.default).get_body(("html",)).get_content()
