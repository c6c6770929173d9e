"""Deleting a survey's every item: one resumable Scan of the table for items that name the survey in a key or in
`survey_id`, because some outlive anything that would lead to them (an order reference or a contact-index entry
after TTL took the invitation, an open link's rate windows keyed by the visitor's address). A deletion is rare;
the Scan reads the table once (on-demand: 0.5 read units per 4 KB, about $0.03 per GB at $0.25 per million)."""
from __future__ import annotations

import json
import random
import re
import time

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import StoreUnavailable
from .table import TRANSACTION_ATTEMPTS, Table, from_item, to_item

# Where a survey id can stand: between '#' (RESP#<id>, THREAD#<id>#<response>, RATE#open#<id>#<ip>, SURVEY#<id>#INV),
# before '/' (a contact's open_case, "<id>/<response>"), or the whole value (survey_id).
_NAMING = ("pk", "sk", "gsi1pk", "gsi2pk", "survey_id", "open_case")
_SEPARATORS = re.compile(r"[#/]")


def names_survey(item: dict, survey_id: str) -> bool:
    """Exactly this survey, not one whose id merely contains it."""
    return any(survey_id in _SEPARATORS.split(str(item.get(name, ""))) for name in _NAMING)


class SurveyDeletionItems(Table):
    def delete_survey_definition(self, survey_id: str) -> None:
        """First of all: with the definition gone, its links answer "closed" and nothing new is written for it."""
        self._call("delete_item", Key=to_item({"pk": "SURVEYS", "sk": f"SURVEY#{survey_id}"}))
        getattr(self, "_surveys_read", {}).pop(survey_id, None)

    def items_naming_survey(self, survey_id: str, cursor: str, limit: int) -> tuple[list[dict], str]:
        """One Scan page (`limit` items read) filtered to the items naming the survey, and the cursor after it
        ("" when the table is done). Only the attributes deciding what to do are returned."""
        names = {f"#{name}": name for name in _NAMING + ("phone",)}
        kwargs = {"Limit": limit, "ProjectionExpression": ", ".join(names),
                  "FilterExpression": " OR ".join(f"contains(#{name}, :id)" for name in _NAMING),
                  "ExpressionAttributeNames": names, "ExpressionAttributeValues": to_item({":id": survey_id})}
        if cursor:
            kwargs["ExclusiveStartKey"] = json.loads(cursor)
        page = self._call("scan", **kwargs)
        items = [item for item in map(from_item, page.get("Items", [])) if names_survey(item, survey_id)]
        return items, json.dumps(page["LastEvaluatedKey"]) if "LastEvaluatedKey" in page else ""

    def delete_keys(self, keys: list[tuple[str, str]]) -> None:
        """BatchWriteItem deletes, 25 at a time, unprocessed ones retried; deleting a missing item is no error."""
        for start in range(0, len(keys), 25):
            pending = {self.table_name: [{"DeleteRequest": {"Key": to_item({"pk": pk, "sk": sk})}}
                                         for pk, sk in keys[start:start + 25]]}
            for attempt in range(TRANSACTION_ATTEMPTS):
                try:
                    pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                except (ClientError, BotoCoreError) as error:
                    raise StoreUnavailable(f"DynamoDB batch_write_item failed: {error}") from error
                if not pending:
                    break
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
            else:
                raise StoreUnavailable("batch delete left unprocessed items after retries")

    def partition_keys(self, pk: str) -> list[tuple[str, str]]:
        """Every key of a small partition (an invitation's INV and CHAT items)."""
        return [(item["pk"], item["sk"]) for item in self._partition(pk, ProjectionExpression="pk, sk")]

    def forget_chat_pointer(self, phone: str, token: str) -> None:
        """A phone's chat pointer goes only while it still points at this invitation."""
        self._conditional("delete_item", Key=to_item({"pk": f"CHAT#{phone}", "sk": "CHAT"}),
                          ConditionExpression="#token = :token", ExpressionAttributeNames={"#token": "token"},
                          ExpressionAttributeValues=to_item({":token": token}))

    def forget_open_case(self, contact_pk: str, open_case: str) -> None:
        """The contact stays (an opt-out is kept for ever); only its pointer to this survey's case goes."""
        self._conditional("update_item", Key=to_item({"pk": contact_pk, "sk": "CONTACT"}),
                          UpdateExpression="REMOVE open_case", ConditionExpression="open_case = :case",
                          ExpressionAttributeValues=to_item({":case": open_case}))
