"""The branding bucket (S3): owners' logos, posted by the browser straight to S3 with a presigned POST, then
checked and served (CloudFront in production). Client, retries and error mapping are ObjectStore's."""
from __future__ import annotations

from .objects import ObjectStore


class LogoBucket(ObjectStore):
    """The site bucket's `branding/` prefix: what a logo needs beyond ObjectStore (the POST form, head, read)."""

    def upload_form(self, key: str, redirect: str, type_prefix: str, max_bytes: int, seconds: int) -> dict:
        """{'url', 'fields'} of a presigned POST (signed locally): only `key`, a Content-Type starting with
        `type_prefix`, at most `max_bytes`; S3 then answers 303 to `redirect` with bucket, key and etag appended.
        Shape: boto3's S3.Client.generate_presigned_post and S3's POST policy (AWS docs, "Creating a POST policy");
        botocore 1.44 (signers.py) adds the {"bucket"} and {"key"} conditions itself and signs the base64 policy.
        S3 enforces these conditions at the POST; moto 5.2 does not (see tests/integration/test_branding.py), and the
        app's own check before a logo is served holds either way (services/branding.accept_logo)."""
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

    def copy(self, source: str, target: str) -> None:
        """A server-side CopyObject in this bucket (type and metadata kept). :raises NotFound: no source."""
        self._do("copy_object", Key=target, CopySource={"Bucket": self.bucket, "Key": source})
