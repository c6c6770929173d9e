"""Open-link limits charged once per answer, and answers refused as likely bots, counted per survey and reason
so the owner sees them."""
from __future__ import annotations

from .table import Table, add_counters, from_item, to_item


class OpenLinkItems(Table):
    def take_open_link_token(self, key: str, window: str, limit: int, expires_epoch: int, submission: str) -> bool:
        """One hit of an hourly open-link limit per answer: the same submission sent again (after a 503, or after
        a reply lost once the write was done) passes without a second hit. The window's item keeps the ids it
        charged (at most `limit` of them), in the same conditional ADD, so two taps at once are charged once."""
        item_key = to_item({"pk": f"RATE#{key}", "sk": window})
        if self._conditional(
            "update_item", Key=item_key, UpdateExpression="ADD hits :one, submissions :ids SET expires_epoch = :ttl",
            ConditionExpression="NOT contains(submissions, :id) AND (attribute_not_exists(hits) OR hits < :limit)",
            ExpressionAttributeValues=to_item({":one": 1, ":ids": {submission}, ":id": submission,
                                               ":ttl": expires_epoch, ":limit": limit}),
        ):
            return True
        item = self._call("get_item", Key=item_key, ConsistentRead=True,
                          ProjectionExpression="submissions").get("Item") or {}
        return submission in from_item(item).get("submissions", ())

    def count_open_refusal(self, survey_id: str, reason: str) -> None:
        """One refused open-link post (honeypot, too_fast, no_browser, rate_limited): one ADD, never a read."""
        self._call("update_item", **add_counters(f"AGG#{survey_id}", "OPENREFUSED", {reason: 1}))

    def open_refusals(self, survey_id: str) -> dict[str, int]:
        item = self._call("get_item", Key=to_item({"pk": f"AGG#{survey_id}", "sk": "OPENREFUSED"})).get("Item")
        return {k: int(v["N"]) for k, v in (item or {}).items() if "N" in v}
