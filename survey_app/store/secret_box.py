"""Two-factor secrets sealed at rest by AWS KMS: the key never leaves KMS (and the Lambda zip carries no crypto
wheel), each value is bound to its owner by an encryption context, so one copied onto another owner's item, or
read out of a table backup, opens for nobody.

Shapes from the KMS API reference (botocore's kms service model, as in moto): Encrypt(KeyId, Plaintext,
EncryptionContext) -> CiphertextBlob; Decrypt(CiphertextBlob, EncryptionContext, KeyId) -> Plaintext, where KeyId
may be a key id, key ARN, alias name or alias ARN and pins decryption to that key; a wrong context or a damaged
blob is InvalidCiphertextException, another key's blob IncorrectKeyException.
"""
from __future__ import annotations

import base64

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import StoreUnavailable

SEALED = "kms:"  # a stored value that starts so is a KMS ciphertext (base64); a base32 TOTP secret never does
PURPOSE = "survey-app-totp"  # the IAM policy lets the Lambda use the key for this encryption context only
REFUSED = ("InvalidCiphertextException", "IncorrectKeyException")


class SealBroken(Exception):
    """The value does not open with this owner's context and this key: moved, damaged or from another key."""


def is_sealed(value: str) -> bool:
    return value.startswith(SEALED)


def context(owner: str) -> dict[str, str]:
    return {"purpose": PURPOSE, "owner": owner}


class SecretBox:
    """Built lazily like the table's client; the endpoint comes from botocore's own AWS_ENDPOINT_URL_KMS when set.
    Without a key (dev and tests that need none) values are kept as they are."""

    def __init__(self, key_id: str, region: str):
        self.key_id = key_id
        self.region = region
        self._kms = None

    @property
    def kms(self):
        if self._kms is None:
            self._kms = boto3.client("kms", region_name=self.region,
                                     config=Config(retries={"mode": "standard", "max_attempts": 4},
                                                   connect_timeout=3, read_timeout=5))
        return self._kms

    def seal(self, plain: str, owner: str) -> str:
        if not self.key_id:
            return plain
        blob = self._do("encrypt", KeyId=self.key_id, Plaintext=plain.encode(),
                        EncryptionContext=context(owner))["CiphertextBlob"]
        return SEALED + base64.b64encode(blob).decode()

    def open(self, stored: str, owner: str) -> str:
        """The plain secret; a value stored before secrets were sealed comes back as it is.

        :raises SealBroken: it does not open for this owner.
        """
        if not is_sealed(stored):
            return stored
        try:
            blob = base64.b64decode(stored.removeprefix(SEALED), validate=True)
        except ValueError as error:
            raise SealBroken("not base64") from error
        pinned = {"KeyId": self.key_id} if self.key_id else {}
        return self._do("decrypt", CiphertextBlob=blob, EncryptionContext=context(owner), **pinned)["Plaintext"].decode()

    def _do(self, operation: str, **kwargs) -> dict:
        try:
            return getattr(self.kms, operation)(**kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] in REFUSED:
                raise SealBroken(error.response["Error"]["Code"]) from error
            raise StoreUnavailable(f"KMS {operation} failed: {error}") from error
        except BotoCoreError as error:
            raise StoreUnavailable(f"KMS {operation} failed: {error}") from error
