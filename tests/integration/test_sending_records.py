"""What the sender writes down on each outcome, exactly: the state, the times, the reason, the attempts and the
day's counter, because the next run (and the owner's failure list) acts on nothing else. Driven through
`send_due` with a scripted e-mail channel, at pinned instants just before the owner's midnight in
Asia/Jayapura (UTC+9), so a counter on the wrong day or in UTC shows.

The state machine's logic runs on moto only; the store's conditions themselves are proven on both engines in
the store suite, and the sender's races and faults on DynamoDB Local in tests/reliability/."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.channels import ChannelError, DeliveryUnknown
from survey_app.channels.whatsapp import WhatsAppCloud
from survey_app.domain.models import Delivery
from survey_app.errors import StoreUnavailable
from survey_app.i18n import translate
from survey_app.services import (Sender, create_invitation, failures, local_day, retry_failed, save_survey, send_due,
                                 submit_response)
from survey_app.services.chat_templates import TEMPLATES
from survey_app.services.sending import LEASE
from tests.factories import make_survey
from tests.integration.test_sending import whatsapp_api  # noqa: F401 (the Cloud API fake, a fixture)
from tests.integration.test_sending_recovery import Killed

pytestmark = pytest.mark.parametrize("engine", ["moto"], indirect=True)

TZ = "Asia/Jayapura"
NOW = datetime(2026, 3, 1, 14, 50, tzinfo=timezone.utc)  # 23:50 in Jayapura: 10 minutes to the owner's midnight
BUSINESS = "Toko"


class ScriptedEmail:
    """An e-mail channel that answers each send with the next scripted outcome (None: accepted) and keeps what it
    accepted, what it was handed, and when each hand-over started."""

    def __init__(self, *outcomes, watch=None):
        self.outcomes, self.watch = list(outcomes), watch
        self.handed, self.accepted, self.started, self.seen = [], [], [], []

    def send(self, content):
        self.started.append(time.monotonic())
        self.handed.append(content)
        if self.watch:
            self.seen.append(self.watch(content))
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        self.accepted.append(content)
        return f"ses-{len(self.accepted)}"


def sender_with(channel, **options) -> Sender:
    return Sender(channels={"email": channel}, base_url="https://survey.toko.test", business_name=BUSINESS,
                  tz_name=TZ, **options)


def email_survey(store, reminder_after_days=0, default_language="en"):
    survey = make_survey(store, default_language=default_language)
    return save_survey(store, replace(survey, delivery=Delivery(channels=("email",),
                                                                reminder_after_days=reminder_after_days)))


def due(store, survey, n=1, **fields):
    return [create_invitation(store, survey, now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1),
                              customer_name="Budi", email=f"c{i}@example.com", order_ref=f"O-{i}", **fields).token
            for i in range(n)]


def run(app, store, channel, now, **options):
    with app.app_context():
        return send_due(store, sender_with(channel, **options), now=now)


def counters(store, survey):
    """Every day's counters of the survey's invitation events, without the empty days."""
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    return {day: {k: v for k, v in values.items() if k.startswith("inv#") and v} for day, values in days.items()
            if any(k.startswith("inv#") and v for k, v in values.items())}


def day_of(moment):
    return local_day(moment, TZ)


def failing_store_writes(monkeypatch, store, when, times, after_write=False):
    """The store's state writes that match `when` fail `times` times with StoreUnavailable (after doing the
    write, with `after_write`: the reply was lost); returns the list of the failures raised."""
    original, raised = store.transition, []

    def transition(invitation, to, **options):
        if when(invitation, to) and len(raised) < times:
            if after_write:
                original(invitation, to, **options)
            raised.append(to.state)
            raise StoreUnavailable("DynamoDB failed after retries")
        return original(invitation, to, **options)

    monkeypatch.setattr(store, "transition", transition)
    return raised


def test_a_refused_send_is_retried_after_5_then_20_minutes_then_fails_with_its_reason_on_the_owners_day(app, store):
    survey = email_survey(store)
    (token,) = due(store, survey)
    channel = ScriptedEmail(*[ChannelError(f"SES MessageRejected: address blacklisted ({n})") for n in (1, 2, 3)])
    assert run(app, store, channel, NOW) == {"retry_scheduled": 1}
    first = store.get_invitation(token)
    assert (first.state, first.attempts, first.failure, first.handing_over_at) == (
        "scheduled", 1, "SES MessageRejected: address blacklisted (1)", "")
    assert first.send_at == (NOW + timedelta(minutes=5)).isoformat()
    assert run(app, store, channel, NOW + timedelta(minutes=5) - timedelta(seconds=1)) == {}
    second_try = NOW + timedelta(minutes=5)
    assert run(app, store, channel, second_try) == {"retry_scheduled": 1}
    second = store.get_invitation(token)
    assert (second.state, second.attempts, second.failure) == (
        "scheduled", 2, "SES MessageRejected: address blacklisted (2)")
    assert second.send_at == (second_try + timedelta(minutes=20)).isoformat()
    last_try = second_try + timedelta(minutes=20)  # 00:15 in Jayapura: the next day there, still the same day in UTC
    assert run(app, store, channel, last_try) == {"failed": 1}
    failed = store.get_invitation(token)
    assert (failed.state, failed.attempts, failed.failure, failed.handing_over_at, failed.send_at) == (
        "failed", 3, "SES MessageRejected: address blacklisted (3)", "", last_try.isoformat())
    assert [i.token for i in failures(store, survey)] == [token]
    assert day_of(last_try) != day_of(NOW) == last_try.date().isoformat()
    assert counters(store, survey) == {day_of(last_try): {"inv#email#failed": 1}}
    assert run(app, store, channel, last_try + timedelta(days=1)) == {} and channel.accepted == []


def test_a_send_after_a_refusal_clears_the_reason_counts_both_attempts_and_sets_the_reminder(app, store):
    survey = email_survey(store, reminder_after_days=3)
    (token,) = due(store, survey)
    channel = ScriptedEmail(ChannelError("SES Throttling: maximum sending rate exceeded"))
    assert run(app, store, channel, NOW) == {"retry_scheduled": 1}
    later = NOW + timedelta(minutes=5)
    assert run(app, store, channel, later) == {"sent": 1}
    sent = store.get_invitation(token)
    assert (sent.state, sent.failure, sent.attempts, sent.handing_over_at, sent.channel) == ("sent", "", 2, "", "email")
    assert sent.sent_at == later.isoformat() and sent.remind_at == (later + timedelta(days=3)).isoformat()
    assert counters(store, survey) == {day_of(later): {"inv#email#sent": 1}}
    assert [c.to for c in channel.accepted] == ["c0@example.com"]


def test_without_reminders_a_sent_invitation_waits_in_no_queue(app, store):
    survey = email_survey(store, reminder_after_days=0)
    (token,) = due(store, survey)
    assert run(app, store, ScriptedEmail(), NOW) == {"sent": 1}
    assert store.get_invitation(token).remind_at == ""
    assert store.due_invitations((NOW + timedelta(days=400)).isoformat(), 10) == []


def test_the_hand_over_mark_is_set_while_the_provider_is_called_and_cleared_with_the_outcome(app, store):
    survey = email_survey(store)
    tokens = due(store, survey, 3)

    def stored_now(content):
        invitation = store.get_invitation(tokens[int(content.to[1])])  # c<i>@example.com
        return invitation.state, bool(invitation.handing_over_at)

    channel = ScriptedEmail(None, ChannelError("SES MessageRejected"), DeliveryUnknown("SES did not answer"),
                            watch=stored_now)
    assert run(app, store, channel, NOW) == {"sent": 1, "retry_scheduled": 1, "unconfirmed": 1}
    assert channel.seen == [("sending", True)] * 3
    assert [store.get_invitation(t).handing_over_at for t in tokens] == ["", "", ""]


def test_a_provider_answer_lost_is_flagged_unconfirmed_on_the_owners_day_and_never_sent_again(app, store):
    survey = email_survey(store)
    (token,) = due(store, survey)
    channel = ScriptedEmail(DeliveryUnknown("SES did not answer: read timeout"))
    assert run(app, store, channel, NOW) == {"unconfirmed": 1}
    flagged = store.get_invitation(token)
    assert (flagged.state, flagged.send_at, flagged.handing_over_at) == ("unconfirmed", NOW.isoformat(), "")
    assert flagged.failure.startswith("SES did not answer: read timeout: it may or may not have arrived")
    assert [i.token for i in failures(store, survey)] == [token]
    assert counters(store, survey) == {day_of(NOW): {"inv#email#unconfirmed": 1}}
    assert run(app, store, channel, NOW + 2 * LEASE) == {} and len(channel.handed) == 1
    assert retry_failed(store, flagged, now=NOW + 2 * LEASE)  # the owner knowingly sends again
    assert run(app, store, channel, NOW + 2 * LEASE) == {"sent": 1} and len(channel.accepted) == 1


def test_a_claim_is_left_alone_until_its_lease_ends_and_a_crash_mid_hand_over_is_then_flagged(app, store,
                                                                                               monkeypatch):
    survey = email_survey(store)
    (token,) = due(store, survey)
    channel = ScriptedEmail()
    lost = failing_store_writes(monkeypatch, store, lambda old, new: new.state == "sent", times=4)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    assert run(app, store, channel, NOW) == {"store_unavailable": 1} and lost == ["sent"] * 4
    assert len(channel.accepted) == 1
    assert run(app, store, channel, NOW + LEASE - timedelta(seconds=1)) == {}
    assert run(app, store, channel, NOW + LEASE) == {"unconfirmed": 1}
    flagged = store.get_invitation(token)
    assert (flagged.state, flagged.send_at, flagged.handing_over_at) == ("unconfirmed", (NOW + LEASE).isoformat(), "")
    assert flagged.failure == ("the sender stopped while handing this message to the provider: it may or may not "
                               "have arrived; send again only if the customer did not get it")  # the owner's guide
    assert counters(store, survey) == {day_of(NOW + LEASE): {"inv#email#unconfirmed": 1}}
    assert len(channel.handed) == 1


def test_recording_sent_rides_out_three_store_errors_pausing_longer_each_time(app, store, monkeypatch):
    survey = email_survey(store)
    (token,) = due(store, survey)
    pauses = []
    lost = failing_store_writes(monkeypatch, store, lambda old, new: new.state == "sent", times=3, after_write=False)
    monkeypatch.setattr(time, "sleep", pauses.append)
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"sent": 1}
    assert lost == ["sent"] * 3 and pauses == [0.2, 0.4, 0.8]
    assert store.get_invitation(token).state == "sent" and len(channel.accepted) == 1
    assert counters(store, survey) == {day_of(NOW): {"inv#email#sent": 1}}


def test_a_store_error_writing_the_hand_over_mark_withdraws_it_and_sends_nothing(app, store, monkeypatch):
    survey = email_survey(store)
    (token,) = due(store, survey)
    channel = ScriptedEmail()
    lost = failing_store_writes(monkeypatch, store, lambda old, new: new.state == "sending" and new.handing_over_at,
                                times=1, after_write=True)
    assert run(app, store, channel, NOW) == {"store_unavailable": 1} and lost == ["sending"]
    withdrawn = store.get_invitation(token)
    assert (withdrawn.state, withdrawn.handing_over_at, channel.handed) == ("sending", "", [])
    assert run(app, store, channel, NOW + LEASE) == {"sent": 1} and len(channel.accepted) == 1


def test_an_invitation_another_run_claimed_first_is_not_sent_again(app, store, monkeypatch):
    survey = email_survey(store)
    due(store, survey, 2)
    seen_by_both = store.due_invitations(NOW.isoformat(), 100)
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"sent": 2}
    monkeypatch.setattr(store, "due_invitations", lambda now, limit: seen_by_both)
    assert run(app, store, channel, NOW) == {"claimed_by_another": 2} and len(channel.handed) == 2


def test_a_reminder_goes_once_in_the_invitations_language_on_the_owners_day(app, store, monkeypatch):
    survey = email_survey(store, reminder_after_days=3)
    (token,) = due(store, survey, language="id")
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"sent": 1}
    assert run(app, store, channel, NOW + timedelta(days=3) - timedelta(seconds=1)) == {}
    seen_by_both = store.due_invitations((NOW + timedelta(days=3)).isoformat(), 100)
    remind = NOW + timedelta(days=3, minutes=20)  # past the owner's midnight
    assert run(app, store, channel, remind) == {"reminded": 1}
    reminded = store.get_invitation(token)
    assert (reminded.state, reminded.reminded_at, reminded.remind_at) == ("sent", remind.isoformat(), "")
    assert [c.subject for c in channel.accepted] == [translate("email_subject", "id", business=BUSINESS),
                                                     translate("email_reminder_subject", "id", business=BUSINESS)]
    assert counters(store, survey) == {day_of(NOW): {"inv#email#sent": 1}, day_of(remind): {"inv#email#reminded": 1}}
    assert run(app, store, channel, remind + timedelta(days=30)) == {}
    monkeypatch.setattr(store, "due_invitations", lambda now, limit: seen_by_both)  # a second run read it too
    assert run(app, store, channel, remind) == {"claimed_by_another": 1} and len(channel.handed) == 2


@pytest.mark.parametrize("opted_out", ["email", "phone"])
def test_no_reminder_reaches_a_customer_who_opted_out_of_either_contact_after_the_invitation(app, store, opted_out):
    survey = email_survey(store, reminder_after_days=3)
    (token,) = due(store, survey, phone="+6281234567890")
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"sent": 1}
    invitation = store.get_invitation(token)
    store.opt_out(getattr(invitation, opted_out), NOW.isoformat())
    assert run(app, store, channel, NOW + timedelta(days=3)) == {"reminder_skipped": 1}
    skipped = store.get_invitation(token)
    assert len(channel.handed) == 1 and (skipped.reminded_at, skipped.remind_at) == (
        (NOW + timedelta(days=3)).isoformat(), "")
    assert counters(store, survey) == {day_of(NOW): {"inv#email#sent": 1}}


def reminder_due(app, store, *outcomes):
    """An e-mail invitation sent at NOW, its reminder due three days on; the channel then answers `outcomes`."""
    survey = email_survey(store, reminder_after_days=3)
    (token,) = due(store, survey)
    channel = ScriptedEmail(None, *outcomes)
    assert run(app, store, channel, NOW) == {"sent": 1}
    return survey, token, channel


def test_a_reminder_the_provider_refuses_keeps_its_reason_and_is_not_tried_again(app, store):
    survey, token, channel = reminder_due(app, store, ChannelError("SES Throttling: maximum sending rate exceeded"))
    assert run(app, store, channel, NOW + timedelta(days=3)) == {"reminder_failed": 1}
    refused = store.get_invitation(token)
    assert (refused.state, refused.failure) == ("sent", "reminder: SES Throttling: maximum sending rate exceeded")
    assert refused.reminded_at == (NOW + timedelta(days=3)).isoformat()
    assert run(app, store, channel, NOW + timedelta(days=4)) == {} and len(channel.handed) == 2
    assert counters(store, survey) == {day_of(NOW): {"inv#email#sent": 1}}


def test_a_reminder_whose_answer_the_provider_lost_is_counted_unconfirmed_and_never_sent_again(app, store):
    survey, token, channel = reminder_due(app, store, DeliveryUnknown("SES did not answer: read timeout"))
    assert run(app, store, channel, NOW + timedelta(days=3)) == {"reminder_unconfirmed": 1}
    unknown = store.get_invitation(token)
    assert unknown.failure == "reminder: SES did not answer: read timeout: it may or may not have arrived"
    assert (unknown.state, unknown.reminder_handing_over_at) == ("sent", "")
    assert run(app, store, channel, NOW + timedelta(days=4)) == {} and len(channel.handed) == 2
    assert counters(store, survey) == {day_of(NOW): {"inv#email#sent": 1},
                                       day_of(NOW + timedelta(days=3)): {"inv#email#reminder_unconfirmed": 1}}


def test_a_reminder_run_stopped_mid_hand_over_is_flagged_unconfirmed_once_its_lease_runs_out(app, store):
    survey, token, channel = reminder_due(app, store, Killed())
    remind = NOW + timedelta(days=3)
    with pytest.raises(Killed):
        run(app, store, channel, remind)
    assert store.get_invitation(token).reminder_handing_over_at  # the mark the stopped run left
    assert run(app, store, channel, remind + LEASE - timedelta(minutes=1)) == {}  # still leased to that run
    assert run(app, store, channel, remind + LEASE) == {"reminder_unconfirmed": 1}
    assert run(app, store, channel, remind + 2 * LEASE) == {} and len(channel.handed) == 2
    flagged = store.get_invitation(token)
    assert flagged.failure.startswith("reminder: the sender stopped while handing it to the provider")
    assert counters(store, survey)[day_of(remind + LEASE)] == {"inv#email#reminder_unconfirmed": 1}


def test_the_invitations_page_shows_unconfirmed_reminders_beside_those_that_went_out(app, store, client, owner):
    survey = email_survey(store, reminder_after_days=3)
    today = local_day(datetime.now(timezone.utc), app.config["TIMEZONE"])
    store.add_day_counters(survey.id, today, {"inv#email#sent": 5, "inv#email#reminded": 2,
                                              "inv#email#reminder_unconfirmed": 1})
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/invitations").get_data(as_text=True)
    assert "<td>2 + 1 unconfirmed</td>" in page


def recording_a_reminder(old, new):
    return bool(old.reminder_handing_over_at) and not new.reminder_handing_over_at


def test_a_reminder_whose_record_lost_its_replies_is_reported_reminded_and_counted_once(app, store, monkeypatch):
    survey, token, channel = reminder_due(app, store)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    lost = failing_store_writes(monkeypatch, store, recording_a_reminder, times=2, after_write=True)
    assert run(app, store, channel, NOW + timedelta(days=3)) == {"reminded": 1} and len(lost) == 2
    assert run(app, store, channel, NOW + timedelta(days=4)) == {} and len(channel.handed) == 2
    assert counters(store, survey)[day_of(NOW + timedelta(days=3))] == {"inv#email#reminded": 1}


def test_a_stopped_reminder_flagged_with_its_replies_lost_is_reported_unconfirmed_and_counted_once(app, store,
                                                                                                  monkeypatch):
    survey, token, channel = reminder_due(app, store, Killed())
    with pytest.raises(Killed):
        run(app, store, channel, NOW + timedelta(days=3))
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    lost = failing_store_writes(monkeypatch, store, recording_a_reminder, times=1, after_write=True)
    flag_at = NOW + timedelta(days=3) + LEASE
    assert run(app, store, channel, flag_at) == {"reminder_unconfirmed": 1} and len(lost) == 1
    assert counters(store, survey)[day_of(flag_at)] == {"inv#email#reminder_unconfirmed": 1}
    assert store.get_invitation(token).failure.startswith("reminder: the sender stopped")


def another_run_first(monkeypatch, app, store, channel) -> list:
    """The next run reads its due queue, then another run at the same instant does the work before it goes on;
    returns [that other run's outcome] once it has run."""
    read, other = store.due_invitations, []

    def read_then_another_run(now: str, limit: int):
        due = read(now, limit)
        if not other:
            other.append("running")
            other[0] = run(app, store, channel, datetime.fromisoformat(now))
        return due

    monkeypatch.setattr(store, "due_invitations", read_then_another_run)
    return other


@pytest.mark.parametrize("case, outcome", [("reminder", "reminded"), ("opted out", "reminder_skipped"),
                                           ("stopped mid hand-over", "reminder_unconfirmed")])
def test_a_reminder_another_run_dealt_with_first_is_left_alone(app, store, monkeypatch, case, outcome):
    survey, token, channel = reminder_due(app, store, *([Killed()] if case == "stopped mid hand-over" else []))
    at = NOW + timedelta(days=3)
    if case == "opted out":
        store.opt_out("c0@example.com", NOW.isoformat())
    if case == "stopped mid hand-over":
        with pytest.raises(Killed):
            run(app, store, channel, at)
        at += LEASE
    other = another_run_first(monkeypatch, app, store, channel)
    assert run(app, store, channel, at) == {"claimed_by_another": 1} and other == [{outcome: 1}]
    assert len(channel.accepted) == 1 + (case == "reminder")
    assert counters(store, survey).get(day_of(at), {}) == ({} if case == "opted out" else {
        f"inv#email#{outcome}": 1})


def test_a_reminder_the_customer_answers_while_it_is_handed_over_is_still_counted(app, store):
    survey, token, channel = reminder_due(app, store)

    def answer_meanwhile(content):
        submit_response(store, survey, {"nps": 9}, language="en", submission_id="a" * 32,
                        invitation=store.get_invitation(token), now=NOW + timedelta(days=3), tz_name=TZ)

    channel.watch = answer_meanwhile
    assert run(app, store, channel, NOW + timedelta(days=3)) == {"reminded": 1}
    answered = store.get_invitation(token)
    assert (answered.state, answered.reminder_handing_over_at, answered.remind_at) == ("answered", "", "")
    assert counters(store, survey)[day_of(NOW + timedelta(days=3))] == {"inv#email#reminded": 1,
                                                                        "inv#email#answered": 1}


def test_reminders_take_their_slots_from_the_channels_pace(app, store, monkeypatch):
    survey = email_survey(store, reminder_after_days=3)
    due(store, survey, 5)
    assert run(app, store, ScriptedEmail(), NOW) == {"sent": 5}
    waits = []
    monkeypatch.setattr(time, "sleep", waits.append)  # the clock does not move: each slot is 10 s after the last
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW + timedelta(days=3), rates={"email": 0.1}) == {"reminded": 5}
    assert len(channel.accepted) == 5 and len(waits) == 4
    assert all(10 * k - 5 < wait <= 10 * k for k, wait in enumerate(waits, start=1))


