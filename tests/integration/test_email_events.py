"""SES bounces and complaints through SNS to POST /email-events/sns: signed messages change the contact once,
everything else is refused with nothing written, and a marked address gets no reminder and no new invitation.

Messages are shaped as AWS documents them (tests/sns_signing.py cites the pages) and signed with a test key; the
certificate fetch (web/email_events/sns_http.fetch) serves the matching self-signed certificate."""
from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from survey_app import create_app
from survey_app.channels.email_ses import SesEmail
from survey_app.domain.models import Delivery
from survey_app.services import Sender, create_invitation, local_day, save_survey, send_due
from survey_app.web.email_events import sns_http
from tests import sns_signing
from tests.conftest import REGION
from tests.factories import make_survey

URL = "/email-events/sns"
SENDER = "survey@toko.test"
NOW = datetime.now(timezone.utc)
MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)


@pytest.fixture
def app(store):
    app = create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name,
                      "DYNAMODB_ENDPOINT": store.endpoint_url, "SES_EVENTS_TOPIC_ARN": sns_signing.TOPIC_ARN})
    app.extensions["survey_store"] = store
    return app


@pytest.fixture
def fetched(monkeypatch):
    """The URLs the app GETs; the signing certificate is served at its URL, SubscribeURLs answer like SNS."""
    urls = []
    pem = sns_signing.certificate_pem()

    def fetch(url):
        urls.append(url)
        return pem if url.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"
    monkeypatch.setattr(sns_http, "fetch", fetch)
    monkeypatch.setattr(sns_http, "_certificates", {})
    return urls


def post(client, message: dict):
    return client.post(URL, data=sns_signing.body(message), headers=sns_signing.headers(message))


