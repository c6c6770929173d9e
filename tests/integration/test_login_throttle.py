"""Login throttling a stranger cannot turn into a lock-out: per account and address, then per address, growing
delays (1, 2, 4... s, at most 15 minutes) instead of a lock; the owner's right password from another address
works at once; the address is API Gateway's, not a header; an admin clears a teammate's delays. The store's
conditional claims also run on DynamoDB Local."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from survey_app.services import create_owner, login_throttle
from survey_app.services.login_throttle import (MAX_DELAY_SECONDS, claim_login_attempt, login_succeeded, login_wait,
                                                throttled_addresses)
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, csrf_token

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
BOTH = pytest.mark.parametrize("engine", ["moto", "dynamodb_local"], indirect=True)
# the real clock (to the minute): DynamoDB Local deletes a counter whose TTL (an hour and a quarter after its
# last attempt) has passed, as AWS does, so counters written at a fixed past instant could vanish mid-test
T0 = datetime.now(timezone.utc).replace(second=0, microsecond=0)


@pytest.fixture
def frozen(monkeypatch):
    """The throttle's clock stands still, so a delay is still running however slowly the test goes."""
    monkeypatch.setattr(login_throttle, "utcnow", lambda: T0)


def attempt(client, address: str, password: str, email: str = OWNER_EMAIL, event: bool = False):
    """A login post from `address`: as the test client's REMOTE_ADDR, or as API Gateway's sourceIp in the
    Lambda event Zappa keeps (with a forged X-Forwarded-For beside it)."""
    token = csrf_token(client, "/login")
    environ = ({"lambda.event": {"requestContext": {"identity": {"sourceIp": address}}}, "REMOTE_ADDR": "10.9.9.9"}
               if event else {"REMOTE_ADDR": address})
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password},
                       environ_base=environ, headers={"X-Forwarded-For": "203.0.113.77"})


@BOTH
def test_past_five_attempts_each_waits_twice_as_long_and_never_more_than_fifteen_minutes(store):
    now = T0
    for _ in range(5):
        assert claim_login_attempt(store, OWNER_EMAIL, "198.51.100.7", now=now) == 0
    waits = []
    for _ in range(14):
        wait = login_wait(store, OWNER_EMAIL, "198.51.100.7", now=now)
        assert claim_login_attempt(store, OWNER_EMAIL, "198.51.100.7", now=now) == wait  # refused, not counted
        now += timedelta(seconds=wait)
        assert claim_login_attempt(store, OWNER_EMAIL, "198.51.100.7", now=now) == 0
        waits.append(wait)
    assert waits[:5] == [1, 2, 4, 8, 16] and max(waits) == MAX_DELAY_SECONDS
    assert login_wait(store, OWNER_EMAIL, "198.51.100.8", now=now) == 0  # another address: no wait
    login_succeeded(store, OWNER_EMAIL, "198.51.100.7")
    assert login_wait(store, OWNER_EMAIL, "198.51.100.7", now=now) == 0


@BOTH
def test_an_address_guessing_many_accounts_waits_for_all_of_them(store):
    for i in range(30):
        assert claim_login_attempt(store, f"guess{i}@toko.test", "198.51.100.9", now=T0) == 0
    assert login_wait(store, "anyone@toko.test", "198.51.100.9", now=T0) == 1
    assert login_wait(store, "anyone@toko.test", "198.51.100.10", now=T0) == 0
    assert login_wait(store, "anyone@toko.test", "198.51.100.9", now=T0 + timedelta(hours=2)) == 0


@BOTH
def test_two_attempts_that_read_the_same_counters_cannot_both_be_counted(store):
    keys = [(f"LOGINFAIL#{OWNER_EMAIL}", "198.51.100.7"), ("LOGINFAIL-ADDR#198.51.100.7", "ADDR")]
    claim_login_attempt(store, OWNER_EMAIL, "198.51.100.7", now=T0)
    read = store.login_attempts(keys)
    claims = [(item, {"pk": pk, "sk": sk, "attempts": 2, "last_epoch": int(T0.timestamp())})
              for item, (pk, sk) in zip(read, keys)]
    assert store.claim_login_attempts(claims) is True
    assert store.claim_login_attempts(claims) is False
    assert [item["attempts"] for item in store.login_attempts(keys)] == [2, 2]


@MOTO
def test_a_stranger_failing_from_one_address_does_not_keep_the_owner_out_of_another(client, store, frozen):
    create_owner(store, OWNER_EMAIL, OWNER_PASSWORD)
    for _ in range(5):
        assert attempt(client, "198.51.100.66", "guess").status_code == 401
    delayed = attempt(client, "198.51.100.66", OWNER_PASSWORD)
    assert delayed.status_code == 429 and "Try again in 1 seconds" in delayed.get_data(as_text=True)
    assert attempt(client, "192.0.2.10", OWNER_PASSWORD).status_code == 302


@MOTO
def test_the_address_is_api_gateways_not_a_header_or_the_forwarded_one(client, store, frozen):
    create_owner(store, OWNER_EMAIL, OWNER_PASSWORD)
    for _ in range(5):
        attempt(client, "198.51.100.66", "guess", event=True)
    assert attempt(client, "198.51.100.66", OWNER_PASSWORD, event=True).status_code == 429
    assert throttled_addresses(store, OWNER_EMAIL) == ["198.51.100.66"]


@MOTO
def test_an_admin_lets_a_delayed_teammate_try_again_at_once(app, client, owner, store, frozen):
    create_owner(store, "agent@toko.test", "agent-pass-long", "agent")
    stranger = app.test_client()
    for _ in range(6):
        attempt(stranger, "198.51.100.66", "guess", email="agent@toko.test")
    owner.login()
    team = client.get("/owner/team").get_data(as_text=True)
    assert "sign-ins delayed from 1 address(es)" in team
    cleared = client.post("/owner/team/clear", data={"csrf_token": csrf_token(client, "/owner/team"),
                                                     "email": "agent@toko.test"})
    assert cleared.status_code == 302 and "sign-ins delayed" not in client.get("/owner/team").get_data(as_text=True)
    assert attempt(stranger, "198.51.100.66", "agent-pass-long", email="agent@toko.test").status_code == 302
