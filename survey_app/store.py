"""The only module that talks to DynamoDB: one table, generic pk/sk keys, items mapped to dataclasses.

Access patterns are written down in docs/data-model.md; keep the two in step.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import asdict
from collections import Counter, defaultdict
from typing import Iterable, Iterator, Mapping

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .domain.models import Comment, Invitation, Option, Owner, Question, Response, Survey, Text
from .errors import AlreadyAnswered, NotFound, StoreUnavailable

GSI1 = "gsi1"
TTL_ATTRIBUTE = "expires_epoch"
KEY_SCHEMA = {
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": GSI1,
            "KeySchema": [
                {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
}
TRANSACTION_ATTEMPTS = 5
SEGMENT_VALUE_MAX = 100

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_item(values: Mapping[str, object]) -> dict:
    """Top-level None and "" are left out, so attribute_exists() means "has a value"."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None and v != ""}


def _from_item(item: Mapping[str, dict]) -> dict:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value):
    """Decimals back to int/float, recursively, so dataclasses hold plain Python values."""
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value


def survey_to_json(survey: Survey) -> str:
    return json.dumps(asdict(survey), ensure_ascii=False)


def survey_from_json(raw: str) -> Survey:
    data = json.loads(raw)
    questions = tuple(
        Question(
            id=q["id"], type=q["type"], label=Text(**q["label"]), required=q["required"],
            options=tuple(Option(o["value"], Text(**o["label"])) for o in q["options"]),
        )
        for q in data.pop("questions")
    )
    return Survey(title=Text(**data.pop("title")), intro=Text(**data.pop("intro")), questions=questions, **data)


def segment_sk(prop: str, day: str, value: str) -> str:
    return f"SEG#{prop}#{day}#{value[:SEGMENT_VALUE_MAX]}"