def test_an_invitation_without_a_language_is_written_in_the_surveys_language(app, store):
    survey = email_survey(store, default_language="id")
    due(store, survey)
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"sent": 1}
    assert [c.subject for c in channel.accepted] == [translate("email_subject", "id", business=BUSINESS)]


def test_whatsapp_greets_a_customer_without_a_name_as_kak_and_reminds_with_the_reminder_template(
        app, store, whatsapp_api):  # noqa: F811 (the fixture)
    fake, url = whatsapp_api
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("whatsapp",),
                                                                              reminder_after_days=3)))
    invitation = create_invitation(store, survey, now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1),
                                   phone="+6281234567890", order_ref="O-wa")
    sender = Sender(channels={"whatsapp": WhatsAppCloud(api_base=url, phone_number_id="1055", access_token="t")},
                    base_url="https://survey.toko.test", business_name=BUSINESS, tz_name=TZ)
    with app.app_context():
        assert send_due(store, sender, now=NOW) == {"sent": 1}
        assert send_due(store, sender, now=NOW + timedelta(days=3)) == {"reminded": 1}
    templates = [request["body"]["template"] for request in fake.requests]
    assert [t["name"] for t in templates] == [TEMPLATES["invitation"].name, TEMPLATES["reminder"].name]
    assert [t["language"] for t in templates] == [{"code": "en"}] * 2  # the survey's language
    assert [t["components"][0] for t in templates] == [{"type": "body", "parameters": [{"type": "text",
                                                                                        "text": "Kak"}]}] * 2
    pointer = store.chat_pointer("+6281234567890")  # this phone's replies now answer this invitation
    assert (pointer["token"], pointer["template"], pointer["sent_at"]) == (
        invitation.token, TEMPLATES["invitation"].name, NOW.isoformat())


