"""Erasing one customer's personal data where it lives (invitation, order reference, response, comment, case with
its notes and chat thread, webhook deliveries, WhatsApp messages and the inbox, contact and chat pointer), keeping
the anonymous counters, the customer's opt-out or bounce as a keyed hash, and an audit trail of who erased what."""
from __future__ import annotations

import hashlib
import hmac

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import StoreUnavailable
from .messages import INBOX, thread_pk
from .webhooks import delivery_pk
from .table import Table, from_item, to_item

INVITATION_FIELDS = ["customer_name", "email", "phone", "order_ref", "properties"]
CASE_FIELDS = ["customer_name", "email", "phone", "comment", "notes", "properties"]
MARKS = ("opted_out_at", "undeliverable_at")  # what keeps a contact from being messaged (store/invitations.py)


def suppression_key(secret_key: str) -> bytes:
    """The key of suppression hashes, derived from the app's secret (SSM in production): a bare SHA-256 of a phone
    number is reversed by hashing every number, a keyed one is not without the key. Changing the secret forgets the
    erased customers' opt-outs, so the secret is kept, not rotated (docs/data-model.md, Erasure)."""
    return hmac.new(secret_key.encode(), b"suppression", hashlib.sha256).digest()


class PrivacyItems(Table):
    suppression_key = b""  # set where the app builds its store (survey_app.register_store) from its secret

    def _suppressed_key(self, contact: str) -> dict:
        digest = hmac.new(self.suppression_key, contact.encode(), hashlib.sha256).hexdigest()
        return to_item({"pk": f"SUPPRESSED#{digest}", "sk": "SUPPRESSED"})

    def is_suppressed(self, contact: str) -> bool:
        """An erased customer who had opted out or bounced: kept from messages by the keyed hash alone."""
        return "Item" in self._call("get_item", Key=self._suppressed_key(contact), ConsistentRead=True)

    def _remove(self, pk: str, sk: str, paths: list[tuple[str, ...]], erased_at: str) -> bool:
        """REMOVE attribute paths (('answers', 'reason') is answers.reason) from an existing item; True when one of
        them held something (so an erasure run again after a crash counts nothing twice)."""
        names, expressions = {}, []
        for path in paths:
            parts = []
            for part in path:
                placeholder = f"#n{len(names)}"
                names[placeholder] = part
                parts.append(placeholder)
            expressions.append(".".join(parts))
        update = {"Key": to_item({"pk": pk, "sk": sk}), "ReturnValues": "ALL_OLD",
                  "UpdateExpression": "SET erased_at = :at REMOVE " + ", ".join(expressions),
                  "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeNames": names,
                  "ExpressionAttributeValues": to_item({":at": erased_at})}
        try:
            old = from_item(self._attempt("update_item", update).get("Attributes", {}))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False  # no such item (TTL took the invitation; the customer never answered)
            raise StoreUnavailable(f"DynamoDB update_item failed: {error}") from error
        except BotoCoreError as error:
            raise StoreUnavailable(f"DynamoDB update_item failed: {error}") from error
        return any(_held(old, path) for path in paths)

    def erase_invitation(self, survey_id: str, token: str, order_ref: str, erased_at: str) -> bool:
        """The invitation may be gone (TTL): its order reference item outlives it by a year, so it goes either way."""
        if order_ref:
            self._call("delete_item", Key=to_item({"pk": f"ORDER#{survey_id}#{order_ref}", "sk": "ORDER"}))
        return self._remove(f"INV#{token}", "INV", [(name,) for name in INVITATION_FIELDS], erased_at)

    def erase_response(self, survey_id: str, response_id: str, text_questions: list[str] | None,
                       erased_at: str) -> bool:
        """Name and free-text answers go; scores, choices and the segment values the aggregates count stay (with
        `text_questions` None, the survey is gone: every answer goes)."""
        item = self._call("get_item", Key=to_item({"pk": f"RESP#{survey_id}", "sk": response_id}),
                          ConsistentRead=True).get("Item")
        if not item:
            return False
        submitted_at = item["submitted_at"]["S"]
        self._call("delete_item", Key=to_item({"pk": f"CMT#{survey_id}", "sk": f"{submitted_at}#{response_id}"}))
        answers = [("answers",)] if text_questions is None else [("answers", q) for q in text_questions]
        return self._remove(f"RESP#{survey_id}", response_id, [("customer_name",), ("order_ref",)] + answers,
                            erased_at)

    def erase_case(self, survey_id: str, response_id: str, erased_at: str) -> bool:
        return self._remove(f"CASES#{survey_id}", response_id, [(name,) for name in CASE_FIELDS], erased_at)

    def erase_deliveries(self, survey_id: str, response_id: str, erased_at: str) -> int:
        """Webhook deliveries about this response keep their log line (event, status) but lose their payload."""
        return sum(self._remove(item["pk"], item["sk"], [("payload",)], erased_at)
                   for item in self._partition(delivery_pk(survey_id, response_id)))

    def erase_thread(self, survey_id: str, response_id: str) -> int:
        """The case's chat thread (the customer's and the team's messages) goes whole."""
        items = list(self._partition(thread_pk(survey_id, response_id)))
        for item in items:
            self._call("delete_item", Key=to_item({"pk": item["pk"], "sk": item["sk"]}))
        return len(items)

    def forget_contact(self, contact: str) -> None:
        """The contact item goes, and so does the chat pointer of a phone (which invitation its replies answer). An
        opt-out or a permanent bounce is honoured forever: its dates move to a SUPPRESSED item keyed by the keyed
        hash (written before the contact goes; SES's reason text can quote the address, so it stays behind)."""
        self._call("delete_item", Key=to_item({"pk": f"CHAT#{contact}", "sk": "CHAT"}))
        key = to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"})
        while True:
            item = from_item(self._call("get_item", Key=key, ConsistentRead=True).get("Item", {}))
            marks = {name: item[name] for name in MARKS if name in item}
            if marks:
                self._call("update_item", Key=self._suppressed_key(contact),
                           UpdateExpression="SET " + ", ".join(f"{n} = if_not_exists({n}, :{n})" for n in marks),
                           ExpressionAttributeValues=to_item({f":{n}": v for n, v in marks.items()}))
            unmarked = " AND ".join(f"attribute_not_exists({name})" for name in MARKS if name not in marks)
            if self._conditional("delete_item", Key=key, **({"ConditionExpression": unmarked} if unmarked else {})):
                return  # else a mark arrived since the read: read again and keep it

    def erase_inbound(self, message_id: str, received_at: str) -> bool:
        """A customer's WhatsApp message goes: its claim (which kept the text) and its copy in the owner's inbox."""
        kept = [self._call("delete_item", Key=to_item(key), ReturnValues="ALL_OLD").get("Attributes")
                for key in ({"pk": f"WAIN#{message_id}", "sk": "WAIN"},
                            {"pk": INBOX, "sk": f"{received_at}#{message_id}"})]
        return any(kept)

    def put_audit(self, at: str, record: dict) -> None:
        """One item per erasure (its job id in the key): written 'started' first, then overwritten 'done'."""
        self._call("put_item", Item=to_item({"pk": "AUDIT", "sk": f"{at}#{record['action']}#{record['job']}"} | record))

    def audit_log(self, limit: int = 100) -> list[dict]:
        return [item for _, item in zip(range(limit), self._partition("AUDIT", ScanIndexForward=False))]


def _held(item: dict, path: tuple[str, ...]) -> bool:
    for part in path:
        if not isinstance(item, dict) or part not in item:
            return False
        item = item[part]
    return item not in ("", None, [], {})
