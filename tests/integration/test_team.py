"""The team: an admin invites by e-mail (moto SES), the link sets a password once and expires; each role then
sees only what it may, walked over the URL map; removals and role changes count at the next request; the last
admin stays; the admin-count transactions also run on DynamoDB Local."""
from __future__ import annotations

import email
import hashlib
import re
from datetime import timedelta
from email import policy

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from survey_app.errors import AlreadyAnswered, NotFound
from survey_app.services import create_owner, utcnow
from survey_app.services.accounts import OwnerExists
from survey_app.services.team import (accept_invitation, change_role, invite_teammate, remove_teammate,
                                      revoke_invitation)
from survey_app.store.accounts import LastAdmin
from tests.conftest import OWNER_EMAIL, REGION, csrf_token
from tests.integration.test_role_walks import real_ids, walk_as

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
SENDER = "survey@toko.test"
JOIN_LINK = re.compile(r"https?://[^/\s]+(/join/[A-Za-z0-9_-]{43})")


@pytest.fixture
def ses(app):
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    app.config["SES_SENDER"] = SENDER
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION]


def mails_to(ses, address: str) -> list:
    messages = [email.message_from_string(m.raw_data, policy=policy.default) for m in ses.sent_messages]
    return [m for m in messages if m["To"] == address]


def invite(client, address: str, role: str):
    return client.post("/owner/team", data={"csrf_token": csrf_token(client, "/owner/team"), "email": address,
                                            "role": role})


def join(app, path: str, password: str):
    """A new browser opens the invitation, sets a password and signs in with it."""
    browser = app.test_client()
    assert browser.get(path).status_code == 200
    done = browser.post(path, data={"csrf_token": csrf_token(browser, path), "password": password,
                                    "confirm": password})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    return browser


def sign_in(client, address: str, password: str):
    return client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": address,
                                       "password": password})


@MOTO
def test_an_admin_invites_an_agent_and_a_viewer_who_each_see_only_what_their_role_allows(app, client, owner,
                                                                                          store, ses):
    ids = real_ids(app, client, owner, store)
    owner.login()
    for role in ("agent", "viewer"):
        address = f"new-{role}@toko.test"
        page = invite(client, address, role)
        assert page.status_code == 200 and f"Invitation sent to {address}" in page.get_data(as_text=True)
        (mail,) = mails_to(ses, address)
        text = mail.get_body(("plain",)).get_content()
        assert "owner@example.test" in text and mail["Subject"].startswith("You are invited")
        path = JOIN_LINK.search(text).group(1)
        teammate = join(app, path, f"{role}-secret-pass")
        assert sign_in(teammate, address, f"{role}-secret-pass").status_code == 302
        assert store.get_owner(address).role == role
        walk_as(app, teammate, store, ids, role)
        assert teammate.get(path).status_code == 410  # the link worked once


@MOTO
def test_an_invitation_is_single_use_expires_and_is_stored_only_as_a_hash(store):
    link = invite_teammate(store, "Rina@Toko.test", "agent", OWNER_EMAIL)
    scan = repr(store.client.scan(TableName=store.table_name)["Items"])
    assert link.token not in scan and "rina@toko.test" in scan
    late = invite_teammate(store, "budi@toko.test", "viewer", OWNER_EMAIL)
    assert accept_invitation(store, late.token, "long-enough", now=utcnow() + timedelta(hours=73)) is None
    assert accept_invitation(store, link.token, "long-enough").role == "agent"
    assert accept_invitation(store, link.token, "another-pass") is None
    with pytest.raises(OwnerExists):
        invite_teammate(store, "rina@toko.test", "admin", OWNER_EMAIL)


