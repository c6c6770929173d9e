"""Owner jobs on moto (DynamoDB, S3, SQS): a large export goes to S3 as a job and is offered as a presigned link, a
job stopped by its budget resumes and writes every row once, a repeated SQS message of a finished job does nothing,
erasure runs as an audited job, large web imports run as jobs; viewers see none of it and every POST needs CSRF."""
from __future__ import annotations

import csv
import io
import json
import sys
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from moto import mock_aws

from survey_app import create_app
from survey_app.background import owner_jobs
from survey_app.budget import Budget
from survey_app.domain.jobs import DONE, FAILED, QUEUED
from survey_app.jobs import owner_jobs_event
from survey_app.services import PastAnswer, create_invitation, import_history, submit_response
from survey_app.services.dashboard import Filters
from survey_app.services.owner_jobs import JobSettings
from survey_app.store import Store
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import REGION, csrf_token
from tests.factories import make_survey

PART_BYTES = 4096  # parts this small need moto's documented S3_UPLOAD_PART_MIN_SIZE lowered (see `aws`)
NOW = datetime.now(timezone.utc)


class CountedBudget(Budget):
    """A clock for tests: allows `checks` more claims of work, then says stop (as a spent Lambda timeout would)."""

    def __init__(self, checks: int):
        super().__init__(seconds=300)
        self.checks = checks

    def allows(self, needed: float = 0.0) -> bool:
        self.checks -= 1
        return self.checks >= 0


class LambdaContext:
    """The two things of Lambda's context object the handler reads."""

    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def aws(monkeypatch):
    # S3's 5 MB minimum part size would need ~25,000 rows per part; moto documents lowering it
    # (S3_UPLOAD_PART_MIN_SIZE, read when moto is imported, so the value it was read into is set here).
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", PART_BYTES)
    with mock_aws():
        yield


@pytest.fixture
def store(aws) -> Store:
    store = Store(f"survey-test-{uuid.uuid4().hex[:8]}", REGION)
    store.create_table()
    return store


@pytest.fixture
def bucket(aws) -> str:
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="exports-test", CreateBucketConfiguration={"LocationConstraint": REGION})
    return "exports-test"


def make_app(store, bucket, **overrides):
    app = create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name, "EXPORTS_BUCKET": bucket,
                      "EXPORT_INLINE_MAX_ROWS": 20, "EXPORT_PART_BYTES": PART_BYTES,
                      "WEB_IMPORT_INLINE_MAX_ROWS": 5} | overrides)
    app.extensions["survey_store"] = store
    return app


@pytest.fixture
def app(store, bucket):
    return make_app(store, bucket)


def seed_responses(store, survey, count: int, days_ago: int = 3) -> None:
    import_history(store, survey, (
        PastAnswer(answers={"nps": i % 11, "reason": f"=cmd|' /C calc'!A{i}" if i == 0 else f"comment {i}"},
                   language="id", submitted_at=NOW - timedelta(days=days_ago, minutes=i), customer_name=f"Budi {i}",
                   properties={"store": "Solo"})
        for i in range(count)), "Asia/Jakarta")


def s3_text(key: str) -> str:
    return boto3.client("s3", region_name=REGION).get_object(Bucket="exports-test", Key=key)["Body"].read().decode()


def runner(app):
    with app.app_context():
        return owner_jobs()


def filters_all() -> Filters:
    return Filters("2000-01-01", "2999-12-31")


