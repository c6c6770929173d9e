"""API keys limited to scopes (purchases, read, webhooks) and to some surveys: refused elsewhere with a documented
403 JSON, chosen by the owner when the key is made; keys made before scopes keep every scope. Answers are validated
against docs/openapi.yaml."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from survey_app.services import create_api_key
from survey_app.services.accounts import ApiKeyError, api_key_grant
from tests.conftest import csrf_token
from tests.factories import make_survey

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
OPENAPI = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())


def conforms(answer, method: str, path: str, status: int) -> dict:
    """The status is documented for `method path` and the body matches its schema."""
    documented = OPENAPI["paths"][path][method]["responses"][str(status)]
    if "$ref" in documented:
        documented = OPENAPI["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    if "content" in documented:
        schema = documented["content"]["application/json"]["schema"]
        Draft202012Validator(schema | {"components": OPENAPI["components"]}).validate(answer.json)
    return answer.json


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@MOTO
def test_a_read_only_key_reads_but_is_refused_purchases_and_webhooks_with_a_403_that_says_why(client, store):
    survey = make_survey(store)
    key = bearer(create_api_key(store, "dashboard", "owner@example.test", scopes=["read"]))
    conforms(client.get(f"/api/v1/surveys/{survey.id}/summary", headers=key), "get", "/surveys/{survey_id}/summary",
             200)
    refused = conforms(client.post("/api/v1/purchases", json={"survey_id": survey.id, "order_ref": "A-1",
                                                               "email": "a@example.com"}, headers=key),
                       "post", "/purchases", 403)
    assert refused["error"]["code"] == "scope_refused" and "post purchases" in refused["error"]["message"]
    assert store.invitations_of(survey.id) == []
    hooks = conforms(client.get("/api/v1/webhooks", headers=key), "get", "/webhooks", 403)
    assert hooks["error"]["code"] == "scope_refused" and "'webhooks' scope" in hooks["error"]["message"]


@MOTO
def test_a_key_limited_to_one_survey_sees_only_it_and_any_other_id_is_refused_alike(client, store):
    mine, other = make_survey(store), make_survey(store)
    key = bearer(create_api_key(store, "branch", "owner@example.test", scopes=["read", "purchases"],
                                surveys=[mine.id]))
    listed = conforms(client.get("/api/v1/surveys", headers=key), "get", "/surveys", 200)
    assert [s["id"] for s in listed["surveys"]] == [mine.id]
    for survey_id in (other.id, "no-such-survey"):  # an unknown id answers as a foreign one: nothing leaks
        refused = conforms(client.get(f"/api/v1/surveys/{survey_id}/cases", headers=key), "get",
                           "/surveys/{survey_id}/cases", 403)
        assert refused["error"]["code"] == "survey_refused"
    posted = client.post("/api/v1/purchases", json={"survey_id": other.id, "order_ref": "B-1",
                                                    "email": "b@example.com"}, headers=key)
    assert conforms(posted, "post", "/purchases", 403)["error"]["code"] == "survey_refused"
    posted = client.post("/api/v1/purchases", json={"survey_id": mine.id, "order_ref": "B-1",
                                                    "email": "b@example.com"}, headers=key)
    assert conforms(posted, "post", "/purchases", 201)["created"][0]["order_ref"] == "B-1"


@MOTO
def test_a_webhooks_key_lists_adds_and_removes_endpoints_and_sees_the_secret_only_when_adding(client, store):
    key = bearer(create_api_key(store, "crm", "owner@example.test", scopes=["webhooks"]))
    added = conforms(client.post("/api/v1/webhooks", json={"url": "http://crm.example.test/hook",
                                                           "events": ["case.created"]}, headers=key),
                     "post", "/webhooks", 201)
    assert added["secret"].startswith("whsec_") and added["created_by"] == "api:owner@example.test"
    listed = conforms(client.get("/api/v1/webhooks", headers=key), "get", "/webhooks", 200)
    assert listed == {"webhooks": [{k: v for k, v in added.items() if k != "secret"}]}
    refused = conforms(client.post("/api/v1/webhooks", json={"url": "http://crm.example.test/hook", "events": []},
                                   headers=key), "post", "/webhooks", 400)
    assert refused["error"]["message"] == "Choose at least one event."
    conforms(client.delete(f"/api/v1/webhooks/{added['id']}", headers=key), "delete", "/webhooks/{hook_id}", 204)
    conforms(client.delete(f"/api/v1/webhooks/{added['id']}", headers=key), "delete", "/webhooks/{hook_id}", 404)
    assert store.webhooks() == []
    survey = make_survey(store)
    conforms(client.get(f"/api/v1/surveys/{survey.id}/summary", headers=key), "get", "/surveys/{survey_id}/summary",
             403)


@MOTO
def test_a_key_limited_to_some_surveys_cannot_manage_webhooks_nor_be_made_with_no_scope(store):
    with pytest.raises(ApiKeyError, match="every survey's events"):
        create_api_key(store, "branch", "owner@example.test", scopes=["webhooks"], surveys=["s1"])
    with pytest.raises(ApiKeyError, match="at least one"):
        create_api_key(store, "nothing", "owner@example.test", scopes=[])
    assert store.list_api_keys() == []


@MOTO
def test_a_key_made_before_scopes_keeps_every_scope_for_every_survey(store):
    key = create_api_key(store, "old", "owner@example.test")
    (item,) = store.list_api_keys()
    store.client.update_item(TableName=store.table_name, Key={"pk": {"S": item["pk"]}, "sk": {"S": "APIKEY"}},
                             UpdateExpression="REMOVE scopes, surveys")  # as stored before scopes existed
    grant = api_key_grant(store, key)
    assert grant.scopes == {"purchases", "read", "webhooks"} and grant.covers("any-survey")


@MOTO
def test_the_owner_ticks_what_a_key_may_do_and_which_surveys_it_covers(client, owner, store):
    mine, other = make_survey(store), make_survey(store)
    owner.login()
    page = client.get("/owner/api-keys").get_data(as_text=True)
    ticked = set(re.findall(r'<input checked id="scopes-\d" name="scopes" type="checkbox" value="(\w+)"', page))
    assert ticked == {"purchases", "read"} and 'value="webhooks"' in page and f'value="{other.id}"' in page
    token = csrf_token(client, "/owner/api-keys")
    made = client.post("/owner/api-keys", data={"csrf_token": token, "label": "branch", "scopes": ["read"],
                                                "surveys": [mine.id]}).get_data(as_text=True)
    key = made.split('id="new-key"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    grant = api_key_grant(store, key)
    assert (grant.scopes, grant.surveys) == ({"read"}, {mine.id})
    assert "read surveys, responses and cases" in made.split('id="keys"', 1)[1]
    refused = client.post("/owner/api-keys", data={"csrf_token": token, "label": "hooks", "scopes": ["webhooks"],
                                                   "surveys": [mine.id]})
    assert refused.status_code == 400 and "every survey&#39;s events" in refused.get_data(as_text=True)
    assert client.post("/owner/api-keys", data={"csrf_token": token, "label": "x", "scopes": ["admin"]}
                       ).status_code == 400  # not a choice
    assert [k["label"] for k in store.list_api_keys()] == ["branch"]
