"""infra/template.yaml for owner jobs: the role may make every S3 and SQS call the app makes, on its own bucket and
queue only; the queue outlives a run of the jobs function and has a dead-letter queue; exports expire."""
from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT

STORE = ROOT / "survey_app" / "store"
# IAM authorises the multipart calls as s3:PutObject and HeadObject as s3:GetObject
# (docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
IAM_ACTIONS_OF_CALL = {
    "create_multipart_upload": "s3:PutObject", "upload_part": "s3:PutObject",
    "complete_multipart_upload": "s3:PutObject", "put_object": "s3:PutObject", "get_object": "s3:GetObject",
    "head_object": "s3:GetObject", "delete_object": "s3:DeleteObject",
    "abort_multipart_upload": "s3:AbortMultipartUpload", "send_message": "sqs:SendMessage",
    "list_objects_v2": "s3:ListBucket", "delete_objects": "s3:DeleteObject",  # DeleteObjects: per key
}
JOBS_FUNCTION_TIMEOUT = 300  # zappa_settings.json, stage production_jobs


def template() -> dict:
    return yaml.safe_load((ROOT / "infra" / "template.yaml").read_text(encoding="utf-8"))


def statements(body: dict) -> dict[str, dict]:
    policy = next(r for r in body["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy")
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_the_role_allows_every_s3_and_sqs_call_the_app_makes_on_its_own_bucket_and_queue():
    source = (STORE / "objects.py").read_text() + (STORE / "queue.py").read_text()
    calls = set(re.findall(r'_do\(\s*"(\w+)"', source)) | set(re.findall(r"self\.sqs\.(\w+)\(", source))
    calls |= set(re.findall(r'generate_presigned_url\(\s*"(\w+)"', source))
    assert calls <= set(IAM_ACTIONS_OF_CALL), f"map these calls to IAM actions: {calls - set(IAM_ACTIONS_OF_CALL)}"
    by_sid = statements(template())
    exports, queue, listing = by_sid["ExportsObjects"], by_sid["OwnerJobsQueue"], by_sid["ListSurveyFiles"]
    allowed = set(exports["Action"]) | set(queue["Action"]) | {listing["Action"]}
    assert listing["Resource"] == [{"Fn::GetAtt": ["ExportsBucket", "Arn"]}, {"Fn::GetAtt": ["SiteBucket", "Arn"]}]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["exports/*", "imports/*", "branding/*", "logo-uploads/*"]}}
    assert {IAM_ACTIONS_OF_CALL[c] for c in calls} <= allowed
    assert exports["Resource"] == {"Fn::Sub": "${ExportsBucket.Arn}/*"}
    assert queue["Resource"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    # Lambda's SQS event source mapping polls with the function's role.
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= set(queue["Action"])


def test_the_queue_outlives_a_run_and_sends_repeated_failures_to_a_dead_letter_queue():
    resources = template()["Resources"]
    queue = resources["JobsQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * JOBS_FUNCTION_TIMEOUT  # AWS's advice for SQS event sources
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}
    assert queue["SqsManagedSseEnabled"] is True


def test_exports_are_private_encrypted_and_expire_after_seven_days():
    bucket = template()["Resources"]["ExportsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", 7)
