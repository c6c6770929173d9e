"""Browser-tier fixtures: Debian's Chromium driven by Playwright, and the real app behind a real WSGI server.

Only moto backs this tier: the browser tests check what a customer and an owner see, and the store's behaviour
on both engines is already covered by the integration tier.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

import pytest
from moto import mock_aws
from playwright.sync_api import expect
from werkzeug.serving import make_server

from survey_app import create_app
from survey_app.store import Store
from tests.conftest import REGION

# CI machines are small and shared: give pages more than Playwright's default 5 s before calling it a failure.
expect.set_options(timeout=20_000)

@dataclass(frozen=True)
class LiveApp:
    url: str
    store: Store
    app: object


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