@MOTO
def test_without_email_set_up_the_admin_is_given_the_link_to_pass_on(app, client, owner):
    owner.login()
    page = invite(client, "rina@toko.test", "viewer").get_data(as_text=True)
    (path,) = set(JOIN_LINK.findall(page))
    assert "give rina@toko.test this link yourself" in page
    join(app, path, "viewer-secret-pass")
    team = client.get("/owner/team").get_data(as_text=True)
    assert "<strong>rina@toko.test</strong>" in team and 'id="invitations"' not in team  # a member, not invited


@MOTO
def test_inviting_someone_who_has_an_account_is_refused(client, owner):
    owner.login()
    response = invite(client, OWNER_EMAIL, "viewer")
    assert response.status_code == 400 and "already has an account" in response.get_data(as_text=True)


@MOTO
def test_a_removed_agents_open_session_is_refused_on_its_next_request(app, client, owner, store):
    ids = real_ids(app, client, owner, store)
    owner.login()
    agent = app.test_client()
    create_owner(store, "agent@toko.test", "agent-secret-pass", "agent")
    assert sign_in(agent, "agent@toko.test", "agent-secret-pass").status_code == 302
    case_url = f"/owner/surveys/{ids['survey_id']}/cases/{ids['token']}"
    assert agent.get(case_url).status_code == 200
    token = csrf_token(agent, case_url)
    removed = client.post("/owner/team/remove", data={"csrf_token": csrf_token(client, "/owner/team"),
                                                      "email": "agent@toko.test"})
    assert removed.status_code == 302
    refused = agent.post(case_url, data={"csrf_token": token, "status": "resolved", "note": "still here?"})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert store.get_case(ids["survey_id"], ids["token"]).notes == ()
    assert agent.get(case_url).status_code == 302


@MOTO
def test_a_role_change_counts_at_the_next_request(app, client, owner, store):
    owner.login()
    agent = app.test_client()
    create_owner(store, "agent@toko.test", "agent-secret-pass", "agent")
    sign_in(agent, "agent@toko.test", "agent-secret-pass")
    client.post("/owner/team/role", data={"csrf_token": csrf_token(client, "/owner/team"),
                                          "email": "agent@toko.test", "role": "admin"})
    assert agent.get("/owner/team").status_code == 302  # that session ended with the change
    sign_in(agent, "agent@toko.test", "agent-secret-pass")
    assert agent.get("/owner/team").status_code == 200


@MOTO
def test_the_last_admin_can_be_neither_removed_nor_demoted_on_the_team_page(client, owner, store):
    owner.login()
    token = csrf_token(client, "/owner/team")
    for path, extra in (("/owner/team/remove", {}), ("/owner/team/role", {"role": "viewer"})):
        page = client.post(path, data={"csrf_token": token, "email": OWNER_EMAIL, **extra}, follow_redirects=True)
        assert "The last admin cannot be removed" in page.get_data(as_text=True)
    assert store.get_owner(OWNER_EMAIL).role == "admin"


@pytest.mark.parametrize("engine", ["moto", "dynamodb_local"], indirect=True)
def test_of_two_admins_demoted_with_stale_reads_one_stays(store):
    """Both changes read two admins; the count in the same transaction lets only the first through."""
    first, second = (create_owner(store, f"{n}@toko.test", "long-enough", "admin") for n in ("a", "b"))
    assert store.change_owner(first, role="viewer").role == "viewer"
    with pytest.raises(LastAdmin):
        store.change_owner(second, role="viewer")
    with pytest.raises(LastAdmin):
        store.remove_owner(second)
    assert [o.role for o in store.list_owners()] == ["viewer", "admin"]
    assert store.admin_count() == 1


@pytest.mark.parametrize("engine", ["moto", "dynamodb_local"], indirect=True)
def test_an_accepted_invitation_creates_one_account_and_counts_an_admin(store):
    create_owner(store, OWNER_EMAIL, "long-enough")
    link = invite_teammate(store, "boss@toko.test", "admin", OWNER_EMAIL)
    assert accept_invitation(store, link.token, "long-enough-too").role == "admin"
    assert store.admin_count() == 2
    assert remove_teammate(store, OWNER_EMAIL, "boss@toko.test")
    with pytest.raises(LastAdmin):
        change_role(store, "boss@toko.test", "agent", "boss@toko.test")


