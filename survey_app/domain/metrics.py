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
    def margin_of_error(self) -> float | None:
        """95% adjusted-Wald half-width (MeasuringU): add 3/4 to each category and 3 to n."""
        if not self.n:
            return None
        n_adj = self.n + 3
        p = (self.promoters + 0.75) / n_adj
        d = (self.detractors + 0.75) / n_adj
        variance = p + d - (p - d) ** 2
        return 100.0 * Z95 * math.sqrt(variance / n_adj)

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


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(daily: Mapping[str, Mapping[str, int]]) -> dict[str, NpsResult]:
    """NPS per ISO week (keyed by its Monday) from per-day counters keyed 'YYYY-MM-DD'."""
    weeks: dict[str, list[Mapping[str, int]]] = {}
    for day, counters in daily.items():
        monday = week_start(date.fromisoformat(day)).isoformat()
        weeks.setdefault(monday, []).append(counters)
    return {monday: nps(merge(group)) for monday, group in sorted(weeks.items())}
