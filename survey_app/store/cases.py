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
    record["alerts_delivered"] = set(case.alerts_delivered) or None  # a string set; DynamoDB has no empty set
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
    values["alerts_delivered"] = tuple(sorted(values.get("alerts_delivered", ())))
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

    def record_alert_delivered(self, case: FollowUp, target: str) -> None:
        """One target told: added on its own (never a whole-case write), so no retry tells it twice and no
        colleague's edit is overwritten."""
        self._call("update_item", Key=to_item(case_key(case)), UpdateExpression="ADD alerts_delivered :t",
                   ExpressionAttributeValues=to_item({":t": {target}}))

    def record_alert_run(self, case: FollowUp, failures: list[str], finished_at: str = "") -> None:
        """A run's failures appended (and the failed run counted); with `finished_at`, the case leaves the
        alert queue."""
        expression = "SET alert_failures = list_append(if_not_exists(alert_failures, :none), :failures)"
        values = {":none": [], ":failures": failures}
        if failures:
            expression += ", alert_failed_runs = if_not_exists(alert_failed_runs, :zero) + :one"
            values |= {":zero": 0, ":one": 1}
        if finished_at:
            expression += ", alerted_at = :at REMOVE gsi1pk, gsi1sk"
            values[":at"] = finished_at
        self._call("update_item", Key=to_item(case_key(case)), UpdateExpression=expression,
                   ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues=to_item(values))

    def claim_alert_slot(self, target: str, now_iso: str, free_before_iso: str) -> str | None:
        """The target's grouped-alert slot, iff its last grouped message went before `free_before_iso`; returns
        the previous send time ("" for never) to give back on failure, or None when the slot is taken."""
        key = to_item({"pk": "ALERTSLOT", "sk": target})
        previous = self._call("get_item", Key=key).get("Item", {}).get("sent_at", {}).get("S", "")
        claimed = self._conditional("update_item", Key=key, UpdateExpression="SET sent_at = :now",
                                    ConditionExpression="attribute_not_exists(sent_at) OR sent_at < :free",
                                    ExpressionAttributeValues=to_item({":now": now_iso, ":free": free_before_iso}))
        return previous if claimed else None

    def release_alert_slot(self, target: str, now_iso: str, previous: str) -> None:
        """A grouped message that failed gives its slot back (unless another run has taken it since)."""
        back = {"UpdateExpression": "SET sent_at = :previous", "ExpressionAttributeValues": to_item(
            {":previous": previous, ":now": now_iso})} if previous else {
            "UpdateExpression": "REMOVE sent_at", "ExpressionAttributeValues": to_item({":now": now_iso})}
        self._conditional("update_item", Key=to_item({"pk": "ALERTSLOT", "sk": target}),
                          ConditionExpression="sent_at = :now", **back)

    def save_case(self, before: FollowUp, after: FollowUp) -> bool:
        """The workflow fields (status, assignee, notes, contact and resolve times, open-case queue) and the next
        version, iff the case is still at `before.version`; alert bookkeeping written meanwhile is left as it is
        (it never changes the version, so an alert run never makes a colleague's form stale)."""
        record = case_record(after)
        fields = ("status", "assignee", "notes", "contacted_at", "resolved_at")
        sets = {name: record[name] for name in fields if record[name] not in ("", None)}
        sets |= {k: record[k] for k in ("gsi2pk", "gsi2sk") if k in record}
        removes = [name for name in fields + ("gsi2pk", "gsi2sk") if name not in sets]
        names = {f"#f{i}": name for i, name in enumerate(list(sets) + removes)}
        by_name = {name: alias for alias, name in names.items()}
        expression = "SET #version = :next, " + ", ".join(f"{by_name[name]} = :v{i}" for i, name in enumerate(sets))
        if removes:
            expression += " REMOVE " + ", ".join(by_name[name] for name in removes)
        values = {f":v{i}": value for i, value in enumerate(sets.values())}
        # A case written before versions existed has none: it is at version 0.
        unchanged = ("#version = :version" if before.version
                     else "(attribute_not_exists(#version) OR #version = :version)")
        return self._conditional(
            "update_item", Key=to_item(case_key(after)), UpdateExpression=expression,
            ConditionExpression=f"attribute_exists(pk) AND {unchanged}",
            ExpressionAttributeNames=names | {"#version": "version"},
            ExpressionAttributeValues=to_item(values | {":version": before.version, ":next": before.version + 1}),
        )

    def count_resolution(self, survey_id: str, hours: int) -> None:
        """A histogram of hours-to-resolve, so the median costs one read."""
        self._call("update_item", **add_counters(f"AGG#{survey_id}", "CASESTATS", {f"h#{hours:05d}": 1}))

    def resolution_histogram(self, survey_id: str) -> dict[int, int]:
        item = self._call("get_item", Key=to_item({"pk": f"AGG#{survey_id}", "sk": "CASESTATS"})).get("Item")
        if not item:
            return {}
        return {int(k[2:]): int(v["N"]) for k, v in item.items() if k.startswith("h#")}
