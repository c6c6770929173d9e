"""Invitations and their delivery state machine, order references (idempotent imports) and contacts
(fatigue window and opt-out). Every state change is a conditional write, so concurrent senders never
send one invitation twice."""
from __future__ import annotations

from dataclasses import asdict

from ..domain.models import FAILED, OPENED, QUEUED, SCHEDULED, SENDING, SENT, UNCONFIRMED, Invitation
from ..errors import AlreadyAnswered, Duplicate, NotFound
from .contacts import contact_index_puts
from .table import GSI1, GSI2, TTL_ATTRIBUTE, Table, from_item, to_item
from .tallies import tally_put, utc_now_iso

DUE_QUEUE = "DUE"


def send_list_queue(survey_id: str) -> str:
    return f"WALINK#{survey_id}"


def failure_queue(survey_id: str) -> str:
    return f"FAILED#{survey_id}"


def queue_keys(invitation: Invitation) -> dict[str, str]:
    """Where an invitation waits: due sends (a claimed send's lease too) and reminders by time, the owner's
    WhatsApp send list, or the failure list. Anything else waits nowhere."""
    if invitation.state in (SCHEDULED, SENDING):
        return {"gsi2pk": DUE_QUEUE, "gsi2sk": f"{invitation.send_at}#{invitation.token}"}
    if invitation.state in (SENT, OPENED) and invitation.remind_at and not invitation.reminded_at:
        return {"gsi2pk": DUE_QUEUE, "gsi2sk": f"{invitation.remind_at}#{invitation.token}"}
    if invitation.state == QUEUED:
        return {"gsi2pk": send_list_queue(invitation.survey_id), "gsi2sk": f"{invitation.send_at}#{invitation.token}"}
    if invitation.state in (FAILED, UNCONFIRMED):
        return {"gsi2pk": failure_queue(invitation.survey_id), "gsi2sk": f"{invitation.send_at}#{invitation.token}"}
    return {}


def _invitation(item: dict) -> Invitation:
    fields = Invitation.__dataclass_fields__
    return Invitation(**{k: v for k, v in item.items() if k in fields})


