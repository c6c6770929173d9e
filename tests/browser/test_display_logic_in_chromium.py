"""Display logic in a real browser: with scripts, the follow-up that fits the score appears in place and is sent
with it; without scripts, it comes as the next step of the same response. Piped names are shown as text."""
from dataclasses import replace

from playwright.sync_api import expect

from survey_app.services import create_invitation, save_survey, survey_from_template, utcnow

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def logic_survey(store):
    """The by-score template with its rating required, so the page is a full form (not a one-tap score)."""
    survey = survey_from_template("nps_by_score", utcnow(), "en")
    questions = tuple(replace(q, required=True) if q.id == "csat_delivery" else q for q in survey.questions)
    return save_survey(store, replace(survey, questions=questions))


def invitation(store, survey):
    return create_invitation(store, survey, customer_name="Ani", phone="+6281234567890", language="en",
                             properties={"product": "<i>Kopi</i>"})


def test_with_scripts_the_follow_up_for_the_score_appears_in_place_and_is_saved(browser, live_app):
    survey = logic_survey(live_app.store)
    link = invitation(live_app.store, survey)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_app.url}/s/{link.token}")
    went_wrong = page.locator("#q_went_wrong-block")
    expect(went_wrong).to_be_hidden()
    page.click("label:has(input[name=q_nps][value='3'])")
    expect(went_wrong).to_be_visible()
    expect(page.locator("#q_loved-block")).to_be_hidden()
    page.click("label:has(input[name=q_nps][value='10'])")
    expect(went_wrong).to_be_hidden()
    expect(page.locator("#q_loved-block")).to_be_visible()
    expect(page.locator("#q_loved-block legend")).to_contain_text("about <i>Kopi</i>?")  # text, not markup
    page.fill("textarea[name=q_loved]", "Kopinya enak")
    page.click("label:has(input[name=q_csat_delivery][value='5'])")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Thank you!")
    response = live_app.store.get_response(survey.id, link.token)
    assert response.answers == {"nps": 10, "loved": "Kopinya enak", "csat_delivery": 5} and response.completed
    context.close()


def test_without_scripts_the_follow_up_comes_as_the_next_step(browser, live_app):
    survey = logic_survey(live_app.store)
    link = invitation(live_app.store, survey)
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(f"{live_app.url}/s/{link.token}")
    expect(page.locator("#q_went_wrong-block")).to_be_hidden()
    page.click("label:has(input[name=q_nps][value='4'])")
    page.click("label:has(input[name=q_csat_delivery][value='2'])")
    page.click("button[type=submit]")
    expect(page.locator("legend")).to_contain_text("What went wrong?")
    assert live_app.store.get_response(survey.id, link.token).answers == {"nps": 4, "csat_delivery": 2}
    page.fill("textarea[name=q_went_wrong]", "Kurir telat")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Thank you!")
    response = live_app.store.get_response(survey.id, link.token)
    assert response.answers["went_wrong"] == "Kurir telat" and response.completed
    context.close()
