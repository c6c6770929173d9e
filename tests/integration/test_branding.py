"""Branding on moto (DynamoDB, S3): the presigned POST carries the logo's conditions, S3's redirect back records a
checked logo and refuses a big or mistyped one, and the answer page shows the logo, name and colour, escaped."""
from __future__ import annotations

import base64
import json
import re
import uuid
from html import unescape
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
import yaml
from moto import mock_aws

from survey_app import create_app
from survey_app.services import create_invitation, utcnow
from survey_app.store import Store
from tests.conftest import REGION, ROOT, csrf_token
from tests.factories import make_survey

BUCKET = "branding-test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
UPLOAD_FORM = re.compile(r'<form method="post" action="([^"]+)" enctype="multipart/form-data"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture
def store():
    with mock_aws():
        store = Store(f"survey-test-{uuid.uuid4().hex[:8]}", REGION)
        store.create_table()
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield store


@pytest.fixture
def app(store):
    app = create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name, "BRANDING_BUCKET": BUCKET})
    app.extensions["survey_store"] = store
    return app


@pytest.fixture
def survey(store):
    return make_survey(store)


def upload_form(client, survey) -> tuple[str, dict]:
    page = client.get(f"/owner/surveys/{survey.id}/branding")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    form = text[text.index('id="logo-upload"') - 200:]
    return unescape(UPLOAD_FORM.search(form).group(1)), {n: unescape(v) for n, v in HIDDEN.findall(form)}


def stored_keys(survey) -> list[str]:
    """Every object of the survey in the bucket, checked or not."""
    s3 = boto3.client("s3", region_name=REGION)
    return [o["Key"] for prefix in ("branding/", "logo-uploads/")
            for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}{survey.id}/").get("Contents", [])]


def post_to_s3(url: str, fields: dict, body: bytes, content_type: str) -> requests.Response:
    """What the browser does with the page's form: S3 reads the fields, the file last (moto's S3 answers it)."""
    return requests.post(url, data=fields | {"Content-Type": content_type},
                         files={"file": ("logo", body, content_type)}, allow_redirects=False)


def test_presigned_post_allows_only_one_key_images_up_to_20_kb_and_redirects_to_the_callback(client, owner, survey):
    owner.login()
    url, fields = upload_form(client, survey)
    assert url.startswith(f"https://{BUCKET}.s3")
    assert fields["key"].startswith(f"logo-uploads/{survey.id}/")  # never served until checked and copied
    conditions = json.loads(base64.b64decode(fields["policy"]))["conditions"]
    assert ["content-length-range", 1, 20 * 1024] in conditions
    assert ["starts-with", "$Content-Type", "image/"] in conditions
    assert {"key": fields["key"]} in conditions
    redirect = fields["success_action_redirect"]
    assert {"success_action_redirect": redirect} in conditions
    assert urlsplit(redirect).path == f"/owner/surveys/{survey.id}/branding/logo"
    page = client.get(f"/owner/surveys/{survey.id}/branding")
    assert f"form-action 'self' https://{urlsplit(url).netloc}" in page.headers["Content-Security-Policy"]


def test_uploaded_logo_is_recorded_and_shown_on_the_answer_page_with_name_and_colour(client, owner, store, survey):
    owner.login()
    token = csrf_token(client, f"/owner/surveys/{survey.id}/branding")
    saved = client.post(f"/owner/surveys/{survey.id}/branding",
                        data={"csrf_token": token, "business_name": "<b>Toko</b> & Co", "brand_colour": "#1A5FB4"})
    assert saved.status_code == 303
    url, fields = upload_form(client, survey)
    s3 = post_to_s3(url, fields, PNG, "image/png")
    assert s3.status_code == 303
    back = urlsplit(s3.headers["Location"])
    assert parse_qs(back.query)["key"] == [fields["key"]]
    assert client.get(f"{back.path}?{back.query}").status_code == 303
    branded = store.get_survey(survey.id)
    served = "branding/" + fields["key"].removeprefix("logo-uploads/")
    assert branded.logo_key == served and branded.brand_colour == "#1a5fb4"
    assert stored_keys(survey) == [served]  # the checked copy alone: the upload is gone

    invitation = create_invitation(store, branded, now=utcnow(), customer_name="Budi", phone="+6281234567890")
    page = client.get(f"/s/{invitation.token}").get_data(as_text=True)
    assert 'style="--brand:#1a5fb4"' in page
    assert f'<img src="/owner/logos/{served}" width="160" height="48" alt="&lt;b&gt;Toko&lt;/b&gt; &amp; Co">' in page
    assert "<b>Toko</b>" not in page
    logo = client.get(f"/owner/logos/{served}")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data == PNG


