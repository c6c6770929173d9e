"""Deleting a survey (moto S3; DynamoDB on moto and DynamoDB Local): the confirmation page says what goes with its
numbers, only an admin's CSRF-checked POST starts the job, and afterwards no item of the table and no file of either
bucket names the survey (another survey untouched); a run killed midway is resumed by the next and finishes the work;
the deleted survey's links answer with a "closed" page."""
from __future__ import annotations

import contextlib

import json
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from survey_app import create_app
from survey_app.background import owner_jobs
from survey_app.budget import Budget
from survey_app.domain.chat_survey import ChatState
from survey_app.domain.jobs import DONE
from survey_app.services import submit_response, update_case
from survey_app.services.owner_jobs import JobSettings, OwnerJobs
from survey_app.store import Store
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import REGION, csrf_token
from tests.factories import make_invitation, make_survey
from tests.integration.test_owner_jobs import CountedBudget

EXPORTS, LOGOS = "exports-test", "site-test"
# In process on moto only: run with moto's S3 mock on, the DynamoDB Local variants were followed, in two clean-clone
# runs, by every later DynamoDB Local transaction of the session failing with InternalFailure (cause not found);
# the Scan on DynamoDB Local is proven through the built zip (tests/deployed/test_survey_deletion_deployed.py)
MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
NOW = datetime.now(timezone.utc)
EPOCH = int((NOW + timedelta(days=1)).timestamp())


class LostQueue:
    """SQS whose messages never arrive: the test runs the job itself, as the queue's consumer would."""

    def send(self, job_id: str) -> None:
        pass


class Killed(BaseException):
    """The Lambda instance dying mid-run (timeout, out of memory): no except clause of the app sees it."""


@pytest.fixture
def store(engine) -> Store:
    # S3 in process. On moto the engine fixture's mock is already on: a second, nested mock_aws would switch moto
    # off and on unbalanced, leaving it intercepting DynamoDB Local's requests for the rest of the session
    with mock_aws() if engine else contextlib.nullcontext():  # a DynamoDB Local endpoint is not AWS's: let through
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (EXPORTS, LOGOS):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        store = Store(f"survey-test-{uuid.uuid4().hex[:8]}", REGION, engine)
        store.create_table()
        yield store


@pytest.fixture
def app(store):
    return create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name,
                       "DYNAMODB_ENDPOINT": store.endpoint_url, "EXPORTS_BUCKET": EXPORTS, "BRANDING_BUCKET": LOGOS})


def every_item(store) -> list[str]:
    """The whole table, one JSON text per item (a test may scan)."""
    items, kwargs = [], {}
    while True:
        page = store.client.scan(TableName=store.table_name, **kwargs)
        items += [json.dumps(item, ensure_ascii=False, default=str) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def every_file() -> list[str]:
    s3 = boto3.client("s3", region_name=REGION)
    return [f"{b}/{o['Key']}" for b in (EXPORTS, LOGOS) for o in s3.list_objects_v2(Bucket=b).get("Contents", [])]


def fill(store, survey, phone: str, order_ref: str) -> str:
    """Every kind of item a survey gathers, and its files; returns the answered invitation's token."""
    answered = make_invitation(store, survey, phone=phone, email=f"{order_ref.lower()}@example.com", order_ref=order_ref)
    submit_response(store, survey, {"nps": 2, "reason": "barang rusak"}, language="id",
                    submission_id=new_submission_id(), invitation=answered)  # response, comment, case, aggregates
    update_case(store, store.get_case(survey.id, answered.token), status="contacted", assignee="cs@example.test",
                note="telepon sore", author="cs@example.test")
    store.add_thread_entry(survey.id, answered.token, {"at": NOW.isoformat(), "message_id": f"wamid.{order_ref}",
                                                       "direction": "in", "text": "halo", "author": phone}, alert=True)
    store.put_message_ref(f"reply-{order_ref}", {"kind": "reply", "survey_id": survey.id,
                                                 "response_id": answered.token, "channel": "whatsapp"}, EPOCH)
    store.set_open_case(phone, survey.id, answered.token)
    store.point_chat(phone, answered.token, "nps_number", NOW.isoformat(), EPOCH)
    store.start_chat(ChatState(token=answered.token, step="reason"), EPOCH)
    expired = make_invitation(store, survey, phone="+6281200000001", order_ref=f"{order_ref}-old")
    store.client.delete_item(TableName=store.table_name, Key={"pk": {"S": f"INV#{expired.token}"}, "sk": {"S": "INV"}})
    make_invitation(store, survey, phone="+6281200000002", order_ref=f"{order_ref}-new")  # waiting to be sent
    store.put_mapping(survey.id, "fp1", {"headers": ["Order"], "roles": {"Order": "order_ref"}})
    store.put_upload(survey.id, "up1", "Order\nSHP-1\n", EPOCH)
    store.claim_segment_value(survey.id, "store", "Bandung", 30)
    store.take_open_link_token(f"open#{survey.id}#203.0.113.7", NOW.strftime("%Y-%m-%dT%H"), 10, EPOCH, "sub-1")
    store.count_open_refusal(survey.id, "honeypot")
    with create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name,
                     "DYNAMODB_ENDPOINT": store.endpoint_url}).app_context():
        owner_jobs().start_relabel(survey, "owner@example.test")  # a job of the survey
    s3 = boto3.client("s3", region_name=REGION)
    for bucket, key in ((EXPORTS, f"exports/{survey.id}/j1.csv"), (EXPORTS, f"imports/{survey.id}/j2.csv"),
                        (LOGOS, f"branding/{survey.id}/logo1"), (LOGOS, f"logo-uploads/{survey.id}/unchecked1")):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    return answered.token


