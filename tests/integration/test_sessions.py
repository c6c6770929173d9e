"""Owner sessions: the cookie names the owner and a session version, the store decides (one read per request);
they slide and end after 12 hours idle; a password change or "log out everywhere" ends the others; create-owner
replaces an owner only with --force."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from survey_app.services import create_owner
from survey_app.web import access
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, csrf_token

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
TWELVE_HOURS = 12 * 3600


def idle_for(client, seconds: int) -> None:
    with client.session_transaction() as session:
        session["seen"] -= seconds


def signed_in_elsewhere(app):
    """The same owner signed in from another browser."""
    other = app.test_client()
    other.post("/login", data={"csrf_token": csrf_token(other, "/login"), "email": OWNER_EMAIL,
                               "password": OWNER_PASSWORD})
    return other


@MOTO
def test_a_session_ends_after_twelve_hours_idle_and_activity_keeps_it_going(client, owner):
    owner.login()
    idle_for(client, TWELVE_HOURS - 60)
    assert client.get("/owner/").status_code == 200  # eleven hours and 59 minutes: still on, and the clock restarts
    idle_for(client, TWELVE_HOURS - 60)
    assert client.get("/owner/").status_code == 200
    idle_for(client, TWELVE_HOURS + 1)
    assert client.get("/owner/").status_code == 302
    with client.session_transaction() as session:
        assert "owner" not in session


@MOTO
def test_a_session_idle_exactly_twelve_hours_is_still_on_and_one_second_more_ends_it(client, owner, monkeypatch):
    now = time.time()
    monkeypatch.setattr(access, "time", SimpleNamespace(time=lambda: now))  # the app's clock, pinned
    owner.login()
    idle_for(client, TWELVE_HOURS)
    assert client.get("/owner/").status_code == 200
    idle_for(client, TWELVE_HOURS + 1)
    assert client.get("/owner/").status_code == 302


@MOTO
def test_the_session_cookie_expires_with_the_idle_limit(client, owner):
    response = owner.login()
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie
    expires = time.mktime(time.strptime(cookie.split("Expires=")[1].split(";")[0], "%a, %d %b %Y %H:%M:%S GMT"))
    assert abs(expires - time.mktime(time.gmtime()) - TWELVE_HOURS) < 120


@MOTO
def test_each_owner_request_reads_the_owner_once(app, client, owner, store, monkeypatch):
    owner.login()
    reads = []
    original = store.get_owner
    monkeypatch.setattr(store, "get_owner", lambda email: reads.append(email) or original(email))
    assert client.get("/owner/account").status_code == 200
    assert reads == [OWNER_EMAIL]


@MOTO
def test_log_out_everywhere_ends_every_session_of_the_account(app, client, owner):
    owner.login()
    other = signed_in_elsewhere(app)
    assert other.get("/owner/").status_code == 200
    token = csrf_token(client, "/owner/account")
    assert client.post("/owner/account/everywhere", data={"csrf_token": token}).status_code == 400  # box not ticked
    assert other.get("/owner/").status_code == 200
    client.post("/owner/account/everywhere", data={"csrf_token": token, "everywhere": "y"})
    assert other.get("/owner/").status_code == 302 and client.get("/owner/").status_code == 302


@MOTO
def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, client, owner, store):
    owner.login()
    other = signed_in_elsewhere(app)
    token = csrf_token(client, "/owner/account")
    wrong = client.post("/owner/account/password", data={"csrf_token": token, "current": "not it",
                                                         "password": "a new long one", "confirm": "a new long one"})
    assert wrong.status_code == 400 and "The current password is not right" in wrong.get_data(as_text=True)
    changed = client.post("/owner/account/password", data={"csrf_token": token, "current": OWNER_PASSWORD,
                                                           "password": "a new long one", "confirm": "a new long one"})
    assert changed.status_code == 302
    assert client.get("/owner/").status_code == 200 and other.get("/owner/").status_code == 302
    assert store.get_owner(OWNER_EMAIL).password_hash.startswith("scrypt:")


@MOTO
def test_create_owner_replaces_an_owner_only_with_force(runner, store):
    create_owner(store, OWNER_EMAIL, OWNER_PASSWORD)
    refused = runner.invoke(args=["create-owner", OWNER_EMAIL, "--password", "another-pass", "--role", "viewer"])
    assert refused.exit_code != 0 and "exists already; --force replaces it" in refused.output
    assert store.get_owner(OWNER_EMAIL).role == "admin"
    last = runner.invoke(args=["create-owner", OWNER_EMAIL, "--password", "another-pass", "--role", "viewer",
                               "--force"])
    assert last.exit_code != 0 and "last admin" in last.output
    create_owner(store, "second@example.test", OWNER_PASSWORD)
    forced = runner.invoke(args=["create-owner", OWNER_EMAIL, "--password", "another-pass", "--role", "agent",
                                 "--force"])
    assert forced.exit_code == 0 and "(agent) saved" in forced.output
    replaced = store.get_owner(OWNER_EMAIL)
    assert (replaced.role, replaced.session_version) == ("agent", 2)


@MOTO
def test_the_language_chosen_before_signing_in_is_kept_after_and_nothing_else_is(client, owner):
    client.get("/login?lang=id")
    with client.session_transaction() as session:
        session["stale"] = "from before the login"
    owner.login()
    with client.session_transaction() as session:
        assert session["lang"] == "id" and "stale" not in session
    assert 'lang="id"' in client.get("/owner/").get_data(as_text=True)