def test_each_message_sent_leads_back_to_its_invitation_for_the_providers_reports(app, store):
    survey, token, channel = reminder_due(app, store)
    assert run(app, store, channel, NOW + timedelta(days=3)) == {"reminded": 1}
    refs = [store.message_ref(f"ses-{n}") for n in (1, 2)]
    assert [(r["kind"], r["token"], r["survey_id"], r["channel"]) for r in refs] == [
        ("invitation", token, survey.id, "email"), ("reminder", token, survey.id, "email")]


def test_a_store_error_recording_the_message_id_never_holds_back_or_repeats_the_message(app, store, monkeypatch):
    survey = email_survey(store)
    (token,) = due(store, survey)

    def outage(*args, **kwargs):
        raise StoreUnavailable("DynamoDB failed after retries")

    monkeypatch.setattr(store, "put_message_ref", outage)
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"sent": 1}
    assert store.get_invitation(token).state == "sent" and len(channel.accepted) == 1
    assert counters(store, survey) == {day_of(NOW): {"inv#email#sent": 1}}


@pytest.mark.parametrize("contact", ["email", "phone"])
def test_an_opted_out_contact_is_recorded_and_counted_on_no_channel_and_never_messaged(app, store, contact):
    survey = email_survey(store)
    (token,) = due(store, survey, phone="+6281234567890")
    store.opt_out(getattr(store.get_invitation(token), contact), NOW.isoformat())
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"opted_out": 1}
    stored = store.get_invitation(token)
    assert (stored.state, stored.failure, stored.handing_over_at, channel.handed) == ("opted_out", "opted out", "", [])
    assert counters(store, survey) == {day_of(NOW): {"inv#none#opted_out": 1}}


