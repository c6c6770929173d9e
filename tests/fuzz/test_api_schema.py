"""Fuzzing POST /api/v1/purchases: schemathesis against docs/openapi.yaml, in-process through the app's WSGI
interface, and hypothesis with JSON of any shape.

Properties: never a 5xx; every status is one the contract documents; every answer matches its documented schema
(Error for 400/401/404/413, Result for 200/201/422) with a non-empty message or reason; a valid key is never
refused and an invalid one always is; nothing is created unless the answer is 2xx, and every created token is a
real invitation of the posted survey.

Each example runs on a fresh moto table holding the fixture's surveys and a new API key (see Site.isolated).
Nothing is filtered out for being a known bug (purchase dates up to year 9999 and JSON nested 100,000 deep
included); each bug the fuzzers found keeps its regression test below.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import event, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from survey_app.errors import StoreUnavailable
from survey_app.services import create_api_key, revoke_api_key
from tests.factories import answer_page
from tests.fuzz.support import ODD_TEXT, chance, fuzz_settings

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
OPENAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
OPENAPI = yaml.safe_load(OPENAPI_PATH.read_text())
SCHEMA = schemathesis.openapi.from_path(OPENAPI_PATH)
OPERATION = SCHEMA["/purchases"]["POST"]
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
DOCUMENTED = {int(code) for code in OPENAPI["paths"]["/purchases"]["post"]["responses"]}
PURCHASE_FIELDS = ["order_ref", "name", "email", "phone", "purchased_at", "language", "properties"]
URL = "/api/v1/purchases"


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": OPENAPI["components"]})


ERROR, RESULT = validator("Error"), validator("Result")


def invitation_tokens(store, survey) -> set[str]:
    return {i.token for i in store.invitations_of(survey.id, limit=100_000)}


def purchases_in(body) -> list[dict]:
    """The purchase objects the app will read from a body, as the flat rows parse_purchase() sees."""
    if not isinstance(body, dict):
        return []
    items = body.get("purchases")
    items = [{k: v for k, v in body.items() if k != "survey_id"}] if items is None else items
    rows = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            properties = item.get("properties") if isinstance(item.get("properties"), dict) else {}
            rows.append({str(k).strip().lower(): v for k, v in (item | properties).items()})
    return rows


def check_outcome(store, site, status: int, text: str, key_valid: bool | None, before: set[str]) -> None:
    """The verdict shared by both fuzzers: documented status, documented shape, clear words, honest effects."""
    event(f"status {status}")
    assert status < 500, (status, text[:500])
    assert status in DOCUMENTED, f"undocumented status {status}: {text[:300]}"
    try:
        body = json.loads(text)
    except ValueError:
        raise AssertionError(f"{status} is not JSON: {text[:300]!r}") from None
    if status in (400, 401, 404, 413):
        ERROR.validate(body)
        event(f"error {body['error']['code']}")
        assert body["error"]["message"].strip() and body["error"]["code"].strip(), body
    else:
        RESULT.validate(body)
        assert all(e["reason"].strip() for e in body["errors"]), body
    if key_valid is False:
        assert status == 401, status
    elif key_valid:
        assert status != 401, body
    after = invitation_tokens(store, site.survey) | invitation_tokens(store, site.other_survey)
    created = {c["token"] for c in body.get("created", [])} if isinstance(body, dict) else set()
    assert after - before == created, (status, sorted(after - before), sorted(created))
    if status not in (200, 201):
        assert not created
    for token in created:
        assert store.get_invitation(token).survey_id in (site.survey.id, site.other_survey.id)


# ---------------------------------------------------------------- schemathesis, from the contract


def aim(case, data, site, key: str) -> bool | None:
    """Point a generated case at this app: a real key (mostly), a real survey (mostly), a reachable contact
    (sometimes, or every purchase would be refused). Returns whether the key sent is valid (None: unknown)."""
    key_valid = None
    if case.headers and "Authorization" in case.headers:
        if data.draw(chance(8, 10), label="use the real key"):
            case.headers["Authorization"] = f"Bearer {key}"
            key_valid = True
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("survey_id"), str):
        body["survey_id"] = data.draw(st.sampled_from([site.survey.id, site.survey.id, site.survey.id,
                                                       site.other_survey.id, body["survey_id"]]), label="survey")
        for item in body.get("purchases", [body]) if isinstance(body.get("purchases", [body]), list) else []:
            if isinstance(item, dict) and data.draw(st.booleans(), label="reachable"):
                item["email"] = data.draw(st.emails(), label="email")
    return key_valid


@MOTO
@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
                         ids=["positive", "negative"])
@fuzz_settings(150)
@given(data=st.data())
def test_schemathesis_against_the_openapi_contract(app, site, mode, data):
    with site.isolated() as store:
        key = create_api_key(store, "schemathesis", "owner@example.test")
        case = data.draw(OPERATION.as_strategy(generation_mode=mode), label="case")
        key_valid = aim(case, data, site, key)
        before = invitation_tokens(store, site.survey) | invitation_tokens(store, site.other_survey)

        response = case.call(app=app)

        case.validate_response(response, checks=CHECKS)
        event(f"{mode.value}: {response.status_code}")
        check_outcome(store, site, response.status_code, response.text, key_valid, before)


# ---------------------------------------------------------------- hypothesis, JSON of any shape

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25)
# Lone surrogates: JSON can carry them ("\ud800"), a str holds them, UTF-8 cannot encode them (a 500, fixed).
SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
WITH_SURROGATE = st.tuples(st.text(max_size=8), SURROGATES, st.text(max_size=8)).map("".join)
FIELD_VALUES = {  # name: (plausible values, edge values)
    "order_ref": (st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/#", min_size=1, max_size=20),
                  st.one_of(st.text(max_size=20), st.just("x" * 200), st.just("x" * 201), WITH_SURROGATE)),
    "name": (st.text(max_size=30), st.one_of(st.just("n" * 200), st.just("n" * 201), ODD_TEXT, WITH_SURROGATE)),
    "email": (st.emails(), st.one_of(st.text(max_size=30), st.just("a" * 250 + "@x.id"), ODD_TEXT,
                                     WITH_SURROGATE.map(lambda s: f"a{s}@example.com"))),
    "phone": (st.sampled_from(["0812-3456-7890", "+62 812 3456 7891", "081234567890", "+1 415 555 0100"]),
              st.one_of(st.sampled_from(["812345", "call me", "", "+", "0" * 40]), st.text(max_size=20))),
    "purchased_at": (
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(datetime.isoformat),
        st.one_of(st.datetimes(min_value=datetime.min, max_value=datetime.max,
                               timezones=st.timezones()).map(datetime.isoformat),
                  st.dates().map(str), st.text(max_size=25), st.sampled_from(["2026-02-30", "yesterday", "24:00"]))),
    "language": (st.sampled_from(["", "id", "en"]), st.sampled_from(["EN", "fr", " id ", "Id", "\x00"])),
    "properties": (
        st.dictionaries(st.sampled_from(["product", "store", "staff", "channel"]),
                        st.one_of(st.text(max_size=30), st.integers(), st.booleans()), max_size=4),
        st.one_of(st.dictionaries(st.one_of(st.sampled_from(["Email", "NAME", " order_ref", "", " "]),
                                            st.text(max_size=15)),
                                  st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.booleans(),
                                            st.none(), JSON, WITH_SURROGATE), max_size=22), JSON)),
}


@st.composite
def purchases(draw) -> dict:
    """Mostly purchases the contract allows (an order_ref and a contact, plausible values), some not."""
    wanted = {"order_ref": 9, "email": 6, "phone": 3, "name": 5, "purchased_at": 3, "language": 3, "properties": 3}
    item = {}
    for name in PURCHASE_FIELDS:
        if draw(chance(wanted[name], 10)):
            plausible, edge = FIELD_VALUES[name]
            item[name] = draw(plausible if draw(chance(7, 8)) else edge if draw(chance(3, 4)) else JSON)
    if draw(chance(1, 6)):
        item |= draw(st.dictionaries(st.text(max_size=10), JSON, max_size=2))
    return item


class Body(bytes):
    """Request bytes that print short in hypothesis's falsifying examples."""

    content_type = ""
    depth = 0  # nesting depth, for the bodies `nested` made

    def __repr__(self) -> str:
        shown = bytes(self) if len(self) <= 300 else bytes(self[:150]) + b"..." + bytes(self[-50:])
        return f"Body({shown!r}, {len(self)} bytes, content_type={self.content_type!r})"


