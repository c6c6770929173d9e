"""The job item's lifecycle on both engines (moto and DynamoDB Local): created queued, claimed under one lease at a
time, progress and cursor saved only by the lease holder, ended once, listed newest first per scope."""
from __future__ import annotations

from survey_app.domain.jobs import DONE, EXPORT, QUEUED, RUNNING, Job

T0, T1, T2 = "2026-11-28T10:00:00+00:00", "2026-11-28T10:05:00+00:00", "2026-11-28T10:10:00+00:00"


def new_job(job_id: str, created_at: str = T0) -> Job:
    return Job(id=job_id, kind=EXPORT, survey_id="s1", requested_by="owner@toko.test", created_at=created_at,
               params={"fmt": "csv", "segment": []})


def test_a_job_is_claimed_by_one_run_saved_by_its_lease_holder_and_ended_once(store):
    store.put_job(new_job("j1"), "s1", 2_000_000_000)
    assert store.get_job("j1").state == QUEUED
    claimed = store.claim_job("j1", "lease-a", T0, T1)
    assert (claimed.state, claimed.runs, claimed.params) == (RUNNING, 1, {"fmt": "csv", "segment": []})
    assert store.claim_job("j1", "lease-b", T0, T1) is None
    assert store.save_job_progress("j1", "lease-a", T0, {"rows": 5, "parts": [[1, "etag"]]}, '{"pk": 1}')
    assert not store.save_job_progress("j1", "lease-b", T0, {"rows": 6}, "")
    assert store.save_job_progress("j1", "lease-a", T0, {"rows": 5}, "", release=True)  # "" cursor: none yet
    again = store.claim_job("j1", "lease-b", T0, T1)  # released: the next message's run may claim at once
    assert (again.runs, again.cursor, again.progress) == (2, "", {"rows": 5})
    assert store.end_job("j1", "lease-b", T1, DONE, {"rows": 5}, error="")
    assert not store.end_job("j1", "lease-b", T2, DONE, {"rows": 9})
    assert store.claim_job("j1", "lease-c", T2, T2) is None
    ended = store.get_job("j1")
    assert (ended.state, ended.result, ended.error, ended.updated_at) == (DONE, {"rows": 5}, "", T1)


def test_recent_jobs_are_listed_newest_first_per_scope_and_a_job_that_never_queued_is_failed(store):
    store.put_job(new_job("old", T0), "s1", 2_000_000_000)
    store.put_job(new_job("new", T1), "s1", 2_000_000_000)
    store.put_job(new_job("other", T2), "s2", 2_000_000_000)
    assert [j.id for j in store.recent_jobs("s1")] == ["new", "old"]
    assert store.fail_queued_job("new", T2, "could not be queued")
    failed = store.get_job("new")
    assert (failed.state, failed.error, failed.params) == ("failed", "could not be queued", {})
