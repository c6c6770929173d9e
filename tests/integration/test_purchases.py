"""Getting purchases in: CSV (CLI and owner page) and the JSON API, idempotent by order reference."""
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from survey_app.services import create_api_key
from tests.conftest import csrf_token
from tests.factories import make_survey

OPENAPI = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
TOMORROW = (datetime.now(timezone.utc) + timedelta(days=1)).date()
CSV = f"""name,email,phone,order_ref,purchased_at,language,product,store
Budi,,0812-3456-7890,INV-1,{TOMORROW} 14:30,id,Kopi,Bandung
Sarah,SARAH@example.com,,INV-2,{TOMORROW}T09:00:00+07:00,en,Batik,Solo
Nobody,,,INV-3,,id,Kopi,Bandung
Agus,,0812-3456-7891,,,id,Teh,Solo
Rina,,call me,INV-5,,,Teh,Solo
Dewi,,0812 3456 7892,INV-6,yesterday,,Teh,Solo
"""


def schema_validator(name):
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": OPENAPI["components"]})


def test_csv_import_reports_bad_rows_by_line_and_reimport_creates_nothing(runner, store, tmp_path):
    survey = make_survey(store)
    path = tmp_path / "purchases.csv"
    path.write_text(CSV, encoding="utf-8")
    one = ["--workers", "1"]  # moto copies the whole table inside each transaction: not safe across threads
    first = runner.invoke(args=["import-purchases", str(path), "--survey", survey.id, *one])
    assert "2 invitations scheduled, 0 already imported, 4 rows refused, 0 skipped" in first.output
    for line, reason in [(4, "needs an e-mail or a phone"), (5, "order_ref is required"), (6, "phone 'call me'"),
                         (7, "purchased_at 'yesterday'")]:
        assert f"line {line}: {reason}" in first.output
    assert first.exit_code == 1
    second = runner.invoke(args=["import-purchases", str(path), "--survey", survey.id, *one])
    assert "0 invitations scheduled, 2 already imported" in second.output
    invitations = {i.order_ref: i for i in store.invitations_of(survey.id)}
    assert set(invitations) == {"INV-1", "INV-2"}
    budi, sarah = invitations["INV-1"], invitations["INV-2"]
    assert budi.phone == "+6281234567890" and budi.properties == {"product": "Kopi", "store": "Bandung"}
    in_two_days = TOMORROW + timedelta(days=2)
    assert budi.state == "scheduled" and budi.send_at.startswith(f"{in_two_days}T07:30")  # Jakarta 14:30 in UTC
    assert sarah.email == "sarah@example.com" and sarah.language == "en"


