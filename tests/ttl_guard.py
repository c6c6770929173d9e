"""DynamoDB (Local as on AWS) deletes an item once its TTL has passed by the real clock, whatever clock a test
pins: a test that writes a TTL already past, or due while it runs, loses that item at a moment it does not choose
and fails one run in a few. Every request this process sends to DynamoDB Local is read for such TTLs, and the test
that sent one fails at teardown naming the value (tests/conftest.py installs it; moto ignores TTLs)."""
from __future__ import annotations

import json
import re
import time

from survey_app.store import TTL_ATTRIBUTE

MARGIN_SECONDS = 600  # no test runs ten minutes: a TTL further ahead cannot pass during its test
violations: list[str] = []


def expiring_soon(body: dict, now: float) -> list[int]:
    """The TTLs (epoch seconds) a DynamoDB JSON request writes that fall before `now` + the margin: in items
    (PutItem, BatchWriteItem, a transaction's Put) and in SET clauses of update expressions."""
    return [ttl for ttl in _ttls(body) if ttl < now + MARGIN_SECONDS]


def _ttls(node) -> list[int]:
    found = []
    if isinstance(node, dict):
        typed = node.get(TTL_ATTRIBUTE)
        if isinstance(typed, dict) and "N" in typed:
            found.append(int(float(typed["N"])))
        if isinstance(node.get("UpdateExpression"), str):
            found += _updated_ttls(node)
        for key, value in node.items():
            if key != "ExpressionAttributeValues":
                found += _ttls(value)
    elif isinstance(node, list):
        for value in node:
            found += _ttls(value)
    return found


def _updated_ttls(update: dict) -> list[int]:
    names = [re.escape(TTL_ATTRIBUTE)] + [re.escape(alias) for alias, name in
                                          update.get("ExpressionAttributeNames", {}).items() if name == TTL_ATTRIBUTE]
    values = update.get("ExpressionAttributeValues", {})
    placeholders = re.findall(rf"(?<![\w#.])(?:{'|'.join(names)})\s*=\s*(:\w+)", update["UpdateExpression"])
    return [int(float(values[p]["N"])) for p in placeholders if "N" in values.get(p, {})]


def install(session, endpoint: str) -> None:
    """Reads every DynamoDB request the boto3 `session`'s clients send to `endpoint` (clients made after this)."""

    def inspect(request, **_):
        if not request.url.startswith(endpoint) or not request.body:
            return
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        operation = request.headers.get("X-Amz-Target", b"")
        operation = operation.decode() if isinstance(operation, bytes) else operation
        for ttl in expiring_soon(json.loads(body), time.time()):
            violations.append(f"{operation.split('.')[-1]} wrote {TTL_ATTRIBUTE}={ttl}, "
                              f"{ttl - int(time.time())} s from now: DynamoDB Local deletes the item once it passes")

    session.events.register("before-send.dynamodb", inspect)