class Store:
    """Handed its table name; builds the boto3 client on first use so import and cold start stay cheap."""

    def __init__(self, table_name: str, region: str, endpoint_url: str | None = None):
        self.table_name = table_name
        self.region = region
        self.endpoint_url = endpoint_url
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = boto3.client(
                "dynamodb",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=5),
            )
        return self._client

    def _call(self, operation: str, **kwargs):
        try:
            return getattr(self.client, operation)(TableName=self.table_name, **kwargs)
        except (ClientError, BotoCoreError) as error:
            raise StoreUnavailable(f"DynamoDB {operation} failed: {error}") from error

    def _get(self, pk: str, sk: str) -> dict:
        item = self._call("get_item", Key=_to_item({"pk": pk, "sk": sk}), ConsistentRead=True).get("Item")
        if not item:
            raise NotFound(f"{pk}/{sk}")
        return _from_item(item)

    def _query(self, **kwargs) -> Iterator[dict]:
        """Every page of a Query; callers stop early by breaking out."""
        while True:
            page = self._call("query", **kwargs)
            for item in page.get("Items", []):
                yield _from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _between(self, pk: str, low: str, high: str, **kwargs) -> Iterator[dict]:
        return self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues=_to_item({":pk": pk, ":low": low, ":high": high}),
            **kwargs,
        )

    # -- table -----------------------------------------------------------
    def create_table(self) -> bool:
        """Create the table, its index and TTL; returns False when it already exists."""
        try:
            self.client.create_table(TableName=self.table_name, BillingMode="PAY_PER_REQUEST", **KEY_SCHEMA)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceInUseException":
                return False
            raise StoreUnavailable(f"cannot create table {self.table_name}: {error}") from error
        self.client.get_waiter("table_exists").wait(TableName=self.table_name, WaiterConfig={"Delay": 1})
        self.client.update_time_to_live(
            TableName=self.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
        return True

    # -- surveys ---------------------------------------------------------
    def put_survey(self, survey: Survey) -> None:
        item = {"pk": "SURVEYS", "sk": f"SURVEY#{survey.id}", "definition": survey_to_json(survey)}
        self._call("put_item", Item=_to_item(item))

    def get_survey(self, survey_id: str) -> Survey:
        return survey_from_json(self._get("SURVEYS", f"SURVEY#{survey_id}")["definition"])

    def list_surveys(self) -> list[Survey]:
        items = self._query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues=_to_item({":pk": "SURVEYS"})
        )
        return sorted((survey_from_json(i["definition"]) for i in items), key=lambda s: s.created_at, reverse=True)

    # -- invitations -----------------------------------------------------
    def put_invitation(self, invitation: Invitation, expires_epoch: int) -> None:
        item = asdict(invitation) | {
            "pk": f"INV#{invitation.token}",
            "sk": "INV",
            "gsi1pk": f"SURVEY#{invitation.survey_id}#INV",
            "gsi1sk": invitation.created_at,
            TTL_ATTRIBUTE: expires_epoch,
        }
        self._call("put_item", Item=_to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def get_invitation(self, token: str) -> Invitation:
        item = self._get(f"INV#{token}", "INV")
        fields = Invitation.__dataclass_fields__
        return Invitation(**{k: v for k, v in item.items() if k in fields})

    def submission_of(self, token: str) -> str:
        return self._get(f"INV#{token}", "INV").get("submission_id", "")

    # -- responses -------------------------------------------------------
    def record_response(
        self, response: Response, counters: Mapping[str, int], texts: Mapping[str, str], score: int | None
    ) -> None:
        """Response, comment and every aggregate counter in one transaction, at most once per invitation.

        :raises AlreadyAnswered: the invitation (or this open-link submission) was answered before.
        """
        items = []
        if response.invitation_token:
            items.append({"Update": {
                "Key": _to_item({"pk": f"INV#{response.invitation_token}", "sk": "INV"}),
                "UpdateExpression": "SET answered_at = :at, submission_id = :sub",
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(answered_at)",
                "ExpressionAttributeValues": _to_item({":at": response.submitted_at, ":sub": response.submission_id}),
            }})
        items.append({"Put": {"Item": _to_item(_response_record(response)),
                              "ConditionExpression": "attribute_not_exists(pk)"}})
        if texts:
            items.append({"Put": {"Item": _to_item(_comment_record(response, texts, score))}})
        for sk in _aggregate_keys(response):
            items.append({"Update": _add_counters(f"AGG#{response.survey_id}", sk, counters)})
        for entry in items:
            next(iter(entry.values()))["TableName"] = self.table_name
        self._transact(items, token=response.submission_id)

    def load_history(self, entries: Iterable[tuple[Response, Mapping[str, int], Mapping[str, str], int | None]]) -> int:
        """Bulk-load past responses (demo seed, imports of earlier survey results): batch writes, and one
        counter update per aggregate item instead of one transaction per response. Not for live answers."""
        totals: dict[tuple[str, str], Counter] = defaultdict(Counter)
        writes = []
        for response, counters, texts, score in entries:
            writes.append(_response_record(response))
            if texts:
                writes.append(_comment_record(response, texts, score))
            for sk in _aggregate_keys(response):
                totals[(f"AGG#{response.survey_id}", sk)].update(counters)
        self._batch_put(writes)
        for (pk, sk), counters in totals.items():
            self._call("update_item", **_add_counters(pk, sk, dict(counters)))
        return sum(1 for w in writes if w["pk"].startswith("RESP#"))

    def _batch_put(self, records: list[dict]) -> None:
        for start in range(0, len(records), 25):
            pending = {self.table_name: [{"PutRequest": {"Item": _to_item(r)}} for r in records[start:start + 25]]}
            for attempt in range(TRANSACTION_ATTEMPTS):
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
            else:
                raise StoreUnavailable("batch write left unprocessed items after retries")

    def _transact(self, items: list[dict], token: str) -> None:
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=items, ClientRequestToken=token)
                return
            except ClientError as error:
                code = error.response["Error"]["Code"]
                reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons or code == "IdempotentParameterMismatchException":
                    raise AlreadyAnswered() from error
                retryable = code in {"TransactionInProgressException", "ThrottlingException"} or (
                    code == "TransactionCanceledException"
                    and set(reasons) <= {"None", "TransactionConflict", "ThrottlingError", None}
                )
                if not retryable or attempt == TRANSACTION_ATTEMPTS - 1:
                    raise StoreUnavailable(f"response not stored: {code} {reasons}") from error
            except BotoCoreError as error:
                raise StoreUnavailable(f"response not stored: {error}") from error
            time.sleep(random.uniform(0, 0.05 * 2**attempt))

    def response_exists(self, survey_id: str, response_id: str) -> bool:
        try:
            self._get(f"RESP#{survey_id}", response_id)
        except NotFound:
            return False
        return True

    def iter_responses(self, survey_id: str) -> Iterator[Response]:
        """Raw responses for offline work (reconcile, export); never on a dashboard path."""
        fields = Response.__dataclass_fields__
        items = self._query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues=_to_item({":pk": f"RESP#{survey_id}"})
        )
        for item in items:
            yield Response(**{k: v for k, v in item.items() if k in fields})

    # -- aggregates and comments -----------------------------------------
    def daily_counters(self, survey_id: str, first_day: str, last_day: str) -> dict[str, dict[str, int]]:
        items = self._between(f"AGG#{survey_id}", f"DAY#{first_day}", f"DAY#{last_day}")
        return {i["sk"][4:]: _counters_of(i) for i in items}

    def segment_counters(
        self, survey_id: str, prop: str, first_day: str, last_day: str
    ) -> Iterator[tuple[str, str, dict[str, int]]]:
        """(day, value, counters) for one customer property, read by key range over days."""
        prefix = f"SEG#{prop}#"
        items = self._between(f"AGG#{survey_id}", f"{prefix}{first_day}", f"{prefix}{last_day}#\uffff")
        for item in items:
            day, value = item["sk"][len(prefix):].split("#", 1)
            yield day, value, _counters_of(item)

    def latest_comments(self, survey_id: str, limit: int) -> list[Comment]:
        items = self._query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues=_to_item({":pk": f"CMT#{survey_id}"}),
            ScanIndexForward=False, Limit=limit,
        )
        comments = []
        for item in items:
            for question_id, text in sorted(item["texts"].items()):
                comments.append(Comment(
                    survey_id=survey_id, response_id=item["response_id"], submitted_at=item["submitted_at"],
                    question_id=question_id, text=text, score=item.get("score"),
                    customer_name=item.get("customer_name", ""), properties=item.get("properties", {}),
                ))
            if len(comments) >= limit:
                break
        return comments[:limit]

    # -- owners ----------------------------------------------------------
    def put_owner(self, owner: Owner) -> None:
        self._call("put_item", Item=_to_item({"pk": f"OWNER#{owner.email}", "sk": "OWNER"} | asdict(owner)))

    def get_owner(self, email: str) -> Owner:
        item = self._get(f"OWNER#{email}", "OWNER")
        return Owner(email=item["email"], password_hash=item["password_hash"], role=item.get("role", "admin"))


