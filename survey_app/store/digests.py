"""The owner's home and digest: open and overdue case counts from the case board's index, each teammate's digest
preference, and one record per person, period and channel written before a digest goes out (never sent twice)."""
from __future__ import annotations

import time

from .table import GSI2, TTL_ATTRIBUTE, Table, from_item, to_item

PREFS_PK = "DIGESTPREF"
DIGEST_RECORD_DAYS = 120  # a period's send records outlive any re-run of that period, then expire


class DigestItems(Table):
    def case_counts(self, survey_id: str, now_iso: str) -> tuple[int, int]:
        """(open, overdue) by Select COUNT on gsi2 `OPENCASE#<survey>` (sorted by due time, so the overdue are a
        key range: due_at <= now, as FollowUp.is_overdue): no item crosses the wire, but DynamoDB still charges
        the items it reads (0.5 RCU per 4 KB, eventually consistent), about one RCU per eight open cases."""
        queue = f"OPENCASE#{survey_id}"
        return self._count(GSI2, queue), self._count(GSI2, queue, f"{now_iso}#\uffff")

    def _count(self, index: str, pk: str, before: str = "") -> int:
        condition, values = f"{index}pk = :pk", {":pk": pk}
        if before:
            condition, values = condition + f" AND {index}sk < :before", values | {":before": before}
        kwargs = {"IndexName": index, "KeyConditionExpression": condition, "Select": "COUNT",
                  "ExpressionAttributeValues": to_item(values)}
        total = 0
        while True:
            page = self._call("query", **kwargs)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_digest_preference(self, email: str, frequency: str, email_on: bool, whatsapp_to: str,
                              language: str) -> None:
        self._call("put_item", Item=to_item({"pk": PREFS_PK, "sk": email, "email": email, "frequency": frequency,
                                             "email_on": email_on, "whatsapp_to": whatsapp_to,
                                             "language": language}))

    def digest_preference(self, email: str) -> dict | None:
        item = self._call("get_item", Key=to_item({"pk": PREFS_PK, "sk": email}), ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def digest_preferences(self) -> list[dict]:
        """Every teammate who set a preference (one partition: a team is tens of people, not thousands)."""
        return list(self._partition(PREFS_PK))

    def stop_digest(self, email: str) -> bool:
        """The unsubscribe link: frequency off; False when the person has no preference (nothing to stop)."""
        return self._conditional("update_item", Key=to_item({"pk": PREFS_PK, "sk": email}),
                                 UpdateExpression="SET frequency = :off", ConditionExpression="attribute_exists(pk)",
                                 ExpressionAttributeValues=to_item({":off": "off"}))

    def claim_digest(self, email: str, period: str, channel: str, now_iso: str) -> bool:
        """The intent, written before sending: True for the one run that may send this person's digest of this
        period on this channel; every other (a second run, a retry after a crash) gets False and sends nothing."""
        return self._conditional("put_item", Item=to_item({
            "pk": f"DIGEST#{email}", "sk": f"{period}#{channel}", "state": "sending", "claimed_at": now_iso,
            TTL_ATTRIBUTE: int(time.time()) + DIGEST_RECORD_DAYS * 86400}),
            ConditionExpression="attribute_not_exists(pk)")

    def record_digest(self, email: str, period: str, channel: str, state: str, detail: str) -> None:
        """The outcome: 'sent' with the provider's message id, or 'failed' with the reason (not retried)."""
        self._call("update_item", Key=to_item({"pk": f"DIGEST#{email}", "sk": f"{period}#{channel}"}),
                   UpdateExpression="SET #state = :state, detail = :detail", ConditionExpression="attribute_exists(pk)",
                   ExpressionAttributeNames={"#state": "state"},
                   ExpressionAttributeValues=to_item({":state": state, ":detail": detail}))

    def digest_record(self, email: str, period: str, channel: str) -> dict | None:
        item = self._call("get_item", Key=to_item({"pk": f"DIGEST#{email}", "sk": f"{period}#{channel}"}),
                          ConsistentRead=True).get("Item")
        return from_item(item) if item else None
