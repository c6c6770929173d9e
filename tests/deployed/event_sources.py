"""The non-HTTP ways a deployed function runs, as Zappa wires them (zappa_settings.json `events`).

- Scheduled: an EventBridge rule per `expression`, named by Zappa (zappa/core.py get_scheduled_event_name,
  get_event_name: "<lambda name>-<function>", the lambda name cut or hashed to fit 64 characters), whose target's
  InputTransformer passes the event's fields plus "kwargs" (zappa/core.py schedule_events). Zappa's handler
  takes the function back from resources[0] (the rule ARN) after its last "-". Event shape:
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
  (version, id, detail-type "Scheduled Event", source aws.events, account, time, region, resources, detail {}).
- SQS: a Lambda event source mapping (zappa/utilities.py SqsEventSource: BatchSize, default 10; no
  ReportBatchItemFailures), which polls, invokes with the batch, deletes the batch on success and leaves it for
  retry after the visibility timeout on a function error. Record shape:
  https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html ("Example standard queue message event")
"""
from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field

from tests.deployed.lambda_runtime import ACCOUNT, Invocation, LambdaFunction

RULE_NAME_LIMIT = 64


def lambda_name(project_name: str, stage: str) -> str:
    """Zappa's function name: slugify(project_name + '-' + stage) (zappa/cli.py); ours needs no slugging."""
    return f"{project_name}-{stage}"


def scheduled_rule_name(function: str, function_name: str, index: int = 0) -> str:
    """zappa/core.py get_scheduled_event_name for an event without a custom `name` (index: nth expression)."""
    postfix = f"{index}-{function}" if index else function

    def event_name(prefix: str) -> str:
        return "{prefix:.{width}}-{postfix}".format(prefix=prefix, width=max(0, 63 - len(postfix)),
                                                     postfix=postfix)[:RULE_NAME_LIMIT]

    rule = event_name(function_name)
    if len(rule) >= RULE_NAME_LIMIT:
        rule = event_name(hashlib.sha1(function_name.encode()).hexdigest())
    return rule


def scheduled_event(function: str, function_name: str, region: str, kwargs: dict | None = None) -> dict:
    rule = scheduled_rule_name(function, function_name)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": ACCOUNT, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": region,
            "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{rule}"], "detail": {}, "kwargs": kwargs or {}}


def scheduled_entry(config: dict, function: str) -> dict:
    """The stage's `events` entry that schedules `function`.
    :raises LookupError: the stage schedules no such function (Zappa would create no rule for it)."""
    for event in config.get("events", []):
        if event.get("function") == function and (event.get("expression") or event.get("expressions")):
            return event
    raise LookupError(f"{function} is not scheduled in this stage's events")


@dataclass
class DrainReport:
    """What an event source mapping did while the queue had visible messages."""

    invocations: list[Invocation] = field(default_factory=list)
    deleted: int = 0
    failed_batches: int = 0


def sqs_records(messages: list[dict], queue_arn: str, region: str) -> list[dict]:
    return [{
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            key: {"stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
                  "stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
            for key, value in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region,
    } for message in messages]


def drain(function: LambdaFunction, sqs, queue_url: str, batch_size: int, region: str,
          max_batches: int = 1000) -> DrainReport:
    """Polls until a receive comes back empty; each batch is one invocation of the function."""
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    report = DrainReport()
    for _ in range(max_batches):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=min(batch_size, 10),
                                       AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        invocation = function.invoke({"Records": sqs_records(messages, queue_arn, region)})
        report.invocations.append(invocation)
        if invocation.error:
            report.failed_batches += 1  # the batch stays; it is visible again after the visibility timeout
            continue
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        report.deleted += len(messages)
    return report


class StreamMapping:
    """Lambda's event source mapping on the table's DynamoDB stream (infra/template.yaml TallyStreamMapping), run in
    a thread: polls the shards about four times a second (Lambda's documented stream polling) through
    tests/dynamodb_stream.StreamFeed (its FilterCriteria, BatchSize, no batching window as configured:
    MaximumBatchingWindowInSeconds 0; records in Lambda's shape with `eventSourceARN` the ARN the stage's Zappa
    `event_source` names, as the real mapping's would be), invokes the function with each batch, and on a
    batchItemFailures answer (ReportBatchItemFailures) or a function error polls again from the failed record.
    https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html, .../with-ddb-batchfailurereporting.html"""

    def __init__(self, function: LambdaFunction, feed):
        import threading

        self.function, self.feed = function, feed
        self.invocations: list[Invocation] = []
        self.lags: list[float] = []  # seconds from each answer's tally `at` to the end of the invocation folding it
        self.last_error = ""
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="stream-mapping", daemon=True)
        self.thread.start()

    def _invoke(self, records: list[dict]) -> str:
        from datetime import datetime

        invocation = self.function.invoke({"Records": records})
        self.invocations.append(invocation)
        if invocation.error:
            return records[0]["dynamodb"]["SequenceNumber"]
        failures = (invocation.result or {}).get("batchItemFailures") or []
        done = time.time()
        for record in records:
            at = record["dynamodb"]["NewImage"].get("at", {}).get("S", "")
            if at and record["dynamodb"]["Keys"]["sk"]["S"].startswith("answer-") and not failures:
                self.lags.append(done - datetime.fromisoformat(at).timestamp())
        return failures[0]["itemIdentifier"] if failures else ""

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.feed.drain(self._invoke)
            except Exception as error:  # noqa: BLE001 - a failed batch (retried next poll), DynamoDB Local stopping
                self.last_error = repr(error)
            self.stopping.wait(0.25)

    def state(self) -> str:
        """What to print when it did not catch up."""
        last = self.invocations[-1] if self.invocations else None
        return (f"{len(self.invocations)} invocations, last error {self.last_error!r}, last invocation "
                f"{(last.error, last.result) if last else None}")

    def caught_up(self, timeout: float = 30.0) -> bool:
        """True once every record written so far was handed over and folded."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.feed.pending():
                return True
            time.sleep(0.2)
        return False

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
