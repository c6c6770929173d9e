"""Which theme or low-rated item moves the NPS most: the NPS of the customers it touches against everyone else's.

Read from the per-day aggregate counters only: `theme#<id>#<category>` (written with each comment) and
`q#<id>#low#<category>` (written here for each CSAT/CES answer below the top-2 box), against the survey's
`promoter`/`passive`/`detractor` totals. So the view costs O(days), like the rest of the dashboard.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from . import metrics
from .models import Survey

CATEGORIES = ("promoter", "passive", "detractor")


def low_rating_counters(survey: Survey, answers: Mapping[str, object], score: int | None) -> dict[str, int]:
    """For a response with an NPS score: one counter per CSAT/CES item it rated below the top-2 box."""
    if score is None:
        return {}
    category = metrics.category(score)
    counters = {}
    for question in survey.questions:
        value = answers.get(question.id)
        if question.type in metrics.TOP2_FLOOR and value not in (None, "", []) \
                and int(value) < metrics.TOP2_FLOOR[question.type]:
            counters[f"q#{question.id}#low#{category}"] = 1
    return counters


@dataclass(frozen=True)
class Impact:
    """NPS of the group (mentioned the theme / rated the item low) minus the NPS of the rest, with its 95% margin."""

    key: str  # "theme#delivery" or "q#<question id>"
    group: metrics.NpsResult
    rest: metrics.NpsResult
    total: int

    @property
    def points(self) -> float | None:
        return None if not (self.group.n and self.rest.n) else self.group.score - self.rest.score

    @property
    def margin(self) -> float | None:
        """1.96 x the root of the two groups' summed squared standard errors (independent samples)."""
        change = metrics.compare(self.group, self.rest)
        return None if change is None else change.margin

    @property
    def share(self) -> float:
        return self.group.n / self.total if self.total else 0.0

    @property
    def weight(self) -> float:
        """|impact| x share: how many NPS points of the whole survey the gap accounts for."""
        return abs(self.points or 0.0) * self.share

    @property
    def too_few(self) -> bool:
        return self.group.too_few or self.rest.too_few

    @property
    def significant(self) -> bool:
        return self.points is not None and abs(self.points) > self.margin


def _group(counters: Mapping[str, int], prefix: str) -> metrics.NpsResult:
    return metrics.nps({k: counters.get(f"{prefix}#{k}", 0) for k in CATEGORIES})


def _rest(total: metrics.NpsResult, group: metrics.NpsResult) -> metrics.NpsResult:
    return metrics.NpsResult(n=total.n - group.n, promoters=total.promoters - group.promoters,
                             passives=total.passives - group.passives, detractors=total.detractors - group.detractors)


def impacts(counters: Mapping[str, int], themes: Iterable[str], items: Iterable[str]) -> list[Impact]:
    """Every theme and CSAT/CES item some scored response touched, biggest |impact| x share first."""
    total = metrics.nps(counters)
    found = []
    for key in [f"theme#{t}" for t in themes] + [f"q#{q}#low" for q in items]:
        group = _group(counters, key)
        if group.n:
            found.append(Impact(key.removesuffix("#low"), group, _rest(total, group), total.n))
    return sorted(found, key=lambda i: (-i.weight, i.key))