def items(store) -> list[dict]:
    return sorted((i for i in store.client.scan(TableName=store.table_name)["Items"]),
                  key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def invited(store, survey, address: str) -> str:
    """An invitation e-mailed to the address; returns SES's message id, which the sender recorded (MSG#)."""
    invitation = create_invitation(store, survey, now=NOW - timedelta(days=1), customer_name="Sari", email=address,
                                   send_at=NOW - timedelta(minutes=1))
    mail_id = f"0100019{uuid.uuid4().hex}-000000"
    store.put_message_ref(mail_id, {"kind": "invitation", "token": invitation.token, "survey_id": survey.id,
                                    "channel": "email"}, int(NOW.timestamp()))
    return mail_id


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_permanent_bounce_marks_the_address_undeliverable_and_counts_on_its_survey(client, store, fetched, version):
    survey = make_survey(store)
    mail_id = invited(store, survey, "sari@example.com")
    response = post(client, sns_signing.notification(sns_signing.ses_bounce("Sari@Example.com", message_id=mail_id),
                                                     version=version))
    assert response.status_code == 200 and response.get_data(as_text=True).strip() == "recorded"
    marks = store.contact_marks("sari@example.com")
    assert marks["undeliverable_reason"].startswith("bounced (General): smtp; 550 5.1.1 user unknown")
    assert store.is_opted_out("sari@example.com")
    (counters,) = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert counters == {"inv#email#bounced": 1}
    assert fetched == [sns_signing.CERT_URL]


def test_a_complaint_opts_the_address_out(client, store, fetched):
    survey = make_survey(store)
    mail_id = invited(store, survey, "budi@example.com")
    record = sns_signing.ses_complaint("budi@example.com", message_id=mail_id)
    assert post(client, sns_signing.notification(record)).status_code == 200
    assert store.contact_marks("budi@example.com")["opted_out_reason"] == "marked as spam (abuse)"
    assert store.is_opted_out("budi@example.com")
    (counters,) = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert counters == {"inv#email#complained": 1}


def test_a_message_sns_delivers_twice_is_applied_once(client, store, fetched):
    survey = make_survey(store)
    mail_id = invited(store, survey, "sari@example.com")
    message = sns_signing.notification(sns_signing.ses_bounce("sari@example.com", message_id=mail_id))
    assert post(client, message).get_data(as_text=True).strip() == "recorded"
    assert post(client, message).get_data(as_text=True).strip() == "duplicate"
    (counters,) = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert counters == {"inv#email#bounced": 1}
    assert fetched == [sns_signing.CERT_URL]  # the certificate was kept by the warm instance


@MOTO
def test_a_delivery_is_counted_and_marks_nothing(client, store, fetched):
    survey = make_survey(store)
    mail_id = invited(store, survey, "sari@example.com")
    record = sns_signing.ses_delivery("sari@example.com", message_id=mail_id)
    assert post(client, sns_signing.notification(record)).status_code == 200
    assert not store.is_opted_out("sari@example.com") and store.contact_marks("sari@example.com") == {}
    (counters,) = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert counters == {"inv#email#delivered": 1}


@MOTO
def test_a_bounce_of_an_e_mail_that_was_no_invitation_marks_the_address_and_counts_nowhere(client, store, fetched):
    """An owner's alert e-mail: no survey to count it on, but the address is still not written to again."""
    survey = make_survey(store)
    assert post(client, sns_signing.notification(sns_signing.ses_bounce("owner@example.com"))).status_code == 200
    assert store.is_opted_out("owner@example.com")
    assert store.daily_counters(survey.id, "2000-01-01", "2999-12-31") == {}


@MOTO
def test_the_older_notification_format_is_understood(client, store, fetched):
    record = json.loads(sns_signing.ses_complaint("budi@example.com"))
    record["notificationType"] = record.pop("eventType")
    assert post(client, sns_signing.notification(json.dumps(record))).status_code == 200
    assert store.is_opted_out("budi@example.com")


@MOTO
@pytest.mark.parametrize("record", [sns_signing.ses_bounce("sari@example.com", bounce_type="Transient"),
                                    json.dumps({"eventType": "Send", "mail": {"messageId": "m-1"}, "send": {}})])
def test_transient_bounces_and_other_events_change_nothing(client, store, fetched, record):
    before = items(store)
    response = post(client, sns_signing.notification(record))
    assert response.status_code == 200 and response.get_data(as_text=True).strip() == "ignored"
    assert items(store) == before


@MOTO
@pytest.mark.parametrize("case, change", [
    ("tampered message", lambda m: m | {"Message": sns_signing.ses_bounce("other@example.com")}),
    ("certificate over http", lambda m: m | {"SigningCertURL": m["SigningCertURL"].replace("https:", "http:")}),
    ("certificate on another host", lambda m: m | {"SigningCertURL": "https://example.com/SimpleNotificationService-1.pem"}),
    ("lookalike host", lambda m: m | {"SigningCertURL": "https://sns.us-east-1.amazonaws.com.evil.com/x.pem"}),
    ("wrong topic", lambda m: sns_signing.notification(m["Message"], topic_arn=sns_signing.TOPIC_ARN + "-other")),
    ("unsigned", lambda m: {k: v for k, v in m.items() if k != "Signature"}),
    ("not json", lambda m: "{not json"),
])
def test_what_sns_did_not_sign_for_our_topic_is_refused_with_nothing_written(client, store, fetched, case, change):
    invited(store, make_survey(store), "sari@example.com")
    before = items(store)
    message = change(sns_signing.notification(sns_signing.ses_bounce("sari@example.com")))
    response = client.post(URL, data=message if isinstance(message, str) else sns_signing.body(message))
    assert response.status_code == 403, case
    assert items(store) == before
    assert set(fetched) <= {sns_signing.CERT_URL}  # nothing fetched from anywhere else


@MOTO
def test_an_unreachable_certificate_asks_sns_to_retry_and_writes_nothing(client, store, fetched, monkeypatch):
    def unreachable(url):
        raise sns_http.Unreachable(url)
    monkeypatch.setattr(sns_http, "fetch", unreachable)
    before = items(store)
    assert post(client, sns_signing.notification(sns_signing.ses_bounce("sari@example.com"))).status_code == 503
    assert items(store) == before


@MOTO
@pytest.mark.parametrize("version", ["1", "2"])
def test_a_subscription_confirmation_is_confirmed_by_visiting_its_subscribe_url(client, store, fetched, version):
    message = sns_signing.subscription_confirmation(version=version)
    response = post(client, message)
    assert response.status_code == 200 and response.get_data(as_text=True).strip() == "confirmed"
    assert fetched == [sns_signing.CERT_URL, message["SubscribeURL"]]


@MOTO
def test_a_signed_subscribe_url_off_sns_hosts_is_never_visited(client, store, fetched):
    message = sns_signing.subscription_confirmation(subscribe_url="https://sns.us-east-1.amazonaws.com.evil.com/c")
    assert post(client, message).status_code == 403
    assert fetched == [sns_signing.CERT_URL]


@MOTO
def test_an_unsubscribe_confirmation_is_noted_and_visits_nothing(client, store, fetched):
    before = items(store)
    message = sns_signing.subscription_confirmation(kind="UnsubscribeConfirmation")
    assert post(client, message).status_code == 200
    assert fetched == [sns_signing.CERT_URL] and items(store) == before


@MOTO
def test_without_a_configured_topic_the_endpoint_does_not_exist(store, fetched):
    app = create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name})
    app.extensions["survey_store"] = store
    message = sns_signing.notification(sns_signing.ses_bounce("sari@example.com"))
    assert post(app.test_client(), message).status_code == 404 and fetched == []


