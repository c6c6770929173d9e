"""Fuzzing every owner route of the URL map, logged in as admin and as viewer, with arbitrary path values,
query strings, form bodies (carrying a valid CSRF token) and uploads, and the JSON API with a valid key.

Properties: never a 5xx, never a stack trace in the answer. The routes are read from the app's URL map, so a
new owner route is fuzzed without editing this file. Seeded (derandomized) under `make test`; `make fuzz`
explores. Each finding keeps its regression test below.
"""
from __future__ import annotations

import hashlib
import io
import re
from collections import Counter

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from survey_app.services import create_api_key, create_owner, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import csrf_token
from tests.fuzz.support import JSON_VALUES, ODD_TEXT, assert_no_server_error, fuzz_settings, texts

LEAK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+|werkzeug\.debug")
SKIPPED = {"dashboard.logout", "auth.logout"}  # would end the fuzzing session itself (covered by the login tests)
QUERY_NAMES = ["fmt", "first", "last", "segment", "lang", "refresh", "page", "cursor", "next", "q", "theme",
               "status", "limit", "kind", "survey", "channel", "state"]
FORM_NAMES = ["ask_again", "assignee", "by", "category", "channels", "contact", "customer_name", "default_language",
              "delay_days", "email", "fatigue_days", "first", "id", "intro_en", "intro_id", "label", "label_en",
              "label_id", "language", "last", "link_days", "note", "options", "order_ref", "phone", "product", "q",
              "reminder_after_days", "remove", "required", "segment", "status", "store", "template", "theme",
              "title_en", "title_id", "type", "version", "questions-0-label_en", "questions-0-type",
              "questions-1-remove", "questions-99-id"]
PASSWORD = "correct horse battery staple"
# No shrinking: an owner request is cheap to read as drawn, and shrinking through rendered pages takes minutes.
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
ON_MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)  # the web layer under test; time is short
SENT: Counter = Counter()  # requests sent, by (role, method): the figures in docs/reliability.md


def owner_rules(app) -> list:
    """Every owner route (login required) of the URL map, and the methods it answers."""
    return sorted(((rule, method) for rule in app.url_map.iter_rules()
                   if (rule.endpoint.startswith("dashboard.") or rule.endpoint == "auth.home")
                   and rule.endpoint not in SKIPPED
                   for method in sorted(rule.methods - {"HEAD", "OPTIONS"})), key=lambda rm: (rm[0].rule, rm[1]))


def _path_text() -> st.SearchStrategy[str]:
    return st.one_of(ODD_TEXT.filter(bool), st.text(min_size=1, max_size=30))


@pytest.fixture
def owners(site):
    """An admin and a viewer, each logged in through the login form in their own client, with a CSRF token;
    a case to open, an API key to use."""
    clients = {}
    for role in ("admin", "viewer"):
        create_owner(site.store, f"{role}@example.test", PASSWORD, role)
        client = site.app.test_client()
        client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": f"{role}@example.test",
                                    "password": PASSWORD})
        clients[role] = (client, csrf_token(client, "/owner/"))
    invitation = site.new_invitation()
    submit_response(site.store, site.survey, {"nps": 2, "reason": "slow"}, language="en",
                    submission_id=new_submission_id(), invitation=invitation)
    key = create_api_key(site.store, "fuzz", created_by="admin@example.test")
    return clients, invitation.token, key, hashlib.sha256(key.encode()).hexdigest()


def _values(site, case_id: str, key_hash: str) -> dict[str, st.SearchStrategy[str]]:
    known = {"survey_id": [site.survey.id, site.other_survey.id], "response_id": [case_id],
             "token": sorted(site.tokens), "key_hash": [key_hash], "fmt": ["csv", "xlsx", "json", "x"],
             "kind": ["png", "svg"], "job_id": ["job-1"]}
    # Existing values three times in four (so the route's own code runs), anything else the fourth.
    return {name: st.one_of(*[st.sampled_from(values)] * 3, _path_text()) if name != "kind" else st.sampled_from(values)
            for name, values in known.items()}


