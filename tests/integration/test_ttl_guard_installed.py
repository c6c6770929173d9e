"""The TTL guard (tests/ttl_guard.py) sees what the store's own client sends to DynamoDB Local."""
from __future__ import annotations

import time

import pytest

from survey_app.store import TTL_ATTRIBUTE
from tests import ttl_guard

LOCAL = pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)


@LOCAL
def test_a_ttl_that_passes_during_the_test_is_reported_and_one_a_day_ahead_is_not(store):
    for pk, ttl in (("later", int(time.time()) + 86400), ("past", int(time.time()) - 10)):
        store.client.put_item(TableName=store.table_name,
                              Item={"pk": {"S": pk}, "sk": {"S": "x"}, TTL_ATTRIBUTE: {"N": str(ttl)}})
    reported, ttl_guard.violations[:] = list(ttl_guard.violations), []  # this test's own, not a failure
    assert len(reported) == 1 and reported[0].startswith(f"PutItem wrote {TTL_ATTRIBUTE}=")
