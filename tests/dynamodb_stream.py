"""A table's real DynamoDB stream, read the way Lambda's event source mapping reads it, feeding the tally consumer.

DynamoDB Local implements Streams (DescribeStream, GetShardIterator, GetRecords; moto 5.2.5 does not answer
DescribeStream), so the tests on it fold tallies from the records DynamoDB itself wrote, not from a copy of our
own. Lambda's poller: shards read in order from TRIM_HORIZON, a batch per GetRecords, the records handed over as
they come plus `eventSourceARN` (docs.aws.amazon.com/lambda/latest/dg/with-ddb.html), the filter of
infra/template.yaml applied (new items whose pk starts with TALLY#), and on a reported batch item failure the
next batch starts at that record.
"""
from __future__ import annotations

import boto3

from survey_app.store import Store


def lambda_filter(record: dict) -> bool:
    """The event source mapping's FilterCriteria (infra/template.yaml): new tally items only."""
    keys = record.get("dynamodb", {}).get("Keys", {})
    return record.get("eventName") == "INSERT" and keys.get("pk", {}).get("S", "").startswith("TALLY#")


def lambda_record(record: dict, source_arn: str) -> dict:
    """A GetRecords record as Lambda delivers it: plus `eventSourceARN`, and ApproximateCreationDateTime in epoch
    seconds (boto3 parses it into a datetime; Lambda's JSON event carries the number)."""
    dynamodb = dict(record["dynamodb"])
    when = dynamodb.get("ApproximateCreationDateTime")
    if hasattr(when, "timestamp"):
        dynamodb["ApproximateCreationDateTime"] = int(when.timestamp())
    return dict(record, dynamodb=dynamodb, eventSourceARN=source_arn)


class FoldStopped(RuntimeError):
    """The consumer named a batch item failure: the shard's next read starts again at that record."""


class StreamFeed:
    """Where each shard was left off; `drain(fold)` hands everything written since to `fold` in batches."""

    def __init__(self, streams, stream_arn: str, batch_size: int = 500, source_arn: str = ""):
        self.streams, self.arn, self.batch_size = streams, stream_arn, batch_size
        self.source_arn = source_arn or stream_arn  # what the records say they came from
        self.sequence: dict[str, str] = {}  # shard -> last sequence number handed over
        self.batches: list[list[dict]] = []  # what each invocation received (tests look at them)

    @classmethod
    def of(cls, store: Store, batch_size: int = 500) -> "StreamFeed":
        streams = boto3.client("dynamodbstreams", region_name=store.region, endpoint_url=store.endpoint_url)
        arn = store.client.describe_table(TableName=store.table_name)["Table"]["LatestStreamArn"]
        return cls(streams, arn, batch_size)

    def shards(self) -> list[str]:
        shards, start = [], {}
        while True:
            description = self.streams.describe_stream(StreamArn=self.arn, **start)["StreamDescription"]
            shards += [s["ShardId"] for s in description["Shards"]]
            if not description.get("LastEvaluatedShardId"):
                return shards
            start = {"ExclusiveStartShardId": description["LastEvaluatedShardId"]}

    def read(self, shard: str) -> list[dict]:
        """Every record of the shard after the last one handed over, from a fresh iterator each poll (one lives 15
        minutes; a long test session must never hold an expired one)."""
        position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.sequence[shard]}
                    if shard in self.sequence else {"ShardIteratorType": "TRIM_HORIZON"})
        iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, **position)["ShardIterator"]
        records = []
        while iterator:
            page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            iterator = page.get("NextShardIterator")
            if not page["Records"]:
                break
        return records

    def drain(self, fold) -> int:
        """Hands every new tally record to `fold` (records -> the position of the first not folded, "" when all
        were) in batches; returns how many. :raises FoldStopped: `fold` named a position (retried next drain)."""
        handed = 0
        for shard in self.shards():
            records = self.read(shard)
            while records:
                batch = [lambda_record(r, self.source_arn) for r in records[:self.batch_size]]
                wanted = [r for r in batch if lambda_filter(r)]
                if wanted:
                    self.batches.append(wanted)
                    failed_at = fold(wanted)
                    if failed_at:
                        self._restart_at(shard, batch, failed_at)
                        raise FoldStopped(f"the consumer stopped at {failed_at}: Lambda retries from there")
                handed += len(wanted)
                self.sequence[shard] = batch[-1]["dynamodb"]["SequenceNumber"]
                records = records[self.batch_size:]
        return handed

    def _restart_at(self, shard: str, batch: list[dict], failed_at: str) -> None:
        before = [r for r in batch if int(r["dynamodb"]["SequenceNumber"]) < int(failed_at)]
        if before:
            self.sequence[shard] = before[-1]["dynamodb"]["SequenceNumber"]

    def pending(self) -> bool:
        """Whether any shard holds a record not handed over yet (reads without moving the feed)."""
        for shard in self.shards():
            position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.sequence[shard]}
                        if shard in self.sequence else {"ShardIteratorType": "TRIM_HORIZON"})
            iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, **position)["ShardIterator"]
            if self.streams.get_records(ShardIterator=iterator, Limit=1)["Records"]:
                return True
        return False


def fold_with(store: Store):
    """The store's consumer as a feed's `fold`."""
    return lambda records: store.fold_records(records).failed_at


class StreamFedStore(Store):
    """A Store on DynamoDB Local whose tallies are folded from the table's stream (fold_inline off), drained
    before each read of an aggregate item, as if the consumer had caught up."""

    feed: StreamFeed | None = None

    def _call(self, operation: str, **kwargs):
        if operation in ("query", "get_item") and self.feed is not None and _reads_aggregates(kwargs):
            feed, self.feed = self.feed, None  # no draining from inside a drain
            try:
                feed.drain(fold_with(self))
            finally:
                self.feed = feed
        return super()._call(operation, **kwargs)


def _reads_aggregates(kwargs: dict) -> bool:
    key = kwargs.get("Key", {}).get("pk", {}).get("S", "")
    partition = kwargs.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S", "")
    return key.startswith("AGG#") or partition.startswith("AGG#")
