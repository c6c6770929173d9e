"""The exports bucket (S3): large exports are written there by parts and handed out as short-lived presigned links;
large web imports wait there for their job. Built lazily like the table's client; errors become the app's own."""
from __future__ import annotations

from typing import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import NotFound, StoreUnavailable


class ObjectStore:
    """One bucket. The endpoint comes from botocore's own AWS_ENDPOINT_URL_S3 when set (moto server, tests)."""

    def __init__(self, bucket: str, region: str):
        self.bucket = bucket
        self.region = region
        self._s3 = None

    @property
    def s3(self):
        if self._s3 is None:
            self._s3 = boto3.client("s3", region_name=self.region,
                                    config=Config(retries={"mode": "standard", "max_attempts": 4},
                                                  connect_timeout=3, read_timeout=30))
        return self._s3

    def _do(self, operation: str, **kwargs) -> dict:
        try:
            return getattr(self.s3, operation)(Bucket=self.bucket, **kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "NoSuchUpload", "404"):
                raise NotFound(f"s3://{self.bucket}/{kwargs.get('Key', '')}") from error
            raise StoreUnavailable(f"S3 {operation} failed: {error}") from error
        except BotoCoreError as error:
            raise StoreUnavailable(f"S3 {operation} failed: {error}") from error

    def start_upload(self, key: str, content_type: str) -> str:
        """A multipart upload: parts of at least 5 MB (S3's minimum, but for the last) keep memory flat."""
        return self._do("create_multipart_upload", Key=key, ContentType=content_type,
                        ServerSideEncryption="AES256")["UploadId"]

    def upload_part(self, key: str, upload_id: str, number: int, body: bytes) -> str:
        """The part's ETag, which completing the upload needs."""
        return self._do("upload_part", Key=key, UploadId=upload_id, PartNumber=number, Body=body)["ETag"]

    def complete_upload(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        """:raises NotFound: the upload is gone (completed before, or aborted)."""
        self._do("complete_multipart_upload", Key=key, UploadId=upload_id,
                 MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in parts]})

    def abort_upload(self, key: str, upload_id: str) -> None:
        try:
            self._do("abort_multipart_upload", Key=key, UploadId=upload_id)
        except NotFound:
            pass

    def size(self, key: str) -> int:
        """:raises NotFound:"""
        return self._do("head_object", Key=key)["ContentLength"]

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._do("put_object", Key=key, Body=body, ContentType=content_type, ServerSideEncryption="AES256")

    def lines(self, key: str) -> Iterator[str]:
        """A text object streamed line by line (UTF-8, a BOM dropped)."""
        body = self._do("get_object", Key=key)["Body"]
        first = True
        for raw in body.iter_lines(keepends=True):
            line = raw.decode("utf-8", errors="replace")
            yield line.removeprefix("\ufeff") if first else line
            first = False

    def delete(self, key: str) -> None:
        self._do("delete_object", Key=key)

    def keys(self, prefix: str, limit: int = 1000) -> list[str]:
        """Up to `limit` keys under `prefix` (one ListObjectsV2 page: S3 returns at most 1,000)."""
        page = self._do("list_objects_v2", Prefix=prefix, MaxKeys=limit)
        return [entry["Key"] for entry in page.get("Contents", [])]

    def delete_keys(self, keys: list[str]) -> None:
        """DeleteObjects of at most 1,000 keys (S3's limit); a key already gone counts as deleted (S3 says so). S3
        answers 200 with per-key `Errors` (quiet mode lists only those): any one is a failure to retry."""
        if not keys:
            return
        errors = self._do("delete_objects", Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}).get("Errors")
        if errors:
            raise StoreUnavailable(f"S3 delete_objects left {len(errors)} keys: {errors[0].get('Code')}")

    def download_link(self, key: str, seconds: int, filename: str) -> str:
        """A presigned GET, signed locally (no call to S3): valid `seconds`, saved under `filename`."""
        return self.s3.generate_presigned_url(
            "get_object", ExpiresIn=seconds,
            Params={"Bucket": self.bucket, "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"'})