def test_a_contact_messaged_within_the_fatigue_window_is_skipped_with_the_window_named_and_counted(app, store):
    surveys = [email_survey(store), email_survey(store)]
    tokens = [due(store, survey)[0] for survey in surveys]  # the same address, c0@example.com, in two surveys
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"sent": 1, "skipped": 1}
    ((survey, skipped),) = [(s, i) for s, i in zip(surveys, map(store.get_invitation, tokens)) if i.state == "skipped"]
    assert (skipped.failure, skipped.handing_over_at, len(channel.accepted)) == ("messaged within 30 days", "", 1)
    assert counters(store, survey) == {day_of(NOW): {"inv#none#skipped": 1}}


def test_no_usable_channel_fails_at_once_with_the_reason_on_the_owners_failure_list(app, store):
    survey = email_survey(store)
    invitation = create_invitation(store, survey, now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1),
                                   phone="+6281234567890", order_ref="O-phone-only")
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"failed": 1}
    failed = store.get_invitation(invitation.token)
    assert (failed.state, failed.send_at, failed.attempts, channel.handed) == ("failed", NOW.isoformat(), 0, [])
    assert failed.failure == ("no usable channel: needs a phone (WhatsApp) or an e-mail with that channel "
                              "configured")
    assert [i.token for i in failures(store, survey)] == [invitation.token]
    assert counters(store, survey) == {day_of(NOW): {"inv#none#failed": 1}}


