"""store/secret_box.py on moto's KMS: a sealed value opens only for its owner, a plain one from before sealing
opens as itself, and KMS trouble is the store's own error, never a silent plain fallback."""
from __future__ import annotations

import boto3
import pytest
import yaml
from moto import mock_aws

from survey_app.errors import StoreUnavailable
from survey_app.store.secret_box import PURPOSE, SealBroken, SecretBox
from tests.conftest import REGION, ROOT

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def key():
    with mock_aws():
        yield boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]


def test_a_sealed_secret_opens_for_its_owner_and_for_nobody_else(key):
    box = SecretBox(key["Arn"], REGION)
    sealed = box.seal(SECRET, "rina@toko.test")
    assert sealed.startswith("kms:") and SECRET not in sealed
    assert box.open(sealed, "rina@toko.test") == SECRET
    with pytest.raises(SealBroken):
        box.open(sealed, "budi@toko.test")


def test_a_damaged_sealed_value_is_refused_not_raised_as_a_crash(key):
    box = SecretBox(key["Arn"], REGION)
    for damaged in ("kms:not base64!", "kms:" + "A" * 40):
        with pytest.raises(SealBroken):
            box.open(damaged, "rina@toko.test")


def test_without_a_key_secrets_stay_plain_and_a_plain_secret_opens_as_itself(key):
    assert SecretBox("", REGION).seal(SECRET, "rina@toko.test") == SECRET
    assert SecretBox(key["Arn"], REGION).open(SECRET, "rina@toko.test") == SECRET


def test_a_key_kms_does_not_know_is_the_stores_own_error(key):
    missing = SecretBox(key["Arn"].replace(key["KeyId"], "00000000-0000-0000-0000-000000000000"), REGION)
    with pytest.raises(StoreUnavailable):
        missing.seal(SECRET, "rina@toko.test")


def test_the_stacks_key_is_kept_rotated_and_usable_by_the_lambda_only_under_the_apps_context():
    """infra/template.yaml: the key outlives the stack, rotates in place (same id), and the Lambda may Encrypt and
    Decrypt with it only when the encryption context's purpose is the one SecretBox sends."""
    template = yaml.safe_load((ROOT / "infra" / "template.yaml").read_text(encoding="utf-8"))
    key = template["Resources"]["TotpKey"]
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = template["Resources"]["LambdaPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (seal,) = [s for s in statements if s.get("Sid") == "SealTwoFactorSecrets"]
    assert seal["Resource"] == {"Fn::GetAtt": ["TotpKey", "Arn"]}
    assert seal["Condition"] == {"StringEquals": {"kms:EncryptionContext:purpose": PURPOSE}}
    assert template["Outputs"]["TotpKeyArn"]["Value"] == {"Fn::GetAtt": ["TotpKey", "Arn"]}
