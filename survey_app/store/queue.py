"""The owner-jobs queue (SQS): a message carries only a job id; the job's state lives in DynamoDB, so a lost,
repeated or late message never loses or repeats work."""
from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import StoreUnavailable


class JobQueue:
    """Built lazily; the endpoint comes from botocore's own AWS_ENDPOINT_URL_SQS when set (moto server)."""

    def __init__(self, queue_url: str, region: str):
        self.queue_url = queue_url
        self.region = region
        self._sqs = None

    @property
    def sqs(self):
        if self._sqs is None:
            self._sqs = boto3.client("sqs", region_name=self.region,
                                     config=Config(retries={"mode": "standard", "max_attempts": 4},
                                                   connect_timeout=3, read_timeout=10))
        return self._sqs

    def send(self, job_id: str) -> None:
        try:
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=job_id)
        except (ClientError, BotoCoreError) as error:
            raise StoreUnavailable(f"SQS send_message failed: {error}") from error
