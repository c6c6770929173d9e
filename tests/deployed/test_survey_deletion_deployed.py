"""A survey's deletion as deployed: confirmed through the front (CSRF, the ticked box), queued on SQS, run by the
jobs function from the zip (a Scan of DynamoDB Local, S3 on the moto server); afterwards no item of the table and no
file of the exports bucket names the survey, and its links answer "closed" through API Gateway."""
from __future__ import annotations

import json
import re

from survey_app.services import create_invitation, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.deployed.test_production_shape import logged_in
from tests.factories import make_survey

EXPORTS = "CHANGE-ME-exports-bucket"  # zappa_settings.json, stage production (made in moto by aws_services.py)


def naming(deployed, survey_id: str) -> list[str]:
    """Items of the whole table whose text holds the id (a test may scan)."""
    dynamodb, found, kwargs = deployed.aws_client("dynamodb"), [], {}
    while True:
        page = dynamodb.scan(TableName=deployed.table_name, **kwargs)
        found += [text for text in (json.dumps(i, default=str) for i in page["Items"]) if survey_id in text]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_survey_deleted_on_the_web_is_removed_by_the_jobs_function(deployed):
    store = deployed.store()
    survey, kept = make_survey(store), make_survey(store)
    for each in (survey, kept):
        invitation = create_invitation(store, each, customer_name="Rina", phone="+6281234567890", order_ref="SO-1")
        submit_response(store, each, {"nps": 2, "reason": "Kurir kasar"}, language="id",
                        submission_id=new_submission_id(), invitation=invitation)
        deployed.aws_client("s3").put_object(Bucket=EXPORTS, Key=f"exports/{each.id}/old.csv", Body=b"x")
    assert len(naming(deployed, survey.id)) >= 6
    mapping = deployed.start_stream_mapping()  # the counters stage folds both surveys' tallies meanwhile
    assert mapping.caught_up(60), mapping.state()
    kept_before = sorted(naming(deployed, kept.id))
    visitor, _ = logged_in(deployed)
    url = f"/owner/surveys/{survey.id}/delete"
    page = visitor.get(url)
    assert page.status == 200 and "1 responses and 1 comments" in page.text and "1 files" in page.text, page.text[-1500:]
    started = visitor.post(url, {"csrf_token": page.csrf_token(), "understood": "y"},
                           headers={"Referer": deployed.url + url})
    assert started.status == 303 and "/production/owner/jobs/" in started.header("Location"), started.text[:500]
    queue_url = deployed.aws_client("sqs").get_queue_url(QueueName="survey-app-production-jobs")["QueueUrl"]
    report = deployed.drain_queue("production_jobs", queue_url)
    assert report.invocations and not report.failed_batches, report

    job = visitor.get(started.header("Location")).text
    assert re.search(r'id="deletion-result"', job), job[-2000:]
    assert naming(deployed, survey.id) == []
    listed = deployed.aws_client("s3").list_objects_v2(Bucket=EXPORTS, Prefix=f"exports/{survey.id}/")
    assert listed.get("KeyCount", 0) == 0
    assert sorted(naming(deployed, kept.id)) == kept_before
    closed = deployed.client().get(f"/o/{survey.id}")
    assert closed.status == 404 and "Survei ini sudah ditutup" in closed.text