def body(raw: bytes, content_type: str) -> Body:
    made = Body(raw)
    made.content_type = content_type
    return made


# Nesting from shallow to far past Python's recursion limit (1,000), where json.loads used to raise RecursionError
# (a 500, fixed: test_deeply_nested_json_is_a_400_not_a_crash); a 100,000-deep body is 200 KB, under the API's 1 MB.
DEEP = 1000
DEPTHS = st.one_of(st.integers(1, DEEP - 1), st.integers(DEEP, 100_000), st.sampled_from([DEEP - 1, DEEP, 100_000]))


def nested(depth: int, opener: str) -> bytes:
    """`depth` arrays or objects, each inside the last: [[[...]]] or {"a": {"a": ... 1}}."""
    if opener == "[":
        return b"[" * depth + b"]" * depth
    return b'{"a": ' * depth + b"1" + b"}" * depth


@st.composite
def bodies(draw, site) -> Body:
    real = st.sampled_from([site.survey.id, site.survey.id, site.other_survey.id])
    survey_ids = st.one_of(st.text(max_size=20), JSON, st.just("s" * 3000))
    shape = draw(st.sampled_from(["any", "single", "single", "single", "batch", "batch", "batch",
                                  "near the batch limit", "nested", "nested", "raw"]))
    if shape == "any":
        value = draw(JSON)
    elif shape == "single":
        value = draw(purchases())
    elif shape == "batch":
        items = st.lists(purchases() if draw(chance(4, 5)) else st.one_of(purchases(), JSON), max_size=6)
        value = {"purchases": draw(items if draw(chance(4, 5)) else JSON)}
    elif shape == "near the batch limit":  # purchases the app refuses without writing: fast at any count
        value = {"purchases": [{}] * draw(st.integers(495, 505))}
    elif shape == "nested":
        depth = draw(DEPTHS)
        made = body(nested(depth, draw(st.sampled_from(["[", "{"]))),
                    draw(st.sampled_from(["application/json", "text/plain", ""])))
        made.depth = depth
        return made
    else:
        raw = draw(st.one_of(
            st.binary(max_size=300), st.just(b""), st.just(b"\xef\xbb\xbf{}"), st.just(b'{"survey_id": NaN}'),
            st.just(b"1" * 5000), st.just(b"1e999999"), st.just(b'{"a": 1, "a": 2}'),
            st.just(b" " * (1024 * 1024 + 1))))
        return body(raw, draw(st.sampled_from(["application/json", "text/plain", ""])))
    if isinstance(value, dict) and draw(chance(9, 10)):
        value["survey_id"] = draw(real if draw(chance(4, 5)) else survey_ids)
    text = json.dumps(value)
    if draw(chance(1, 20)):
        text = text[:draw(st.integers(0, max(len(text) - 1, 0)))]  # truncated
    content_type = "application/json" if draw(chance(9, 10)) else draw(st.sampled_from([
        "application/json; charset=utf-8", "application/merge-patch+json", "text/plain", "",
        "application/x-www-form-urlencoded", "multipart/form-data"]))
    return body(text.encode(), content_type)


