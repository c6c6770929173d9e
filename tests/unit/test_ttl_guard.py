"""The TTL guard reads the TTLs a DynamoDB request writes, wherever the request carries them."""
from __future__ import annotations

import pytest

from survey_app.store import TTL_ATTRIBUTE
from tests import ttl_guard

NOW = 1_800_000_000
SOON, LATER = NOW + 60, NOW + 2 * ttl_guard.MARGIN_SECONDS


def put(ttl: int) -> dict:
    return {"Item": {"pk": {"S": "X"}, TTL_ATTRIBUTE: {"N": str(ttl)}}}


def update(expression: str, names: dict, values: dict) -> dict:
    return {"Key": {"pk": {"S": "X"}}, "UpdateExpression": expression, "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values}


@pytest.mark.parametrize("request_body", [
    {"TableName": "t", **put(SOON)},
    {"TransactItems": [{"ConditionCheck": {"Key": {"pk": {"S": "Y"}}}}, {"Put": put(SOON)}]},
    {"RequestItems": {"t": [{"PutRequest": put(LATER)}, {"PutRequest": put(SOON)}]}},
    {"TransactItems": [{"Update": update("SET a = :a, #t = :t", {"#t": TTL_ATTRIBUTE},
                                         {":a": {"N": "1"}, ":t": {"N": str(SOON)}})}]},
    update(f"SET {TTL_ATTRIBUTE}=:x ADD n :one", {}, {":x": {"N": str(NOW - 5)}, ":one": {"N": "1"}}),
], ids=["put", "transaction put", "batch", "transaction update by alias", "update by name, already past"])
def test_a_ttl_due_within_the_margin_is_found_wherever_the_request_writes_it(request_body):
    assert len(ttl_guard.expiring_soon(request_body, NOW)) == 1


@pytest.mark.parametrize("request_body", [
    {"TableName": "t", **put(LATER)},
    update("SET #t = :t", {"#t": TTL_ATTRIBUTE}, {":t": {"N": str(LATER)}}),
    update(f"REMOVE {TTL_ATTRIBUTE}", {}, {}),
    update("SET #n = :soon", {"#n": "count"}, {":soon": {"N": str(SOON)}}),  # a number, not the TTL
    update(f"SET old_{TTL_ATTRIBUTE} = :soon, #tt = :soon", {"#t": TTL_ATTRIBUTE, "#tt": "x"},
           {":soon": {"N": str(SOON)}}),  # names that end like the TTL's
    {"Key": {"pk": {"S": "X"}}, "ExpressionAttributeValues": {":t": {"N": str(SOON)}}},  # a condition's value
], ids=["put later", "update later", "remove", "another attribute", "condition value",
                                                    "names ending like the TTL"])
def test_a_ttl_beyond_the_margin_or_another_number_is_not(request_body):
    assert ttl_guard.expiring_soon(request_body, NOW) == []
