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


class StreamFeed:
    """Where each shard was left off; `drain()` folds everything written since."""

    def __init__(self, store: Store, batch_size: int = 500):
        self.store = store
        self.batch_size = batch_size
        self.streams = boto3.client("dynamodbstreams", region_name=store.region, endpoint_url=store.endpoint_url)
        self.arn = store.client.describe_table(TableName=store.table_name)["Table"]["LatestStreamArn"]
        self.sequence: dict[str, str] = {}  # shard -> last sequence number handed over
        self.iterators: dict[str, str] = {}  # shard -> where the next read starts
        self.batches: list[list[dict]] = []  # what each invocation received (tests look at them)

    def shards(self) -> list[str]:
        shards, start = [], {}
        while True:
            description = self.streams.describe_stream(StreamArn=self.arn, **start)["StreamDescription"]
            shards += [s["ShardId"] for s in description["Shards"]]
            if not description.get("LastEvaluatedShardId"):
                return shards
            start = {"ExclusiveStartShardId": description["LastEvaluatedShardId"]}

    def read(self, shard: str) -> list[dict]:
        """Every record of the shard after the last one read. The poller keeps its iterator between polls, as
        Lambda's does (an iterator lives 15 minutes); a new one starts after the last record handed over."""
        iterator = self.iterators.pop(shard, None)
        if iterator is None:
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
        if iterator:
            self.iterators[shard] = iterator
        return records

    def drain(self, fold=None) -> int:
        """Hands every new tally record to `fold` (default: the store's consumer) in batches; returns how many."""
        fold = fold or self.store.fold_records
        handed = 0
        for shard in self.shards():
            records = self.read(shard)
            while records:
                batch = [lambda_record(r, self.arn) for r in records[:self.batch_size]]
                wanted = [r for r in batch if lambda_filter(r)]
                if wanted:
                    self.batches.append(wanted)
                    report = fold(wanted)
                    if report.failed_at:
                        raise RuntimeError(f"the consumer stopped at {report.failed_at}: Lambda would retry from there")
                handed += len(wanted)
                self.sequence[shard] = batch[-1]["dynamodb"]["SequenceNumber"]
                records = records[self.batch_size:]
        return handed


class StreamFedStore(Store):
    """A Store on DynamoDB Local whose tallies are folded from the table's stream (fold_inline off), drained
    before each read of an aggregate item, as if the consumer had caught up."""

    feed: StreamFeed | None = None

    def _call(self, operation: str, **kwargs):
        if operation in ("query", "get_item") and self.feed is not None and _reads_aggregates(kwargs):
            feed, self.feed = self.feed, None  # no draining from inside a drain
            try:
                feed.drain()
            finally:
                self.feed = feed
        return super()._call(operation, **kwargs)


def _reads_aggregates(kwargs: dict) -> bool:
    key = kwargs.get("Key", {}).get("pk", {}).get("S", "")
    partition = kwargs.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S", "")
    return key.startswith("AGG#") or partition.startswith("AGG#")