@MOTO
@fuzz_settings(150)
@given(data=st.data())
def test_arbitrary_json_bodies(app, site, data):
    with site.isolated() as store:
        key = create_api_key(store, "fuzz", "owner@example.test")
        revoked = create_api_key(store, "revoked", "owner@example.test")
        revoke_api_key(store, hashlib.sha256(revoked.encode()).hexdigest())
        raw = data.draw(bodies(site), label="body")
        if data.draw(chance(4, 5), label="valid key"):
            auth, key_valid = data.draw(st.sampled_from([f"Bearer {key}", f"bearer   {key}  "]), label="auth"), True
        else:
            auth, key_valid = data.draw(st.sampled_from([
                None, "Bearer sk_wrong", f"Bearer {revoked}", f"Basic {key}", f"Bearer {key}x", "Bearer " + "k" * 5000,
                "Bearer", key, f"Bearer {key[:-1]}"]), label="auth"), False
        before = invitation_tokens(store, site.survey) | invitation_tokens(store, site.other_survey)

        response = app.test_client().post(URL, data=bytes(raw), content_type=raw.content_type or None,
                                          headers={"Authorization": auth} if auth else {})

        check_outcome(store, site, response.status_code, response.get_data(as_text=True), key_valid, before)
        if response.status_code == 413:
            assert len(raw) > 1024 * 1024
        if len(raw) > 1024 * 1024 and key_valid and "json" in raw.content_type:  # other types: 400 unread
            assert response.status_code == 413
        if raw.depth >= DEEP:
            event("nested past the recursion limit")
            if key_valid:
                assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"


