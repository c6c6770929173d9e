"""Alerts a bot cannot multiply: cases from the public link reach each target as one message summarising
several, at most once per period; personal-link cases are told one by one, as before. Owner alert e-mails carry
no unsubscribe header (there is nothing to unsubscribe from)."""
import email
import json
from datetime import timedelta
from email import policy

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from survey_app.services import send_alerts, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import REGION
from tests.factories import make_survey
from tests.integration.test_cases import NOW, alerter, answer, receiver  # noqa: F401  (fixtures)

ON_MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)


def _open_link_detractor(store, survey, score, at=NOW):
    submit_response(store, survey, {"nps": score, "reason": f"bot {score}"}, language="en",
                    submission_id=new_submission_id(), now=at)


def _mails():
    return [email.message_from_string(m.raw_data, policy=policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages]


@ON_MOTO
def test_forty_open_link_cases_cost_one_email_and_one_webhook_per_period(store, alerter, receiver):  # noqa: F811
    fake, _ = receiver
    survey = make_survey(store)
    for i in range(40):
        _open_link_detractor(store, survey, i % 7)
    assert send_alerts(store, alerter, now=NOW) == {"alerted": 40}
    (mail,) = _mails()
    assert mail["Subject"] == "40 new follow-up cases from your public link"
    assert "...and 20 more" in mail.get_body(("plain",)).get_content()
    ((_, body),) = fake.deliveries
    payload = json.loads(body)
    assert payload["event"] == "cases.opened" and len(payload["data"]["cases"]) == 40

    for i in range(5):  # more arrive within the period: they wait, nobody is told yet
        _open_link_detractor(store, survey, 1, at=NOW + timedelta(minutes=1))
    assert send_alerts(store, alerter, now=NOW + timedelta(minutes=5)) == {"alert_grouped_later": 5}
    assert len(_mails()) == 1 and len(fake.deliveries) == 1
    assert send_alerts(store, alerter, now=NOW + timedelta(minutes=16)) == {"alerted": 5}
    assert len(_mails()) == 2 and len(fake.deliveries) == 2
    assert send_alerts(store, alerter, now=NOW + timedelta(minutes=40)) == {}


@ON_MOTO
def test_a_failing_webhook_target_retries_alone_and_repeats_no_email(store, alerter, receiver):  # noqa: F811
    fake, _ = receiver
    fake.status = 503
    survey = make_survey(store)
    for i in range(3):
        _open_link_detractor(store, survey, i)
    assert send_alerts(store, alerter, now=NOW) == {"alert_retry": 3}
    fake.status = 200
    assert send_alerts(store, alerter, now=NOW + timedelta(minutes=1)) == {"alerted": 3}  # its slot was given back
    assert len(_mails()) == 1 and len(fake.deliveries) == 4  # 3 attempts, then 1
    assert {store.get_case(survey.id, c.response_id).alerts_delivered for c in store.open_cases(survey.id)} == \
        {("email:owner@toko.test", "webhook")}


@ON_MOTO
def test_personal_link_cases_are_told_one_by_one_and_owner_alerts_have_no_unsubscribe_header(store, alerter):  # noqa: F811
    survey = make_survey(store)
    answer(store, survey, 2)
    answer(store, survey, 3)
    assert send_alerts(store, alerter, now=NOW) == {"alerted": 2}
    mails = _mails()
    assert len(mails) == 2 and all(m["Subject"] == "New follow-up case: detractor" for m in mails)
    assert all(m["List-Unsubscribe"] is None and m["List-Unsubscribe-Post"] is None for m in mails)
