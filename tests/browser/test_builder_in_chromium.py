"""The builder looked at in Chromium, on a laptop and on a phone: every field of a question card stays inside the
card (the Id and Type fields used to overflow it), the preview frame shows the survey; a screenshot per state is
kept beside the test run for a reviewer's eye."""
import pytest
from playwright.sync_api import expect

from survey_app.services import create_owner
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.factories import make_survey

SIZES = {"laptop": {"viewport": {"width": 1280, "height": 900}},
         "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}}


@pytest.mark.parametrize("size", SIZES)
def test_every_field_of_a_question_card_stays_inside_the_card(browser, live_app, tmp_path, size):
    survey = make_survey(live_app.store)
    create_owner(live_app.store, OWNER_EMAIL, OWNER_PASSWORD, force=True)
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    page.goto(f"{live_app.url}/login")
    page.fill("input[name=email]", OWNER_EMAIL)
    page.fill("input[name=password]", OWNER_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_app.url}/owner/surveys/{survey.id}/edit?lang=en")
    card = page.locator("#question-1")
    expect(card).to_be_visible()
    box = card.bounding_box()
    for field in card.locator("input:not([type=checkbox]), select, textarea").all():
        inner = field.bounding_box()
        assert box["x"] <= inner["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"] + 0.5, (
            size, field.get_attribute("name"), inner, box)
    page.locator(".builder-preview iframe").scroll_into_view_if_needed()  # loading=lazy: drawn when in view
    frame = page.frame_locator(".builder-preview iframe")
    expect(frame.locator("legend").first).to_contain_text("recommend")
    page.screenshot(path=str(tmp_path / f"builder-{size}.png"))
    page.fill("#questions-0-id", "")
    page.fill("#questions-0-label_en", "")
    page.fill("#questions-0-label_id", "")
    page.select_option("#questions-2-type", "single")
    page.click("form.stack button[type=submit]")
    expect(page.locator("#question-3 .field-error")).to_be_visible()
    page.screenshot(path=str(tmp_path / f"builder-{size}-error.png"))
    context.close()


def signed_in_builder(browser, live_app, survey, **context_options):
    create_owner(live_app.store, OWNER_EMAIL, OWNER_PASSWORD, force=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    page = context.new_page()
    page.goto(f"{live_app.url}/login")
    page.fill("input[name=email]", OWNER_EMAIL)
    page.fill("input[name=password]", OWNER_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_app.url}/owner/surveys/{survey.id}/edit?lang=en")
    return context, page


def test_with_scripts_the_preview_follows_the_form_as_it_is_typed_and_nothing_is_saved(browser, live_app, tmp_path):
    survey = make_survey(live_app.store)
    context, page = signed_in_builder(browser, live_app, survey)
    page.locator(".builder-preview iframe").scroll_into_view_if_needed()
    frame = page.frame_locator(".builder-preview iframe")
    expect(frame.locator("legend").first).to_contain_text("recommend")
    page.fill("#questions-0-label_en", "Would you tell a friend about <us>?")
    expect(frame.locator("legend").first).to_have_text("Would you tell a friend about <us>?")
    page.screenshot(path=str(tmp_path / "builder-preview-typed.png"))
    assert live_app.store.get_survey(survey.id) == survey
    context.close()


def test_without_scripts_the_preview_button_draws_the_unsaved_form_in_the_frame(browser, live_app):
    survey = make_survey(live_app.store)
    context, page = signed_in_builder(browser, live_app, survey, java_script_enabled=False)
    page.fill("#questions-0-label_en", "Unsaved wording")
    page.click("#preview-button")
    expect(page.frame_locator(".builder-preview iframe").locator("legend").first).to_have_text("Unsaved wording")
    assert page.url.endswith("/edit?lang=en")  # the builder stays, with the owner's unsaved fields
    assert page.input_value("#questions-0-label_en") == "Unsaved wording"
    assert live_app.store.get_survey(survey.id) == survey
    context.close()
