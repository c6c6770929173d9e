"""Answering inside WhatsApp as deployed: Meta's signed notification crosses API Gateway into the web function,
which records the typed score; the owner sees it on the dashboard through the front."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from survey_app.services import create_invitation
from survey_app.services.chat_answers import remember_chat_invitation
from tests import whatsapp_payloads as meta
from tests.deployed.apigateway import Api
from tests.deployed.deployment import _secrets_for, random_api_id
from tests.deployed.front import Front
from tests.deployed.http_client import Client
from tests.deployed.test_production_shape import logged_in
from tests.factories import make_survey

PHONE = "+6281300000011"  # this file's own customer: the deployed table is shared by the session's tests


WEB = "production_chat"  # the production stage with the Cloud API configured: only then are its secrets read


@pytest.fixture(scope="module")
def chat_front(deployed):
    """A front on a web stage whose WhatsApp is configured (a phone number id), so it loads the App Secret."""
    production = deployed.stage_config("production")
    env = production["environment_variables"] | {"SURVEY_WHATSAPP_PHONE_NUMBER_ID": "1066"}
    deployed.add_stage(WEB, {"extends": "production", "environment_variables": env}, ())
    front = Front(Api(random_api_id(), deployed.region, WEB), deployed.function(WEB))
    try:
        secret = _secrets_for(production)[env["SURVEY_WHATSAPP_APP_SECRET_PARAMETER"]]
        yield SimpleNamespace(url=front.url, secret=secret)
    finally:
        front.close()


def test_a_number_reply_on_the_signed_webhook_shows_on_the_dashboard(deployed, chat_front):
    store = deployed.store()
    survey = make_survey(store, default_language="id")
    invitation = create_invitation(store, survey, customer_name="Budi", phone=PHONE, language="id")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    remember_chat_invitation(store, invitation, "survey_invitation_number", now)
    body, headers = meta.signed(meta.envelope(meta.text("wamid.deployed-chat-1", PHONE, now, "9")), chat_front.secret)
    webhook = Client(chat_front.url)
    for _ in range(2):  # Meta retries until it gets a 200: the second delivery changes nothing
        answer = webhook.request("POST", "/webhooks/whatsapp", body, headers)
        assert answer.status == 200, answer.text
    owner, _ = logged_in(deployed)
    page = owner.get(f"/owner/surveys/{survey.id}").text
    assert re.search(r'id="response-count">1<', page) and re.search(r'id="nps-value">\+100<', page)
    assert store.get_response(survey.id, invitation.token).answers == {"nps": 9}
