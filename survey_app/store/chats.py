"""Chat surveys: which invitation a phone's replies answer, and where each invitation's chat stands.

Every change is conditional on the step it leaves, so a provider's retried or reordered deliveries of the same
reply change nothing twice.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Mapping

from ..domain.chat_survey import ChatState
from ..domain.models import FollowUp, Response
from ..errors import AlreadyAnswered
from .cases import case_record
from .responses import _comment_record, response_tally
from .table import TTL_ATTRIBUTE, Table, from_item, to_item


def _state_key(token: str) -> dict:
    return to_item({"pk": f"INV#{token}", "sk": "CHAT"})


def _state(token: str, item: dict) -> ChatState:
    return ChatState(token, **{k: v for k, v in item.items() if k in ChatState.__dataclass_fields__ and k != "token"})


def _move(before: ChatState, after: ChatState) -> dict:
    """An Update moving a chat from exactly `before`'s step and re-ask count to `after` (empty fields removed)."""
    values = {k: v for k, v in asdict(after).items() if k != "token"}
    sets = {k: v for k, v in values.items() if v != ""}
    removes = [k for k, v in values.items() if v == ""]
    return {
        "Key": _state_key(before.token),
        "UpdateExpression": "SET " + ", ".join(f"#{k} = :{k}" for k in sets)
                            + (" REMOVE " + ", ".join(f"#{k}" for k in removes) if removes else ""),
        "ConditionExpression": "#step = :was_step AND #misses = :was_misses",
        "ExpressionAttributeNames": {f"#{k}": k for k in values},
        "ExpressionAttributeValues": to_item({f":{k}": v for k, v in sets.items()}
                                             | {":was_step": before.step, ":was_misses": before.misses}),
    }


class ChatItems(Table):
    def point_chat(self, phone: str, token: str, template: str, sent_at: str, expires_epoch: int) -> None:
        """Replies from this phone now answer this invitation (the last one sent to it by WhatsApp)."""
        self._call("put_item", Item=to_item({"pk": f"CHAT#{phone}", "sk": "CHAT", "token": token,
                                             "template": template, "sent_at": sent_at,
                                             TTL_ATTRIBUTE: expires_epoch}))

    def chat_pointer(self, phone: str) -> dict | None:
        """{token, template, sent_at} of the last chat invitation sent to this phone, or None."""
        item = self._call("get_item", Key=to_item({"pk": f"CHAT#{phone}", "sk": "CHAT"}),
                          ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def chat_state(self, token: str) -> ChatState | None:
        item = self._call("get_item", Key=_state_key(token), ConsistentRead=True).get("Item")
        return _state(token, from_item(item)) if item else None

    def start_chat(self, state: ChatState, expires_epoch: int) -> bool:
        """The chat's first state; False when it was started already (a retried or second reply)."""
        item = {k: v for k, v in asdict(state).items() if k != "token"} | {TTL_ATTRIBUTE: expires_epoch}
        return self._conditional("put_item", Item=_state_key(state.token) | to_item(item),
                                 ConditionExpression="attribute_not_exists(pk)")

    def move_chat(self, before: ChatState, after: ChatState) -> bool:
        """False when another delivery moved it first."""
        return self._conditional("update_item", **_move(before, after))

    def add_chat_answer(self, before: ChatState, after: ChatState, response: Response, question_id: str,
                        value: object, counters: Mapping[str, int], texts: Mapping[str, str], score: int | None,
                        labels: Mapping[str, object], case: FollowUp | None, case_exists: bool, at: str) -> bool:
        """One chat answer added to its response and the chat moved on, in one transaction; False when another
        delivery of a reply moved the chat first (nothing is written then)."""
        items = [{"Update": _move(before, after)}, {"Update": {
            "Key": to_item({"pk": f"RESP#{response.survey_id}", "sk": response.response_id}),
            "UpdateExpression": "SET answers.#q = :v, amended_at = :at",
            "ConditionExpression": "submission_id = :sub AND attribute_not_exists(answers.#q)",
            "ExpressionAttributeNames": {"#q": question_id},
            "ExpressionAttributeValues": to_item({":v": value, ":at": at, ":sub": response.submission_id}),
        }}]
        if texts:
            items.append({"Put": {"Item": to_item(_comment_record(response, texts, score, labels))}})
        if case is not None:
            condition = "attribute_exists(pk)" if case_exists else "attribute_not_exists(pk)"
            items.append({"Put": {"Item": to_item(case_record(case)), "ConditionExpression": condition}})
        if counters:
            items.append(response_tally(response, counters, f"chat-{response.response_id}-{question_id}", at=at))
        try:
            self._transact(items)
        except AlreadyAnswered:
            return False
        return True
