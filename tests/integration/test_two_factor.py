"""Optional two-factor sign-in: turned on from the account page with a code from the app, then asked after the
password; each code works once, each recovery code once; turning it off needs a code. The store's single-use
updates also run on DynamoDB Local."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest

from survey_app.services import create_owner, two_factor, utcnow
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, csrf_token

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]{32})</code>')
RECOVERY = re.compile(r"<code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code>")


def code_at(secret: str, seconds_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=seconds_ahead))


def wrong_code(secret: str) -> str:
    """A code that is not right now, nor 30 s either side."""
    right = {code_at(secret, seconds) for seconds in (-30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444") if code not in right)


def turn_on(client) -> tuple[str, list[str]]:
    secret = SECRET.search(client.get("/owner/account").get_data(as_text=True)).group(1)
    page = client.post("/owner/account/two-factor", data={"csrf_token": csrf_token(client, "/owner/account"),
                                                          "code": code_at(secret)})
    assert page.status_code == 200
    codes = RECOVERY.findall(page.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def second_step(client, code: str):
    return client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code"), "code": code})


@MOTO
def test_with_two_factor_on_the_password_alone_does_not_sign_in(client, owner, store, monkeypatch):
    owner.login()
    secret, _ = turn_on(client)
    assert store.get_owner(OWNER_EMAIL).totp_secret == secret
    owner.logout()
    asked = owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    assert asked.status_code == 302 and asked.headers["Location"] == "/login/code"
    assert client.get("/owner/").status_code == 302  # not signed in yet
    assert second_step(client, wrong_code(secret)).status_code == 401
    monkeypatch.setattr(two_factor, "utcnow", lambda: utcnow() + timedelta(seconds=30))
    signed_in = second_step(client, code_at(secret, 30))
    assert signed_in.status_code == 302 and client.get("/owner/").status_code == 200


@MOTO
def test_a_code_works_once(client, owner, monkeypatch):
    owner.login()
    secret, _ = turn_on(client)
    owner.logout()
    monkeypatch.setattr(two_factor, "utcnow", lambda: utcnow() + timedelta(seconds=30))
    owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    assert second_step(client, code_at(secret, 30)).status_code == 302
    owner.logout()
    owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    assert second_step(client, code_at(secret, 30)).status_code == 401  # replayed


@MOTO
def test_a_recovery_code_signs_in_once(client, owner):
    owner.login()
    _, codes = turn_on(client)
    for expected in (302, 401):
        owner.logout()
        owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
        assert second_step(client, codes[3].lower().replace("-", " ")).status_code == expected


@MOTO
def test_turning_it_off_needs_a_code(client, owner, store):
    owner.login()
    _, codes = turn_on(client)
    token = csrf_token(client, "/owner/account")
    assert client.post("/owner/account/two-factor", data={"csrf_token": token, "code": "123"}).status_code == 400
    assert store.get_owner(OWNER_EMAIL).totp_secret
    assert client.post("/owner/account/two-factor", data={"csrf_token": token, "code": codes[0]}).status_code == 302
    assert store.get_owner(OWNER_EMAIL).totp_secret == "" and client.get("/owner/").status_code == 200


@MOTO
def test_the_code_step_expires_and_cannot_be_reached_without_the_password(client, owner, monkeypatch):
    owner.login()
    turn_on(client)
    owner.logout()
    assert client.get("/login/code").headers["Location"] == "/login"
    owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    with client.session_transaction() as session:
        session["pending"] = session["pending"] | {"at": session["pending"]["at"] - 301}
    assert client.get("/login/code").headers["Location"] == "/login"


@pytest.mark.parametrize("engine", ["moto", "dynamodb_local"], indirect=True)
def test_time_steps_and_recovery_codes_are_used_once_in_the_store(store):
    create_owner(store, OWNER_EMAIL, OWNER_PASSWORD)
    owner = store.get_owner(OWNER_EMAIL)
    secret = pyotp.random_base32()
    assert two_factor.enable(store, owner, secret, wrong_code(secret)) is None
    codes = two_factor.enable(store, owner, secret, pyotp.TOTP(secret).now())
    assert store.use_totp_step(OWNER_EMAIL, 10**9) and not store.use_totp_step(OWNER_EMAIL, 10**9)
    enabled = store.get_owner(OWNER_EMAIL)
    assert two_factor.verify(store, enabled, codes[0]) and not two_factor.verify(store, enabled, codes[0])
    assert len(store.get_owner(OWNER_EMAIL).recovery_codes) == 9
    assert codes[1] not in repr(store.client.scan(TableName=store.table_name)["Items"])
