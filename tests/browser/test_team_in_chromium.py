"""A teammate's first day in a real browser: the admin invites an agent (no e-mail set up here, so the page gives
the link to pass on), the agent sets a password, signs in, turns on two-factor sign-in with an authenticator
code, and signs in again with a code; the agent never sees the team page."""
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from survey_app.services import create_owner, two_factor, utcnow
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD

pytestmark = pytest.mark.browser
AGENT = "agent@toko.test"
AGENT_PASSWORD = "kopi susu gula aren"


def sign_in(page, url: str, address: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", address)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_invite_set_a_password_and_sign_in_with_a_code(browser, live_app, monkeypatch):
    create_owner(live_app.store, OWNER_EMAIL, OWNER_PASSWORD)
    admin = browser.new_context().new_page()
    sign_in(admin, live_app.url, OWNER_EMAIL, OWNER_PASSWORD)
    admin.click("header >> text=Team")
    admin.fill("#invite input[name=email]", AGENT)
    admin.select_option("#role", "agent")
    admin.click("#invite button[type=submit]")
    link = admin.input_value("#invite-link")
    assert "/join/" in link

    agent = browser.new_context().new_page()
    agent.goto(link)
    agent.fill("input[name=password]", AGENT_PASSWORD)
    agent.fill("input[name=confirm]", AGENT_PASSWORD)
    agent.click("button[type=submit]")
    expect(agent.locator("p.notice")).to_contain_text("Welcome")
    sign_in(agent, live_app.url, AGENT, AGENT_PASSWORD)
    expect(agent).to_have_url(f"{live_app.url}/owner/")
    expect(agent.locator("header")).not_to_contain_text("Team")

    agent.click("header >> text=My account")
    secret = agent.text_content("#totp-secret")
    agent.fill("#two-factor input[name=code]", pyotp.TOTP(secret).now())
    agent.click("#two-factor button[type=submit]")
    expect(agent.locator("#recovery-codes li")).to_have_count(10)
    with agent.expect_navigation():  # the log-out's POST must end before the next sign-in starts, or they race
        agent.click("header button:has-text('Log out')")

    sign_in(agent, live_app.url, AGENT, AGENT_PASSWORD)
    expect(agent).to_have_url(f"{live_app.url}/login/code")
    monkeypatch.setattr(two_factor, "utcnow", lambda: utcnow() + timedelta(seconds=30))  # the app's next code
    agent.fill("input[name=code]", pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30)))
    agent.click("button[type=submit]")
    expect(agent).to_have_url(f"{live_app.url}/owner/")
    assert agent.goto(f"{live_app.url}/owner/team").status == 403
