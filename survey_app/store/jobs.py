"""Owner jobs: one item each, claimed under a lease so two deliveries of one queue message never run it at once,
and every write after the claim conditional on that lease (a run that lost its lease changes nothing)."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Mapping

from boto3.dynamodb.types import TypeSerializer

from ..domain.jobs import QUEUED, RUNNING, Job
from ..domain.models import Response
from .table import GSI1, Table, from_item, to_item, update_if

_serializer = TypeSerializer()


def job_key(job_id: str) -> dict:
    return to_item({"pk": f"JOB#{job_id}", "sk": "JOB"})


def _job(item: Mapping[str, object]) -> Job:
    return Job(**{k: v for k, v in item.items() if k in Job.__dataclass_fields__})


def _update(sets: Mapping[str, object], removes: tuple[str, ...] = (), adds: Mapping[str, int] | None = None) -> dict:
    """SET/REMOVE/ADD with a placeholder for every name and value (job attributes such as `state`, `cursor` and
    `result` are DynamoDB reserved words). An empty string is REMOVEd, as `to_item` leaves it out: an absent
    attribute reads back as the dataclass default."""
    removes = tuple(removes) + tuple(k for k, v in sets.items() if v == "")
    sets = {k: v for k, v in sets.items() if v != ""}
    names = {f"#{k}": k for k in [*sets, *removes, *(adds or {})]}
    values = {f":{k}": _serializer.serialize(v) for k, v in sets.items()}
    values |= {f":{k}": _serializer.serialize(v) for k, v in (adds or {}).items()}
    expression = "SET " + ", ".join(f"#{k} = :{k}" for k in sets)
    if removes:
        expression += " REMOVE " + ", ".join(f"#{k}" for k in removes)
    if adds:
        expression += " ADD " + ", ".join(f"#{k} :{k}" for k in adds)
    return {"UpdateExpression": expression, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def query_page(table: Table, cursor: str, limit: int, **query) -> tuple[list[dict], str]:
    """One page of a Query and the cursor after it ("" when the query is done; "" also starts one): a job
    resumes from it in its next run."""
    if cursor:
        query["ExclusiveStartKey"] = json.loads(cursor)
    page = table._call("query", Limit=limit, **query)
    items = [from_item(item) for item in page.get("Items", [])]
    return items, json.dumps(page["LastEvaluatedKey"]) if "LastEvaluatedKey" in page else ""


class JobItems(Table):
    def put_job(self, job: Job, scope: str, expires_epoch: int) -> None:
        """A new job, listed under `scope` (its survey) newest first; TTL removes it after a few days."""
        record = asdict(job) | {"pk": f"JOB#{job.id}", "sk": "JOB", "gsi1pk": f"JOBS#{scope}",
                                "gsi1sk": f"{job.created_at}#{job.id}", "expires_epoch": expires_epoch}
        self._call("put_item", Item=to_item(record), ConditionExpression="attribute_not_exists(pk)")

    def get_job(self, job_id: str) -> Job:
        """:raises NotFound:"""
        return _job(self._get(f"JOB#{job_id}", "JOB"))

    def recent_jobs(self, scope: str, limit: int = 20) -> list[Job]:
        items = self._query(IndexName=GSI1, KeyConditionExpression="gsi1pk = :pk",
                            ExpressionAttributeValues=to_item({":pk": f"JOBS#{scope}"}), ScanIndexForward=False,
                            Limit=limit)
        return [_job(item) for _, item in zip(range(limit), items)]

    def claim_job(self, job_id: str, lease: str, now: str, until: str) -> Job | None:
        """The job, now running under `lease` until `until`; None when it has ended or another run holds an
        unexpired lease (a duplicate delivery of its message)."""
        update = _update({"state": RUNNING, "lease": lease, "lease_until": until, "updated_at": now},
                         adds={"runs": 1})
        update["ExpressionAttributeNames"] |= {"#pk": "pk"}
        update["ExpressionAttributeValues"] |= {":queued": _serializer.serialize(QUEUED),
                                                ":running": _serializer.serialize(RUNNING),
                                                ":now": _serializer.serialize(now)}
        condition = ("attribute_exists(#pk) AND #state IN (:queued, :running) "
                     "AND (attribute_not_exists(#lease_until) OR #lease_until < :now)")
        item = self._conditional_update(job_id, update, condition)
        return _job(item) if item is not None else None

    def save_job_progress(self, job_id: str, lease: str, now: str, progress: dict, cursor: str,
                          release: bool = False) -> bool:
        """Progress and the resume cursor, written together; `release` gives the lease up for the next run."""
        update = _update({"progress": progress, "cursor": cursor, "updated_at": now},
                         removes=("lease", "lease_until") if release else ())
        return self._held(job_id, lease, update)

    def end_job(self, job_id: str, lease: str, now: str, state: str, result: dict, error: str = "",
                forget_params: bool = False) -> bool:
        """Done or failed, once; `forget_params` drops parameters that hold personal data (an erasure's contact)."""
        removes = ("lease", "lease_until") + (("params",) if forget_params else ())
        update = _update({"state": state, "result": result, "error": error, "updated_at": now}, removes=removes)
        return self._held(job_id, lease, update)

    def fail_queued_job(self, job_id: str, now: str, error: str) -> bool:
        """A job that never reached the queue: failed with its reason, never left looking queued."""
        update = _update({"state": "failed", "error": error, "updated_at": now}, removes=("params",))
        update["ExpressionAttributeValues"][":queued"] = _serializer.serialize(QUEUED)
        return self._conditional_update(job_id, update, "#state = :queued") is not None

    def _held(self, job_id: str, lease: str, update: dict) -> bool:
        update["ExpressionAttributeNames"] |= {"#lease": "lease", "#state": "state"}
        update["ExpressionAttributeValues"] |= {":held": _serializer.serialize(lease),
                                                ":running": _serializer.serialize(RUNNING)}
        return self._conditional_update(job_id, update, "#lease = :held AND #state = :running") is not None

    def _conditional_update(self, job_id: str, update: dict, condition: str) -> dict | None:
        """The job's item as it now is, or None when the condition did not hold."""
        return update_if(self, update | {"Key": job_key(job_id), "ConditionExpression": condition})

    def response_page(self, survey_id: str, first_day: str, last_day: str, cursor: str,
                      limit: int) -> tuple[list[Response], str]:
        """Responses of a date range (owner's days), oldest first, a page at a time (exports, the read API): a
        key range on gsi1 (store/responses.response_day_keys), so only the range is read."""
        items, cursor = query_page(
            self, cursor, limit, IndexName=GSI1, KeyConditionExpression="gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues=to_item({":pk": f"RESPDAY#{survey_id}", ":lo": f"{first_day}#",
                                               ":hi": f"{last_day}#\uffff"}))
        fields = Response.__dataclass_fields__
        return [Response(**{k: v for k, v in item.items() if k in fields}) for item in items], cursor
