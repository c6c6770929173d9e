"""Every owner route walked with real ids, for every role (admin, agent, viewer): a page the role may read
answers 200 (not a 404 from an id that does not exist), a post it may make reaches its form, everything else is
403 and writes nothing; a viewer never sees who a customer is; and every state-changing owner route refuses a
post without a CSRF token with a 400 and writes nothing."""
from __future__ import annotations

import hashlib
import io
import re

import pytest

from survey_app.services import create_api_key, create_invitation, submit_response, utcnow
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import csrf_token
from tests.factories import make_survey
from tests.integration.test_access import routes
from tests.integration.test_roles_and_privacy import ADMIN_ONLY_PAGES

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
JOB_PAGE = re.compile(r"/owner/jobs/([^/?#]+)")


def real_ids(app, client, owner, store) -> dict:
    """One of everything an owner URL can name, created for real (a job only where the app has job pages)."""
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Rina", email="rina@example.com", order_ref="A-1")
    submit_response(store, survey, {"nps": 2, "reason": "Kurir telat"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation)  # a detractor: opens a case
    assert store.get_case(survey.id, invitation.token)
    key = create_api_key(store, "shop", "owner@example.test")
    ids = {"survey_id": survey.id, "token": invitation.token, "response_id": invitation.token, "score": 9,
           "key_hash": hashlib.sha256(key.encode()).hexdigest(), "filename": "app.css", "kind": "png", "fmt": "csv"}
    if any("upload_id" in rule.arguments for rule in app.url_map.iter_rules()):  # a file waiting for its mapping
        from survey_app.imports.table import open_table
        from survey_app.services.imports import normalised_text, stage_upload

        text, _ = normalised_text(open_table(io.BytesIO(b"nama,email\nRina,rina@example.com\n")))
        ids["upload_id"] = stage_upload(store, survey.id, text, utcnow())
    if any("hook_id" in rule.arguments for rule in app.url_map.iter_rules()):  # an owner's webhook
        from survey_app.services.webhooks import add_webhook

        ids["hook_id"] = add_webhook(store, "https://hooks.example.com/in", ["response.created"], "owner@example.test",
                                     require_https=False)["id"]
    if any("job_id" in rule.arguments for rule in app.url_map.iter_rules()):
        owner.login()
        started = client.post("/owner/privacy", data={"csrf_token": csrf_token(client, "/owner/privacy"),
                                                      "email": "nobody@example.com"})
        ids["job_id"] = JOB_PAGE.search(started.headers["Location"]).group(1)
        owner.logout()
    return ids


def owner_routes(app, ids: dict):
    """(endpoint, method, url) of every route an owner session is needed for, with `ids` substituted."""
    adapter = app.url_map.bind("localhost")
    for endpoint, method, _, public in routes(app):
        if not public:
            rule = next(r for r in app.url_map.iter_rules(endpoint) if method in r.methods)
            yield endpoint, method, adapter.build(endpoint, {name: ids[name] for name in rule.arguments})


def table_items(store) -> list:
    pages = store.client.get_paginator("scan").paginate(TableName=store.table_name, ConsistentRead=True)
    return sorted((item for page in pages for item in page["Items"]), key=repr)


def marked(app, mark: str) -> set[str]:
    return {e for e, view in app.view_functions.items() if getattr(view, mark, False)}


def may_post(app, role: str, endpoint: str) -> bool:
    """Admins post anywhere; agents to case pages and their own account; viewers to their own account only."""
    return (role == "admin" or endpoint in marked(app, "own_account")
            or (role == "agent" and endpoint in marked(app, "case_work")))


def test_only_case_pages_take_an_agents_posts_and_only_account_pages_everyones(app):
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    assert "dashboard.case" in marked(app, "case_work")
    assert all("/cases" in rules[e] for e in marked(app, "case_work")), marked(app, "case_work")
    assert marked(app, "own_account") and all(rules[e].startswith("/owner/account/") for e in marked(app, "own_account"))
    assert not (marked(app, "case_work") | marked(app, "own_account")) & ADMIN_ONLY_PAGES


@MOTO
@pytest.mark.parametrize("role", ["admin", "agent", "viewer"])
def test_every_role_reads_what_it_may_and_is_refused_the_rest_on_real_pages(app, client, owner, store, role):
    ids = real_ids(app, client, owner, store)
    owner.login(email=f"{role}@toko.test", password=f"{role}-pass", role=role)
    walk_as(app, client, store, ids, role)


def walk_as(app, client, store, ids: dict, role: str) -> None:
    """Every owner route as the signed-in `client`, judged for `role` (used by the team tests too, after a
    real invitation)."""
    walked = {"read": 0, "refused": 0, "posted": 0}
    for endpoint, method, url in owner_routes(app, ids):
        if method != "GET":
            continue
        expected = 403 if role != "admin" and endpoint in ADMIN_ONLY_PAGES else 200
        response = client.get(url)
        assert response.status_code == expected, f"{role}: GET {url} ({endpoint}) answered {response.status_code}"
        walked["read" if expected == 200 else "refused"] += 1
    token = csrf_token(client, "/owner/")
    for endpoint, method, url in owner_routes(app, ids):
        if method == "GET" or endpoint == "auth.logout":
            continue
        before = table_items(store)
        response = client.open(url, method=method, data={"csrf_token": token})
        if may_post(app, role, endpoint):  # reaches its form: judged there (400/422 for an empty form)
            assert response.status_code not in (401, 403, 404) and response.status_code < 500, (
                f"{role}: {method} {url} ({endpoint}) answered {response.status_code}")
            walked["posted"] += 1
        else:  # refused, and nothing written whatever it posts
            assert response.status_code == 403, f"{role}: {method} {url} ({endpoint}) answered {response.status_code}"
            assert table_items(store) == before, f"{role}: {method} {url} wrote to the table"
            walked["refused"] += 1
    gets = [e for e, method, _ in owner_routes(app, ids) if method == "GET"]
    posts = [e for e, method, _ in owner_routes(app, ids) if method != "GET" and e != "auth.logout"]
    if role == "admin":
        assert walked == {"read": len(gets), "refused": 0, "posted": len(posts)}
    else:
        readable = [e for e in gets if e not in ADMIN_ONLY_PAGES]
        allowed = [e for e in posts if may_post(app, role, e)]
        assert walked["read"] == len(readable) >= 9 and walked["refused"] >= len(ADMIN_ONLY_PAGES) + 8, walked
        assert walked["posted"] == len(allowed) >= (4 if role == "agent" else 3), walked
        case_url = next(u for e, m, u in owner_routes(app, ids) if e == "dashboard.case" and m == "GET")
        case_page = client.get(case_url).get_data(as_text=True)
        contacts = ("Rina", "rina@example.com", "reach-email")
        if role == "viewer":  # numbers and comments, never who the customer is, and no form to change the case
            assert not any(c in case_page for c in contacts) and "Kurir telat" in case_page
            assert 'id="case-status"' in case_page and 'name="status"' not in case_page
        else:
            assert all(c in case_page for c in contacts) and 'name="status"' in case_page


@MOTO
def test_an_agent_works_a_case_and_a_viewer_cannot(app, client, owner, store):
    ids = real_ids(app, client, owner, store)
    url = f"/owner/surveys/{ids['survey_id']}/cases/{ids['token']}"
    for role, expected in (("viewer", 403), ("agent", 200)):
        owner.login(email=f"{role}@toko.test", password=f"{role}-pass", role=role)
        case = store.get_case(ids["survey_id"], ids["token"])
        response = client.post(url, data={"csrf_token": csrf_token(client, "/owner/"), "status": "contacted",
                                          "assignee": "", "note": f"called by the {role}",
                                          "version": str(case.version)})
        assert response.status_code == expected, (role, response.status_code)
        owner.logout()
    notes = [note["text"] for note in store.get_case(ids["survey_id"], ids["token"]).notes]
    assert notes == ["called by the agent"]


@MOTO
def test_every_state_changing_owner_route_refuses_a_post_without_csrf_and_writes_nothing(app, client, owner, store):
    ids = real_ids(app, client, owner, store)
    owner.login()
    walked = []
    for endpoint, method, url in owner_routes(app, ids):
        if method == "GET":
            continue
        before = table_items(store)
        response = client.open(url, method=method, data={"email": "x@example.com", "label": "k", "q_nps": "1"})
        assert response.status_code == 400, f"{method} {url} ({endpoint}) without a token: {response.status_code}"
        assert table_items(store) == before, f"{method} {url} ({endpoint}) wrote without a CSRF token"
        walked.append(endpoint)
    assert "auth.logout" in walked and len(walked) >= 12, walked
    assert client.get("/owner/").status_code == 200, "a logout without a token logged the owner out"