def _response_record(response: Response) -> dict:
    return asdict(response) | {"pk": f"RESP#{response.survey_id}", "sk": response.response_id}


def _comment_record(response: Response, texts: Mapping[str, str], score: int | None) -> dict:
    return {
        "pk": f"CMT#{response.survey_id}", "sk": f"{response.submitted_at}#{response.response_id}",
        "response_id": response.response_id, "submitted_at": response.submitted_at, "texts": dict(texts),
        "score": score, "customer_name": response.customer_name, "properties": response.properties,
    }


def _aggregate_keys(response: Response) -> list[str]:
    """The day item plus one item per (customer property, day, value): the segments a dashboard can filter."""
    return [f"DAY#{response.day}"] + [
        segment_sk(prop, response.day, value) for prop, value in sorted(response.properties.items()) if value
    ]


def _counters_of(item: Mapping[str, object]) -> dict[str, int]:
    return {k: int(v) for k, v in item.items() if k not in ("pk", "sk") and isinstance(v, (int, float))}


def _add_counters(pk: str, sk: str, counters: Mapping[str, int]) -> dict:
    names = {f"#c{i}": name for i, name in enumerate(counters)}
    values = {f":c{i}": value for i, value in enumerate(counters.values())}
    return {
        "Key": _to_item({"pk": pk, "sk": sk}),
        "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters))),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": _to_item(values),
    }