@pytest.mark.parametrize("engine", ["moto", "dynamodb_local"], indirect=True)
def test_owners_from_before_the_admin_count_are_counted_once(store):
    """Tables whose owners predate the count: the first change counts them, then goes on."""
    for name in ("a", "b"):
        store.client.put_item(TableName=store.table_name, Item={
            "pk": {"S": f"OWNER#{name}@toko.test"}, "sk": {"S": "OWNER"}, "gsi1pk": {"S": "OWNERS"},
            "gsi1sk": {"S": f"{name}@toko.test"}, "email": {"S": f"{name}@toko.test"},
            "password_hash": {"S": "scrypt:x"}, "role": {"S": "admin"}})
    assert store.admin_count() is None
    assert change_role(store, "a@toko.test", "viewer", "b@toko.test").role == "viewer"
    assert store.admin_count() == 1
    with pytest.raises(LastAdmin):
        remove_teammate(store, "b@toko.test", "a@toko.test")


@MOTO
def test_create_owner_refuses_a_second_put_of_the_same_owner_without_force(store):
    owner = create_owner(store, OWNER_EMAIL, "long-enough")
    with pytest.raises(AlreadyAnswered):
        store.put_owner(owner)


def pending_hash(store, address: str) -> str:
    (invitation,) = [i for i in store.list_team_invitations() if i["email"] == address]
    return invitation["token_hash"]


def withdraw(client, token_hash: str, page: str = "/owner/team"):
    return client.post("/owner/team/revoke", data={"csrf_token": csrf_token(client, page), "invitation": token_hash})


@MOTO
def test_an_admin_withdraws_an_invitation_and_its_link_then_shows_a_page_saying_so(app, client, owner, store):
    owner.login()
    (path,) = set(JOIN_LINK.findall(invite(client, "rina@toko.test", "agent").get_data(as_text=True)))
    team = client.get("/owner/team").get_data(as_text=True)
    assert 'action="/owner/team/revoke"' in team and pending_hash(store, "rina@toko.test") in team
    done = withdraw(client, pending_hash(store, "rina@toko.test"))
    assert done.status_code == 302
    team = client.get("/owner/team").get_data(as_text=True)
    assert "The invitation was withdrawn" in team and 'id="invitations"' not in team
    browser = app.test_client()
    refused = browser.get(path)
    assert refused.status_code == 410 and "an admin withdrew it" in refused.get_data(as_text=True)
    assert "rina@toko.test" not in refused.get_data(as_text=True)
    posted = browser.post(path, data={"csrf_token": csrf_token(browser, "/login"), "password": "agent-secret-pass",
                                      "confirm": "agent-secret-pass"})
    assert posted.status_code == 410
    with pytest.raises(NotFound):
        store.get_owner("rina@toko.test")


@MOTO
def test_a_withdrawn_invitation_link_is_refused_in_indonesian_too(app, client, owner):
    owner.login()
    (path,) = set(JOIN_LINK.findall(invite(client, "rina@toko.test", "agent").get_data(as_text=True)))
    withdraw(client, team_hash(path))
    page = app.test_client().get(path + "?lang=id")
    assert page.status_code == 410 and "ditarik oleh admin" in page.get_data(as_text=True)


def team_hash(path: str) -> str:
    return hashlib.sha256(path.rsplit("/", 1)[1].encode()).hexdigest()


@MOTO
@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_an_agent_or_a_viewer_cannot_withdraw_an_invitation(app, client, owner, store, role):
    link = invite_teammate(store, "rina@toko.test", "agent", OWNER_EMAIL)
    owner.login(f"{role}@toko.test", f"{role}-secret-pass", role)
    refused = withdraw(client, pending_hash(store, "rina@toko.test"), page="/owner/")
    assert refused.status_code == 403
    assert [i["email"] for i in store.list_team_invitations()] == ["rina@toko.test"]
    assert accept_invitation(store, link.token, "long-enough").role == "agent"


