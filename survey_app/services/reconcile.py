"""Recount every aggregate from raw responses and report drift: the check behind "nothing lost, nothing
counted twice". Reads all of a survey's responses: an operator's command, never a page."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..domain import metrics
from ..domain.models import Survey
from ..store import Store, segment_sk
from .responses import counters_for


@dataclass
class Drift:
    """Aggregate items whose stored counters differ from the recount: {sk: {counter: (stored, recounted)}}."""

    items: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    responses: int = 0

    @property
    def clean(self) -> bool:
        return not self.items


def reconcile(store: Store, survey: Survey, fix: bool = False) -> Drift:
    """Compares day and segment aggregates and the property-name list with a recount (invitation events 'inv#'
    are not recountable); with `fix`, adds the differences so the aggregates equal the recount."""
    expected: dict[str, Counter] = defaultdict(Counter)
    drift = Drift()
    names: set[str] = set()
    for response in store.iter_responses(survey.id):
        drift.responses += 1
        names.update(response.segments)
        counters = counters_for(survey, response)
        keys = [f"DAY#{response.day}"] + [segment_sk(p, response.day, v) for p, v in response.segments.items()]
        for key in keys:
            expected[key].update(counters)
    stored = {sk: metrics.response_part(counters) for sk, counters in store.aggregate_items(survey.id)}
    for key in sorted(set(expected) | set(stored)):
        want, have = expected.get(key, Counter()), stored.get(key, Counter())
        differences = {name: (have.get(name, 0), want.get(name, 0)) for name in set(want) | set(have)
                       if have.get(name, 0) != want.get(name, 0)}
        if differences:
            drift.items[key] = differences
            if fix:
                store.add_counters(survey.id, key, {name: w - h for name, (h, w) in differences.items()})
    missing = names - set(store.segment_properties(survey.id))
    if missing:  # a property-name write that failed after its answer
        drift.items["PROPS"] = {name: (0, 1) for name in sorted(missing)}
        if fix:
            store.remember_properties(survey.id, missing)
    return drift
