"""A customer thread in every case: the page shows the answer, the customer's WhatsApp replies (escaped) and the
owner's messages with their delivery status; the owner replies through the Cloud API (the fake records it) inside
the 24-hour window, is refused outside it with the template offered; viewers cannot reply; the assignee is told of
a reply once; the inbox keeps unknown numbers' messages; the invitations page shows the funnel and failure groups."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from survey_app.channels.email_ses import SesEmail
from survey_app.services import Alerter, create_invitation, submit_response
from survey_app.services.case_threads import send_reply_alerts
from survey_app.web.answer.forms import new_submission_id
from tests import whatsapp_payloads as meta
from tests.conftest import REGION, OwnerActions, csrf_token
from tests.factories import make_survey
from tests.integration.test_whatsapp_webhook import (NOW, PHONE, graph, post, sender, sent_on_whatsapp,  # noqa: F401
                                                     ses, wa_app)


def open_case(store, survey, assignee=""):
    invitation = create_invitation(store, survey, customer_name="Rina", phone=PHONE, language="id")
    submit_response(store, survey, {"nps": 2, "reason": "Barang rusak"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation, now=NOW)
    store.claim_contact(PHONE, invitation.token, NOW.isoformat(), NOW.isoformat())
    if assignee:
        case = store.get_case(survey.id, invitation.token)
        assert store.save_case(case, replace(case, assignee=assignee))
    return invitation


def customer_writes(post, text, at, wamid="wamid.IN1"):
    assert post(meta.envelope(meta.text(wamid, PHONE, at, text, name="Rina <i>R</i>"))).status_code == 200


def test_the_owner_replies_inside_the_window_and_the_thread_shows_both_sides_with_status(wa_app, post, store, graph,
                                                                                        client, owner):
    fake, _ = graph
    survey = make_survey(store)
    invitation = open_case(store, survey)
    customer_writes(post, "Kapan <script>x()</script> diganti?", NOW - timedelta(hours=2))
    owner.login()
    url = f"/owner/surveys/{survey.id}/cases/{invitation.token}"
    page = client.get(url).get_data(as_text=True)
    assert "Kapan &lt;script&gt;x()&lt;/script&gt; diganti?" in page and "<script>x()" not in page
    assert re.search(r'id="window-left">2[01] h \d+ min left', page)
    token = csrf_token(client, url)
    sent = client.post(f"{url}/reply", data={"csrf_token": token, "text": "Maaf, kami kirim gantinya hari ini."})
    assert sent.status_code == 303
    (request,) = fake.requests
    assert request["body"]["type"] == "text"
    assert request["body"]["text"]["body"] == "Maaf, kami kirim gantinya hari ini."
    assert request["body"]["to"] == PHONE.lstrip("+")
    wamid = f"wamid.fake{len(fake.requests):06d}"
    assert post(meta.envelope(meta.status(wamid, "read", PHONE, NOW))).status_code == 200
    thread = client.get(url).get_data(as_text=True)
    entries = re.findall(r'<li class="(in|out)" data-status="([^"]*)">', thread)
    assert entries == [("in", ""), ("out", "read")]
    assert "Maaf, kami kirim gantinya hari ini." in thread


def test_outside_the_window_free_text_is_refused_and_the_template_is_offered_and_sent(wa_app, post, store, graph,
                                                                                     client, owner):
    fake, _ = graph
    survey = make_survey(store)
    invitation = open_case(store, survey)
    customer_writes(post, "halo", NOW - timedelta(hours=25))
    owner.login()
    url = f"/owner/surveys/{survey.id}/cases/{invitation.token}"
    refused = client.post(f"{url}/reply", data={"csrf_token": csrf_token(client, url), "text": "Halo lagi"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and 'id="template-form"' in page and fake.requests == []
    template = client.post(f"{url}/reply", data={"csrf_token": csrf_token(client, url), "template": "y"})
    assert template.status_code == 303
    (request,) = fake.requests
    body = request["body"]
    assert body["type"] == "template" and body["template"]["name"] == "case_reply"
    assert body["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Rina"},
                                                               {"type": "text", "text": "Our shop"}]


def test_a_viewer_sees_the_thread_but_cannot_reply_and_a_reply_without_csrf_is_refused(wa_app, post, store, graph,
                                                                                      client, owner):
    survey = make_survey(store)
    invitation = open_case(store, survey)
    customer_writes(post, "halo", NOW - timedelta(hours=1))
    owner.login(email="viewer@example.test", role="viewer")
    url = f"/owner/surveys/{survey.id}/cases/{invitation.token}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="case-thread"' in page and 'id="reply-form"' not in page and "Rina &lt;i&gt;" not in page
    token = csrf_token(client, "/owner/account")  # a viewer's case page has no form: their account page has one
    assert client.post(f"{url}/reply", data={"csrf_token": token, "text": "x"}).status_code == 403
    admin = wa_app.test_client()
    OwnerActions(admin, store).login()
    assert admin.post(f"{url}/reply", data={"text": "no token"}).status_code == 400
    assert graph[0].requests == []


@pytest.mark.parametrize("engine", ["moto"], indirect=True)
def test_the_assignee_is_told_of_a_customer_reply_once(wa_app, post, store):
    survey = make_survey(store)
    open_case(store, survey, assignee="agent@toko.test")
    customer_writes(post, "Sudah sampai, terima kasih", NOW)
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="alerts@toko.test")
    alerter = Alerter(email=SesEmail("alerts@toko.test", REGION), recipients=("owner@toko.test",),
                      dashboard_url="https://survey.toko.test", language="en")
    assert send_reply_alerts(store, alerter) == {"reply_alerted": 1}
    assert send_reply_alerts(store, alerter) == {}
    (mail,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert "agent@toko.test" in mail.destinations and "Sudah sampai" in mail.raw_data


def test_the_inbox_lists_unknown_numbers_messages_escaped_and_hides_numbers_from_viewers(wa_app, post, store, client,
                                                                                        owner):
    assert post(meta.envelope(meta.text("wamid.X1", "+6289990001", NOW, "<b>siapa</b> ini?"))).status_code == 200
    owner.login()
    page = client.get("/owner/inbox").get_data(as_text=True)
    assert "&lt;b&gt;siapa&lt;/b&gt; ini?" in page and "+6289990001" in page
    viewer = wa_app.test_client()
    OwnerActions(viewer, store).login(email="viewer@example.test", role="viewer")
    assert "+6289990001" not in viewer.get("/owner/inbox").get_data(as_text=True)


def test_the_invitations_page_shows_the_whatsapp_funnel_and_failures_in_owners_words(wa_app, post, store, sender,
                                                                                    graph, client, owner):
    survey, _, wamid = sent_on_whatsapp(wa_app, store, sender, graph)
    assert post(meta.envelope(meta.status(wamid, "failed", PHONE, NOW, error_code=131026))).status_code == 200
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/invitations?lang=en").get_data(as_text=True)
    assert "Number not on WhatsApp (or cannot receive): 1" in page
    assert "<th>Delivered</th><th>Read</th><th>Opened</th>" in page