@MOTO
def test_withdrawing_without_the_csrf_token_changes_nothing(client, owner, store):
    owner.login()
    invite_teammate(store, "rina@toko.test", "agent", OWNER_EMAIL)
    refused = client.post("/owner/team/revoke", data={"invitation": pending_hash(store, "rina@toko.test")})
    assert refused.status_code == 400
    assert [i["email"] for i in store.list_team_invitations()] == ["rina@toko.test"]


@MOTO
def test_an_accepted_expired_or_withdrawn_invitation_cannot_be_withdrawn_and_a_withdrawn_one_cannot_be_accepted(store):
    accepted, late, withdrawn = (invite_teammate(store, f"{n}@toko.test", "viewer", OWNER_EMAIL) for n in "abc")
    accept_invitation(store, accepted.token, "long-enough")
    assert not revoke_invitation(store, team_hash(f"/join/{accepted.token}"), OWNER_EMAIL)
    assert not revoke_invitation(store, team_hash(f"/join/{late.token}"), OWNER_EMAIL,
                                 now=utcnow() + timedelta(hours=73))
    assert revoke_invitation(store, team_hash(f"/join/{withdrawn.token}"), OWNER_EMAIL)
    assert not revoke_invitation(store, team_hash(f"/join/{withdrawn.token}"), OWNER_EMAIL)
    assert accept_invitation(store, withdrawn.token, "long-enough") is None


@MOTO
def test_every_change_to_the_team_is_in_its_audit_trail_newest_first(client, owner, store):
    owner.login()
    invite(client, "rina@toko.test", "agent")
    withdraw(client, pending_hash(store, "rina@toko.test"))
    create_owner(store, "budi@toko.test", "long-enough", "viewer")
    token = csrf_token(client, "/owner/team")
    client.post("/owner/team/role", data={"csrf_token": token, "email": "budi@toko.test", "role": "agent"})
    client.post("/owner/team/remove", data={"csrf_token": token, "email": "budi@toko.test"})
    events = [(e["action"], e["actor"], e["teammate"], e["role"]) for e in store.team_events()]
    assert events == [("remove", OWNER_EMAIL, "budi@toko.test", "agent"),
                      ("role", OWNER_EMAIL, "budi@toko.test", "agent"),
                      ("revoke", OWNER_EMAIL, "rina@toko.test", "agent"),
                      ("invite", OWNER_EMAIL, "rina@toko.test", "agent")]
    page = client.get("/owner/team").get_data(as_text=True)
    assert f"{OWNER_EMAIL} withdrew the invitation of rina@toko.test (Agent)" in page


@MOTO
def test_the_team_audit_trail_escapes_what_was_typed(client, owner, store):
    owner.login()
    store.put_team_event(utcnow().isoformat(), "invite", OWNER_EMAIL, "<script>x</script>@toko.test", "viewer")
    page = client.get("/owner/team").get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;@toko.test" in page


@MOTO
def test_letting_a_delayed_teammate_try_again_is_in_the_audit_trail(app, client, owner, store):
    create_owner(store, "agent@toko.test", "agent-secret-pass", "agent")
    assert sign_in(app.test_client(), "agent@toko.test", "a wrong guess").status_code == 401
    owner.login()
    client.post("/owner/team/clear", data={"csrf_token": csrf_token(client, "/owner/team"),
                                           "email": "agent@toko.test"})
    assert [(e["action"], e["teammate"]) for e in store.team_events()] == [("clear", "agent@toko.test")]
    assert f"{OWNER_EMAIL} let agent@toko.test try signing in again at once" in client.get("/owner/team").get_data(
        as_text=True)