class InvitationItems(Table):
    def put_invitation(self, invitation: Invitation, expires_epoch: int) -> None:
        """:raises Duplicate: this survey already has an invitation for the order reference (idempotent import)."""
        item = asdict(invitation) | queue_keys(invitation) | {
            "pk": f"INV#{invitation.token}", "sk": "INV",
            "gsi1pk": f"SURVEY#{invitation.survey_id}#INV", "gsi1sk": f"{invitation.created_at}#{invitation.token}",
            TTL_ATTRIBUTE: expires_epoch,
        }
        items = [{"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}]
        items += contact_index_puts(invitation)  # the erasure's way to this customer's data, however old
        if invitation.order_ref:
            order = {"pk": f"ORDER#{invitation.survey_id}#{invitation.order_ref}", "sk": "ORDER",
                     "token": invitation.token, TTL_ATTRIBUTE: expires_epoch + 365 * 86400}
            items.append({"Put": {"Item": to_item(order), "ConditionExpression": "attribute_not_exists(pk)"}})
        try:
            self._transact(items)
        except AlreadyAnswered as error:
            raise Duplicate(invitation.order_ref) from error

    def get_invitation(self, token: str) -> Invitation:
        return _invitation(self._get(f"INV#{token}", "INV"))

    def invitation_or_none(self, token: str) -> Invitation | None:
        try:
            return self.get_invitation(token) if token else None
        except NotFound:
            return None

    def submission_of(self, token: str) -> str:
        return self._get(f"INV#{token}", "INV").get("submission_id", "")

    def invitations_of(self, survey_id: str, limit: int = 50) -> list[Invitation]:
        items = self._query(IndexName=GSI1, KeyConditionExpression="gsi1pk = :pk",
                            ExpressionAttributeValues=to_item({":pk": f"SURVEY#{survey_id}#INV"}),
                            ScanIndexForward=False, Limit=limit)
        return [_invitation(item) for _, item in zip(range(limit), items)]

    def queued(self, queue: str, until: str, limit: int) -> list[Invitation]:
        """Invitations waiting in a gsi2 queue up to a time (index reads are eventually consistent:
        every claim re-checks the state with a condition)."""
        items = self._index_before(GSI2, queue, f"{until}#\uffff", Limit=limit)
        return [_invitation(item) for _, item in zip(range(limit), items)]

    def due_invitations(self, now: str, limit: int) -> list[Invitation]:
        return self.queued(DUE_QUEUE, now, limit)

    def send_list_of(self, survey_id: str, limit: int) -> list[Invitation]:
        return self.queued(send_list_queue(survey_id), "\uffff", limit)

    def failures_of(self, survey_id: str, limit: int) -> list[Invitation]:
        return self.queued(failure_queue(survey_id), "\uffff", limit)

    def transition(self, invitation: Invitation, to: Invitation, *, from_states: tuple[str, ...],
                   extra_condition: str = "", values: dict | None = None, count: tuple[str, str] | None = None) -> bool:
        """Move one invitation to a new state (and queue) iff it is still in one of `from_states`; with
        `count` = (day, counter), the day's event counter is added in the same transaction.

        Returns False when another sender or the customer changed it first.
        """
        changed = {k: v for k, v in asdict(to).items() if v != getattr(invitation, k) and k not in ("token",)}
        sets = {k: v for k, v in changed.items() if v not in ("", None)}
        removes = [k for k, v in changed.items() if v in ("", None)]
        queue = queue_keys(to)
        sets.update(queue)
        if not queue:
            removes += ["gsi2pk", "gsi2sk"]
        names = {f"#f{i}": k for i, k in enumerate(list(sets) + removes)}
        by_name = {v: k for k, v in names.items()}
        attribute_values = {f":v{i}": v for i, v in enumerate(sets.values())}
        expression = "SET " + ", ".join(f"{by_name[k]} = :v{i}" for i, k in enumerate(sets))
        if removes:
            expression += " REMOVE " + ", ".join(by_name[k] for k in removes)
        states = {f":s{i}": state for i, state in enumerate(from_states)}
        condition = f"#state IN ({', '.join(states)})" + (f" AND ({extra_condition})" if extra_condition else "")
        update = {
            "Key": to_item({"pk": f"INV#{invitation.token}", "sk": "INV"}),
            "UpdateExpression": expression, "ConditionExpression": condition,
            "ExpressionAttributeNames": names | {"#state": "state"},
            "ExpressionAttributeValues": to_item(attribute_values | states | (values or {})),
        }
        if count is None:
            return self._conditional("update_item", **update)
        day, counter = count
        try:
            self._transact([{"Update": update},
                            tally_put(invitation.survey_id, {f"DAY#{day}": {counter: 1}}, utc_now_iso())])
        except AlreadyAnswered:
            return False
        return True

    # -- contacts: fatigue and opt-out ----------------------------------
    def claim_contact(self, contact: str, token: str, now: str, window_start: str) -> str:
        """Record a message to this contact unless opted out or messaged since `window_start` by another
        invitation (a retry of the same invitation passes). Returns "ok", "opted_out" or "fatigued"."""
        if self.is_suppressed(contact):  # erased after opting out or bouncing (store/privacy.py)
            return "opted_out"
        if self._conditional(
            "update_item", Key=to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"}),
            UpdateExpression="SET last_invited_at = :now, last_invitation = :token",
            ConditionExpression="attribute_not_exists(opted_out_at) AND attribute_not_exists(undeliverable_at) "
                                "AND (attribute_not_exists(last_invited_at) "
                                "OR last_invited_at < :window OR last_invitation = :token)",
            ExpressionAttributeValues=to_item({":now": now, ":window": window_start, ":token": token}),
        ):
            return "ok"
        return "opted_out" if self.is_opted_out(contact) else "fatigued"

    def opt_out(self, contact: str, now: str) -> None:
        self._call("update_item", Key=to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"}),
                   UpdateExpression="SET opted_out_at = if_not_exists(opted_out_at, :now)",
                   ExpressionAttributeValues=to_item({":now": now}))

    def is_opted_out(self, contact: str) -> bool:
        """Opted out, or undeliverable (a permanent bounce, store/suppressions.py): no more messages either way."""
        item = self._call("get_item", Key=to_item({"pk": f"CONTACT#{contact}", "sk": "CONTACT"}),
                          ConsistentRead=True).get("Item")
        return bool(item and {"opted_out_at", "undeliverable_at"} & set(from_item(item))) or self.is_suppressed(contact)

