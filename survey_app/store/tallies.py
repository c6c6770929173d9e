"""Tally items (TALLY#<survey>#<shard> / <id>) and their folding into the aggregate items (AGG#<survey>).

Writers put a tally in their own transaction (`tally_put`); nothing a customer's write touches is shared with
another customer's. The stream consumer (jobs.fold_tallies_event), or the writer itself where the engine has no
readable stream (moto), hands the new tally items to `fold_records`: per transaction, one ADD per aggregate item
plus each tally marked folded on the condition that it was not folded before, so a batch delivered twice, or
cut short by a crash and delivered again, counts every tally exactly once. Folded tallies expire after two days
(`once` ids stay taken that long); a tally is never deleted before it is folded, so none is lost when the
consumer stops: `fold_pending` folds what the stream did not.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Mapping

from botocore.exceptions import ClientError

from ..domain.tallies import FOLD_TRANSACTION_ITEMS, TALLY_SHARDS, FoldChunk, Tally, plan_chunks, tally_shard
from ..errors import AlreadyAnswered, StoreUnavailable
from .table import TTL_ATTRIBUTE, Table, add_counters, from_item, to_item

FOLDED_TALLY_SECONDS = 2 * 86400
FRESHNESS_SK = "FOLDED"
log = logging.getLogger(__name__)


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def properties_update(survey_id: str, names: set[str]) -> dict:
    """Adds to the set of segment property names the dashboard offers (a set: adding twice changes nothing)."""
    return {
        "Key": to_item({"pk": f"AGG#{survey_id}", "sk": "PROPS"}),
        "UpdateExpression": "ADD #names :names",
        "ExpressionAttributeNames": {"#names": "names"},
        "ExpressionAttributeValues": to_item({":names": names}),
    }


def tally_pk(survey_id: str, tally_id: str) -> str:
    return f"TALLY#{survey_id}#{tally_shard(tally_id)}"


def tally_put(survey_id: str, adds: Mapping[str, Mapping[str, int]], at: str, tally_id: str = "") -> dict:
    """A transaction entry writing one tally. With `tally_id` (an event's own id) it is written at most once:
    a second write of the same id fails its condition (AlreadyAnswered) instead of counting twice."""
    tally_id = tally_id or uuid.uuid4().hex
    item = {"pk": tally_pk(survey_id, tally_id), "sk": tally_id, "survey_id": survey_id, "at": at,
            "adds": {sk: {k: int(v) for k, v in counters.items()} for sk, counters in adds.items()}}
    return {"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def tally_of_image(image: Mapping[str, object], position: str = "") -> Tally | None:
    """The tally a stream record's NewImage (already plain) holds; None for any other item."""
    if not str(image.get("pk", "")).startswith("TALLY#") or image.get("folded_at"):
        return None
    return Tally(tally_id=image["sk"], survey_id=image["survey_id"], at=image.get("at", ""),
                 adds=image.get("adds", {}), position=position)


@dataclass
class FoldReport:
    folded: int = 0
    already: int = 0  # delivered again after being folded: skipped
    failed_at: str = ""  # position of the first tally not folded (the stream's retry point); "" when all were
    failed: int = 0  # tallies in chunks that could not be written
    orphaned: int = 0  # tallies of a deleted survey: deleted unfolded
    newest: dict[str, str] = field(default_factory=dict)  # survey -> newest event folded


def _transaction_limit(error: StoreUnavailable) -> int:
    """The engine's items-per-transaction limit when that is why it refused ("Member must have length less than
    or equal to 10"), else 0."""
    cause = error.__cause__
    if isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == "ValidationException":
        found = re.search(r"length less than or equal to (\d+)", str(cause))
        return int(found.group(1)) if found else 0
    return 0


class TallyItems(Table):
    transaction_items = FOLD_TRANSACTION_ITEMS  # lowered to what the engine says it allows

    def add_tally(self, survey_id: str, adds: Mapping[str, Mapping[str, int]], at: str, once: str = "") -> bool:
        """Counters of an event outside any other write (a send, an open, a click). With `once` (the event's own
        id), a repeated call counts nothing again; returns False then."""
        entry = tally_put(survey_id, adds, at, once)
        if not self._conditional("put_item", **entry["Put"]):
            return False
        self._written([entry])
        return True

    def fold_records(self, records: Iterable[Mapping]) -> FoldReport:
        """Folds the tallies among DynamoDB stream records (Lambda's event shape: eventName, dynamodb.NewImage,
        dynamodb.SequenceNumber); other records are ignored. Stops at the first chunk that cannot be written and
        says where, so the stream delivers it again; what was folded before it stays folded exactly once."""
        tallies = []
        for record in records:
            if record.get("eventName") != "INSERT":
                continue
            image = from_item(record.get("dynamodb", {}).get("NewImage", {}))
            tally = tally_of_image(image, record.get("dynamodb", {}).get("SequenceNumber", ""))
            if tally is not None:
                tallies.append(tally)
        return self.fold_tallies(tallies)

    def fold_tallies(self, tallies: Iterable[Tally], stop_at_failure: bool = True) -> FoldReport:
        """`stop_at_failure`: the stream's way (everything after a failed chunk is delivered again); without it,
        a chunk that cannot be written is skipped and the rest folded (fold-pending: one bad tally blocks nothing)."""
        report, pending = FoldReport(), list(tallies)
        while pending:
            pending = self._fold_in_chunks(pending, report, stop_at_failure)
        for survey_id, newest in report.newest.items():
            self._note_freshness(survey_id, newest)
        return report

    def _fold_in_chunks(self, tallies: list[Tally], report: FoldReport, stop_at_failure: bool) -> list[Tally]:
        """Folds chunk after chunk; returns the tallies left to plan again when the engine allows fewer items per
        transaction than planned (DynamoDB Local: 10; AWS: 100), none when done or stopped."""
        chunks = plan_chunks(tallies, self.transaction_items)
        for index, chunk in enumerate(chunks):
            try:
                self._fold_chunk(chunk, report)
            except StoreUnavailable as error:
                limit = _transaction_limit(error)
                if limit and limit < self.transaction_items:
                    self.transaction_items = limit
                    return [t for later in chunks[index:] for t in later.tallies]
                self._failed(chunk, report, error)
            except Exception as error:  # noqa: BLE001 - reported as the retry point, never swallowed
                self._failed(chunk, report, error)
            else:
                for survey_id, newest in chunk.newest.items():
                    report.newest[survey_id] = max(report.newest.get(survey_id, ""), newest)
                continue
            if stop_at_failure:
                return []
        return []

    @staticmethod
    def _failed(chunk: FoldChunk, report: FoldReport, error: Exception) -> None:
        report.failed_at = report.failed_at or chunk.tallies[0].position or chunk.tallies[0].tally_id
        report.failed += len(chunk.tallies)
        log.warning("folding failed at %s: %s (%s)", chunk.tallies[0].position or chunk.tallies[0].tally_id, error,
                    error.__cause__)

    def _fold_chunk(self, chunk: FoldChunk, report: FoldReport) -> None:
        """One transaction; tallies found folded already (their condition failed) are dropped and the rest tried
        again, so a redelivered batch adds nothing twice."""
        while chunk.tallies:
            items, tally_slots = self._fold_items(chunk)
            try:
                self._transact(items)
            except AlreadyAnswered as error:
                reasons = error.args[0] if error.args and isinstance(error.args[0], list) else []
                failed = {tally_slots[i] for i, reason in enumerate(reasons)
                          if reason == "ConditionalCheckFailed" and i in tally_slots}
                gone = {slot[len("SURVEY#"):] for slot in failed if slot.startswith("SURVEY#")}
                done = failed - {f"SURVEY#{survey_id}" for survey_id in gone}
                if not failed:  # no per-item reasons: ask each tally
                    done = {t.tally_id for t in chunk.tallies if self._tally_folded(t)}
                if not done and not gone:
                    raise
                report.already += len(done)
                orphans = [t for t in chunk.tallies if t.survey_id in gone and t.tally_id not in done]
                self._forget(orphans, report)
                remaining = FoldChunk()
                for tally in chunk.tallies:
                    if tally.tally_id not in done and tally.survey_id not in gone:
                        remaining.add(tally)
                chunk = remaining
                continue
            report.folded += len(chunk.tallies)
            return

    def _fold_items(self, chunk: FoldChunk) -> tuple[list[dict], dict[int, str]]:
        now = int(time.time())
        # amounts that sum to 0 (a relabel's -1 folded with the answer's +1) are still ADDed: the counter exists at 0,
        # as when each tally is folded alone
        items = [{"Update": add_counters(f"AGG#{survey_id}", sk, dict(counters))}
                 for (survey_id, sk), counters in chunk.totals.items() if counters]
        items += [{"Update": properties_update(survey_id, names)} for survey_id, names in chunk.properties.items()]
        slots = {}
        for survey_id in chunk.newest:  # a deleted survey's late tallies must not bring its aggregates back
            slots[len(items)] = f"SURVEY#{survey_id}"
            items.append({"ConditionCheck": {"Key": to_item({"pk": "SURVEYS", "sk": f"SURVEY#{survey_id}"}),
                                             "ConditionExpression": "attribute_exists(pk)"}})
        for tally in chunk.tallies:
            slots[len(items)] = tally.tally_id
            items.append({"Update": {
                "Key": to_item({"pk": tally_pk(tally.survey_id, tally.tally_id), "sk": tally.tally_id}),
                "UpdateExpression": "SET folded_at = :now, #ttl = :ttl",
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(folded_at)",
                "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
                "ExpressionAttributeValues": to_item({":now": now, ":ttl": now + FOLDED_TALLY_SECONDS}),
            }})
        return items, slots

    def _forget(self, tallies: list[Tally], report: FoldReport) -> None:
        """Tallies of a deleted survey: deleted, never folded (the deletion may have passed their partition)."""
        for tally in tallies:
            self._call("delete_item", Key=to_item({"pk": tally_pk(tally.survey_id, tally.tally_id), "sk": tally.tally_id}))
        report.orphaned += len(tallies)

    def _tally_folded(self, tally: Tally) -> bool:
        item = self._call("get_item", Key=to_item({"pk": tally_pk(tally.survey_id, tally.tally_id),
                                                   "sk": tally.tally_id}), ConsistentRead=True).get("Item")
        return not item or "folded_at" in item

    def _note_freshness(self, survey_id: str, newest: str) -> None:
        """The dashboard's "updated": when the survey's figures were last folded, and the newest event among them
        (forward only). Once per fold, outside its transactions, so folders of several shards never cancel each
        other over it; best effort: the counts are already safe."""
        try:
            self._conditional(
                "update_item", Key=to_item({"pk": f"AGG#{survey_id}", "sk": FRESHNESS_SK}),
                UpdateExpression="SET newest = :newest, folded_at = :now",
                ConditionExpression="attribute_not_exists(newest) OR newest < :newest",
                ExpressionAttributeValues=to_item({":newest": newest, ":now": int(time.time())}))
        except StoreUnavailable as error:
            log.warning("freshness of survey %s not noted: %s", survey_id, error)

    def add_property_names(self, survey_id: str, names: set[str]) -> None:
        """`reconcile --fix`: names a recount found that the set lacks."""
        self._call("update_item", **properties_update(survey_id, names))

    def figures_updated_at(self, survey_id: str) -> str:
        """When tallies of the survey were last folded (UTC ISO), "" before the first."""
        item = self._call("get_item", Key=to_item({"pk": f"AGG#{survey_id}", "sk": FRESHNESS_SK})).get("Item")
        folded_at = from_item(item).get("folded_at") if item else None
        return datetime.fromtimestamp(folded_at, timezone.utc).isoformat() if folded_at else ""

    def pending_tallies(self, survey_id: str) -> list[Tally]:
        """Tallies written but not folded (the consumer is behind, stopped, or its retries ran out); strongly
        consistent, so a tally written before the call is seen."""
        pending = []
        for shard in range(TALLY_SHARDS):
            for item in self._partition(f"TALLY#{survey_id}#{shard}", ConsistentRead=True,
                                        FilterExpression="attribute_not_exists(folded_at)"):
                pending.append(tally_of_image(item))
        return sorted((t for t in pending if t), key=lambda t: t.at)

    def fold_pending(self, survey_id: str, written_before: str = "") -> FoldReport:
        """Folds what waits (only tallies of events before `written_before`, UTC ISO, when given: younger ones are
        the stream's), skipping past a chunk that cannot be written."""
        tallies = [t for t in self.pending_tallies(survey_id) if not written_before or t.at < written_before]
        return self.fold_tallies(tallies, stop_at_failure=False)

    def _written(self, items: list[dict]) -> None:
        """After a successful write: with no stream consumer, fold the tallies it wrote now, as the stream would."""
        if not self.fold_inline:
            return
        tallies = [tally_of_image(from_item(entry["Put"]["Item"])) for entry in items
                   if "Put" in entry and entry["Put"]["Item"]["pk"]["S"].startswith("TALLY#")]
        if tallies:
            self.fold_tallies([t for t in tallies if t])