# ---------------------------------------------------------------- regression tests of the fuzzers' findings (all fixed)


@pytest.fixture
def api(app, site, store):
    key = create_api_key(store, "shop system", "owner@example.test")

    def post(body, **kwargs):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return app.test_client().post(URL, data=data, content_type="application/json",
                                      headers={"Authorization": f"Bearer {key}"}, **kwargs)

    return post


@MOTO
@pytest.mark.parametrize("purchased_at", ["9999-12-31", "9999-12-30T23:00:00+14:00"])
def test_purchase_dated_near_year_9999_is_refused_not_a_crash(api, site, purchased_at):
    response = api({"survey_id": site.survey.id, "order_ref": "Y9999", "email": "y@example.com",
                    "purchased_at": purchased_at})
    assert response.status_code == 422 and "purchased_at" in response.get_json()["errors"][0]["reason"]


@MOTO
def test_deeply_nested_json_is_a_400_not_a_crash(api):
    response = api(b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"


@MOTO
@pytest.mark.parametrize("field", ["order_ref", "name", "email", "property value"])
def test_lone_surrogates_in_a_purchase_are_refused_clearly(api, site, field):
    escaped = "\\ud800"
    fields = {"order_ref": "S1", "email": "s@example.com", "name": "Budi"}
    if field == "property value":
        body = json.dumps(fields | {"survey_id": site.survey.id, "properties": {"store": "x"}}).replace('"x"',
                                                                                                  f'"{escaped}"')
    else:
        body = json.dumps(fields | {"survey_id": site.survey.id, field: "PLACEHOLDER"}).replace("PLACEHOLDER", escaped)
        if field == "email":
            body = body.replace(escaped, f"a{escaped}@example.com")
    response = api(body)
    assert response.status_code == 422, response.status_code
    RESULT.validate(response.get_json())


@MOTO
def test_store_failure_answers_with_a_documented_error_json(api, site, store, monkeypatch):
    def unavailable(*args, **kwargs):
        raise StoreUnavailable("DynamoDB get_item failed: ThrottlingException")

    monkeypatch.setattr(store, "get_survey", unavailable)
    response = api({"survey_id": site.survey.id, "order_ref": "U1", "email": "u@example.com"})
    assert response.status_code == 503 and 503 in DOCUMENTED, response.status_code
    assert response.headers["Content-Type"].startswith("application/json")
    ERROR.validate(response.get_json())


@MOTO
def test_oversized_body_error_states_the_limit(api, site):
    response = api(b" " * (1024 * 1024 + 1))
    assert response.status_code == 413
    ERROR.validate(response.get_json())
    assert "1 MB" in response.get_json()["error"]["message"], response.get_json()


@MOTO
@pytest.mark.parametrize("prop", ["EMAIL", "Order_Ref", "Name"])
def test_property_names_cannot_override_purchase_fields_by_case(api, site, store, prop):
    response = api({"survey_id": site.survey.id, "order_ref": "P1", "email": "real@example.com", "name": "Budi",
                    "properties": {prop: "other@example.com"}})
    if response.status_code == 201:
        invitation = store.get_invitation(response.get_json()["created"][0]["token"])
        assert (invitation.email, invitation.order_ref, invitation.customer_name) == (
            "real@example.com", "P1", "Budi")
    else:
        assert response.status_code == 422


@MOTO
def test_long_property_names_do_not_make_an_unanswerable_invitation(api, app, site, store):
    response = api({"survey_id": site.survey.id, "order_ref": "L1", "email": "l@example.com",
                    "properties": {"k" * 1100: "v"}})
    if response.status_code == 422:
        return
    assert response.status_code == 201
    token = response.get_json()["created"][0]["token"]
    client = app.test_client()
    _, hidden = answer_page(client, f"/s/{token}")
    answered = client.post(f"/s/{token}", data=hidden | {"q_nps": "9"})
    assert answered.status_code == 200, answered.status_code
