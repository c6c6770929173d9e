"""Owner work that outgrows a request, as deployed: the web function queues it on SQS, the jobs function (its own
stage, its own timeout) runs it from the queue as Lambda's SQS event source mapping delivers it."""
from __future__ import annotations

import re

from survey_app.services import create_invitation, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.deployed.test_production_shape import logged_in
from tests.factories import make_survey


def test_an_erasure_started_on_the_web_runs_in_the_jobs_function_from_the_queue(deployed):
    store = deployed.store()
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Rina Hapus", email="rina.hapus@example.test")
    submit_response(store, survey, {"nps": 2, "reason": "Kurir kasar"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation)
    visitor, _ = logged_in(deployed)
    token = visitor.get("/owner/privacy").csrf_token()
    started = visitor.post("/owner/privacy", {"csrf_token": token, "email": "rina.hapus@example.test", "phone": ""},
                           headers={"Referer": f"{deployed.url}/owner/privacy"})
    assert started.status == 302 and "/production/owner/jobs/" in started.header("Location")
    job_id = started.header("Location").rsplit("/", 1)[-1]
    assert "Waiting to start" in visitor.get(started.header("Location")).text  # queued, not run by the web function
    queue_url = deployed.aws_client("sqs").get_queue_url(QueueName="survey-app-production-jobs")["QueueUrl"]
    report = deployed.drain_queue("production_jobs", queue_url)
    assert report.invocations and report.deleted >= 1 and not report.failed_batches, report
    page = visitor.get(f"/owner/jobs/{job_id}").text
    assert re.search(r'id="erasure-result"', page), page[-2000:]
    erased = store.get_invitation(invitation.token)
    assert (erased.customer_name, erased.email) == ("", "")  # the person is gone; the anonymous answer stays
    assert deployed.function("production_jobs").config.timeout_seconds == 300  # the jobs stage's own limit
