"""Owners, API keys (stored as hashes only) and fixed-window rate-limit counters."""
from __future__ import annotations

from dataclasses import asdict

from ..domain.models import Owner
from .table import Table, to_item


class AccountItems(Table):
    def put_owner(self, owner: Owner) -> None:
        self._call("put_item", Item=to_item({"pk": f"OWNER#{owner.email}", "sk": "OWNER"} | asdict(owner)))

    def get_owner(self, email: str) -> Owner:
        item = self._get(f"OWNER#{email}", "OWNER")
        return Owner(email=item["email"], password_hash=item["password_hash"], role=item.get("role", "admin"))

    def put_api_key(self, key_hash: str, label: str, created_by: str, created_at: str) -> None:
        item = {"pk": f"APIKEY#{key_hash}", "sk": "APIKEY", "label": label, "created_by": created_by,
                "created_at": created_at, "gsi1pk": "APIKEYS", "gsi1sk": created_at, "key_hash": key_hash}
        self._call("put_item", Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def get_api_key(self, key_hash: str) -> dict:
        return self._get(f"APIKEY#{key_hash}", "APIKEY")

    def list_api_keys(self) -> list[dict]:
        return list(self._query(IndexName="gsi1", KeyConditionExpression="gsi1pk = :pk",
                                ExpressionAttributeValues=to_item({":pk": "APIKEYS"}), ScanIndexForward=False))

    def revoke_api_key(self, key_hash: str, revoked_at: str) -> bool:
        return self._conditional(
            "update_item", Key=to_item({"pk": f"APIKEY#{key_hash}", "sk": "APIKEY"}),
            UpdateExpression="SET revoked_at = :at", ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_item({":at": revoked_at}),
        )

    def rate_hits(self, key: str, window: str) -> int:
        item = self._call("get_item", Key=to_item({"pk": f"RATE#{key}", "sk": window}), ConsistentRead=True)
        return int(item["Item"]["hits"]["N"]) if "Item" in item else 0

    def take_rate_token(self, key: str, window: str, limit: int, expires_epoch: int) -> bool:
        """One hit in a fixed window; False once `limit` hits are used. Old windows expire by TTL."""
        return self._conditional(
            "update_item", Key=to_item({"pk": f"RATE#{key}", "sk": window}),
            UpdateExpression="ADD hits :one SET expires_epoch = :ttl",
            ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
            ExpressionAttributeValues=to_item({":one": 1, ":ttl": expires_epoch, ":limit": limit}),
        )
