"""The table itself: schema, lazily built client, item (de)serialisation, paginated queries, retried writes."""
from __future__ import annotations

import random
import time
from typing import Iterator, Mapping

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import AlreadyAnswered, NotFound, StoreUnavailable

GSI1 = "gsi1"  # listings: invitations of a survey by creation time
GSI2 = "gsi2"  # work queues: due sends and reminders, the owner's WhatsApp send list, failures
TTL_ATTRIBUTE = "expires_epoch"
KEY_SCHEMA = {
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"}
        for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": index,
            "KeySchema": [
                {"AttributeName": f"{index}pk", "KeyType": "HASH"},
                {"AttributeName": f"{index}sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for index in (GSI1, GSI2)
    ],
}
TRANSACTION_ATTEMPTS = 5
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}  # the tally consumer reads new tally items

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, object]) -> dict:
    """Top-level None and "" are left out, so attribute_exists() means "has a value"."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None and v != ""}


def from_item(item: Mapping[str, dict]) -> dict:
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


def add_counters(pk: str, sk: str, counters: Mapping[str, int]) -> dict:
    """An Update that ADDs every counter: aggregate items are only ever incremented."""
    return {
        "Key": to_item({"pk": pk, "sk": sk}),
        "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters))),
        "ExpressionAttributeNames": {f"#c{i}": name for i, name in enumerate(counters)},
        "ExpressionAttributeValues": to_item({f":c{i}": value for i, value in enumerate(counters.values())}),
    }


def cancellation_reasons(error: ClientError) -> list[str]:
    return [r.get("Code") for r in error.response.get("CancellationReasons", [])]


class Table:
    """Handed its table name; builds the boto3 client on first use so import and cold start stay cheap."""

    def __init__(self, table_name: str, region: str, endpoint_url: str | None = None, fold_inline: bool = True):
        """`fold_inline`: fold each write's tallies right after it (store/tallies.py); False where the table's stream
        consumer folds them (production, and the tests that read DynamoDB Local's stream)."""
        self.table_name = table_name
        self.region = region
        self.endpoint_url = endpoint_url
        self.fold_inline = fold_inline
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
            return self._attempt(operation, kwargs)
        except (ClientError, BotoCoreError) as error:
            raise StoreUnavailable(f"DynamoDB {operation} failed: {error}") from error

    def _conditional(self, operation: str, **kwargs) -> bool:
        """A conditional write; False when its condition did not hold (someone else got there first)."""
        return self._if_condition(operation, kwargs) is not None

    def _if_condition(self, operation: str, kwargs: dict) -> dict | None:
        """A conditional write's reply, or None when its condition did not hold."""
        try:
            return self._attempt(operation, kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise StoreUnavailable(f"DynamoDB {operation} failed: {error}") from error
        except BotoCoreError as error:
            raise StoreUnavailable(f"DynamoDB {operation} failed: {error}") from error

    def _attempt(self, operation: str, kwargs: dict):
        """One call, retried when a transaction holds the item (TransactionConflictException, which botocore's
        standard mode does not retry): the write was refused, not applied, so even an ADD is safe to repeat."""
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                return getattr(self.client, operation)(TableName=self.table_name, **kwargs)
            except ClientError as error:
                if (error.response["Error"]["Code"] != "TransactionConflictException"
                        or attempt == TRANSACTION_ATTEMPTS - 1):
                    raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))

    def _get(self, pk: str, sk: str) -> dict:
        if len(pk.encode()) > 2048 or len(sk.encode()) > 1024:  # DynamoDB's key limits: no such item can exist
            raise NotFound(f"{pk[:40]}.../{sk[:40]}")
        item = self._call("get_item", Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=True).get("Item")
        if not item:
            raise NotFound(f"{pk}/{sk}")
        return from_item(item)

    def _query(self, **kwargs) -> Iterator[dict]:
        """Every page of a Query; callers stop early by breaking out."""
        while True:
            page = self._call("query", **kwargs)
            for item in page.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _partition(self, pk: str, **kwargs) -> Iterator[dict]:
        return self._query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues=to_item({":pk": pk}),
                           **kwargs)

    def _between(self, pk: str, low: str, high: str, **kwargs) -> Iterator[dict]:
        return self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues=to_item({":pk": pk, ":low": low, ":high": high}),
            **kwargs,
        )

    def _index_before(self, index: str, pk: str, high: str, **kwargs) -> Iterator[dict]:
        return self._query(
            IndexName=index, KeyConditionExpression=f"{index}pk = :pk AND {index}sk <= :high",
            ExpressionAttributeValues=to_item({":pk": pk, ":high": high}), **kwargs,
        )

    def _transact(self, items: list[dict], token: str | None = None) -> None:
        """TransactWriteItems, retried on conflicts with jittered back-off.

        :raises AlreadyAnswered: a condition failed (or the idempotency token was reused with other data).
        """
        for entry in items:
            next(iter(entry.values()))["TableName"] = self.table_name
        extra = {"ClientRequestToken": token} if token else {}
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=items, **extra)
                self._written(items)
                return
            except ClientError as error:
                code = error.response["Error"]["Code"]
                reasons = cancellation_reasons(error)
                if "ConditionalCheckFailed" in reasons or code == "IdempotentParameterMismatchException":
                    raise AlreadyAnswered(reasons) from error
                retryable = code in {"TransactionInProgressException", "ThrottlingException"} or (
                    code == "TransactionCanceledException"
                    and set(reasons) <= {"None", "TransactionConflict", "ThrottlingError", None}
                )
                if not retryable or attempt == TRANSACTION_ATTEMPTS - 1:
                    raise StoreUnavailable(f"transaction failed: {code} {reasons}") from error
            except BotoCoreError as error:
                raise StoreUnavailable(f"transaction failed: {error}") from error
            time.sleep(random.uniform(0, 0.05 * 2**attempt))

    def _written(self, items: list[dict]) -> None:
        """Called after a transaction succeeded (store/tallies.py folds its tallies where no stream consumer runs)."""

    def _batch_put(self, records: list[dict]) -> None:
        for start in range(0, len(records), 25):
            pending = {self.table_name: [{"PutRequest": {"Item": to_item(r)}} for r in records[start:start + 25]]}
            for attempt in range(TRANSACTION_ATTEMPTS):
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
            else:
                raise StoreUnavailable("batch write left unprocessed items after retries")

    def create_table(self) -> bool:
        """Create the table, its indexes and TTL; returns False when it already exists. Its stream only where a
        consumer reads it (not `fold_inline`): moto keeps every stream record and deep-copies the table, records
        included, for each item of each transaction, so a stream nobody reads makes moto quadratic."""
        try:
            self.client.create_table(TableName=self.table_name, BillingMode="PAY_PER_REQUEST", **KEY_SCHEMA,
                                     **({} if self.fold_inline else {"StreamSpecification": STREAM}))
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


def update_if(table: Table, update: dict) -> dict | None:
    """A conditional UpdateItem's item as it now is (ReturnValues ALL_NEW), or None when its condition did not hold:
    the lease claims of owner jobs and webhook deliveries, where losing to another run is an answer, not an error."""
    reply = table._if_condition("update_item", update | {"ReturnValues": "ALL_NEW"})
    return None if reply is None else from_item(reply["Attributes"])
