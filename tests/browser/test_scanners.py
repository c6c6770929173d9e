"""Mail and chat scanners open links in real browsers that run scripts: an opened, untouched answer page
records nothing, however long it waits; a person's one real tap records the score."""
import email
import re
from datetime import datetime, timedelta, timezone
from email import policy

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from playwright.sync_api import expect

from survey_app.channels.email_ses import SesEmail
from survey_app.channels.whatsapp import WhatsAppCloud
from survey_app.services.chat_templates import invitation_template
from survey_app.services import Sender, create_invitation, create_owner, send_due
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, REGION
from tests.factories import make_survey

pytestmark = pytest.mark.browser
SCANNER_WAIT = "10:00"  # ten minutes of page time (timers included), on Playwright's fake clock: no real sleep


def _emailed_invitation(live_app, survey):
    """The invitation e-mail as the sender builds it through SES (moto), and its eleven score links."""
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="survey@toko.test")
    now = datetime.now(timezone.utc)
    invitation = create_invitation(live_app.store, survey, email="sarah@example.com", language="en",
                                   order_ref="SCAN-1", send_at=now - timedelta(minutes=1))
    sender = Sender(channels={"email": SesEmail("survey@toko.test", REGION)}, base_url=live_app.url,
                    business_name="Toko")
    with live_app.app.app_context():
        assert send_due(live_app.store, sender, now=now) == {"sent": 1}
    (message,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    html = email.message_from_string(message.raw_data, policy=policy.default).get_body(("html",)).get_content()
    links = re.findall(rf'href="({re.escape(live_app.url)}/s/{invitation.token}/\d+)"', html)
    return invitation, html, links


def _scan(browser, url):
    """What a scanner does: open, let every script and timer run for minutes, poke with synthetic events
    (scripts can make those; they are never trusted), close."""
    context = browser.new_context()
    page = context.new_page()
    page.clock.install()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.clock.run_for(SCANNER_WAIT)
    if page.locator("form").count():
        page.dispatch_event("button[type=submit]", "click")
        page.evaluate("document.body.dispatchEvent(new MouseEvent('click', {bubbles: true}))")
        page.clock.run_for("01:00")
    context.close()


def _dashboard_figures(browser, live_app, survey):
    page = browser.new_context().new_page()
    page.goto(f"{live_app.url}/login")
    page.fill("input[name=email]", OWNER_EMAIL)
    page.fill("input[name=password]", OWNER_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_app.url}/owner/surveys/{survey.id}")
    figures = page.locator("section.kpis").inner_text()
    cases = page.goto(f"{live_app.url}/owner/surveys/{survey.id}/cases") and page.locator("#open-cases").inner_text()
    page.context.close()
    return figures, cases


def test_a_scanner_opening_all_eleven_score_links_records_nothing_and_one_real_tap_does(browser, live_app):
    create_owner(live_app.store, OWNER_EMAIL, OWNER_PASSWORD)
    survey = make_survey(live_app.store)
    invitation, html, links = _emailed_invitation(live_app, survey)
    assert len(links) == 11
    before = _dashboard_figures(browser, live_app, survey)

    for link in links:
        _scan(browser, link)

    assert live_app.store.get_invitation(invitation.token).answered_at == ""
    assert list(live_app.store.iter_responses(survey.id)) == []
    assert _dashboard_figures(browser, live_app, survey) == before

    person = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    person.set_content(html)
    person.click("a:text-is('2')")
    expect(person.locator("input[name=q_nps][value='2']")).to_be_checked()
    assert list(live_app.store.iter_responses(survey.id)) == []
    person.click("button[type=submit]")
    expect(person.locator("h1")).to_have_text("Thank you! Anything else?")
    (response,) = live_app.store.iter_responses(survey.id)
    assert response.answers == {"nps": 2} and response.invitation_token == invitation.token
    assert _dashboard_figures(browser, live_app, survey) != before
    person.context.close()


def test_on_the_score_page_a_first_tap_on_another_score_sends_that_score(browser, live_app):
    survey = make_survey(live_app.store)
    _, _, links = _emailed_invitation(live_app, survey)
    page = browser.new_context().new_page()
    page.goto(links[9])
    page.click("label:has(input[name=q_nps][value='7'])")
    expect(page.locator("h1")).to_have_text("Thank you! Anything else?")
    (response,) = live_app.store.iter_responses(survey.id)
    assert response.answers == {"nps": 7}
    page.context.close()


def test_a_key_press_on_the_score_page_sends_the_chosen_score(browser, live_app):
    survey = make_survey(live_app.store)
    _, _, links = _emailed_invitation(live_app, survey)
    page = browser.new_context().new_page()
    page.goto(links[10])
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Thank you! Anything else?")
    (response,) = live_app.store.iter_responses(survey.id)
    assert response.answers == {"nps": 10}
    page.context.close()


def test_the_whatsapp_button_link_opened_by_a_previewer_records_nothing_and_a_tapped_score_does(browser, live_app):
    survey = make_survey(live_app.store)
    invitation = create_invitation(live_app.store, survey, phone="+6281234567890", language="en")
    body = WhatsAppCloud(api_base="https://graph.test", phone_number_id="1", access_token="t").body(
        invitation_template("survey", invitation.phone, "en", "Siti", invitation.token))
    (button,) = [c for c in body["template"]["components"] if c["type"] == "button" and c["sub_type"] == "url"]
    link = f"{live_app.url}/s/{button['parameters'][0]['text']}"  # the approved template's URL: <base>/s/{{1}}

    _scan(browser, link)
    assert live_app.store.get_invitation(invitation.token).answered_at == ""
    assert list(live_app.store.iter_responses(survey.id)) == []

    page = browser.new_context().new_page()
    page.goto(link)
    page.click("label:has(input[name=q_nps][value='9'])")
    expect(page.locator("h1")).to_have_text("Thank you! Anything else?")
    (response,) = live_app.store.iter_responses(survey.id)
    assert response.answers == {"nps": 9}
    page.context.close()


def test_without_javascript_the_send_button_records_the_preselected_score(browser, live_app):
    survey = make_survey(live_app.store)
    _, _, links = _emailed_invitation(live_app, survey)
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(links[4])
    expect(page.locator("input[name=q_nps][value='4']")).to_be_checked()
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Thank you! Anything else?")
    (response,) = live_app.store.iter_responses(survey.id)
    assert response.answers == {"nps": 4}
    page.context.close()
