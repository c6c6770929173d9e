"""Optional two-factor sign-in: turned on from the account page with a code from the app, then asked after the
password; each code works once, each recovery code once; turning it off needs a code. The secret is sealed by KMS
(moto's) bound to its owner; one stored plain before that is sealed at the next sign-in. The store's single-use
updates also run on DynamoDB Local."""
from __future__ import annotations

import re
from datetime import timedelta

import boto3
import pyotp
import pytest

from survey_app.services import create_owner, two_factor, utcnow
from survey_app.store.secret_box import SecretBox
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, REGION, csrf_token

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]{32})</code>')
RECOVERY = re.compile(r"<code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code>")


@pytest.fixture
def sealed(app):
    """The app seals two-factor secrets with a KMS key of moto's, named by its alias as an operator may."""
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description="survey-app-totp")["KeyMetadata"]
    kms.create_alias(AliasName="alias/survey-app-test-totp", TargetKeyId=key["KeyId"])
    app.config["TOTP_KEY_ID"] = "alias/survey-app-test-totp"
    return key


def raw_owner(store, email: str = OWNER_EMAIL) -> dict:
    return store.client.get_item(TableName=store.table_name,
                                 Key={"pk": {"S": f"OWNER#{email}"}, "sk": {"S": "OWNER"}})["Item"]


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
def test_with_two_factor_on_the_password_alone_does_not_sign_in(client, owner, store, sealed, monkeypatch):
    owner.login()
    secret, _ = turn_on(client)
    owner.logout()
    asked = owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    assert asked.status_code == 302 and asked.headers["Location"] == "/login/code"
    assert client.get("/owner/").status_code == 302  # not signed in yet
    assert second_step(client, wrong_code(secret)).status_code == 401
    monkeypatch.setattr(two_factor, "utcnow", lambda: utcnow() + timedelta(seconds=30))
    signed_in = second_step(client, code_at(secret, 30))
    assert signed_in.status_code == 302 and client.get("/owner/").status_code == 200


@MOTO
def test_a_code_works_once(client, owner, monkeypatch, sealed):
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
def test_a_recovery_code_signs_in_once(client, owner, sealed):
    owner.login()
    _, codes = turn_on(client)
    for expected in (302, 401):
        owner.logout()
        owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
        assert second_step(client, codes[3].lower().replace("-", " ")).status_code == expected


@MOTO
def test_turning_it_off_needs_a_code(client, owner, store, sealed):
    owner.login()
    _, codes = turn_on(client)
    token = csrf_token(client, "/owner/account")
    assert client.post("/owner/account/two-factor", data={"csrf_token": token, "code": "123"}).status_code == 400
    assert store.get_owner(OWNER_EMAIL).totp_secret
    assert client.post("/owner/account/two-factor", data={"csrf_token": token, "code": codes[0]}).status_code == 302
    assert store.get_owner(OWNER_EMAIL).totp_secret == "" and client.get("/owner/").status_code == 200


@MOTO
def test_the_code_step_expires_and_cannot_be_reached_without_the_password(client, owner, monkeypatch, sealed):
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
    secret, box = pyotp.random_base32(), SecretBox("", REGION)
    assert two_factor.enable(store, box, owner, secret, wrong_code(secret)) is None
    codes = two_factor.enable(store, box, owner, secret, pyotp.TOTP(secret).now())
    assert store.use_totp_step(OWNER_EMAIL, 10**9) and not store.use_totp_step(OWNER_EMAIL, 10**9)
    enabled = store.get_owner(OWNER_EMAIL)
    assert two_factor.verify(store, box, enabled, codes[0]) and not two_factor.verify(store, box, enabled, codes[0])
    assert len(store.get_owner(OWNER_EMAIL).recovery_codes) == 9
    assert codes[1] not in repr(store.client.scan(TableName=store.table_name)["Items"])


