"""Password reset by e-mail (moto SES): the same answer after the same time whether an address has an account
or not, a link that works once and within the hour, sessions ended by the new password."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from survey_app.services import create_owner, utcnow
from survey_app.services.team import request_password_reset, reset_password
from tests.conftest import CSRF_PATTERN, OWNER_EMAIL, OWNER_PASSWORD, csrf_token
from tests.integration.test_team import mails_to, ses  # noqa: F401  (ses: the fixture)

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
RESET_LINK = re.compile(r"https?://[^/\s]+(/reset/[A-Za-z0-9_-]{43})")
FLOOR_MS = 400


def ask(client, address: str):
    """A reset request, timed."""
    started = time.monotonic()
    response = client.post("/forgot", data={"csrf_token": csrf_token(client, "/forgot"), "email": address})
    return response, time.monotonic() - started


@MOTO
def test_an_unknown_address_gets_the_same_answer_after_the_same_time(app, client, owner, ses):  # noqa: F811
    app.config["PASSWORD_RESET_ANSWER_MS"] = FLOOR_MS
    owner.login()
    owner.logout()
    known, known_seconds = ask(client, OWNER_EMAIL)
    unknown, unknown_seconds = ask(client, "nobody@toko.test")
    pages = [CSRF_PATTERN.sub("", r.get_data(as_text=True)).replace("nobody@toko.test", OWNER_EMAIL)
             for r in (known, unknown)]
    assert known.status_code == unknown.status_code == 200 and pages[0] == pages[1]
    assert "If that address has an account" in pages[0]
    assert FLOOR_MS / 1000 <= min(known_seconds, unknown_seconds)
    assert abs(known_seconds - unknown_seconds) < 0.2, (known_seconds, unknown_seconds)
    assert len(mails_to(ses, OWNER_EMAIL)) == 1 and len(ses.sent_messages) == 1


@MOTO
def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, client, owner, ses):  # noqa: F811
    app.config["PASSWORD_RESET_ANSWER_MS"] = 0
    owner.login()
    elsewhere = app.test_client()
    ask(elsewhere, OWNER_EMAIL)
    (mail,) = mails_to(ses, OWNER_EMAIL)
    path = RESET_LINK.search(mail.get_body(("plain",)).get_content()).group(1)
    data = {"csrf_token": csrf_token(elsewhere, path), "password": "a new long password", "confirm": "a new long password"}
    assert elsewhere.post(path, data=data).status_code == 302
    assert client.get("/owner/").status_code == 302  # the session from before the reset has ended
    assert owner.attempt(OWNER_EMAIL, OWNER_PASSWORD).status_code == 401
    assert owner.attempt(OWNER_EMAIL, "a new long password").status_code == 302
    assert elsewhere.get(path).status_code == 410
    assert elsewhere.post(path, data=data | {"csrf_token": csrf_token(elsewhere, "/login")}).status_code == 410


@pytest.mark.parametrize("engine", ["moto", "dynamodb_local"], indirect=True)
def test_a_reset_link_stops_working_after_an_hour_or_a_password_change(store):
    create_owner(store, OWNER_EMAIL, OWNER_PASSWORD)
    _, late = request_password_reset(store, OWNER_EMAIL)
    assert reset_password(store, late.token, "long-enough", now=utcnow() + timedelta(minutes=61)) is None
    _, first = request_password_reset(store, OWNER_EMAIL)
    _, second = request_password_reset(store, OWNER_EMAIL)
    assert reset_password(store, second.token, "long-enough") is not None
    assert reset_password(store, first.token, "long-enough-too") is None  # the account changed since it was sent


@MOTO
def test_reset_mail_to_one_account_is_limited_but_the_answer_does_not_say_so(app, client, owner, ses):  # noqa: F811
    app.config["PASSWORD_RESET_ANSWER_MS"] = 0
    owner.login()
    answers = {ask(client, OWNER_EMAIL)[0].status_code for _ in range(5)}
    assert answers == {200} and len(mails_to(ses, OWNER_EMAIL)) == 3


@MOTO
def test_the_new_public_forms_refuse_a_post_without_its_csrf_token(app, client, store):
    link = request_password_reset(store, OWNER_EMAIL)
    assert link is None  # no such account
    for path in ("/forgot", "/reset/" + "x" * 43, "/join/" + "x" * 43, "/login/code"):
        response = client.post(path, data={"email": OWNER_EMAIL, "password": "long-enough", "confirm": "long-enough",
                                           "code": "123456"})
        assert response.status_code == 400, (path, response.status_code)


@MOTO
def test_an_unknown_or_used_link_says_so(client, store):
    page = client.get("/reset/" + "x" * 43)
    assert page.status_code == 410 and "already used or has expired" in page.get_data(as_text=True)
    assert client.get("/join/" + "y" * 300).status_code == 410