def test_a_wa_me_survey_queues_the_invitation_on_the_owners_send_list_now_uncounted(app, store):
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("wa_link",))))
    invitation = create_invitation(store, survey, now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1),
                                   phone="+6281234567890", order_ref="O-wa-link")
    assert run(app, store, ScriptedEmail(), NOW) == {"queued": 1}
    queued = store.get_invitation(invitation.token)
    assert (queued.state, queued.channel, queued.send_at) == ("queued", "wa_link", NOW.isoformat())
    assert [i.token for i in store.send_list_of(survey.id, 10)] == [invitation.token]
    assert counters(store, survey) == {}


def test_an_invitation_expired_before_its_turn_is_closed_uncounted_and_never_sent(app, store):
    survey = email_survey(store)
    (token,) = due(store, survey)
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW + timedelta(days=31)) == {"expired": 1}
    assert store.get_invitation(token).state == "expired" and channel.handed == []
    assert counters(store, survey) == {} and store.due_invitations((NOW + timedelta(days=400)).isoformat(), 10) == []


def test_an_invitation_falling_back_skips_the_channel_that_failed_and_goes_out_on_the_next_with_its_reason(
        app, store):
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("whatsapp", "email"))))
    invitation = create_invitation(store, survey, now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1),
                                   phone="+6281234567890", email="c@example.com", order_ref="O-fallback")
    reason = "WhatsApp 131026: Message undeliverable"  # as the webhook's fall-back writes it (conversations.py)
    store.transition(invitation, replace(invitation, fallback_from="whatsapp", failure=reason),
                     from_states=("scheduled",))
    whatsapp, email = ScriptedEmail(), ScriptedEmail()
    sender = Sender(channels={"whatsapp": whatsapp, "email": email}, base_url="https://survey.toko.test",
                    business_name=BUSINESS, tz_name=TZ)
    with app.app_context():
        assert send_due(store, sender, now=NOW) == {"sent": 1}
    sent = store.get_invitation(invitation.token)
    assert (sent.state, sent.channel, sent.failure, whatsapp.handed, len(email.accepted)) == (
        "sent", "email", reason, [], 1)


