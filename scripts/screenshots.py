"""Regenerate docs/screenshots/*.png from the real app: `.venv/bin/python scripts/screenshots.py`.

Runs what `make demo` runs (the app on an in-process moto DynamoDB, seeded by survey_app.demo_data), but on a
free port in a thread, and photographs it with Playwright driving Debian's chromium (Playwright's own browser
download is not needed). Screenshots are taken from the running app rather than drawn by hand, so they
cannot drift from what customers and owners actually see.
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from pathlib import Path

from moto import mock_aws
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from survey_app import create_app
from survey_app.demo_data import seed
from survey_app.demo_server import DEMO_OWNER
from survey_app.services import create_owner

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
RESPONSES = 1000  # as many as `make demo`, so the charts look like the demo's
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars"]


def photograph(browser, base: str, survey_id: str, token: str) -> None:
    # Scripts off: with them, a tapped score sends itself, and the photograph is of the chosen score, not the thanks.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                is_mobile=True, has_touch=True, java_script_enabled=False)
    page = phone.new_page()
    page.goto(f"{base}/s/{token}")
    page.tap("label:has(input[name=q_nps][value='9'])")  # show a chosen score, as a customer sees it
    expect(page.locator("input[name=q_nps][value='9']")).to_be_checked()
    page.screenshot(path=OUT / "answer-page.png", full_page=True)
    phone.close()

    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desktop.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", DEMO_OWNER[0])
    page.fill("input[name=password]", DEMO_OWNER[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/owner/")
    page.goto(f"{base}/owner/surveys/{survey_id}")
    charts = page.locator(".chart")
    expect(page.locator(".chart.js-plotly-plot .main-svg").first).to_be_visible()
    expect(page.locator(".chart.js-plotly-plot")).to_have_count(charts.count())
    page.wait_for_load_state("networkidle")
    page.screenshot(path=OUT / "dashboard.png", full_page=True)
    desktop.close()


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed: install Debian's chromium package.", file=sys.stderr)
        return 1
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ[name] = "demo"
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        os.environ.pop(name, None)
    OUT.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log lines in the script's output

    with mock_aws():
        app = create_app({"ENV": "dev", "TABLE_NAME": "survey-demo", "DYNAMODB_ENDPOINT": None})
        store = app.extensions["survey_store"]
        store.create_table()
        create_owner(store, *DEMO_OWNER)
        print(f"Seeding {RESPONSES} demo responses...")
        result = seed(store, RESPONSES, tz_name=app.config["TIMEZONE"])
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="screenshots", daemon=True)
        thread.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                                     chromium_sandbox=False)
                try:
                    photograph(browser, f"http://127.0.0.1:{server.server_port}", result.survey.id,
                               result.fresh_invitations[0].token)
                finally:
                    browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
    for name in ("answer-page.png", "dashboard.png"):
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
