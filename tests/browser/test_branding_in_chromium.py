"""Branding in a real browser: the brand colour reaches the buttons and the chosen score through --brand, and the
business name heads the page as text."""
from dataclasses import replace

from playwright.sync_api import expect

from survey_app.services import create_invitation, save_survey, survey_from_template, utcnow

BRAND = "#1a5fb4"
BRAND_RGB = "rgb(26, 95, 180)"


def test_brand_colour_paints_the_button_and_the_chosen_score_and_the_name_heads_the_page(browser, live_app):
    survey = survey_from_template("nps_by_score", utcnow(), "en")
    questions = tuple(replace(q, required=True) if q.id == "csat_delivery" else q for q in survey.questions)
    survey = save_survey(live_app.store, replace(survey, questions=questions, business_name="<b>Toko</b> Maju",
                                                 brand_colour=BRAND))
    link = create_invitation(live_app.store, survey, customer_name="Ani", phone="+6281234567890", language="en")
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{live_app.url}/s/{link.token}")
    expect(page.locator("header.brand")).to_have_text("<b>Toko</b> Maju")
    expect(page.locator("button[type=submit]")).to_have_css("background-color", BRAND_RGB)
    score = page.locator("label:has(input[name=q_nps][value='9'])")
    score.click()
    expect(score.locator("span")).to_have_css("background-color", BRAND_RGB)
    context.close()