def test_a_configured_channel_that_cannot_send_by_itself_is_never_handed_the_message_and_the_reason_names_it(
        app, store):
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("manual",))))
    invitation = create_invitation(store, survey, now=NOW - timedelta(days=2), send_at=NOW - timedelta(minutes=1),
                                   phone="+6281234567890", order_ref="O-manual")
    manual = ScriptedEmail()
    sender = Sender(channels={"manual": manual}, base_url="https://survey.toko.test", business_name=BUSINESS,
                    tz_name=TZ)
    with app.app_context():
        assert send_due(store, sender, now=NOW) == {"retry_scheduled": 1}
    retry = store.get_invitation(invitation.token)
    assert (retry.state, retry.attempts, retry.failure, retry.handing_over_at, manual.handed) == (
        "scheduled", 1, "channel 'manual' cannot send automatically", "", [])


def test_a_message_id_that_could_not_be_recorded_is_logged_with_its_invitation_and_the_error(app, store, monkeypatch,
                                                                                               caplog):
    survey = email_survey(store)
    (token,) = due(store, survey)

    def outage(*args, **kwargs):
        raise StoreUnavailable("DynamoDB failed after retries")

    monkeypatch.setattr(store, "put_message_ref", outage)
    with caplog.at_level("WARNING", logger="survey_app.services.sending"):
        assert run(app, store, ScriptedEmail(), NOW) == {"sent": 1}
    assert [r.getMessage() for r in caplog.records if r.name == "survey_app.services.sending"] == [
        f"message ses-1 of {token} not recorded: DynamoDB failed after retries"]  # its reports will be ignored
