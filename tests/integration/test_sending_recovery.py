"""The sender stopped at any instant (Lambda's timeout, a crash) never messages a customer twice and loses no
one; it stops claiming work when its time budget runs low; it keeps each provider's rate."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from survey_app.budget import Budget
from survey_app.domain.models import Delivery
from survey_app.services import Sender, create_invitation, failures, retry_failed, save_survey, send_due
from survey_app.services.pacing import Pace
from survey_app.services.sending import LEASE
from tests.factories import make_survey
from tests.integration.test_sending import NOW


class Killed(BaseException):
    """The process dies here: nothing after this line of the run happens (not an Exception, so nothing catches it)."""


class RecordingEmail:
    """An e-mail channel that keeps every message it accepted, optionally dying right after accepting one."""

    def __init__(self, die_after_accepting: bool = False, latency: float = 0.0):
        self.accepted, self.started = [], []
        self.die_after_accepting, self.latency = die_after_accepting, latency
        self._lock = threading.Lock()

    def send(self, content):
        with self._lock:
            self.started.append(time.monotonic())
        time.sleep(self.latency)
        with self._lock:
            self.accepted.append(content.to)
        if self.die_after_accepting:
            self.die_after_accepting = False
            raise Killed()
        return f"id-{len(self.accepted)}"


def sender_with(channel, **options) -> Sender:
    return Sender(channels={"email": channel}, base_url="https://survey.toko.test", business_name="Toko", **options)


def email_survey(store):
    return save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("email",),
                                                                            reminder_after_days=0)))


def due(store, survey, n: int = 1):
    return [create_invitation(store, survey, now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1),
                              customer_name="Budi", email=f"c{i}@example.com", order_ref=f"O-{i}").token
            for i in range(n)]


def run(app, store, sender, now=NOW, **options):
    with app.app_context():
        return send_due(store, sender, now=now, **options)


def test_a_run_killed_after_the_provider_accepted_never_sends_again_and_flags_it_for_the_owner(app, store):
    survey = email_survey(store)
    (token,) = due(store, survey)
    channel = RecordingEmail(die_after_accepting=True)
    with pytest.raises(Killed):
        run(app, store, sender_with(channel))
    assert store.get_invitation(token).state == "sending" and store.get_invitation(token).handing_over_at
    assert run(app, store, sender_with(channel)) == {}  # the lease still holds: nobody touches it
    assert run(app, store, sender_with(channel), now=NOW + LEASE + timedelta(seconds=1)) == {"unconfirmed": 1}
    assert channel.accepted == ["c0@example.com"]
    (flagged,) = failures(store, survey)
    assert flagged.state == "unconfirmed" and "may or may not have arrived" in flagged.failure
    assert run(app, store, sender_with(channel), now=NOW + 2 * LEASE) == {}
    assert channel.accepted == ["c0@example.com"]
    assert retry_failed(store, flagged, now=NOW + 2 * LEASE)  # the owner knowingly sends again
    assert run(app, store, sender_with(channel), now=NOW + 2 * LEASE + timedelta(seconds=1)) == {"sent": 1}
    assert channel.accepted == ["c0@example.com"] * 2


def test_a_run_killed_before_the_hand_over_is_finished_by_the_next_run_with_one_message(app, store, monkeypatch):
    survey = email_survey(store)
    (token,) = due(store, survey)
    channel = RecordingEmail()

    def die(*args, **kwargs):
        raise Killed()

    with monkeypatch.context() as patch:
        patch.setattr(type(store), "claim_contact", die)
        with pytest.raises(Killed):
            run(app, store, sender_with(channel))
    assert store.get_invitation(token).state == "sending" and not store.get_invitation(token).handing_over_at
    assert run(app, store, sender_with(channel), now=NOW + LEASE + timedelta(seconds=1)) == {"sent": 1}
    assert channel.accepted == ["c0@example.com"] and store.get_invitation(token).state == "sent"


def test_a_run_whose_budget_is_spent_claims_nothing_and_leaves_it_for_the_next(app, store):
    survey = email_survey(store)
    tokens = due(store, survey, 3)
    channel = RecordingEmail()
    spent = Budget(seconds=10, margin=30)
    assert run(app, store, sender_with(channel), budget=spent) == {"left_for_next_run": 3}
    assert {store.get_invitation(t).state for t in tokens} == {"scheduled"} and channel.accepted == []
    assert run(app, store, sender_with(channel), budget=Budget(seconds=300, margin=30)) == {"sent": 3}


@pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)  # threads: AWS's engine, not moto
def test_sends_in_flight_together_keep_the_providers_rate_and_reach_each_customer_once(app, store):
    survey = email_survey(store)
    due(store, survey, 24)
    channel = RecordingEmail(latency=0.05)
    rate = 40.0
    outcomes = run(app, store, sender_with(channel, concurrency=8, rates={"email": rate}))
    assert outcomes == {"sent": 24}
    assert sorted(channel.accepted) == sorted(f"c{i}@example.com" for i in range(24))
    starts = sorted(channel.started)
    assert starts[-1] - starts[0] >= (len(starts) - 1) / rate * 0.95
    assert max(b - a for a, b in zip(starts, starts[1:])) < 1  # in flight together, not one after another


def test_a_pace_spaces_slots_by_its_rate_and_no_rate_means_no_wait():
    pace = Pace(20)
    started = time.monotonic()
    for _ in range(5):
        pace.wait()
    assert time.monotonic() - started >= 4 / 20 * 0.95
    unpaced = Pace(0)
    started = time.monotonic()
    for _ in range(1000):
        unpaced.wait()
    assert time.monotonic() - started < 0.5


def test_the_owner_sees_an_unconfirmed_send_counted_and_offered_to_send_again(app, store, client, owner):
    survey = email_survey(store)
    due(store, survey)
    channel = RecordingEmail(die_after_accepting=True)
    with pytest.raises(Killed):
        run(app, store, sender_with(channel))
    run(app, store, sender_with(channel), now=NOW + LEASE + timedelta(seconds=1))
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/invitations").get_data(as_text=True)
    assert "Unconfirmed" in page and "Send again" in page and "may or may not have arrived" in page
