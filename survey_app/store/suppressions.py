"""What e-mail feedback (SES bounces and complaints through SNS) writes: the contact's mark, the survey's day
counters and the SNS message id, all in one transaction conditional on the id being new, so a message SNS
delivers twice changes things once."""
from __future__ import annotations

from typing import Iterable, Mapping

from ..errors import AlreadyAnswered
from .table import TTL_ATTRIBUTE, Table, to_item
from .tallies import tally_put

UNDELIVERABLE, OPTED_OUT = "undeliverable", "opted_out"


def sns_message_key(message_id: str) -> dict[str, str]:
    return {"pk": f"SNS#{message_id}", "sk": "SNS"}


def _mark(contact: str, kind: str, reason: str, now: str) -> dict:
    """Sets the mark once: the first bounce or complaint stays the one shown."""
    field = "undeliverable" if kind == UNDELIVERABLE else "opted_out"
    return {
        "Key": to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"}),
        "UpdateExpression": f"SET {field}_at = if_not_exists({field}_at, :now), "
                            f"{field}_reason = if_not_exists({field}_reason, :reason)",
        "ExpressionAttributeValues": to_item({":now": now, ":reason": reason}),
    }


class SuppressionItems(Table):
    def record_email_feedback(self, message_id: str, expires_epoch: int, now: str,
                              marks: Iterable[tuple[str, str, str]],
                              day_counters: Mapping[tuple[str, str], Mapping[str, int]]) -> bool:
        """marks: (contact, UNDELIVERABLE or OPTED_OUT, reason); day_counters: (survey id, day) -> counters.
        Returns False when this SNS message was already recorded (nothing is written again)."""
        items = [{"Put": {"Item": to_item(sns_message_key(message_id) | {"received_at": now,
                                                                         TTL_ATTRIBUTE: expires_epoch}),
                          "ConditionExpression": "attribute_not_exists(pk)"}}]
        items += [{"Update": _mark(contact, kind, reason, now)} for contact, kind, reason in marks]
        items += [tally_put(survey_id, {f"DAY#{day}": counters}, now)
                  for (survey_id, day), counters in day_counters.items() if counters]
        try:
            self._transact(items)
        except AlreadyAnswered:
            return False
        return True

    def contact_marks(self, contact: str) -> dict[str, str]:
        """When and why a contact was marked undeliverable or opted out (empty when neither)."""
        item = self._call("get_item", Key=to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"}),
                          ConsistentRead=True).get("Item") or {}
        names = ("undeliverable_at", "undeliverable_reason", "opted_out_at", "opted_out_reason")
        return {name: item[name]["S"] for name in names if name in item}
