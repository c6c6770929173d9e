"""Two-factor sign-in as deployed with its secret sealed by KMS: through API Gateway an owner turns it on, the
web function (the zip's code, Lambda's boto3) seals the secret with the stage's key in KMS (moto server), the
table holds no plain secret, and the next sign-in's code is checked against the secret KMS opens again."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from survey_app.services import create_owner
from tests.deployed.apigateway import Api
from tests.deployed.deployment import random_api_id
from tests.deployed.front import Front
from tests.deployed.http_client import Client

WEB = "production_totp"  # the production stage with SURVEY_TOTP_KEY_ID set, as the stack's output gives it
PASSWORD = "correct horse battery staple"
SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]{32})</code>')


@pytest.fixture(scope="module")
def sealed_front(deployed):
    """A web stage whose settings name a KMS key (an alias, made in moto server's KMS like the stack's)."""
    kms = deployed.aws_client("kms")
    key = kms.create_key(Description="survey-app-production-totp")["KeyMetadata"]
    alias = f"alias/survey-app-deployed-{uuid.uuid4().hex[:6]}-totp"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    env = deployed.stage_config("production")["environment_variables"] | {"SURVEY_TOTP_KEY_ID": alias}
    deployed.add_stage(WEB, {"extends": "production", "environment_variables": env}, ())
    front = Front(Api(random_api_id(), deployed.region, WEB), deployed.function(WEB))
    try:
        yield front
    finally:
        front.close()


def sign_in(front: Front, client: Client, email: str):
    token = client.get("/login").csrf_token()
    return client.post("/login", {"csrf_token": token, "email": email, "password": PASSWORD},
                       headers={"Referer": f"{front.url}/login"})


def test_a_secret_turned_on_through_the_front_is_stored_sealed_and_signs_in_again(deployed, sealed_front):
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    create_owner(deployed.store(), email, PASSWORD, "admin")
    owner = Client(sealed_front.url)
    assert sign_in(sealed_front, owner, email).status == 302
    account = owner.get("/owner/account")
    secret = SECRET.search(account.text).group(1)
    turned_on = owner.post("/owner/account/two-factor", {"csrf_token": account.csrf_token(),
                                                         "code": pyotp.TOTP(secret).now()},
                           headers={"Referer": f"{sealed_front.url}/owner/account"})
    assert turned_on.status == 200 and "recovery-codes" in turned_on.text, turned_on.status

    item = deployed.aws_client("dynamodb").get_item(
        TableName=deployed.table_name, Key={"pk": {"S": f"OWNER#{email}"}, "sk": {"S": "OWNER"}})["Item"]
    assert item["totp_secret"]["S"].startswith("kms:") and secret not in repr(item)

    again = Client(sealed_front.url)
    assert sign_in(sealed_front, again, email).header("Location").endswith("/login/code")
    next_code = pyotp.TOTP(secret).at(datetime.now(timezone.utc) + timedelta(seconds=30))  # this step's is spent
    form = again.get("/login/code")
    signed_in = again.post("/login/code", {"csrf_token": form.csrf_token(), "code": next_code},
                           headers={"Referer": f"{sealed_front.url}/login/code"})
    assert signed_in.status == 302 and again.get("/owner/").status == 200