@pytest.fixture
def two_surveys(store):
    store.put_webhook({"id": "hook1", "url": "https://hooks.example.com/in", "events": ["response.created"],
                       "secret": "s", "created_by": "owner@example.test", "created_at": NOW.isoformat()})
    doomed, kept = make_survey(store), make_survey(store)
    return doomed, fill(store, doomed, "+6281234567890", "SHP-1"), kept, fill(store, kept, "+6281299990000", "SHP-2")


@MOTO
def test_confirmation_page_says_what_goes_with_its_numbers_and_only_an_admin_post_with_csrf_deletes(
        client, store, owner, two_surveys):
    doomed, _, _, _ = two_surveys
    url = f"/owner/surveys/{doomed.id}/delete"
    owner.login(role="viewer")
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": csrf_token(client, "/owner/")}).status_code == 403
    owner.logout()
    owner.login()
    page = client.get(url).get_data(as_text=True)
    assert "cannot be undone" in page
    assert "1 responses and 1 comments" in page and "(1 open now)" in page and "4 files" in page
    assert client.post(url, data={"understood": "y"}).status_code == 400  # no CSRF token
    unticked = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert unticked.status_code == 400 and 'id="understood-error"' in unticked.get_data(as_text=True)
    assert store.get_survey(doomed.id) == doomed

    done = client.post(url, data={"csrf_token": csrf_token(client, url), "understood": "y"})

    assert done.status_code == 303
    job_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="deletion-result"' in job_page and "1 responses" in job_page and "4 files" in job_page
    assert "Survey deletion" in client.get("/owner/privacy").get_data(as_text=True)  # listed with the erasures
    assert client.get(url).status_code == 404  # nothing left to delete


@MOTO  # on DynamoDB Local through the built zip: tests/deployed/test_survey_deletion_deployed.py
def test_after_deletion_no_item_or_file_names_the_survey_and_the_other_survey_is_untouched(app, store, two_surveys):
    doomed, token, kept, kept_token = two_surveys
    assert sum(doomed.id in item for item in every_item(store)) > 20
    kept_items = sorted(item for item in every_item(store) if kept.id in item)

    with app.app_context():
        job = owner_jobs().start_deletion(doomed, "owner@example.test")

    assert job.state == DONE
    assert [item for item in every_item(store) if doomed.id in item] == []
    assert [path for path in every_file() if doomed.id in path] == []
    assert store.chat_state(token) is None and store.chat_pointer("+6281234567890") is None
    assert store.contact_record("+6281234567890").get("open_case") is None
    assert sorted(item for item in every_item(store) if kept.id in item) == kept_items
    assert store.chat_pointer("+6281299990000")["token"] == kept_token
    assert len([path for path in every_file() if kept.id in path]) == 4
    assert job.result["responses"] == 1 and job.result["invitations"] == 2 and job.result["files"] == 4
    assert job.params == {}  # the survey's id leaves the job item; its title stays in the result
    assert job.result["title"]["en"] == doomed.title.en


@MOTO
def test_a_run_killed_midway_is_resumed_by_the_next_and_finishes(app, store, two_surveys, monkeypatch):
    doomed, _, kept, _ = two_surveys
    with app.app_context():
        shared = owner_jobs()
    jobs = OwnerJobs(store, shared.objects, LostQueue(), JobSettings(page_size=5), logos=shared.logos)
    jobs.clock = lambda: NOW
    job = jobs.start_deletion(doomed, "owner@example.test")
    for _ in range(100):  # a Scan page (5 items read) per run, the budget then spent, until some were deleted
        assert jobs.run_job(job.id, CountedBudget(1)) == "requeued"
        saved = store.get_job(job.id)
        if saved.progress["items"]:
            break
    assert saved.cursor and saved.progress["items"] > 0 and any(doomed.id in i for i in every_item(store))
    # The next run is killed halfway through deleting a page: no handler runs, nothing is saved, its lease stays.
    delete_keys = store.delete_keys

    def killed_halfway(keys):
        delete_keys(keys[:len(keys) // 2])
        raise Killed()
    monkeypatch.setattr(store, "delete_keys", killed_halfway)
    with pytest.raises(Killed):
        jobs.run_job(job.id, Budget(300))
    monkeypatch.setattr(store, "delete_keys", delete_keys)
    assert store.get_job(job.id).cursor == saved.cursor and store.get_job(job.id).progress == saved.progress
    assert jobs.run_job(job.id, Budget(300)) == "skipped"  # SQS's redelivery while the dead run's lease holds
    jobs.clock = lambda: NOW + timedelta(minutes=10)  # that lease has expired

    assert jobs.run_job(job.id, Budget(300)) == DONE

    assert [item for item in every_item(store) if doomed.id in item] == []
    assert [path for path in every_file() if doomed.id in path] == []
    assert store.get_survey(kept.id) == kept


@MOTO
def test_links_of_a_deleted_survey_say_it_is_closed(app, store, two_surveys):
    doomed, token, _, _ = two_surveys
    with app.app_context():
        owner_jobs().start_deletion(doomed, "owner@example.test")
    client = app.test_client()
    for url in (f"/s/{token}", f"/s/{token}/9", f"/s/{token}/review"):  # personal links: gone or mistyped
        page = client.get(url)
        assert page.status_code == 404, url
        assert "or its survey is closed" in page.get_data(as_text=True) or "atau surveinya sudah ditutup" in \
            page.get_data(as_text=True), url
    page = client.get(f"/o/{doomed.id}")  # the open link: the survey id is known to have been a survey
    assert page.status_code == 404 and ("This survey is closed" in page.get_data(as_text=True)
                                        or "Survei ini sudah ditutup" in page.get_data(as_text=True))
