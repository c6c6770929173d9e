"""Outgoing webhooks: the owner's endpoints (URL, events, signing secret) and one delivery item per (event, endpoint).

A delivery is recorded as pending where the event happens and sent by the jobs function: it waits on gsi2 (`HOOKDUE`,
by the time it may next be tried), is claimed with a conditional update before it is sent (so two runs never send it
at once), and ends delivered or failed. Its partition is the response it is about, so an erasure finds it by the
invitation's token; gsi1 lists one endpoint's deliveries, newest first (the delivery log)."""
from __future__ import annotations

from .table import GSI1, GSI2, TTL_ATTRIBUTE, Table, to_item, update_if

DUE = "HOOKDUE"
PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"


def delivery_pk(survey_id: str, subject_id: str) -> str:
    return f"HOOKDLV#{survey_id}#{subject_id}"


def _due_keys(next_at: str, delivery_id: str) -> dict:
    return {"gsi2pk": DUE, "gsi2sk": f"{next_at}#{delivery_id}"}


class WebhookItems(Table):
    # ---- endpoints ----------------------------------------------------------------------------------------------
    def put_webhook(self, hook: dict) -> None:
        self._call("put_item", Item=to_item(hook | {"pk": "WEBHOOKS", "sk": f"HOOK#{hook['id']}"}))

    def webhooks(self) -> list[dict]:
        """Every endpoint (an owner has a handful): read once per event, so no event is missed by a stale cache."""
        return list(self._partition("WEBHOOKS"))

    def get_webhook(self, hook_id: str) -> dict:
        """:raises NotFound:"""
        return self._get("WEBHOOKS", f"HOOK#{hook_id}")

    def delete_webhook(self, hook_id: str) -> None:
        self._call("delete_item", Key=to_item({"pk": "WEBHOOKS", "sk": f"HOOK#{hook_id}"}))

    # ---- deliveries ---------------------------------------------------------------------------------------------
    def add_deliveries(self, deliveries: list[dict], expires_epoch: int) -> None:
        """Pending deliveries (`survey_id`, `subject_id`, `id`, `hook_id`, `created_at`, `next_at`, ...)."""
        self._batch_put([d | {"pk": delivery_pk(d["survey_id"], d["subject_id"]), "sk": d["id"], "state": PENDING,
                              "attempts": 0, "gsi1pk": f"HOOKLOG#{d['hook_id']}", "gsi1sk": f"{d['created_at']}#{d['id']}",
                              TTL_ATTRIBUTE: expires_epoch} | _due_keys(d["next_at"], d["id"])
                         for d in deliveries])

    def due_deliveries(self, now: str, limit: int) -> list[dict]:
        """Pending deliveries whose time has come, and sends whose claim expired (a run that died mid-send)."""
        return [item for _, item in zip(range(limit), self._index_before(GSI2, DUE, f"{now}#\uffff", Limit=limit))]

    def claim_delivery(self, delivery: dict, now: str, until: str) -> dict | None:
        """The delivery, now `sending` until `until` (due again then, should this run die mid-send), attempts + 1;
        None when another run claimed it first or it has ended."""
        return self._update_if(delivery, {
            "UpdateExpression": "SET #state = :sending, next_at = :until, gsi2sk = :due ADD attempts :one",
            "ConditionExpression": "#state IN (:pending, :sending) AND next_at <= :now",
            "ExpressionAttributeValues": {":sending": SENDING, ":pending": PENDING, ":until": until,
                                          ":due": f"{until}#{delivery['sk']}", ":one": 1, ":now": now}})

    def delivery_outcome(self, delivery: dict, state: str, status: str, at: str, next_at: str = "") -> bool:
        """After a send: delivered or failed (off the queue), or pending again until `next_at` (a retry); only by
        the run whose claim still holds (`attempts` unchanged)."""
        sets = {":state": state, ":status": status[:300], ":at": at, ":attempts": delivery["attempts"]}
        if state == PENDING:
            expression = "SET #state = :state, last_status = :status, last_at = :at, next_at = :next, gsi2sk = :due"
            sets |= {":next": next_at, ":due": f"{next_at}#{delivery['sk']}"}
        else:
            expression = "SET #state = :state, last_status = :status, last_at = :at REMOVE gsi2pk, gsi2sk"
        return self._update_if(delivery, {
            "UpdateExpression": expression, "ExpressionAttributeValues": sets | {":sending": SENDING},
            "ConditionExpression": "#state = :sending AND attempts = :attempts"}) is not None

    def send_again(self, survey_id: str, subject_id: str, delivery_id: str, now: str) -> bool:
        """An ended delivery queued once more (same delivery id: a receiver that has it already can ignore it)."""
        key = {"pk": delivery_pk(survey_id, subject_id), "sk": delivery_id}
        return self._update_if(key, {
            "UpdateExpression": "SET #state = :pending, next_at = :now, gsi2pk = :queue, gsi2sk = :due",
            "ConditionExpression": "attribute_exists(pk) AND #state IN (:delivered, :failed)",
            "ExpressionAttributeValues": {":pending": PENDING, ":now": now, ":queue": DUE, ":due": f"{now}#{delivery_id}",
                                          ":delivered": DELIVERED, ":failed": FAILED}}) is not None

    def delivery_log(self, hook_id: str, limit: int) -> list[dict]:
        items = self._query(IndexName=GSI1, KeyConditionExpression="gsi1pk = :pk", ScanIndexForward=False,
                            ExpressionAttributeValues=to_item({":pk": f"HOOKLOG#{hook_id}"}), Limit=limit)
        return [item for _, item in zip(range(limit), items)]

    def _update_if(self, key: dict, update: dict) -> dict | None:
        """The delivery as it now is, or None when the condition did not hold."""
        return update_if(self, update | {"Key": to_item({"pk": key["pk"], "sk": key["sk"]}),
                                         "ExpressionAttributeNames": {"#state": "state"},
                                         "ExpressionAttributeValues": to_item(update["ExpressionAttributeValues"])})
