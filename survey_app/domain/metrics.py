"""NPS, CSAT and CES math over counter dicts, so a dashboard costs O(days) not O(responses)."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping

from .models import CES, CHOICE_TYPES, CSAT, NPS, RATING_SCALES, Survey

Z95 = 1.96
TOP2_FLOOR = {CSAT: 4, CES: 6}
FEW_RESPONSES = 30


def category(score: int) -> str:
    """Net Promoter System categories: 9-10 promoter, 7-8 passive, 0-6 detractor."""
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def response_counters(survey: Survey, answers: Mapping[str, object]) -> dict[str, int]:
    """The counter increments one response adds to its day and segment aggregates."""
    counters = {"n": 1}
    for question in survey.questions:
        value = answers.get(question.id)
        if value in (None, "", []):
            continue
        prefix = f"q#{question.id}#"
        if question.type in RATING_SCALES:
            counters[prefix + "n"] = 1
            counters[prefix + "sum"] = int(value)
            counters[f"{prefix}v{int(value)}"] = 1
            if question.type in TOP2_FLOOR and int(value) >= TOP2_FLOOR[question.type]:
                counters[prefix + "top2"] = 1
            if question.type == NPS:
                counters[category(int(value))] = 1
        elif question.type in CHOICE_TYPES:
            counters[prefix + "n"] = 1
            for chosen in value if isinstance(value, list) else [value]:
                counters[f"{prefix}o#{chosen}"] = 1
        else:  # text: counted as answered, for the drop-off from question to question
            counters[prefix + "n"] = 1
    return counters


def comment_counters(themes: Iterable[str], sentiment: str, score: int | None) -> dict[str, int]:
    """Theme counts and the NPS of the customers who raised each theme, plus sentiment counts."""
    counters: dict[str, int] = {f"sentiment#{sentiment}": 1} if sentiment else {}
    for theme in themes:
        counters[f"theme#{theme}#n"] = 1
        if score is not None:
            counters[f"theme#{theme}#{category(score)}"] = 1
    return counters


def response_part(counters: Mapping[str, int]) -> Counter:
    """The counters a recount of raw responses can reproduce (invitation events 'inv#...' are not)."""
    return Counter({k: v for k, v in counters.items() if not k.startswith("inv#")})


def merge(counter_dicts: Iterable[Mapping[str, int]]) -> Counter:
    total: Counter = Counter()
    for counters in counter_dicts:
        total.update({k: int(v) for k, v in counters.items()})
    return total


@dataclass(frozen=True)
class NpsResult:
    n: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        return None if not self.n else 100.0 * (self.promoters - self.detractors) / self.n

    def share(self, part: int) -> float:
        return 100.0 * part / self.n if self.n else 0.0

    @property
    def standard_error(self) -> float | None:
        """Adjusted-Wald (MeasuringU): add 3/4 to promoters and detractors and 3 to n, in NPS points."""
        if not self.n:
            return None
        n_adj = self.n + 3
        p = (self.promoters + 0.75) / n_adj
        d = (self.detractors + 0.75) / n_adj
        return 100.0 * math.sqrt((p + d - (p - d) ** 2) / n_adj)

    @property
    def margin_of_error(self) -> float | None:
        """95% half-width of the adjusted-Wald interval."""
        return None if self.standard_error is None else Z95 * self.standard_error

    @property
    def too_few(self) -> bool:
        return self.n < FEW_RESPONSES


def nps(counters: Mapping[str, int]) -> NpsResult:
    return NpsResult(
        n=sum(int(counters.get(k, 0)) for k in ("promoter", "passive", "detractor")),
        promoters=int(counters.get("promoter", 0)),
        passives=int(counters.get("passive", 0)),
        detractors=int(counters.get("detractor", 0)),
    )


def distribution(counters: Mapping[str, int], question_id: str, low: int, high: int) -> dict[int, int]:
    return {v: int(counters.get(f"q#{question_id}#v{v}", 0)) for v in range(low, high + 1)}


@dataclass(frozen=True)
class RatingResult:
    n: int
    mean: float | None
    top2_pct: float | None


def rating(counters: Mapping[str, int], question_id: str, question_type: str) -> RatingResult:
    """Mean for every scale; top-2-box share for CSAT (4-5) and CES (6-7)."""
    n = int(counters.get(f"q#{question_id}#n", 0))
    if not n:
        return RatingResult(0, None, None)
    mean = int(counters.get(f"q#{question_id}#sum", 0)) / n
    top2 = None
    if question_type in TOP2_FLOOR:
        top2 = 100.0 * int(counters.get(f"q#{question_id}#top2", 0)) / n
    return RatingResult(n, mean, top2)


def choice_shares(counters: Mapping[str, int], question_id: str, values: Iterable[str]) -> dict[str, float]:
    """Share of respondents who picked each option (multi-choice shares may sum past 100)."""
    n = int(counters.get(f"q#{question_id}#n", 0))
    return {v: (100.0 * int(counters.get(f"q#{question_id}#o#{v}", 0)) / n if n else 0.0) for v in values}


@dataclass(frozen=True)
class Change:
    """Difference between two periods' NPS, and whether it is bigger than sampling noise (95%)."""

    points: float
    margin: float

    @property
    def significant(self) -> bool:
        return abs(self.points) > self.margin


def compare(current: NpsResult, previous: NpsResult) -> Change | None:
    """Two independent samples: the difference's standard error is the root of the summed squares."""
    if not current.n or not previous.n:
        return None
    margin = Z95 * math.hypot(current.standard_error, previous.standard_error)
    return Change(points=current.score - previous.score, margin=margin)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def bucket_start(day: date, by: str) -> date:
    return day.replace(day=1) if by == "month" else week_start(day)


def trend(daily: Mapping[str, Mapping[str, int]], by: str = "week") -> dict[str, NpsResult]:
    """NPS per week (keyed by its Monday) or month (by its first day) from per-day counters 'YYYY-MM-DD'."""
    buckets: dict[str, list[Mapping[str, int]]] = {}
    for day, counters in daily.items():
        start = bucket_start(date.fromisoformat(day), by).isoformat()
        buckets.setdefault(start, []).append(counters)
    return {start: nps(merge(group)) for start, group in sorted(buckets.items())}


def theme_results(counters: Mapping[str, int], themes: Iterable[str]) -> dict[str, tuple[int, NpsResult]]:
    """Mentions per theme and the NPS of the customers who mentioned it."""
    results = {}
    for theme in themes:
        mentions = int(counters.get(f"theme#{theme}#n", 0))
        if mentions:
            results[theme] = (mentions, nps({k: counters.get(f"theme#{theme}#{k}", 0)
                                             for k in ("promoter", "passive", "detractor")}))
    return results