def test_import_cli_refuses_an_unknown_survey(runner, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    result = runner.invoke(args=["import-purchases", str(path), "--survey", "nope"])
    assert result.exit_code != 0 and "no survey 'nope'" in result.output


def test_owner_uploads_a_csv_and_sees_the_report(client, owner, store):
    survey = make_survey(store)
    owner.login()
    token = csrf_token(client, f"/owner/surveys/{survey.id}/import")
    response = client.post(f"/owner/surveys/{survey.id}/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "csv_file": (io.BytesIO(CSV.encode()), "p.csv")})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 invitations scheduled, 0 already imported, 4 rows refused." in text and "Line 5: order_ref" in text


def test_owner_upload_over_the_row_limit_is_refused_with_the_limit(app, client, owner, store):
    app.config["WEB_IMPORT_MAX_ROWS"] = 3
    survey = make_survey(store)
    owner.login()
    token = csrf_token(client, f"/owner/surveys/{survey.id}/import")
    response = client.post(f"/owner/surveys/{survey.id}/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "csv_file": (io.BytesIO(CSV.encode()), "p.csv")})
    assert response.status_code == 400 and "at most 3 rows" in response.get_data(as_text=True)
    assert store.invitations_of(survey.id) == []


@pytest.fixture
def api(client, store):
    key = create_api_key(store, "shop system", "owner@example.test")

    def post(body, key=key):
        request_body = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = client.post("/api/v1/purchases", data=request_body, content_type="application/json",
                               headers={"Authorization": f"Bearer {key}"} if key else {})
        schema = "Error" if response.status_code in (400, 401, 404, 413) else "Result"
        schema_validator(schema).validate(response.get_json())
        return response

    return post


def test_api_single_purchase_then_repost_is_a_duplicate(api, store):
    survey = make_survey(store)
    body = {"survey_id": survey.id, "order_ref": "A-1", "name": "Budi", "phone": "081234567890",
            "properties": {"product": "Kopi", "store": "Solo"}}
    schema_validator("Single").validate(body)
    first = api(body)
    assert first.status_code == 201
    (created,) = first.get_json()["created"]
    assert created["url"].endswith(f"/s/{created['token']}")
    again = api(body)
    assert again.status_code == 200 and again.get_json() == {"created": [], "duplicates": 1, "errors": []}
    assert store.get_invitation(created["token"]).properties == {"product": "Kopi", "store": "Solo"}


def test_api_batch_reports_each_refused_item_by_index(api, store):
    survey = make_survey(store)
    body = {"survey_id": survey.id, "purchases": [
        {"order_ref": "B-1", "email": "a@example.com"},
        {"order_ref": "B-2"},
        {"order_ref": "B-3", "email": "b@example.com", "coupon": "X"},
        {"order_ref": "B-4", "phone": "0812 1111 2222", "properties": {"store": {"nested": 1}}},
    ]}
    response = api(body)
    assert response.status_code == 201
    result = response.get_json()
    assert [c["order_ref"] for c in result["created"]] == ["B-1"]
    assert [e["index"] for e in result["errors"]] == [1, 2, 3]
    assert "unknown fields: coupon" in result["errors"][1]["reason"]


@pytest.mark.parametrize("body,status,code", [
    ("not json", 400, "invalid_json"),
    ({"order_ref": "x"}, 400, "missing_survey_id"),
    ({"survey_id": "nope", "order_ref": "x"}, 404, "unknown_survey"),
    ({"survey_id": "SURVEY", "purchases": []}, 400, "invalid_batch"),
])
def test_api_rejects_bad_requests_with_clear_json(api, store, body, status, code):
    survey = make_survey(store)
    if isinstance(body, dict) and body.get("survey_id") == "SURVEY":
        body = body | {"survey_id": survey.id}
    response = api(body)
    assert response.status_code == status and response.get_json()["error"]["code"] == code


def test_api_needs_a_valid_unrevoked_key(api, client, owner, store):
    survey = make_survey(store)
    body = {"survey_id": survey.id, "order_ref": "K-1", "email": "k@example.com"}
    assert api(body, key=None).status_code == 401
    assert api(body, key="sk_wrong").status_code == 401
    owner.login()
    token = csrf_token(client, "/owner/api-keys")
    page = client.post("/owner/api-keys", data={"csrf_token": token, "label": "till", "scopes": ["purchases"]}
                       ).get_data(as_text=True)
    key = page.split('id="new-key"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert api(body, key=key).status_code == 201
    (listed,) = [k for k in store.list_api_keys() if k["label"] == "till"]
    assert key not in json.dumps(listed)  # only the hash is stored
    client.post(f"/owner/api-keys/{listed['key_hash']}/revoke", data={"csrf_token": token})
    assert api(body, key=key).status_code == 401


def test_api_body_over_one_megabyte_is_refused(api, store):
    survey = make_survey(store)
    response = api(json.dumps({"survey_id": survey.id, "order_ref": "x", "name": "a" * (1024 * 1024)}))
    assert response.status_code == 413


def test_openapi_examples_match_their_schemas():
    examples = OPENAPI["paths"]["/purchases"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    schema_validator("Single").validate(examples["single"]["value"])
    schema_validator("Batch").validate(examples["batch"]["value"])
