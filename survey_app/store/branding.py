"""The branding bucket (S3): owners' logos, posted by the browser straight to S3 with a presigned POST, then
checked and served (CloudFront in production). Errors become the app's own, as in store/objects.py."""
from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import NotFound, StoreUnavailable


class LogoBucket:
    """One bucket. The endpoint comes from botocore's own AWS_ENDPOINT_URL_S3 when set (moto server, tests)."""

    def __init__(self, bucket: str, region: str):
        self.bucket = bucket
        self.region = region
        self._s3 = None

    @property
    def s3(self):
        if self._s3 is None:
            self._s3 = boto3.client("s3", region_name=self.region,
                                    config=Config(retries={"mode": "standard", "max_attempts": 3},
                                                  connect_timeout=3, read_timeout=10))
        return self._s3

    def _do(self, operation: str, **kwargs) -> dict:
        try:
            return getattr(self.s3, operation)(Bucket=self.bucket, **kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise NotFound(f"s3://{self.bucket}/{kwargs.get('Key', '')}") from error
            raise StoreUnavailable(f"S3 {operation} failed: {error}") from error
        except BotoCoreError as error:
            raise StoreUnavailable(f"S3 {operation} failed: {error}") from error

    def upload_form(self, key: str, redirect: str, type_prefix: str, max_bytes: int, seconds: int) -> dict:
        """{'url', 'fields'} of a presigned POST (signed locally): only `key`, a Content-Type starting with
        `type_prefix`, at most `max_bytes`; S3 then answers 303 to `redirect` with bucket, key and etag appended.
        Shape: boto3's S3.Client.generate_presigned_post and S3's POST policy (AWS docs, "Creating a POST policy")."""
        return self.s3.generate_presigned_post(
            Bucket=self.bucket, Key=key, ExpiresIn=seconds,
            Fields={"success_action_redirect": redirect},
            Conditions=[{"success_action_redirect": redirect}, ["starts-with", "$Content-Type", type_prefix],
                        ["content-length-range", 1, max_bytes]])

    def head(self, key: str) -> tuple[int, str]:
        """(size, content type). :raises NotFound:"""
        head = self._do("head_object", Key=key)
        return head["ContentLength"], head.get("ContentType", "")

    def read(self, key: str) -> bytes:
        """:raises NotFound:"""
        return self._do("get_object", Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        self._do("delete_object", Key=key)
