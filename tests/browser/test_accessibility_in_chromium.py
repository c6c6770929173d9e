"""axe-core (WCAG 2.1 A/AA, the deployed walk's own run: tests/deployed/page_checks.py) on the answer pages and the
builder in Chromium, in Indonesian and in English: the one-tap score, the next step, the thank-you page with its review
invitation and a full survey with display logic (with scripts and without: then shown to axe as parsed), the builder
with its preview, and the deletion page."""
from dataclasses import replace

import pytest
from playwright.sync_api import expect

from survey_app.services import create_invitation, create_owner, save_survey, survey_from_template, utcnow
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, ROOT, unavailable
from tests.deployed.page_checks import AXE_RUN, rendered_again

AXE_JS = ROOT / ".cache" / "axe-core" / "package" / "axe.min.js"  # npm axe-core, fetched by scripts/test-deps.sh
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def axe():
    if not AXE_JS.exists():
        unavailable("axe-core", "Run `make test-deps` (it fetches the npm package axe-core into .cache/axe-core).")
    return AXE_JS.read_text(encoding="utf-8")


def violations(page, axe: str, checker=None) -> list[str]:
    """axe's findings on the page; one loaded with scripts off is shown to axe in `checker` (scripts on)."""
    if checker is not None:
        page = rendered_again(page, checker)
    page.evaluate(axe)  # through the debugger protocol: the page's CSP does not apply to the checker
    return page.evaluate(AXE_RUN)


def saved(store, template: str, lang: str, **changes):
    survey = survey_from_template(template, utcnow(), lang)
    return save_survey(store, replace(survey, **changes))


def link(store, survey, lang: str) -> str:
    return create_invitation(store, survey, customer_name="Ani", phone="+6281234567890", language=lang,
                             properties={"product": "Kopi"}).token


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_answer_pages_pass_axe_in_both_languages(browser, live_app, axe, lang, scripts):
    store = live_app.store
    one_tap = saved(store, "post_purchase_nps", lang, review_url="https://maps.google.com/?cid=1")
    by_score = survey_from_template("nps_by_score", utcnow(), lang)
    logic = save_survey(store, replace(by_score, questions=tuple(
        replace(q, required=True) if q.id == "csat_delivery" else q for q in by_score.questions)))
    context = browser.new_context(java_script_enabled=scripts, **PHONE)
    checker_context = None if scripts else browser.new_context(**PHONE)
    checker = checker_context and checker_context.new_page()
    page = context.new_page()
    found = {}

    page.goto(f"{live_app.url}/s/{link(store, one_tap, lang)}/9")
    found["score only"] = violations(page, axe, checker)
    page.click("button[type=submit]")
    expect(page.locator("form textarea").first).to_be_visible()
    found["next step"] = violations(page, axe, checker)
    page.locator("form textarea").first.fill("Cepat sampai")
    page.click("button[type=submit]")
    expect(page.locator("a[href*='/review']")).to_be_visible()
    found["thank-you with review invitation"] = violations(page, axe, checker)

    page.goto(f"{live_app.url}/s/{link(store, logic, lang)}")
    page.click("label:has(input[name=q_nps][value='3'])")
    if scripts:
        expect(page.locator("#q_went_wrong-block")).to_be_visible()
    found["full survey with logic"] = violations(page, axe, checker)
    if not scripts:  # the follow-up for the score comes as the next step
        page.click("label:has(input[name=q_csat_delivery][value='2'])")
        page.click("button[type=submit]")
        expect(page.locator("textarea[name=q_went_wrong]")).to_be_visible()
        found["logic's next step"] = violations(page, axe, checker)
        checker_context.close()
    context.close()
    assert found == {name: [] for name in found}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_builder_passes_axe_in_both_languages(browser, live_app, axe, lang):
    survey = saved(live_app.store, "nps_by_score", lang)
    create_owner(live_app.store, OWNER_EMAIL, OWNER_PASSWORD, force=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_app.url}/login?lang={lang}")
    page.fill("input[name=email]", OWNER_EMAIL)
    page.fill("input[name=password]", OWNER_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_app.url}/owner/surveys/{survey.id}/edit?lang={lang}")
    expect(page.locator("#question-1")).to_be_visible()
    page.locator(".builder-preview iframe").scroll_into_view_if_needed()
    expect(page.frame_locator(".builder-preview iframe").locator("legend").first).to_be_visible()
    builder = violations(page, axe)
    page.goto(f"{live_app.url}/owner/surveys/{survey.id}/delete?lang={lang}")
    deletion = violations(page, axe)
    context.close()
    assert (builder, deletion) == ([], [])


def test_the_check_finds_an_unlabelled_field_and_low_contrast(browser, axe):
    """The checker itself can fail: a page with the two mistakes it most often catches."""
    page = browser.new_page()
    page.set_content('<html lang="en"><title>t</title><main><input name="q">'
                     '<p style="color:#aaa;background:#fff">grey</p></main></html>')
    found = " ".join(violations(page, axe))
    page.close()
    assert "label (critical)" in found and "color-contrast (serious)" in found
