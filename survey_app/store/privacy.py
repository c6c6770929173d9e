"""Erasing one customer's personal data where it lives (invitation, response, comment, case, contact),
keeping the anonymous counters, and an audit trail of who erased what."""
from __future__ import annotations

from ..domain.models import Invitation
from .invitations import _invitation
from .jobs import query_page
from .table import GSI1, Table, to_item


class PrivacyItems(Table):
    def invitation_page(self, survey_id: str, cursor: str, limit: int) -> tuple[list[Invitation], str]:
        """A page of a survey's invitations and the cursor after it: an erasure job resumes from there."""
        items, cursor = query_page(self, cursor, limit, IndexName=GSI1, KeyConditionExpression="gsi1pk = :pk",
                                  ExpressionAttributeValues=to_item({":pk": f"SURVEY#{survey_id}#INV"}))
        return [_invitation(item) for item in items], cursor

    def _remove(self, pk: str, sk: str, paths: list[tuple[str, ...]], erased_at: str) -> bool:
        """REMOVE attribute paths (('answers', 'reason') is answers.reason) from an existing item."""
        names, expressions = {}, []
        for path in paths:
            parts = []
            for part in path:
                placeholder = f"#n{len(names)}"
                names[placeholder] = part
                parts.append(placeholder)
            expressions.append(".".join(parts))
        return self._conditional(
            "update_item", Key=to_item({"pk": pk, "sk": sk}),
            UpdateExpression="SET erased_at = :at REMOVE " + ", ".join(expressions),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=names, ExpressionAttributeValues=to_item({":at": erased_at}),
        )

    def erase_invitation(self, invitation: Invitation, erased_at: str) -> None:
        self._remove(f"INV#{invitation.token}", "INV", [("customer_name",), ("email",), ("phone",), ("order_ref",)],
                     erased_at)
        if invitation.order_ref:
            self._call("delete_item", Key=to_item({"pk": f"ORDER#{invitation.survey_id}#{invitation.order_ref}",
                                                   "sk": "ORDER"}))

    def erase_response(self, survey_id: str, response_id: str, text_questions: list[str], erased_at: str) -> bool:
        """Name and free-text answers go; scores and choices (anonymous) stay, so do the aggregates."""
        item = self._call("get_item", Key=to_item({"pk": f"RESP#{survey_id}", "sk": response_id})).get("Item")
        if not item:
            return False
        submitted_at = item["submitted_at"]["S"]
        self._remove(f"RESP#{survey_id}", response_id,
                     [("customer_name",)] + [("answers", q) for q in text_questions], erased_at)
        self._call("delete_item", Key=to_item({"pk": f"CMT#{survey_id}", "sk": f"{submitted_at}#{response_id}"}))
        return True

    def erase_case(self, survey_id: str, response_id: str, erased_at: str) -> bool:
        return self._remove(f"CASES#{survey_id}", response_id,
                            [("customer_name",), ("email",), ("phone",), ("comment",)], erased_at)

    def forget_contact(self, contact: str) -> None:
        """The contact item goes too, unless it records an opt-out (kept, so the opt-out is honoured forever)."""
        self._conditional("delete_item", Key=to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"}),
                          ConditionExpression="attribute_not_exists(opted_out_at)")

    def put_audit(self, at: str, record: dict) -> None:
        self._call("put_item", Item=to_item({"pk": "AUDIT", "sk": f"{at}#{record['action']}"} | record))

    def audit_log(self, limit: int = 100) -> list[dict]:
        return [item for _, item in zip(range(limit), self._partition("AUDIT", ScanIndexForward=False))]
