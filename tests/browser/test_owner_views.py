"""What only a browser shows an owner: the dashboard's filters redrawing the charts, and customer text
that stays text (no script runs) on the answer, dashboard, case and export pages."""
import pytest
from playwright.sync_api import expect

from survey_app.services import create_invitation, create_owner
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.factories import make_survey

pytestmark = pytest.mark.browser
XSS_NAME = "<img src=x onerror=\"window.__pwned=1\">Siti"
XSS_COMMENT = "<script>window.__pwned=1</script><b onmouseover=\"window.__pwned=1\">jelek</b> =HYPERLINK(\"x\")"


def logged_in(browser, live_app):
    create_owner(live_app.store, OWNER_EMAIL, OWNER_PASSWORD)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_app.url}/login")
    page.fill("input[name=email]", OWNER_EMAIL)
    page.fill("input[name=password]", OWNER_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_app.url}/owner/")
    return page


def answer(browser, live_app, invitation, score, comment):
    page = browser.new_context().new_page()
    page.goto(f"{live_app.url}/s/{invitation.token}")
    page.click(f"label:has(input[name=q_nps][value='{score}'])")
    page.fill("textarea[name=q_reason]", comment)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Thank you")
    page.context.close()


def test_applying_a_segment_filter_redraws_the_charts(browser, live_app):
    survey = make_survey(live_app.store)
    for store_name, score in (("Bandung", 10), ("Bandung", 9), ("Solo", 2)):
        invitation = create_invitation(live_app.store, survey, language="en", properties={"store": store_name})
        answer(browser, live_app, invitation, score, f"{store_name} comment")
    page = logged_in(browser, live_app)
    page.goto(f"{live_app.url}/owner/surveys/{survey.id}")
    expect(page.locator("#nps-value")).to_have_text("+33")
    # until Plotly has drawn, the element has no .data yet: the predicate answers "not yet" instead of throwing
    bars = ("() => (document.querySelector('[data-figure=fig-distribution]')?.data?.[0]?.y || [])"
            ".reduce((a, b) => a + b, 0)")
    page.wait_for_function(f"({bars})() === 3")
    page.select_option("#filters select[name=segment]", "store=Solo")
    page.click("#filters button[type=submit]")
    expect(page.locator("#nps-value")).to_have_text("-100")
    page.wait_for_function(f"({bars})() === 1")
    expect(page.locator("#comments")).to_contain_text("Solo comment")
    expect(page.locator("#comments")).not_to_contain_text("Bandung comment")
    page.context.close()


def test_customer_text_never_runs_as_code(browser, live_app):
    survey = make_survey(live_app.store)
    invitation = create_invitation(live_app.store, survey, customer_name=XSS_NAME, language="en",
                                   phone="+6281234567890")
    customer = browser.new_context().new_page()
    customer.goto(f"{live_app.url}/s/{invitation.token}")
    expect(customer.locator(".greeting")).to_contain_text("onerror")  # shown as text
    customer.click("label:has(input[name=q_nps][value='1'])")
    customer.fill("textarea[name=q_reason]", XSS_COMMENT)
    customer.click("button[type=submit]")
    assert customer.evaluate("window.__pwned") is None
    customer.context.close()

    page = logged_in(browser, live_app)
    for path in (f"/owner/surveys/{survey.id}", f"/owner/surveys/{survey.id}/cases",
                 f"/owner/surveys/{survey.id}/cases/{invitation.token}", f"/owner/surveys/{survey.id}/summary"):
        page.goto(f"{live_app.url}{path}")
        page.hover("text=jelek")
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("script:not([src]):not([type='application/json'])").count() == 0, path
    export = page.request.get(f"{live_app.url}/owner/surveys/{survey.id}/export.csv").text()
    assert "'<script>" in export or '"<script>' in export  # data in a CSV, never a formula
    assert ",=HYPERLINK" not in export
    page.context.close()
