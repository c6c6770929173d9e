"""The contact index: for each customer contact (e-mail or E.164 phone), every invitation made for it and every
WhatsApp message received from it, so an erasure finds their data however old. Entries carry no TTL: they live as
long as the data they point to (responses, cases and comments keyed by the invitation's token outlive the
invitation, which TTL deletes; the owner's inbox keeps messages for good)."""
from __future__ import annotations

from ..domain.models import Invitation
from .jobs import query_page
from .table import GSI1, TTL_ATTRIBUTE, Table, to_item


INBOUND = "MSGIN#"  # sk prefix of a received message's entry (an invitation's is <survey_id>#<token>)


def index_pk(contact: str) -> str:
    return f"CONTACTDATA#{contact}"


def contact_index_puts(invitation: Invitation) -> list[dict]:
    """Transaction Puts written with the invitation itself (the item that carries the contact), so no invitation
    is ever stored without its entries; the answer's transaction needs none (its items are keyed by the token)."""
    return _puts(invitation.survey_id, invitation.token, invitation.order_ref, {invitation.email, invitation.phone})


def inbound_index_put(phone: str, message_id: str, received_at: str, expires_epoch: int) -> dict:
    """A transaction Put written with the claim of a customer's WhatsApp message (which keeps its text), so an
    erasure finds the message and its inbox copy even from a number no invitation was sent to. It expires with the
    claim unless the message is kept in the owner's inbox (`keep_inbound_entry`)."""
    return {"Put": {"Item": to_item(_inbound_key(phone, message_id, received_at) | {
        "kind": "inbound", "message_id": message_id, "received_at": received_at, "contacts": [phone],
        TTL_ATTRIBUTE: expires_epoch})}}


def _inbound_key(phone: str, message_id: str, received_at: str) -> dict:
    return {"pk": index_pk(phone), "sk": f"{INBOUND}{received_at}#{message_id}"}


def _puts(survey_id: str, token: str, order_ref: str, contacts: set[str]) -> list[dict]:
    contacts = sorted(contacts - {""})
    return [{"Put": {"Item": to_item({"pk": index_pk(contact), "sk": f"{survey_id}#{token}", "survey_id": survey_id,
                                      "token": token, "order_ref": order_ref, "contacts": contacts})}}
            for contact in contacts]


class ContactIndexItems(Table):
    def holdings(self, contact: str, limit: int) -> list[dict]:
        """The first `limit` entries of a contact ({sk, survey_id, token, order_ref, contacts}: `contacts` are every
        contact of the invitation, whose entries go together; or {sk, kind: inbound, message_id, received_at}); an
        erasure deletes each entry once its items are erased, so the next call reads the next ones (no cursor)."""
        items, _ = query_page(self, "", limit, KeyConditionExpression="pk = :pk", ConsistentRead=True,
                              ExpressionAttributeValues=to_item({":pk": index_pk(contact)}))
        return items

    def inbound_holdings(self, contact: str, limit: int) -> list[dict]:
        """The first `limit` received-message entries of a phone (as `holdings` gives them)."""
        items, _ = query_page(self, "", limit, KeyConditionExpression="pk = :pk AND begins_with(sk, :inbound)",
                              ConsistentRead=True,
                              ExpressionAttributeValues=to_item({":pk": index_pk(contact), ":inbound": INBOUND}))
        return items

    def index_stored_invitations(self, survey_id: str) -> int:
        """Entries for a survey's invitations stored before the index existed (`survey-app index-contacts`, once
        after upgrading; writing an entry again changes nothing)."""
        count = 0
        for item in self._query(IndexName=GSI1, KeyConditionExpression="gsi1pk = :pk",
                                ExpressionAttributeValues=to_item({":pk": f"SURVEY#{survey_id}#INV"})):
            for put in _puts(survey_id, item["token"], item.get("order_ref", ""),
                             {item.get("email", ""), item.get("phone", "")}):
                self._call("put_item", **put["Put"])
                count += 1
        return count

    def keep_inbound_entry(self, phone: str, message_id: str, received_at: str) -> None:
        """The message stays in the owner's inbox for good, so its entry does too (a claim from before the entries
        existed has none to keep)."""
        self._conditional("update_item", Key=to_item(_inbound_key(phone, message_id, received_at)),
                          UpdateExpression=f"REMOVE {TTL_ATTRIBUTE}", ConditionExpression="attribute_exists(pk)")

    def index_inbox(self) -> int:
        """Entries for inbox messages kept before the entries existed (`survey-app backfill-indexes`)."""
        from .messages import INBOX  # messages writes entries with its claims: it imports this module

        count = 0
        for item in self._partition(INBOX):
            key = _inbound_key(item["phone"], item["message_id"], item["received_at"])
            self._call("put_item", Item=to_item(key | {"kind": "inbound", "message_id": item["message_id"],
                                                       "received_at": item["received_at"], "contacts": [item["phone"]]}))
            count += 1
        return count

    def drop_holding(self, contact: str, entry: dict) -> None:
        """`entry` as `holdings` read it (under any of its contacts: they share the sk)."""
        self._call("delete_item", Key=to_item({"pk": index_pk(contact), "sk": entry["sk"]}))
