"""Counters without hot items: each answer writes only its own customer's items plus a tally of its own; the
stream consumer folds tallies into the aggregates exactly once, whatever is delivered twice or cut short.

On DynamoDB Local the tallies come from the table's real stream (tests/dynamodb_stream.py); on moto, which has
no readable stream, each write folds its own (the same consumer code, fed the items the write produced)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from survey_app.jobs import fold_stream_batch
from survey_app.jobs import fold_overdue
from survey_app.services import amend_response, create_invitation, open_invitation, reconcile, submit_response
from survey_app.services.surveys import record_review_click
from survey_app.store import Store
from survey_app.store.tallies import FoldReport
from survey_app.web.answer.forms import new_submission_id
from tests.dynamodb_stream import StreamFeed, StreamFedStore, fold_with, lambda_filter, lambda_record
from tests.factories import business_yesterday_morning, make_survey

# 10:00 in Jakarta on the business's yesterday, by the real clock: the invitations' TTL (their expiry, 30 days on)
# must not have passed, as DynamoDB Local deletes such items (AWS too, within days) and they would vanish mid-test
AT = business_yesterday_morning()
DAY = AT.date().isoformat()
OLD = AT - timedelta(days=11)  # a day reconcile may fix
OLD_DAY = OLD.date().isoformat()


@pytest.fixture
def quiet_store(store, engine):
    """The same table with nobody folding: tallies wait, as they do while the consumer has not caught up."""
    quiet = Store(store.table_name, store.region, engine, fold_inline=False)
    return quiet


def answer(store, survey, score, city="Bandung", when=AT):
    invitation = create_invitation(store, survey, customer_name="Rina", email="r@example.com",
                                   properties={"city": city}, now=when)
    return submit_response(store, survey, {"nps": score}, language="id", submission_id=new_submission_id(),
                           invitation=invitation, now=when)


def spy_writes(store, monkeypatch) -> list[list[tuple[str, str]]]:
    """Keys written by each call that writes (a transaction is one call)."""
    calls: list[list[tuple[str, str]]] = []

    def keys(items):
        return [(i["pk"]["S"], i["sk"]["S"]) for i in items]

    for name, extract in {
        "transact_write_items": lambda kw: keys(next(iter(e.values())).get("Key") or next(iter(e.values()))["Item"]
                                                for e in kw["TransactItems"]),
        "put_item": lambda kw: keys([kw["Item"]]),
        "update_item": lambda kw: keys([kw["Key"]]),
        "delete_item": lambda kw: keys([kw["Key"]]),
        "batch_write_item": lambda kw: keys(r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"]
                                            for rs in kw["RequestItems"].values() for r in rs),
    }.items():
        real = getattr(store.client, name)

        def spy(real=real, extract=extract, **kwargs):
            calls.append(extract(kwargs))
            return real(**kwargs)

        monkeypatch.setattr(store.client, name, spy)
    return calls


def test_two_answers_of_one_survey_on_one_day_share_no_item_in_their_writes(quiet_store, store, monkeypatch):
    survey = make_survey(store)
    invitations = [create_invitation(quiet_store, survey, customer_name=n, email=f"{n}@example.com",
                                     properties={"city": "Bandung"}, now=AT) for n in ("rina", "budi")]
    writes = []
    for invitation, score in zip(invitations, (9, 3)):
        calls = spy_writes(quiet_store, monkeypatch)
        submission = new_submission_id()
        submit_response(quiet_store, survey, {"nps": score}, language="id", submission_id=submission,
                        invitation=invitation, now=AT, complete=False)
        amend_response(quiet_store, survey, invitation.token, submission, {"reason": "Kurir ramah, barang rusak"},
                       now=AT)  # the "tell us more" step: a comment, maybe a case
        writes.append({key for call in calls for key in call})
        monkeypatch.undo()
    first, second = writes
    assert first and second and not first & second
    assert not [key for key in first | second if key[0].startswith("AGG#")]
    assert {key[0].split("#")[0] for key in first} >= {"INV", "RESP", "TALLY"}


def test_opening_a_link_and_clicking_a_review_touch_no_aggregate_item(quiet_store, store, monkeypatch):
    survey = make_survey(store)
    invitation = create_invitation(quiet_store, survey, customer_name="Sari", email="s@example.com", now=AT)
    calls = spy_writes(quiet_store, monkeypatch)
    open_invitation(quiet_store, invitation.token, now=AT)
    record_review_click(quiet_store, survey, "Asia/Jakarta", now=AT)
    monkeypatch.undo()
    written = {key for call in calls for key in call}
    assert written and not [key for key in written if key[0].startswith("AGG#")]
    if store.fold_inline:  # moto: nobody folded what the quiet store wrote; on DynamoDB Local the stream does
        store.fold_pending(survey.id)
    counters = store.daily_counters(survey.id, DAY, DAY)[DAY]
    assert counters["review#clicks"] == 1 and counters["inv#manual#opened"] == 1


def test_aggregates_equal_a_recount_once_every_tally_is_folded(store):
    survey = make_survey(store)
    for score, city in [(10, "Bandung"), (9, "Bandung"), (2, "Medan"), (7, "Medan"), (0, "Jakarta")]:
        answer(store, survey, score, city)
    assert reconcile(store, survey).clean
    day = store.daily_counters(survey.id, DAY, DAY)[DAY]
    assert (day["n"], day["promoter"], day["detractor"]) == (5, 2, 2)
    assert store.figures_updated_at(survey.id)  # when they were folded


def test_tallies_nobody_folded_wait_and_fold_pending_counts_each_once(quiet_store, store):
    survey = make_survey(store)
    for score in (10, 3, 8):
        answer(quiet_store, survey, score)
    pending = quiet_store.pending_tallies(survey.id)
    assert len(pending) == 6  # three links counted as sent, three answers
    first = quiet_store.fold_pending(survey.id)
    again = quiet_store.fold_pending(survey.id)
    assert (first.folded, again.folded) == (6, 0)
    if not store.fold_inline:  # the stream delivers the same tallies later: already folded, nothing added
        store.feed.drain(fold_with(store))
    assert store.daily_counters(survey.id, DAY, DAY)[DAY]["n"] == 3
    assert reconcile(store, survey).clean


def test_an_event_counted_once_stays_counted_once_after_its_tally_was_folded(store):
    survey = make_survey(store)
    store.add_day_counters(survey.id, DAY, {"inv#email#sent": 1}, once="s-token-1")
    store.daily_counters(survey.id, DAY, DAY)  # folded (moto: at once; DynamoDB Local: drained from the stream)
    store.add_day_counters(survey.id, DAY, {"inv#email#sent": 1}, once="s-token-1")  # the retried call
    assert store.daily_counters(survey.id, DAY, DAY)[DAY]["inv#email#sent"] == 1


def test_a_batch_delivered_twice_or_cut_short_by_a_crash_counts_each_tally_once(dynamodb_local, monkeypatch):
    """The real stream: a batch is folded, delivered again whole (Lambda retries after a crash), and a later
    batch fails half-way and is delivered again from the record the consumer named."""
    store = StreamFedStore(f"survey-tally-{new_submission_id()[:8]}", "ap-southeast-3", dynamodb_local,
                           fold_inline=False)
    store.create_table()
    try:
        survey = make_survey(store)
        feed = StreamFeed.of(store, batch_size=1000)
        for score in (10, 9, 2):
            answer(store, survey, score, "Bandung")
        feed.drain(fold_with(store))
        assert store.fold_records(feed.batches[-1]).already == 6  # 3 sent, 3 answered; again: nothing added

        for i, score in enumerate((6, 8, 10, 1, 9, 4, 10, 7)):
            answer(store, survey, score, f"Kota{i}")  # a segment item each: several transactions per batch
        store.transaction_items = 6
        real, calls = store.client.transact_write_items, []

        def crash_on_second(**kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise ConnectionError("the function died")
            return real(**kwargs)

        monkeypatch.setattr(store.client, "transact_write_items", crash_on_second)
        records = [lambda_record(r, feed.arn) for r in feed.read(feed.shards()[0]) if lambda_filter(r)]
        assert len(records) == 16  # 8 links counted as sent, 8 answers
        cut = fold_event(store, records)
        monkeypatch.undo()
        assert cut["batchItemFailures"]
        position = cut["batchItemFailures"][0]["itemIdentifier"]
        rest = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= int(position)]
        assert 0 < len(rest) < len(records)
        assert fold_event(store, rest) == {"batchItemFailures": []}
        assert fold_event(store, records) == {"batchItemFailures": []}  # and the whole batch once more
        feed.sequence[feed.shards()[0]] = records[-1]["dynamodb"]["SequenceNumber"]
        assert reconcile(store, survey).clean
        assert store.daily_counters(survey.id, DAY, DAY)[DAY]["n"] == 11
    finally:
        store.client.delete_table(TableName=store.table_name)


def fold_event(store, records) -> dict:
    """What the jobs function's entry point answers Lambda for this event (its app's store being this one)."""
    return fold_stream_batch(store, {"Records": records})


def test_a_fold_refused_by_a_conflicting_transaction_is_retried_not_lost(quiet_store, store, monkeypatch):
    from botocore.exceptions import ClientError

    survey = make_survey(store)
    answer(quiet_store, survey, 9)
    real, refusals = quiet_store.client.transact_write_items, []

    def conflicting(**kwargs):
        if len(refusals) < 2:
            refusals.append(1)
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                               "CancellationReasons": [{"Code": "TransactionConflict"}]}, "TransactWriteItems")
        return real(**kwargs)

    monkeypatch.setattr(quiet_store.client, "transact_write_items", conflicting)
    report = quiet_store.fold_pending(survey.id)
    monkeypatch.undo()
    assert (len(refusals), report.folded, report.failed_at) == (2, 2, "")  # the link's "sent", the answer
    if not store.fold_inline:
        store.feed.drain(fold_with(store))
    assert store.daily_counters(survey.id, DAY, DAY)[DAY]["n"] == 1


def test_a_consumer_that_cannot_write_names_the_first_record_for_lambda_to_retry(quiet_store, store, monkeypatch):
    survey = make_survey(store)
    answer(quiet_store, survey, 9)
    monkeypatch.setattr(quiet_store.client, "transact_write_items",
                        lambda **kwargs: (_ for _ in ()).throw(ConnectionError("DynamoDB unreachable")))
    report = quiet_store.fold_pending(survey.id)
    assert isinstance(report, FoldReport) and report.folded == 0 and report.failed_at
    assert quiet_store.pending_tallies(survey.id)  # kept, never dropped


def test_fold_pending_on_the_command_line_counts_what_the_consumer_left(quiet_store, store, runner):
    survey = make_survey(store)
    answer(quiet_store, survey, 10)
    result = runner.invoke(args=["fold-pending", "--survey", survey.id])
    assert result.exit_code == 0 and "2 tallies folded" in result.output, result.output  # sent, answered
    assert runner.invoke(args=["fold-pending", "--survey", survey.id]).output.count("0 tallies folded") == 1
    assert store.daily_counters(survey.id, DAY, DAY)[DAY]["n"] == 1


def test_the_dashboard_says_when_its_figures_were_updated(owner, store, client):
    survey = make_survey(store)
    owner.login()
    assert "Figures updated" not in client.get(f"/owner/surveys/{survey.id}?lang=en").get_data(as_text=True)
    answer(store, survey, 9)
    page = client.get(f"/owner/surveys/{survey.id}?lang=en").get_data(as_text=True)
    assert "Figures updated" in page and "WIB" in page
    assert "Angka diperbarui" in client.get(f"/owner/surveys/{survey.id}?lang=id").get_data(as_text=True)


def test_reconcile_reports_tallies_not_folded_and_fix_folds_them_before_correcting(quiet_store, store):
    survey = make_survey(store)
    answer(quiet_store, survey, 3, when=OLD)  # an old day: reconcile may fix it
    if not store.fold_inline:
        store.feed = None  # the consumer is stopped: nothing drains the stream
    drift = reconcile(quiet_store, survey, now=AT)
    assert drift.pending == 2 and f"DAY#{OLD_DAY}" in drift.items  # the answer's tally, the link's "sent" one
    fixed = reconcile(quiet_store, survey, fix=True, now=AT)
    assert fixed.pending == 0 and fixed.clean  # folded, not added by the fix: nothing is left to add twice
    assert quiet_store.daily_counters(survey.id, OLD_DAY, OLD_DAY)[OLD_DAY]["n"] == 1
    assert reconcile(quiet_store, survey, now=AT).clean


def test_the_minute_sweep_folds_only_tallies_the_stream_left_for_over_two_minutes(quiet_store, store, caplog):
    from survey_app.budget import Budget

    survey = make_survey(store)
    answer(quiet_store, survey, 9, when=AT)  # its tallies: the answer's at AT, the link's "sent" at the wall clock
    if not store.fold_inline:
        store.feed = None  # no consumer: the stream's records are never read
    outcome = fold_overdue(quiet_store, Budget(60, 5), now=AT.replace(minute=3))
    assert outcome["folded"] == 1 and "not folded by the stream" in caplog.text
    assert len(quiet_store.pending_tallies(survey.id)) == 1  # the young one stays the stream's
    assert quiet_store.daily_counters(survey.id, DAY, DAY)[DAY]["n"] == 1
    assert fold_overdue(quiet_store, Budget(60, 5), now=AT.replace(minute=3))["folded"] == 0


def test_a_redelivered_batch_half_of_which_was_folded_counts_only_the_other_half(quiet_store, store):
    survey = make_survey(store)
    for i, score in enumerate((10, 9, 8, 7, 6, 5)):
        answer(quiet_store, survey, score, f"Kota{i}")
    pending = quiet_store.pending_tallies(survey.id)
    quiet_store.fold_tallies(pending[::2])  # a first delivery that got half-way
    report = quiet_store.fold_tallies(pending)  # delivered again, whole
    assert (report.folded, report.already) == (len(pending) - len(pending[::2]), len(pending[::2]))
    if not store.fold_inline:
        store.feed = None
    assert reconcile(quiet_store, survey).clean
    assert quiet_store.daily_counters(survey.id, DAY, DAY)[DAY]["n"] == 6


def test_tallies_of_a_deleted_survey_are_dropped_and_never_bring_its_aggregates_back(quiet_store, store):
    survey, other = make_survey(store), make_survey(store)
    answer(quiet_store, survey, 4)
    answer(quiet_store, other, 9)
    quiet_store.delete_survey_definition(survey.id)  # the deletion job's first step; its Scan may have passed already
    quiet_store.client.delete_item(TableName=quiet_store.table_name,
                                   Key={"pk": {"S": f"AGG#{survey.id}"}, "sk": {"S": f"DAY#{DAY}"}})
    report = quiet_store.fold_tallies(quiet_store.pending_tallies(survey.id) + quiet_store.pending_tallies(other.id))
    assert (report.orphaned, report.folded) == (2, 2)
    assert quiet_store.pending_tallies(survey.id) == [] and not list(quiet_store.aggregate_items(survey.id))
    assert quiet_store.daily_counters(other.id, DAY, DAY)[DAY]["n"] == 1