@pytest.mark.parametrize("body, content_type, problem", [
    (PNG + b"\x00" * 20 * 1024, "image/png", "at most 20 KB"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/png", "SVG is not accepted"),
    (PNG, "image/jpeg", "SVG is not accepted"),
])
def test_callback_refuses_and_deletes_a_big_or_mistyped_logo(client, owner, store, survey, body, content_type, problem):
    """Real S3 refuses these at the POST (its policy conditions). moto 5.2 does not: its S3 POST handler
    (moto/s3/responses.py, S3Response._bucket_response_post) stores the file and answers 303 without reading the policy
    (no content-length-range, no starts-with, no signature check), so the policy is tested by decoding it (above) and
    these are put directly: the callback checks the stored object itself, and nothing of them is ever served."""
    owner.login()
    url, fields = upload_form(client, survey)
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=fields["key"], Body=body,
                                                      ContentType=content_type)
    back = client.get(fields["success_action_redirect"])
    assert problem in back.get_data(as_text=True)
    assert store.get_survey(survey.id).logo_key == ""
    assert stored_keys(survey) == []  # the upload deleted, nothing copied to branding/
    assert client.get(f"/owner/logos/branding/{fields['key'].removeprefix('logo-uploads/')}").status_code == 404


def test_callback_refuses_a_token_for_another_survey_or_forged(client, owner, store, survey):
    other = make_survey(store)
    owner.login()
    _, fields = upload_form(client, other)
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=fields["key"], Body=PNG,
                                                      ContentType="image/png")
    token = parse_qs(urlsplit(fields["success_action_redirect"]).query)["token"][0]
    for forged in (token, token[:-2] + "xx"):
        back = client.get(f"/owner/surveys/{survey.id}/branding/logo?token={forged}")
        assert "upload link has expired" in back.get_data(as_text=True)
    assert store.get_survey(survey.id).logo_key == ""


def test_low_contrast_colour_is_refused_and_nothing_saved(client, owner, store, survey):
    owner.login()
    token = csrf_token(client, f"/owner/surveys/{survey.id}/branding")
    page = client.post(f"/owner/surveys/{survey.id}/branding",
                       data={"csrf_token": token, "business_name": "Toko", "brand_colour": "#ffcc00"})
    assert page.status_code == 400 and "hard to read" in page.get_data(as_text=True)
    assert store.get_survey(survey.id).version == survey.version


def test_viewer_cannot_open_branding_and_posts_need_csrf(client, owner, survey):
    owner.login(role="viewer")
    assert client.get(f"/owner/surveys/{survey.id}/branding").status_code == 403
    owner.login()
    refused = client.post(f"/owner/surveys/{survey.id}/branding", data={"business_name": "x", "brand_colour": ""})
    assert refused.status_code == 400


def test_logo_route_serves_only_a_survey_s_recorded_logo(client, survey):
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=f"branding/{survey.id}/stray", Body=PNG)
    assert client.get(f"/owner/logos/branding/{survey.id}/stray").status_code == 404


def test_unchecked_uploads_are_never_served_and_expire_after_a_day():
    """infra/template.yaml: CloudFront reads the site bucket through OAC, but an explicit Deny keeps logo-uploads/
    from it, and a lifecycle rule removes uploads whose check never came (the browser closed before S3's redirect)."""
    resources = yaml.safe_load((ROOT / "infra" / "template.yaml").read_text(encoding="utf-8"))["Resources"]
    rules = {r["Id"]: r for r in resources["SiteBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    unchecked = rules["expire-unchecked-logo-uploads"]
    assert (unchecked["Status"], unchecked["Prefix"], unchecked["ExpirationInDays"]) == ("Enabled", "logo-uploads/", 1)
    assert unchecked["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}  # the bucket is versioned
    statements = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {"Sid": "NeverServeUncheckedLogos", "Effect": "Deny", "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${SiteBucket.Arn}/logo-uploads/*"}} in statements
