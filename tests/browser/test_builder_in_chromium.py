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
