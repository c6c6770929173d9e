"""The export job's memory: it holds one part while uploading it (the part's bytes, not a copy of them as well)."""
from __future__ import annotations

import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

import survey_app.services.owner_jobs as owner_jobs_module
from survey_app import create_app
from survey_app.background import owner_jobs
from survey_app.domain.jobs import DONE
from survey_app.services import PastAnswer, import_history
from survey_app.services.dashboard import Filters
from survey_app.services.owner_jobs import JobSettings
from survey_app.store import Store
from survey_app.store.objects import ObjectStore
from tests.conftest import REGION
from tests.factories import make_survey

PART_BYTES = 16 * 1024  # moto's documented S3_UPLOAD_PART_MIN_SIZE is lowered to this (fixture `aws`)


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", PART_BYTES)
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket="exports-test", CreateBucketConfiguration={"LocationConstraint": REGION})
        yield


@pytest.fixture
def app(aws):
    store = Store(f"survey-test-{uuid.uuid4().hex[:8]}", REGION)
    store.create_table()
    app = create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name,
                      "EXPORTS_BUCKET": "exports-test"})
    app.extensions["survey_store"] = store
    return app


def test_export_job_holds_one_copy_of_a_part_while_uploading_it(app, monkeypatch):
    store = app.extensions["survey_store"]
    survey = make_survey(store)
    now = datetime.now(timezone.utc)
    import_history(store, survey, (
        PastAnswer(answers={"nps": i % 11, "reason": f"comment {i} " * 8}, language="id",
                   submitted_at=now - timedelta(days=2, minutes=i), customer_name=f"Budi {i}")
        for i in range(240)), "Asia/Jakarta")
    held = []  # bytes allocated by the job's own lines (its buffer and any copy of it) as each part is uploaded
    upload_part = ObjectStore.upload_part

    def measured(self, key, upload_id, number, body):
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, owner_jobs_module.__file__)])
        held.append((sum(stat.size for stat in snapshot.statistics("filename")), len(body)))
        return upload_part(self, key, upload_id, number, body)

    monkeypatch.setattr(ObjectStore, "upload_part", measured)
    with app.app_context():
        jobs = owner_jobs()
    jobs.settings = JobSettings(part_bytes=PART_BYTES, page_size=20)
    tracemalloc.start()
    try:
        job = jobs.start_export(survey, Filters("2000-01-01", "2999-12-31"), "csv", "owner@example.test")
    finally:
        tracemalloc.stop()
    assert job.state == DONE and job.result["rows"] == 240 and job.result["parts"] >= 3
    full_parts = held[:-1]  # the last part may be small
    assert full_parts and all(body >= PART_BYTES for _, body in full_parts)
    assert all(bytes_held < 1.5 * body for bytes_held, body in full_parts), held
