"""Shared fixtures: fake AWS credentials (autouse), the app on either DynamoDB engine, a client, a CLI runner,
an owner login helper, and form helpers that read CSRF tokens like a browser would."""
from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from survey_app import create_app
from survey_app.services import create_owner
from survey_app.store import Store
from tests import local_dynamodb, ttl_guard
from tests.dynamodb_stream import StreamFeed, StreamFedStore
from tests.fuzz import profiles  # noqa: F401  loads the run's hypothesis profile (seeded) before any test module

ROOT = Path(__file__).resolve().parents[1]
REGION = "ap-southeast-3"
IN_CI = os.environ.get("CI") == "true"
OWNER_EMAIL, OWNER_PASSWORD = "owner@example.test", "correct horse battery"
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# Playwright cannot download its own browser here, so it drives Debian's chromium with quiet, offline flags.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


ZIP_TIERS = (ROOT / "tests" / "deploy", ROOT / "tests" / "deployed")


def pytest_collection_modifyitems(items):
    """`make test` runs on two xdist workers (--dist loadgroup); the tiers that build and run the Lambda zip share
    one of them, so the zip is built once and deployed once per run."""
    for item in items:
        if any(tier in Path(item.path).parents for tier in ZIP_TIERS):
            item.add_marker(pytest.mark.xdist_group("zip"))


def unavailable(piece: str, how: str):
    """Skip loudly on a developer machine; fail under CI=true, where every tier must run."""
    message = f"{piece} is not available, so this tier cannot run. {how}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, one per module (browser and deployed tiers); every test opens its own contexts (separate
    cookies, like separate people). Not per session: Playwright's sync API allows one running instance at a time."""
    executable = shutil.which("chromium")
    if executable is None:
        unavailable("Chromium", "Install Debian's chromium package (make test does it as root).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, chromium_sandbox=False)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def dynamodb_local():
    """AWS's own DynamoDB engine for the whole session (tests/local_dynamodb.py)."""
    try:
        with local_dynamodb.running() as endpoint:
            ttl_guard.install(boto3._get_default_session(), endpoint)
            yield endpoint
    except local_dynamodb.Unavailable as error:
        unavailable("DynamoDB Local", str(error))


@pytest.fixture(autouse=True)
def no_ttl_passes_during_the_test():
    """tests/ttl_guard.py: a test that wrote a TTL DynamoDB Local may act on while it runs fails, every run."""
    ttl_guard.violations.clear()
    yield
    if ttl_guard.violations:
        pytest.fail("wrote a TTL that passes during the test (pin it relative to the real clock): "
                    + "; ".join(dict.fromkeys(ttl_guard.violations)), pytrace=False)


@pytest.fixture(params=["moto", "dynamodb_local"])
def engine(request):
    """Endpoint of the DynamoDB engine under test: None means moto in-process."""
    if request.param == "moto":
        with mock_aws():
            yield None
    else:
        yield request.getfixturevalue("dynamodb_local")


@pytest.fixture
def store(engine) -> Store:
    """On moto each write folds its own tallies (moto has no readable stream); on DynamoDB Local they are folded
    from the table's real stream before an aggregate is read (tests/dynamodb_stream.py)."""
    name = f"survey-test-{uuid.uuid4().hex[:8]}"
    store = StreamFedStore(name, REGION, engine, fold_inline=False) if engine else Store(name, REGION)
    store.create_table()
    if engine:
        store.feed = StreamFeed.of(store)
    yield store
    if engine:
        store.client.delete_table(TableName=store.table_name)


@pytest.fixture
def app(store):
    app = create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name,
                      "DYNAMODB_ENDPOINT": store.endpoint_url})
    app.extensions["survey_store"] = store
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


class OwnerActions:
    """Log an owner in and out through the real login form."""

    def __init__(self, client, store):
        self._client, self._store = client, store

    def login(self, email=OWNER_EMAIL, password=OWNER_PASSWORD, role="admin"):
        create_owner(self._store, email, password, role, force=True)
        return self.attempt(email, password)

    def attempt(self, email, password):
        token = csrf_token(self._client, "/login")
        return self._client.post("/login", data={"csrf_token": token, "email": email, "password": password})

    def logout(self):
        token = csrf_token(self._client, "/owner/")
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def owner(client, store):
    return OwnerActions(client, store)