@MOTO
def test_the_stored_owner_item_holds_no_plain_totp_secret(client, owner, store, sealed, monkeypatch):
    owner.login()
    secret, _ = turn_on(client)
    item = raw_owner(store)
    assert item["totp_secret"]["S"].startswith("kms:") and secret not in repr(item)
    assert secret not in repr(store.client.scan(TableName=store.table_name)["Items"])
    owner.logout()
    owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    monkeypatch.setattr(two_factor, "utcnow", lambda: utcnow() + timedelta(seconds=30))
    assert second_step(client, code_at(secret, 30)).status_code == 302


@MOTO
def test_a_sealed_secret_copied_onto_another_owners_item_does_not_open(app, client, owner, store, sealed):
    """The encryption context names the owner: a value moved between items (a table edit, a restored backup
    row) fails KMS's check, and the code that fits the copied secret signs nobody in."""
    owner.login()
    secret, _ = turn_on(client)
    create_owner(store, "agent@toko.test", "agent-secret-pass", "agent")
    store.client.update_item(TableName=store.table_name, Key={"pk": {"S": "OWNER#agent@toko.test"},
                                                              "sk": {"S": "OWNER"}},
                             UpdateExpression="SET totp_secret = :s",
                             ExpressionAttributeValues={":s": raw_owner(store)["totp_secret"]})
    agent = app.test_client()
    agent.post("/login", data={"csrf_token": csrf_token(agent, "/login"), "email": "agent@toko.test",
                               "password": "agent-secret-pass"})
    assert second_step(agent, code_at(secret)).status_code == 401
    assert agent.get("/owner/").status_code == 302


@MOTO
def test_a_plain_secret_from_before_sealing_signs_in_and_is_sealed_at_that_sign_in(app, client, owner, store,
                                                                                 monkeypatch):
    """A wrong code changes nothing; the first right one seals the secret in place without ending the session
    it opens (nor the owner's others: the secret is the same)."""
    owner.login()
    secret, _ = turn_on(client)  # no key yet: kept plain, as before this change
    assert raw_owner(store)["totp_secret"]["S"] == secret
    kms = boto3.client("kms", region_name=REGION)
    app.config["TOTP_KEY_ID"] = kms.create_key()["KeyMetadata"]["Arn"]
    app.extensions.pop("survey_secret_box")  # the deployment that sets the key starts new instances
    owner.logout()
    owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    assert second_step(client, wrong_code(secret)).status_code == 401
    assert raw_owner(store)["totp_secret"]["S"] == secret
    version = store.get_owner(OWNER_EMAIL).session_version
    monkeypatch.setattr(two_factor, "utcnow", lambda: utcnow() + timedelta(seconds=30))
    assert second_step(client, code_at(secret, 30)).status_code == 302
    stored = raw_owner(store)["totp_secret"]["S"]
    assert stored.startswith("kms:") and secret not in repr(raw_owner(store))
    assert store.get_owner(OWNER_EMAIL).session_version == version and client.get("/owner/").status_code == 200
    owner.logout()
    owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    monkeypatch.setattr(two_factor, "utcnow", lambda: utcnow() + timedelta(seconds=60))
    assert second_step(client, code_at(secret, 60)).status_code == 302  # the sealed secret opens


@MOTO
def test_a_plain_secret_is_sealed_at_a_sign_in_with_a_recovery_code_too(app, client, owner, store):
    owner.login()
    secret, codes = turn_on(client)
    app.config["TOTP_KEY_ID"] = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    app.extensions.pop("survey_secret_box")
    owner.logout()
    owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    assert second_step(client, codes[0]).status_code == 302
    assert raw_owner(store)["totp_secret"]["S"].startswith("kms:") and secret not in repr(raw_owner(store))


@MOTO
def test_the_recovery_codes_page_logs_out_with_the_token_it_shows(client, owner, sealed):
    """A browser posts the forms of the page it was given: the page that shows the recovery codes comes from the
    request that turned two-factor on and started a fresh session, so its tokens must belong to that session."""
    owner.login()
    page = client.post("/owner/account/two-factor", data={
        "csrf_token": csrf_token(client, "/owner/account"),
        "code": code_at(SECRET.search(client.get("/owner/account").get_data(as_text=True)).group(1))})
    shown = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post("/logout", data={"csrf_token": shown}).status_code == 302
