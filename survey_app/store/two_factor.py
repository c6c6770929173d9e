"""The owner item's two-factor secret rewritten in place: sealing one stored before secrets were sealed must not
end the sessions a change_owner would (the secret, and so the owner's trust, stays the same)."""
from __future__ import annotations

from .table import Table, to_item


class TwoFactorItems(Table):
    def replace_totp_secret(self, email: str, was: str, now: str) -> bool:
        """False when the secret changed meanwhile (turned off, or set up again)."""
        return self._conditional(
            "update_item", Key=to_item({"pk": f"OWNER#{email}", "sk": "OWNER"}),
            UpdateExpression="SET totp_secret = :now", ConditionExpression="totp_secret = :was",
            ExpressionAttributeValues=to_item({":now": now, ":was": was}))