def test_large_export_becomes_a_job_lands_in_s3_with_every_row_and_is_offered_as_a_15_minute_link(
        app, client, owner, store):
    survey = make_survey(store)
    seed_responses(store, survey, 120)
    owner.login()
    offer = client.get(f"/owner/surveys/{survey.id}/export.csv")
    assert offer.status_code == 200 and "120 responses" in offer.get_data(as_text=True)  # a GET starts nothing
    assert store.recent_jobs(survey.id) == []

    token = csrf_token(client, f"/owner/surveys/{survey.id}/export.csv")
    started = client.post(f"/owner/surveys/{survey.id}/export.csv", data={"csrf_token": token})
    assert started.status_code == 302 and started.headers["Location"].startswith("/owner/jobs/")
    (job,) = store.recent_jobs(survey.id)
    assert job.state == DONE and job.result["rows"] == 120
    rows = list(csv.DictReader(io.StringIO(s3_text(job.result["key"]))))
    assert sorted(r["customer_name"] for r in rows) == sorted(f"Budi {i}" for i in range(120))
    assert "'=cmd|' /C calc'!A0" in {r["reason"] for r in rows}  # neutralised as in the streamed export

    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "ran here, right after it was queued" in page
    link = page.split('id="job-download" href="')[1].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["900"] and "X-Amz-Signature" in query
    assert link not in json.dumps(store.get_job(job.id).__dict__)  # made when the page opens, never stored
    downloaded = requests.get(link, timeout=10)
    assert downloaded.status_code == 200 and downloaded.text == s3_text(job.result["key"])


def test_small_export_still_streams_in_the_request(app, client, owner, store):
    survey = make_survey(store)
    seed_responses(store, survey, 5)
    owner.login()
    response = client.get(f"/owner/surveys/{survey.id}/export.jsonl")
    assert response.status_code == 200 and len(response.get_data(as_text=True).splitlines()) == 5
    assert store.recent_jobs(survey.id) == []


def test_export_job_stopped_by_its_budget_resumes_and_writes_every_row_exactly_once(app, store):
    survey = make_survey(store)
    seed_responses(store, survey, 150)
    jobs = runner(app)
    jobs.settings = JobSettings(part_bytes=PART_BYTES, page_size=10)
    jobs.drain = lambda: None  # in process: queued, then run by hand below, one run per message
    queue = jobs.queue
    job = jobs.start_export(survey, filters_all(), "jsonl", "owner@example.test")
    assert job.state == QUEUED and queue.pending == [job.id]

    runs = []
    while queue.pending:
        runs.append(jobs.run_job(queue.pending.pop(0), CountedBudget(checks=4)))  # ~4 pages per run
        assert len(runs) < 100
    assert runs[-1] == DONE and runs.count("requeued") >= 3
    final = store.get_job(job.id)
    lines = s3_text(final.result["key"]).splitlines()
    names = [json.loads(line)["customer_name"] for line in lines]
    assert len(names) == 150 and sorted(names) == sorted(f"Budi {i}" for i in range(150))
    assert final.result["rows"] == 150 and final.result["parts"] > 3 and final.runs == len(runs)


@pytest.fixture
def jobs_function(store, bucket, monkeypatch):
    """The jobs function as Zappa runs it: `survey_app.wsgi` built from SURVEY_* variables (a fresh import)."""
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="owner-jobs")["QueueUrl"]
    for name, value in {"ENV": "test", "TABLE_NAME": store.table_name, "EXPORTS_BUCKET": bucket,
                        "JOBS_QUEUE_URL": queue_url, "EXPORT_PART_BYTES": str(PART_BYTES)}.items():
        monkeypatch.setenv(f"SURVEY_{name}", value)
    cached = sys.modules.pop("survey_app.wsgi", None)
    yield queue_url
    sys.modules.pop("survey_app.wsgi", None)
    if cached is not None:
        sys.modules["survey_app.wsgi"] = cached


def test_a_repeated_sqs_message_of_a_finished_job_does_nothing(app, store, jobs_function):
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = jobs_function
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    app.config["JOBS_QUEUE_URL"] = queue_url
    survey = make_survey(store)
    seed_responses(store, survey, 30)
    with app.app_context():
        job = owner_jobs().start_export(survey, filters_all(), "csv", "owner@example.test")
    assert store.get_job(job.id).state == QUEUED  # the web tier only queues where SQS is configured

    (message,) = sqs.receive_message(QueueUrl=queue_url, AttributeNames=["All"])["Messages"]
    event = sqs_event([message], arn)
    assert owner_jobs_event(event, LambdaContext()) == {"done": 1}
    first = store.get_job(job.id)
    body = s3_text(first.result["key"])
    assert owner_jobs_event(event, LambdaContext()) == {"skipped": 1}  # redelivered: at-least-once
    again = store.get_job(job.id)
    assert (again.state, again.runs, again.updated_at, again.result) == (DONE, 1, first.updated_at, first.result)
    assert s3_text(first.result["key"]) == body


