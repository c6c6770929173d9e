"""Chat messages: what we sent (so a provider's status finds its invitation or case thread), what customers sent
(claimed once by their id), each case's thread, the owner's inbox of replies from unknown numbers, and the
queue of replies whose assignee has not been told yet. Every write that must happen once is conditional."""
from __future__ import annotations

from ..domain.conversation import DELIVERY_ORDER, InboundMessage, StatusUpdate
from ..errors import AlreadyAnswered
from .contacts import inbound_index_put
from .table import GSI1, Table, from_item, to_item
from .tallies import tally_put

MESSAGE_DAYS = 90  # a status arrives within days; the reference is kept a little longer than an invitation lives
INBOX = "INBOX"
REPLY_ALERTS = "REPLYALERT"


def _ttl(now_epoch: int) -> int:
    return now_epoch + MESSAGE_DAYS * 86400


def thread_pk(survey_id: str, response_id: str) -> str:
    return f"THREAD#{survey_id}#{response_id}"


class MessageItems(Table):
    # -- what we sent -----------------------------------------------------
    def put_message_ref(self, message_id: str, ref: dict, now_epoch: int) -> None:
        """`ref`: what the message was ({"kind": "invitation" | "reminder" | "reply", "token" or "survey_id" and
        "response_id" and "sk" of its thread entry, "channel"}); read back when the provider reports on it."""
        self._call("put_item", Item=to_item(ref | {"pk": f"MSG#{message_id}", "sk": "MSG", "expires_epoch":
                                                   _ttl(now_epoch)}))

    def message_ref(self, message_id: str) -> dict | None:
        item = self._call("get_item", Key=to_item({"pk": f"MSG#{message_id}", "sk": "MSG"}),
                          ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def record_status(self, update: StatusUpdate, previous_rank: int | None, also: list[dict],
                      counters: tuple[str, str, dict] | None) -> bool:
        """The message's status moves from exactly `previous_rank` (None: no report yet) to the update's: with it, in
        one transaction, the `also` updates (the invitation, the thread entry) and the day `counters` (survey_id,
        day, {name: n}), so each stage is counted once. False when another report moved it first: nothing written."""
        values = {":status": update.status, ":rank": DELIVERY_ORDER[update.status], ":at": update.at}
        expression = "SET #status = :status, #rank = :rank, status_at = :at"
        if update.error_code:
            expression += ", error_code = :code, error_title = :title"
            values |= {":code": update.error_code, ":title": update.error_title or "-"}
        condition = "attribute_exists(pk) AND " + ("attribute_not_exists(#rank)" if previous_rank is None
                                                  else "#rank = :previous")
        if previous_rank is not None:
            values[":previous"] = previous_rank
        items = [{"Update": {
            "Key": to_item({"pk": f"MSG#{update.message_id}", "sk": "MSG"}), "UpdateExpression": expression,
            "ConditionExpression": condition, "ExpressionAttributeNames": {"#status": "status", "#rank": "rank"},
            "ExpressionAttributeValues": to_item(values),
        }}] + [{"Update": u} for u in also]
        if counters:
            survey_id, day, names = counters
            items.append(tally_put(survey_id, {f"DAY#{day}": names}, update.at))
        try:
            self._transact(items)
        except AlreadyAnswered:
            return False
        return True

    def invitation_status_update(self, token: str, status: str) -> dict:
        """An Update (for record_status's transaction) setting an invitation's delivery status."""
        return {"Key": to_item({"pk": f"INV#{token}", "sk": "INV"}), "UpdateExpression": "SET delivery_status = :s",
                "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": to_item({":s": status})}

    # -- what customers sent -------------------------------------------------
    def claim_inbound(self, message: InboundMessage, now_epoch: int) -> bool:
        """Once per message id, whatever Meta retries; the claim keeps the message, so it is never lost. The phone's
        contact-index entry is written with it, so an erasure finds the message (and its inbox copy)."""
        item = {"pk": f"WAIN#{message.message_id}", "sk": "WAIN", "phone": message.phone, "kind": message.kind,
                "text": message.text, "reply_id": message.reply_id, "received_at": message.received_at,
                "expires_epoch": _ttl(now_epoch)}
        try:
            self._transact([{"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}},
                            inbound_index_put(message.phone, message.message_id, message.received_at,
                                              _ttl(now_epoch))])
        except AlreadyAnswered:
            return False
        return True

    def release_inbound(self, message_id: str) -> None:
        """Processing failed: Meta's retry gets to process it again."""
        self._call("delete_item", Key=to_item({"pk": f"WAIN#{message_id}", "sk": "WAIN"}))

    # -- threads, inbox, reply alerts -------------------------------------------
    def add_thread_entry(self, survey_id: str, response_id: str, entry: dict, alert: bool = False) -> str:
        """`entry`: {"at", "message_id", "direction": "in" | "out", "text", "author", "status"}; returns its sk.
        With `alert`, it also waits on gsi1 (REPLYALERT) until the case's assignee is told."""
        sk = f"{entry['at']}#{entry.get('message_id') or 'local'}"
        item = entry | {"pk": thread_pk(survey_id, response_id), "sk": sk, "survey_id": survey_id,
                        "response_id": response_id}
        if alert:
            item |= {"gsi1pk": REPLY_ALERTS, "gsi1sk": sk}
        self._conditional("put_item", Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")
        return sk

    def thread_update(self, survey_id: str, response_id: str, sk: str, status: str) -> dict:
        """An Update (for record_status's transaction) setting a thread entry's delivery status."""
        return {"Key": to_item({"pk": thread_pk(survey_id, response_id), "sk": sk}),
                "UpdateExpression": "SET #status = :status", "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": to_item({":status": status})}

    def thread_of(self, survey_id: str, response_id: str, limit: int = 200) -> list[dict]:
        """Oldest first."""
        return [item for _, item in zip(range(limit), self._partition(thread_pk(survey_id, response_id)))]

    def add_to_inbox(self, message: InboundMessage) -> None:
        """Kept for good, and so is the phone's index entry for it (kept first: an erasure must find the message)."""
        self.keep_inbound_entry(message.phone, message.message_id, message.received_at)
        item = {"pk": INBOX, "sk": f"{message.received_at}#{message.message_id}", "phone": message.phone,
                "text": message.text, "kind": message.kind, "profile_name": message.profile_name,
                "message_id": message.message_id, "received_at": message.received_at}
        self._conditional("put_item", Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def inbox(self, limit: int = 100) -> list[dict]:
        """Newest first."""
        return [item for _, item in zip(range(limit), self._partition(INBOX, ScanIndexForward=False))]

    def pending_reply_alerts(self, limit: int = 50) -> list[dict]:
        items = self._query(IndexName=GSI1, KeyConditionExpression="gsi1pk = :pk",
                            ExpressionAttributeValues=to_item({":pk": REPLY_ALERTS}))
        return [item for _, item in zip(range(limit), items)]

    def reply_alert_done(self, entry: dict) -> None:
        self._call("update_item", Key=to_item({"pk": entry["pk"], "sk": entry["sk"]}),
                   UpdateExpression="REMOVE gsi1pk, gsi1sk")

    # -- the contact's conversation ----------------------------------------------
    def contact_record(self, contact: str) -> dict:
        item = self._call("get_item", Key=to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"}),
                          ConsistentRead=True).get("Item")
        return from_item(item) if item else {}

    def note_inbound(self, contact: str, received_at: str) -> None:
        """The customer's latest message opens WhatsApp's 24-hour customer-service window; a late one never
        moves it back."""
        self._conditional("update_item", Key=to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"}),
                          UpdateExpression="SET last_inbound_at = :at",
                          ConditionExpression="attribute_not_exists(last_inbound_at) OR last_inbound_at < :at",
                          ExpressionAttributeValues=to_item({":at": received_at}))

    def set_open_case(self, contact: str, survey_id: str, response_id: str) -> None:
        """The case the owner is talking to this contact about: their replies go to its thread."""
        self._call("update_item", Key=to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"}),
                   UpdateExpression="SET open_case = :case",
                   ExpressionAttributeValues=to_item({":case": f"{survey_id}/{response_id}"}))
