"""The mapping step in a real browser with JavaScript off, as an owner on a slow phone may have it: upload a
Shopee export, change a column's role, preview, import; the next file of the same shape asks nothing."""
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect

from survey_app.services import create_owner, save_survey
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.factories import make_survey

pytestmark = pytest.mark.browser
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "marketplace"


def test_owner_maps_a_shopee_export_once_without_javascript(browser, live_app):
    survey = make_survey(live_app.store)
    survey = save_survey(live_app.store, replace(survey, delivery=replace(survey.delivery,
                                                                          purchase_max_age_days=3650)))
    create_owner(live_app.store, OWNER_EMAIL, OWNER_PASSWORD)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_app.url}/login")
    page.fill("input[name=email]", OWNER_EMAIL)
    page.fill("input[name=password]", OWNER_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_app.url}/owner/surveys/{survey.id}/import")
    page.set_input_files("input[name=csv_file]", str(FIXTURES / "shopee_orders.csv"))
    page.click("form.stack button[type=submit]")
    expect(page.locator("#mapping-columns")).to_be_visible()
    expect(page.locator("#mapping-preview tr.outcome-skip")).to_have_count(1)
    page.select_option("select[aria-label='Nama Produk']", "keep")  # not a segment after all
    page.click("button[value=preview]")
    expect(page.locator("#mapping-preview tr.outcome-invite").first).not_to_contain_text("nama_produk")
    page.fill("input[name=name]", "shopee")
    page.click("button[value=import]")
    expect(page.locator("#import-report")).to_contain_text("4 invitations scheduled")
    expect(page.locator("#import-report")).to_contain_text("order status 'Batal'")
    invitation = live_app.store.invitations_of(survey.id)[0]
    assert "nama_produk" not in invitation.segment_values and "nama_produk" in invitation.properties

    page.set_input_files("input[name=csv_file]", str(FIXTURES / "shopee_orders_next.csv"))
    page.click("form.stack button[type=submit]")
    expect(page.locator("#import-report")).to_contain_text("2 invitations scheduled")
    expect(page.locator("#saved-mappings")).to_contain_text("shopee")
    context.close()
