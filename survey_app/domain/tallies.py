"""Tallies: the counters one write contributes to a survey's aggregates, kept on an item of their own until folded.

An answer (or a send, an open, a delivery report) writes a tally beside its own items instead of adding to the
shared per-day and per-segment aggregate items, so concurrent answers share no item. A consumer of the table's
stream folds many tallies into one ADD per aggregate item. Pure: no AWS, no Flask.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

TALLY_SHARDS = 16  # tallies of one survey spread over 16 partition keys, each far below 1,000 writes/s
FOLD_TRANSACTION_ITEMS = 100  # aggregate ADDs + tallies marked folded: TransactWriteItems' limit on AWS


@dataclass(frozen=True)
class Tally:
    """`adds`: aggregate sort key (DAY#..., SEG#...) -> counter -> amount, all under AGG#<survey_id>."""

    tally_id: str
    survey_id: str
    at: str  # when the counted event happened (UTC ISO): the dashboard's "counted up to"
    adds: Mapping[str, Mapping[str, int]]
    position: str = ""  # the stream record's sequence number (Lambda's batchItemFailures identifier)


@dataclass
class FoldChunk:
    """Tallies folded together in one transaction: their summed counters per aggregate item, and per survey the
    segment property names they bring and the newest event among them."""

    tallies: list[Tally] = field(default_factory=list)
    totals: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    properties: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    newest: dict[str, str] = field(default_factory=dict)

    def item_count(self) -> int:
        """Items in its transaction: each tally, each aggregate, per survey its property names and the check that
        the survey still exists."""
        return len(self.tallies) + len(self.totals) + len(self.properties) + len(self.newest)

    def add(self, tally: Tally) -> None:
        self.tallies.append(tally)
        for sk, counters in tally.adds.items():
            self.totals[(tally.survey_id, sk)].update({k: int(v) for k, v in counters.items()})
            if sk.startswith("SEG#"):  # SEG#<property>#<day>#<value>
                self.properties[tally.survey_id].add(sk.split("#", 2)[1])
        self.newest[tally.survey_id] = max(self.newest.get(tally.survey_id, ""), tally.at)


def tally_shard(tally_id: str) -> int:
    """Stable across processes (unlike hash()): a tally's partition can be found again from its id."""
    return sum(tally_id.encode()) % TALLY_SHARDS


def _new_targets(chunk: FoldChunk, tally: Tally) -> int:
    """Items the tally would add to the chunk's transaction besides itself."""
    new = sum(1 for sk in tally.adds if (tally.survey_id, sk) not in chunk.totals)
    has_segments = any(sk.startswith("SEG#") for sk in tally.adds)
    return new + (has_segments and tally.survey_id not in chunk.properties) + (tally.survey_id not in chunk.newest)


def plan_chunks(tallies: Iterable[Tally], limit: int = FOLD_TRANSACTION_ITEMS) -> list[FoldChunk]:
    """Tallies in stream order, cut into transactions of at most `limit` items (one per tally marked folded, one
    per aggregate item): a batch of hundreds of answers to one survey becomes a few transactions."""
    chunks: list[FoldChunk] = []
    for tally in tallies:
        if not chunks or chunks[-1].item_count() + 1 + _new_targets(chunks[-1], tally) > limit:
            chunks.append(FoldChunk())
        chunks[-1].add(tally)
    return chunks

