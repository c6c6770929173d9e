"""Link scanners through the deployed tier (the built zip behind the API Gateway front): a headless Chromium that
opens all eleven score links of an invitation e-mail, lets the pages run for minutes and never touches them
records nothing; one real tap afterwards does."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from survey_app import create_app
from survey_app.messages import email_content
from survey_app.services import create_invitation
from tests.factories import make_survey

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium(browser):
    """tests/conftest.py's Chromium, under the name these walks use."""
    return browser


def _email_links(deployed, survey, invitation) -> list[str]:
    """The invitation e-mail's score links, as the sender renders them (messages.email_content), on the front."""
    with create_app({"ENV": "test", "TABLE_NAME": "unused"}).app_context():
        html = email_content(invitation, survey, base_url=deployed.public_url, business_name="Toko", lang="en").html
    links = re.findall(rf'href="([^"]+/s/{invitation.token}/\d+)"', html)
    return [deployed.browser_url(link) for link in links]


def test_a_scanner_opening_every_score_link_through_the_front_records_nothing_and_a_tap_does(chromium, deployed):
    store = deployed.store()
    survey = make_survey(store)
    invitation = create_invitation(store, survey, email="scan@example.com", language="en", customer_name="Sarah")
    links = _email_links(deployed, survey, invitation)
    assert len(links) == 11

    for link in links:
        context = chromium.new_context()
        page = context.new_page()
        page.clock.install()
        page.goto(link)
        page.wait_for_load_state("networkidle")
        page.clock.run_for("10:00")  # ten minutes of page time: timers run, nobody touches the page
        page.dispatch_event("button[type=submit]", "click")  # a script's click is never trusted
        page.clock.run_for("01:00")
        context.close()
    assert store.get_invitation(invitation.token).answered_at == ""
    assert list(store.iter_responses(survey.id)) == []

    person = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
    person.goto(links[3])
    person.click("button[type=submit]")
    expect(person.locator("h1")).to_have_text("Thank you! Anything else?")
    (response,) = store.iter_responses(survey.id)
    assert response.answers == {"nps": 3} and response.invitation_token == invitation.token
    person.context.close()