def sqs_event(messages: list[dict], arn: str) -> dict:
    """Lambda's SQS event, built from received messages: the record shape of
    docs.aws.amazon.com/lambda/latest/dg/with-sqs.html ("Example Amazon SQS message event")."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
        "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": REGION,
    } for m in messages]}


def test_two_runs_never_hold_one_job_at_once(app, store):
    survey = make_survey(store)
    jobs = runner(app)
    jobs.drain = lambda: None
    job = jobs.start_export(survey, filters_all(), "csv", "owner@example.test")
    later = (NOW + timedelta(minutes=5)).isoformat()
    assert store.claim_job(job.id, "lease-a", NOW.isoformat(), later) is not None
    assert store.claim_job(job.id, "lease-b", NOW.isoformat(), later) is None  # a duplicate delivery waits
    assert not store.save_job_progress(job.id, "lease-b", NOW.isoformat(), {}, "")
    assert store.claim_job(job.id, "lease-c", (NOW + timedelta(minutes=6)).isoformat(), later) is not None  # expired
    assert not store.save_job_progress(job.id, "lease-a", NOW.isoformat(), {}, "")  # the old run lost its lease


def test_erasure_runs_as_a_job_removes_what_it_did_before_and_is_audited(app, client, owner, store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Rina Wati", phone="+6281234567890",
                                   email="rina@example.com", order_ref="INV-9")
    submit_response(store, survey, {"nps": 2, "reason": "barang rusak"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation)
    for i in range(25):  # more invitations than a page, so the job crosses pages
        create_invitation(store, survey, customer_name=f"Other {i}", phone=f"+62811000000{i:02d}")
    before = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    owner.login()
    token = csrf_token(client, "/owner/privacy")
    started = client.post("/owner/privacy", data={"csrf_token": token, "email": "RINA@example.com"})
    assert started.status_code == 302
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "Erased: 1 invitations, 1 responses, 1 cases." in page
    (job,) = store.recent_jobs("-")
    assert job.state == DONE and job.params == {}  # the contact does not outlive the job
    erased = store.get_invitation(invitation.token)
    assert (erased.customer_name, erased.email, erased.phone, erased.order_ref) == ("", "", "", "")
    case = store.get_case(survey.id, invitation.token)
    assert (case.customer_name, case.phone, case.comment) == ("", "", "")
    assert store.daily_counters(survey.id, "2000-01-01", "2999-12-31") == before
    (audit,) = store.audit_log()
    assert audit["job"] == job.id and audit["actor"] == "owner@example.test" and "rina" not in json.dumps(audit)
    assert "Other 3" in {i.customer_name for i in store.invitations_of(survey.id, 50)}


def test_erasure_job_stopped_between_pages_finishes_on_its_next_run(app, store):
    survey = make_survey(store)
    tokens = [create_invitation(store, survey, customer_name="Rina", email="rina@example.com",
                                order_ref=f"R{i}").token for i in range(12)]
    jobs = runner(app)
    jobs.settings = JobSettings(page_size=5)
    jobs.drain = lambda: None
    job = jobs.start_erasure("owner@example.test", email="rina@example.com")
    assert jobs.run_job(job.id, CountedBudget(checks=2)) == "requeued"
    assert store.get_job(job.id).progress["invitations"] == 10
    assert jobs.run_job(job.id, CountedBudget(checks=50)) == DONE
    assert store.get_job(job.id).result["invitations"] == 12
    assert all(store.get_invitation(t).email == "" for t in tokens)


def test_cli_erase_customer_and_export_run_the_same_jobs(app, store):
    survey = make_survey(store)
    seed_responses(store, survey, 3)
    create_invitation(store, survey, customer_name="Rina", email="rina@example.com")
    cli = app.test_cli_runner()
    erased = cli.invoke(args=["erase-customer", "--email", "rina@example.com", "--actor", "dpo"])
    assert erased.exit_code == 0 and "erased: 1 invitations, 0 responses, 0 cases, 0 messages" in erased.output
    assert store.recent_jobs("-")[0].requested_by == "dpo"
    exported = cli.invoke(args=["export", "--survey", survey.id, "--format", "jsonl"])
    assert exported.exit_code == 0, exported.output
    (job,) = store.recent_jobs(survey.id)
    assert job.result["rows"] == 3 and "X-Amz-Signature=" in exported.output


def test_large_web_import_runs_as_a_job_and_reports_on_its_page(app, client, owner, store):
    survey = make_survey(store)
    rows = ["name,phone,order_ref"] + [f"Budi {i},0812-3456-{i:04d},ORD-{i}" for i in range(12)] + ["Bad,,ORD-X"]
    owner.login()
    token = csrf_token(client, f"/owner/surveys/{survey.id}/import")
    started = client.post(f"/owner/surveys/{survey.id}/import", content_type="multipart/form-data",
                          data={"csrf_token": token, "csv_file": (io.BytesIO("\n".join(rows).encode()), "orders.csv")})
    assert started.status_code == 302 and started.headers["Location"].startswith("/owner/jobs/")
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "12 invitations scheduled, 0 already imported, 1 rows refused." in page and "Line 14" in page
    (job,) = store.recent_jobs(survey.id)
    assert job.state == DONE
    assert boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="exports-test",
                                                                   Prefix="imports/").get("KeyCount") == 0


def test_a_job_that_cannot_work_records_why_and_ends(app, store):
    survey = make_survey(store)
    jobs = runner(app)
    jobs.drain = lambda: None
    job = jobs.start_import(survey, b"name,phone,order_ref\nBudi,0812,O1\n", "owner@example.test")
    boto3.client("s3", region_name=REGION).delete_object(Bucket="exports-test", Key=job.params["key"])
    assert jobs.run_job(job.id, CountedBudget(checks=10)) == FAILED
    failed = store.get_job(job.id)
    assert failed.state == FAILED and "not found" in failed.error
    assert jobs.run_job(job.id, CountedBudget(checks=10)) == "skipped"


def test_viewers_cannot_start_or_see_jobs_and_every_post_needs_csrf(app, client, owner, store):
    survey = make_survey(store)
    seed_responses(store, survey, 30)
    jobs = runner(app)
    job = jobs.start_export(survey, filters_all(), "csv", "owner@example.test")
    owner.login()
    assert client.post(f"/owner/surveys/{survey.id}/export.csv").status_code == 400  # no CSRF token
    assert client.post("/owner/privacy", data={"email": "a@example.com"}).status_code == 400
    assert len(store.recent_jobs(survey.id)) == 1
    owner.logout()
    owner.login(email="viewer@toko.test", password="viewer-pass", role="viewer")
    token = csrf_token(client, "/owner/")
    for url in (f"/owner/jobs/{job.id}", f"/owner/surveys/{survey.id}/jobs", f"/owner/surveys/{survey.id}/export.csv"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/owner/surveys/{survey.id}/export.csv", data={"csrf_token": token}).status_code == 403
    assert len(store.recent_jobs(survey.id)) == 1


def test_job_page_refreshes_itself_only_when_the_owner_asks_and_lists_recent_jobs(app, client, owner, store):
    survey = make_survey(store)
    app.config["JOBS_QUEUE_URL"] = boto3.client("sqs", region_name=REGION).create_queue(QueueName="q")["QueueUrl"]
    job = runner(app).start_export(survey, filters_all(), "jsonl", "owner@example.test")
    owner.login()
    page = client.get(f"/owner/jobs/{job.id}").get_data(as_text=True)  # WCAG 2.2.1: no timed refresh by itself
    assert 'http-equiv="refresh"' not in page and "Waiting to start" in page and "?refresh=on" in page
    chosen = client.get(f"/owner/jobs/{job.id}?refresh=on").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in chosen and "?refresh=off" in chosen
    listing = client.get(f"/owner/surveys/{survey.id}/jobs").get_data(as_text=True)
    assert f"/owner/jobs/{job.id}" in listing
    assert client.get("/owner/jobs/nosuchjob").status_code == 404
