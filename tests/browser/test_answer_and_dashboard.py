"""The core loop in a real browser: a customer answers on a phone, the owner sees it on a drawn dashboard.

The test client cannot see what only a browser sees: the visually hidden radios behind tappable numbers,
the CSP letting (or not letting) plotly.js draw, and JavaScript errors on the owner's page.
"""
import pytest
from playwright.sync_api import expect

from survey_app.services import create_owner
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.factories import make_invitation, make_survey

pytestmark = pytest.mark.browser
COMMENT = "Kopinya enak, pengiriman cepat!"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def answer_on_phone(browser, url, **context_options):
    """Tap 9, write a comment, submit: what a customer does with the link from WhatsApp. Where scripts run, the
    tapped score sends itself and the comment goes on the next page ("Anything else?")."""
    context = browser.new_context(**PHONE, **context_options)
    page = context.new_page()
    page.goto(url)
    page.tap("label:has(input[name=q_nps][value='9'])")  # the radio itself is visually hidden
    if context_options.get("java_script_enabled", True):
        expect(page.locator("h1")).to_have_text("Thank you! Anything else?")
    else:
        expect(page.locator("input[name=q_nps][value='9']")).to_be_checked()
    page.fill("textarea[name=q_reason]", COMMENT)
    page.click("button[type=submit]")
    return context, page


def console_errors(page):
    """Script errors and console errors (CSP refusals, failed loads) leave charts blank without failing any request."""
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_customer_answers_on_phone_and_owner_sees_it_on_drawn_dashboard(browser, live_app):
    """The whole point of the app, end to end: one phone answer becomes the owner's count, NPS, comment and charts."""
    survey = make_survey(live_app.store)
    invitation = make_invitation(live_app.store, survey, language="en")
    customer, page = answer_on_phone(browser, f"{live_app.url}/s/{invitation.token}")
    expect(page.locator("h1")).to_have_text("Thank you!")
    customer.close()

    create_owner(live_app.store, OWNER_EMAIL, OWNER_PASSWORD)
    owner = browser.new_context(viewport={"width": 1280, "height": 900})
    page = owner.new_page()
    errors = console_errors(page)
    page.goto(f"{live_app.url}/login")
    page.fill("input[name=email]", OWNER_EMAIL)
    page.fill("input[name=password]", OWNER_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_app.url}/owner/")  # logged in before going on, or the next page races it
    page.goto(f"{live_app.url}/owner/surveys/{survey.id}")

    expect(page.locator("#response-count")).to_have_text("1")
    expect(page.locator("#nps-value")).to_have_text("+100")
    expect(page.locator(".comments")).to_contain_text(COMMENT)
    charts = page.locator(".chart")
    expect(charts.first.locator(".main-svg").first).to_be_visible()  # plotly.js loaded and drew
    expect(page.locator(".chart.js-plotly-plot")).to_have_count(charts.count())
    assert errors == []
    owner.close()


def test_answer_page_works_without_javascript(browser, live_app):
    """Some phones block scripts; the answer form is plain HTML and must not need them."""
    survey = make_survey(live_app.store)
    invitation = make_invitation(live_app.store, survey, language="id")
    customer, page = answer_on_phone(browser, f"{live_app.url}/s/{invitation.token}", java_script_enabled=False)
    expect(page.locator("h1")).to_have_text("Terima kasih!")
    customer.close()
