"""The AWS services the deployed function talks to, outside its process: one moto server (SSM, SES, S3, SQS, KMS)
reached through the AWS_ENDPOINT_URL_<SERVICE> variables boto3 reads
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html); DynamoDB Local runs apart
(tests/local_dynamodb.py)."""
from __future__ import annotations

import contextlib
import os
import urllib.request
from pathlib import Path

import boto3

from tests.local_dynamodb import free_port, serving_process

ROOT = Path(__file__).resolve().parents[2]
MOTO_SERVER = ROOT / ".venv" / "bin" / "moto_server"
REGION = "ap-southeast-3"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
MOTO_SERVICES = ("ssm", "ses", "sesv2", "s3", "sqs", "kms")


@contextlib.contextmanager
def moto_server():
    """Yields the endpoint of a moto server on a free port; stops it by its PID."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with serving_process([str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
                         lambda: urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close(),
                         RuntimeError("moto_server did not start within 30 s")):
        yield endpoint


@contextlib.contextmanager
def fake_credentials(region: str):
    """For code that reads credentials from the environment (the working tree's Store), outside a test's own."""
    values = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": region}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


def endpoint_variables(moto: str, dynamodb: str) -> dict[str, str]:
    """What the function's environment holds so that boto3 reaches these engines instead of AWS."""
    variables = {f"AWS_ENDPOINT_URL_{service.upper()}": moto for service in MOTO_SERVICES}
    variables["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb
    return variables


def put_secrets(moto: str, secrets: dict[str, str]) -> None:
    """SecureString parameters, read by the function at start-up as in production."""
    ssm = client("ssm", moto)
    for name, value in secrets.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def verify_sender(moto: str, sender: str) -> None:
    """SES sends only from a verified identity (moto checks it as SES does in the sandbox)."""
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    client("ses", moto).verify_email_identity(EmailAddress=address)


def owner_jobs_resources(moto: str, environment: dict[str, str]) -> dict[str, str]:
    """The owner-jobs queue and the exports bucket the stack creates (infra/template.yaml), made in moto under
    the names the settings give; returns the settings that point the function at them."""
    queue_name = environment.get("SURVEY_JOBS_QUEUE_URL", "").rstrip("/").rsplit("/", 1)[-1] or "survey-app-jobs"
    bucket = environment.get("SURVEY_EXPORTS_BUCKET") or "survey-app-exports"
    queue_url = client("sqs", moto).create_queue(QueueName=queue_name,
                                                 Attributes={"VisibilityTimeout": "1800"})["QueueUrl"]
    client("s3", moto).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return {"SURVEY_JOBS_QUEUE_URL": queue_url, "SURVEY_EXPORTS_BUCKET": bucket}
