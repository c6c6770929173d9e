"""Recount every aggregate from raw responses and report drift: the check behind "nothing lost, nothing
counted twice". Reads all of a survey's responses: an operator's command, never a page."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..domain import metrics
from ..domain.models import Survey
from ..errors import NotFound
from ..store import Store, segment_sk
from .common import local_day, utcnow
from .responses import counters_for

DAY_IN_KEY = re.compile(r"#(\d{4}-\d{2}-\d{2})(?:#|$)")


@dataclass
class Drift:
    """Aggregate items whose stored counters differ from the recount: {sk: {counter: (stored, recounted)}}."""

    items: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    responses: int = 0
    held: list[str] = field(default_factory=list)  # drifted items of today or yesterday: reported, never fixed
    pending: int = 0  # tallies written but not folded yet (their counts are not in the aggregates)

    @property
    def clean(self) -> bool:
        return not self.items


def reconcile(store: Store, survey: Survey, fix: bool = False, now: datetime | None = None,
              tz_name: str = "Asia/Jakarta") -> Drift:
    """Compares day and segment aggregates and the property-name list with a recount (invitation events 'inv#'
    are not recountable), each response counted with the definition version it answered; with `fix`, adds the
    differences so the aggregates equal the recount, except on today's and yesterday's items, where answers may
    still be on their way: those are reported in `held`, never rewritten. Tallies not folded yet are counted in
    `pending`; with `fix` they are folded first (each once), so a correction never adds what a tally would add
    again later."""
    expected: dict[str, Counter] = defaultdict(Counter)
    drift = Drift()
    pending = store.pending_tallies(survey.id)
    if fix and pending:
        store.fold_tallies(pending)
        pending = store.pending_tallies(survey.id)
    drift.pending = len(pending)
    names: set[str] = set()
    definitions = _Definitions(store, survey)
    labels = stored_labels(store, survey)
    for response in store.iter_responses(survey.id):
        drift.responses += 1
        names.update(response.segments)
        counters = counters_for(definitions.at(response.version), response, labels.get(response.response_id))
        keys = [f"DAY#{response.day}"] + [segment_sk(p, response.day, v) for p, v in response.segments.items()]
        for key in keys:
            expected[key].update(counters)
    recent = local_day((now or utcnow()) - timedelta(days=1), tz_name)
    stored = {sk: metrics.response_part(counters) for sk, counters in store.aggregate_items(survey.id)}
    # tallies written while recounting (a relabel of an old comment): their items are reported, never fixed, so a
    # correction is never added beside a tally that will be folded too
    in_flight = {sk for tally in store.pending_tallies(survey.id) for sk in tally.adds}
    for key in sorted(set(expected) | set(stored)):
        want, have = expected.get(key, Counter()), stored.get(key, Counter())
        differences = {name: (have.get(name, 0), want.get(name, 0)) for name in set(want) | set(have)
                       if have.get(name, 0) != want.get(name, 0)}
        if differences:
            drift.items[key] = differences
            if _day_of(key) >= recent or key in in_flight:
                drift.held.append(key)
            elif fix:
                store.add_counters(survey.id, key, {name: w - h for name, (h, w) in differences.items()})
    missing = names - set(store.segment_properties(survey.id))
    if missing:  # a name in responses the folded tallies never brought (e.g. responses older than the set)
        drift.items["PROPS"] = {name: (0, 1) for name in sorted(missing)}
        if fix:
            store.add_property_names(survey.id, missing)
    return drift


def _day_of(key: str) -> str:
    """'DAY#2026-11-30' and 'SEG#<property>#2026-11-30#<value>' -> '2026-11-30' (PROPS: no day)."""
    found = DAY_IN_KEY.search(key)
    return found.group(1) if found else ""


class _Definitions:
    """Each version a response names, read once; responses from before versions were kept (version 0) use
    version 1, or today's definition where no version was kept."""

    def __init__(self, store: Store, survey: Survey):
        self.store, self.survey, self.read = store, survey, {survey.version: survey}

    def at(self, version: int) -> Survey:
        if version not in self.read:
            try:
                self.read[version] = self.store.survey_version(self.survey.id, max(version, 1))
            except NotFound:
                self.read[version] = self.survey
        return self.read[version]


def stored_labels(store: Store, survey: Survey) -> dict[str, dict[str, object]]:
    """Each comment's themes and sentiment as stored: what the answer, a correction or a re-labelling counted.
    Recounting from the text with today's labeller instead would undo the owner's corrections."""
    return {comment.response_id: {"themes": comment.themes, "sentiment": comment.sentiment}
            for comment in store.comments_between(survey.id, "0000", "9999", limit=10**9)}
