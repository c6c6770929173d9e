"""Paged reads for the read API: a cursor naming the last item given out (so a page may stop anywhere in a DynamoDB
page, when its byte budget is spent) and the cases of a survey a page at a time."""
from __future__ import annotations

import json

from ..domain.models import FollowUp, Response
from .cases import _case
from .jobs import query_page
from .responses import response_day_keys
from .table import GSI2, Table, to_item


def response_cursor(response: Response) -> str:
    """The resume point just after `response` in the date-range query (store/jobs.response_page): its table and
    gsi1 keys, as DynamoDB's LastEvaluatedKey would name it."""
    return json.dumps(to_item({"pk": f"RESP#{response.survey_id}", "sk": response.response_id}
                              | response_day_keys(response)))


class ReadItems(Table):
    def case_page(self, survey_id: str, open_only: bool, cursor: str, limit: int) -> tuple[list[FollowUp], str]:
        """Open cases by due time (gsi2 `OPENCASE#`), or every case of the survey (its partition, by response id)."""
        if open_only:
            items, cursor = query_page(self, cursor, limit, IndexName=GSI2, KeyConditionExpression="gsi2pk = :pk",
                                       ExpressionAttributeValues=to_item({":pk": f"OPENCASE#{survey_id}"}))
        else:
            items, cursor = query_page(self, cursor, limit, KeyConditionExpression="pk = :pk",
                                       ExpressionAttributeValues=to_item({":pk": f"CASES#{survey_id}"}))
        return [_case(item) for item in items], cursor