@st.composite
def owner_requests(draw, site, rules, case_id, key_hash):
    """(role, method, url, query, form, files): any owner route with values that exist or not, any query, any
    body; uploads now and then."""
    rule, method = draw(st.sampled_from(rules))
    values = _values(site, case_id, key_hash)
    args = {name: draw(values.get(name, _path_text())) for name in rule.arguments}
    query = draw(st.dictionaries(st.one_of(st.sampled_from(QUERY_NAMES), st.text(max_size=8)),
                                 st.one_of(ODD_TEXT, texts(huge=False)), max_size=4))
    form, files = {}, {}
    if method == "POST":
        form = draw(st.dictionaries(st.one_of(st.sampled_from(FORM_NAMES), st.text(max_size=8)),
                                    st.one_of(ODD_TEXT, texts(huge=False)), max_size=6))
        if draw(st.booleans()):
            content = draw(st.one_of(st.binary(max_size=300), st.sampled_from([
                b"email,phone,customer_name\nsiti@example.com,+628123,Siti\n", b"\xff\xfe\x00", b"",
                b"order_ref,email\n" + b"x," * 300])))
            files[draw(st.sampled_from(["csv_file", "file", "upload"]))] = (
                io.BytesIO(content), draw(st.sampled_from(["a.csv", "a.xlsx", "", "../x", "a.png"])))
    return draw(st.sampled_from(["admin", "viewer"])), method, rule, args, query, form, files


def _url(app, rule, args) -> str | None:
    with app.test_request_context():
        try:
            return app.url_for(rule.endpoint, **args)
        except Exception:  # a value the rule cannot build (the converter refuses it): no request to send
            return None


def _check(response, context) -> None:
    assert_no_server_error(response, context)
    body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) else ""
    assert not LEAK.search(body), f"stack trace in the answer to {context!r}: {body[:400]!r}"


@ON_MOTO
def test_no_owner_route_answers_5xx_or_a_stack_trace_to_any_request(site, owners):
    clients, case_id, _, key_hash = owners
    rules = owner_rules(site.app)
    assert len(rules) >= 25  # the URL map's owner routes, not a list kept by hand

    @settings(fuzz_settings(max_examples=500), phases=NO_SHRINK)
    @given(owner_requests(site, rules, case_id, key_hash))
    def run(request):
        role, method, rule, args, query, form, files = request
        url = _url(site.app, rule, args)
        if url is None:
            return
        client, token = clients[role]
        body = ({"csrf_token": token} | form | files) if method == "POST" else None
        response = client.open(url, method=method, query_string=query, data=body)
        SENT[(role, method)] += 1
        _check(response, (role, method, url, query, form))

    run()


@ON_MOTO
def test_the_json_api_with_a_valid_key_never_answers_5xx_or_a_stack_trace(site, owners):
    _, _, key, _ = owners
    client = site.app.test_client()

    @settings(fuzz_settings(max_examples=60), phases=NO_SHRINK)
    @given(st.one_of(JSON_VALUES, st.fixed_dictionaries({"survey_id": st.sampled_from([site.survey.id, "nope"])},
                                                        optional={"purchases": st.lists(JSON_VALUES, max_size=3)})))
    def run(payload):
        response = client.post("/api/v1/purchases", json=payload, headers={"Authorization": f"Bearer {key}"})
        SENT[("api", "POST")] += 1
        _check(response, payload)

    run()


# ---------------------------------------------------------------- findings, kept as regression tests

@ON_MOTO
@pytest.mark.parametrize("query", ["fmt=x", "fmt=csv&survey_id=x", "survey_id=other", "_external=1", "_anchor=x"])
def test_the_dashboard_takes_any_query_names_without_a_500(site, owners, query):
    clients = owners[0]
    client, _ = clients["viewer"]
    response = client.get(f"/owner/surveys/{site.survey.id}?{query}")
    assert response.status_code == 200

