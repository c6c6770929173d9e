"""Browser-tier fixtures: Debian's Chromium driven by Playwright, and the real app behind a real WSGI server.

Only moto backs this tier: the browser tests check what a customer and an owner see, and the store's behaviour
on both engines is already covered by the integration tier.
"""
from __future__ import annotations

import shutil
import threading
import uuid
from dataclasses import dataclass

import pytest
from moto import mock_aws
from playwright.sync_api import expect
from werkzeug.serving import make_server

from survey_app import create_app
from survey_app.store import Store
from tests.conftest import REGION, unavailable

# CI machines are small and shared: give pages more than Playwright's default 5 s before calling it a failure.
expect.set_options(timeout=20_000)

# Playwright cannot download its own browser here, so it drives Debian's chromium with quiet, offline flags.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass(frozen=True)
class LiveApp:
    url: str
    store: Store
    app: object


@pytest.fixture(scope="module")
def browser():
    """One Chromium per module; every test opens its own contexts (separate cookies, like separate people).
    Not per session: Playwright's sync API allows one running instance at a time, and the deployed tier's walk
    starts its own after these modules."""
    executable = shutil.which("chromium")
    if executable is None:
        unavailable("Chromium", "Install Debian's chromium package (make test does it as root).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, chromium_sandbox=False)
        yield browser
        browser.close()


@pytest.fixture
def live_app():
    """The app on moto, served over real HTTP by werkzeug in a thread (moto's patch is process-wide)."""
    with mock_aws():
        store = Store(f"survey-browser-{uuid.uuid4().hex[:8]}", REGION)
        store.create_table()
        app = create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name})
        app.extensions["survey_store"] = store
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
        thread.start()
        try:
            yield LiveApp(f"http://127.0.0.1:{server.server_port}", store, app)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()  # closes the listening socket: no ResourceWarning under filterwarnings=error
