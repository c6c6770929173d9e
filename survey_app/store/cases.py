"""Close-the-loop cases: one per unhappy response, created in the response's own transaction.

Open cases wait on gsi2 (`OPENCASE#<survey>`, by due time: the overdue come first); cases whose owner
alert has not gone out yet wait on gsi1 (`ALERT`), which the alert job drains every minute.
"""
from __future__ import annotations

from dataclasses import asdict

from ..domain.models import RESOLVED, FollowUp
from ..errors import NotFound
from .table import GSI1, GSI2, Table, add_counters, to_item


def case_key(case: FollowUp) -> dict:
    return {"pk": f"CASES#{case.survey_id}", "sk": case.response_id}


def case_record(case: FollowUp) -> dict:
    record = asdict(case) | case_key(case)
    record["notes"] = list(case.notes)
    record["alert_failures"] = list(case.alert_failures)
    if case.status != RESOLVED:
        record |= {"gsi2pk": f"OPENCASE#{case.survey_id}", "gsi2sk": f"{case.due_at}#{case.response_id}"}
    if not case.alerted_at:
        record |= {"gsi1pk": "ALERT", "gsi1sk": f"{case.created_at}#{case.response_id}"}
    return record


def _case(item: dict) -> FollowUp:
    fields = FollowUp.__dataclass_fields__
    values = {k: v for k, v in item.items() if k in fields}
    values["notes"] = tuple(values.get("notes", ()))
    values["alert_failures"] = tuple(values.get("alert_failures", ()))
    return FollowUp(**values)


class CaseItems(Table):
    def get_case(self, survey_id: str, response_id: str) -> FollowUp:
        return _case(self._get(f"CASES#{survey_id}", response_id))

    def case_or_none(self, survey_id: str, response_id: str) -> FollowUp | None:
        try:
            return self.get_case(survey_id, response_id)
        except NotFound:
            return None

    def open_cases(self, survey_id: str, limit: int = 200) -> list[FollowUp]:
        items = self._query(IndexName=GSI2, KeyConditionExpression="gsi2pk = :pk",
                            ExpressionAttributeValues=to_item({":pk": f"OPENCASE#{survey_id}"}))
        return [_case(item) for _, item in zip(range(limit), items)]

    def pending_alerts(self, limit: int = 50) -> list[FollowUp]:
        items = self._query(IndexName=GSI1, KeyConditionExpression="gsi1pk = :pk",
                            ExpressionAttributeValues=to_item({":pk": "ALERT"}))
        return [_case(item) for _, item in zip(range(limit), items)]

    def save_case(self, before: FollowUp, after: FollowUp) -> bool:
        """Replace a case iff nobody changed it since `before` was read (optimistic: status and notes match)."""
        return self._conditional(
            "put_item", Item=to_item(case_record(after)),
            ConditionExpression="#status = :status AND size(notes) = :notes",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":status": before.status, ":notes": len(before.notes)}),
        )

    def count_resolution(self, survey_id: str, hours: int) -> None:
        """A histogram of hours-to-resolve, so the median costs one read."""
        self._call("update_item", **add_counters(f"AGG#{survey_id}", "CASESTATS", {f"h#{hours:05d}": 1}))

    def resolution_histogram(self, survey_id: str) -> dict[int, int]:
        item = self._call("get_item", Key=to_item({"pk": f"AGG#{survey_id}", "sk": "CASESTATS"})).get("Item")
        if not item:
            return {}
        return {int(k[2:]): int(v["N"]) for k, v in item.items() if k.startswith("h#")}
