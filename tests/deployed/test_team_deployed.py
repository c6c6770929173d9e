"""Team accounts as deployed: the session cookie through API Gateway lasts 12 hours, a removed agent's open
session is refused on its next request, and sign-in delays follow the address API Gateway saw
(`requestContext.identity.sourceIp`), whatever X-Forwarded-For a client writes."""
from __future__ import annotations

import uuid

import pytest

from survey_app.services import create_owner
from survey_app.services.team import remove_teammate

pytestmark = pytest.mark.deployed
PASSWORD = "correct horse battery"


def signed_in(deployed, role: str):
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.test"
    create_owner(deployed.store(), email, PASSWORD, role)
    visitor = deployed.client()
    token = visitor.get("/login").csrf_token()
    answer = visitor.post("/login", {"csrf_token": token, "email": email, "password": PASSWORD},
                          headers={"Referer": f"{deployed.url}/login"})
    assert answer.status == 302, answer.status
    return email, visitor, answer


def test_a_removed_agents_session_is_refused_through_the_front(deployed):
    email, agent, answer = signed_in(deployed, "agent")
    cookie = next(c for c in answer.all("Set-Cookie") if c.startswith("session="))
    assert "Expires=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert agent.get("/owner/").status == 200
    assert agent.get("/owner/team").status == 403  # an agent is not an admin
    assert remove_teammate(deployed.store(), email, "admin@toko.test")
    refused = agent.get("/owner/")
    assert refused.status == 302 and refused.header("Location").startswith("/production/login")


def test_sign_in_delays_follow_api_gateways_address_not_a_forwarded_header(deployed):
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    create_owner(deployed.store(), email, PASSWORD, "viewer")
    visitor = deployed.client()
    statuses = []
    for i in range(9):  # past five, each waits 1, 2, 4, 8 s: the front is faster than that
        token = visitor.get("/login").csrf_token()
        statuses.append(visitor.post("/login", {"csrf_token": token, "email": email, "password": "guess"},
                                     headers={"Referer": f"{deployed.url}/login",
                                              "X-Forwarded-For": f"203.0.113.{i}"}).status)
    assert statuses[:5] == [401] * 5 and 429 in statuses[5:], statuses