# -- the sender honours the marks -----------------------------------------------------------------------------
@pytest.fixture
def ses():
    with mock_aws():
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        yield ses_backends[DEFAULT_ACCOUNT_ID][REGION]


@pytest.mark.parametrize("record", [sns_signing.ses_bounce, sns_signing.ses_complaint])
def test_after_a_bounce_or_complaint_no_reminder_and_no_new_invitation_goes_out(app, client, store, fetched, ses,
                                                                                 record):
    survey = save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("email",),
                                                                             reminder_after_days=3, fatigue_days=0)))
    sender = Sender(channels={"email": SesEmail(f"Toko <{SENDER}>", REGION)}, base_url="https://survey.toko.test",
                    business_name="Toko")

    def run(now):
        with app.app_context():
            return send_due(store, sender, now=now)
    create_invitation(store, survey, now=NOW - timedelta(days=1), email="sari@example.com", order_ref="first",
                      send_at=NOW - timedelta(minutes=1))
    assert run(NOW) == {"sent": 1}
    mail_id = ses.sent_messages[0].id
    assert post(client, sns_signing.notification(record("sari@example.com", message_id=mail_id))).status_code == 200
    create_invitation(store, survey, now=NOW, email="sari@example.com", order_ref="second",
                      send_at=NOW + timedelta(days=3))
    assert run(NOW + timedelta(days=3, minutes=1)) == {"reminder_skipped": 1, "opted_out": 1}
    assert len(ses.sent_messages) == 1
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    event = "inv#email#bounced" if record is sns_signing.ses_bounce else "inv#email#complained"
    assert sum(counters.get(event, 0) for counters in days) == 1


# -- the delivery page --------------------------------------------------------------------------------------------
@MOTO
def test_delivery_page_shows_bounce_and_complaint_rates_of_all_surveys_against_ses_thresholds(app, client, owner,
                                                                                               store):
    first, second = make_survey(store), make_survey(store)
    today = local_day(NOW, app.config["TIMEZONE"])
    weeks_ago = local_day(NOW - timedelta(days=20), app.config["TIMEZONE"])
    store.add_day_counters(first.id, today, {"inv#email#sent": 60, "inv#email#reminded": 10,
                                             "inv#email#bounced": 6, "inv#whatsapp#sent": 500})
    store.add_day_counters(second.id, today, {"inv#email#sent": 30, "inv#email#complained": 1})
    store.add_day_counters(second.id, weeks_ago, {"inv#email#sent": 200, "inv#email#bounced": 2})
    owner.login()
    page = client.get(f"/owner/surveys/{first.id}/delivery").get_data(as_text=True)
    table = page[page.index('id="email-rates"'):page.index("</table>", page.index('id="email-rates"'))]
    week, month = table.split("<th scope=\"row\">")[1:]
    assert "<td>100</td>" in week and "6 · 6.0% · SES review level" in week and "1 · 1.00% · SES may pause" in week
    assert "<td>300</td>" in month and "8 · 2.7% · healthy" in month and "1 · 0.33% · SES review level" in month


@MOTO
def test_a_message_larger_than_the_apps_form_limit_is_accepted_up_to_snss_own(client, store, fetched, app):
    """SNS messages reach 256 KB; the app's other forms stop at MAX_CONTENT_LENGTH (64 KB)."""
    record = json.loads(sns_signing.ses_bounce("sari@example.com"))
    record["mail"]["headers"] = [{"name": f"X-Pad-{i}", "value": "x" * 1000} for i in range(150)]
    message = sns_signing.notification(json.dumps(record))
    assert len(sns_signing.body(message)) > 2 * app.config["MAX_CONTENT_LENGTH"]
    assert post(client, message).status_code == 200 and store.is_opted_out("sari@example.com")


@MOTO
def test_a_delivery_of_an_e_mail_that_was_no_invitation_writes_nothing(client, store, fetched):
    before = items(store)
    response = post(client, sns_signing.notification(sns_signing.ses_delivery("owner@example.com")))
    assert response.get_data(as_text=True).strip() == "ignored" and items(store) == before
