"""The reminded counter is idempotent like the sent one: a reply lost after DynamoDB added it, and botocore's retry
of the same call, count the reminder once. Only AWS's engine honours the transaction's ClientRequestToken (moto
ignores it), so this runs on DynamoDB Local, with the fault injector of test_faults.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.test_sending_records import NOW, ScriptedEmail, counters, day_of, due, email_survey, run
from tests.reliability.test_faults import TIMEOUT, faults  # noqa: F401 (the fixture)


@pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)
def test_a_lost_reply_on_the_reminded_counter_counts_the_reminder_once(app, store, faults):  # noqa: F811
    survey = email_survey(store, reminder_after_days=3)
    due(store, survey)
    channel = ScriptedEmail()
    assert run(app, store, channel, NOW) == {"sent": 1}
    remind = NOW + timedelta(days=3)
    faults.fail_next("TransactWriteItems", TIMEOUT, times=2)  # the counter's transaction: done twice, replies lost
    assert run(app, store, channel, remind) == {"reminded": 1}
    assert counters(store, survey)[day_of(remind)] == {"inv#email#reminded": 1}
    assert len(channel.accepted) == 2
