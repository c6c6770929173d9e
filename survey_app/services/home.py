"""The owner's home: every survey at a glance, and the business-wide NPS, from aggregates only.

Per survey: one key-range read of its day counters over two periods (O(days)) and two COUNT queries on the open
cases' index; nothing here reads a response, so the page costs O(surveys x days) however many answers there are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..domain import metrics
from ..domain.models import Survey
from ..store import Store
from .common import local_day, utcnow

PERIOD_DAYS = 28  # NPS of the last four weeks against the four before
SPARK_WIDTH, SPARK_HEIGHT = 120, 28


@dataclass(frozen=True)
class Glance:
    """One survey's line on the home page."""

    survey: Survey
    nps: metrics.NpsResult
    change: metrics.Change | None
    weekly: tuple[float | None, ...]  # NPS of each week over both periods, oldest first (None: no answer)
    this_week: int  # responses since Monday, in the business's days
    open_cases: int
    overdue_cases: int

    @property
    def sparkline(self) -> str:
        return sparkline(self.weekly)


@dataclass(frozen=True)
class Home:
    glances: list[Glance]
    business: metrics.NpsResult  # every survey's answers of the period together
    business_change: metrics.Change | None
    first_day: str
    last_day: str


def home(store: Store, tz_name: str, now: datetime | None = None) -> Home:
    now = now or utcnow()
    last = date.fromisoformat(local_day(now, tz_name))
    first = last - timedelta(days=PERIOD_DAYS - 1)
    earlier = first - timedelta(days=PERIOD_DAYS)
    glances, current_all, previous_all = [], [], []
    for survey in store.list_surveys():
        daily = store.daily_counters(survey.id, earlier.isoformat(), last.isoformat())
        current = metrics.merge(c for day, c in daily.items() if day >= first.isoformat())
        previous = metrics.merge(c for day, c in daily.items() if day < first.isoformat())
        current_all.append(current)
        previous_all.append(previous)
        glances.append(_glance(store, survey, daily, current, previous, last, now))
    business, business_before = metrics.nps(metrics.merge(current_all)), metrics.nps(metrics.merge(previous_all))
    return Home(glances=glances, business=business, business_change=metrics.compare(business, business_before),
                first_day=first.isoformat(), last_day=last.isoformat())


def _glance(store: Store, survey: Survey, daily: dict, current, previous, last: date, now: datetime) -> Glance:
    score = metrics.nps(current)
    monday = metrics.week_start(last).isoformat()
    weeks = metrics.trend(daily, "week")
    start = metrics.week_start(last - timedelta(days=2 * PERIOD_DAYS - 1))
    weekly = tuple(weeks[w].score if w in weeks else None
                   for w in ((start + timedelta(weeks=i)).isoformat() for i in range((last - start).days // 7 + 1)))
    open_cases, overdue = store.case_counts(survey.id, now.isoformat())
    return Glance(survey=survey, nps=score, change=metrics.compare(score, metrics.nps(previous)), weekly=weekly,
                  this_week=sum(int(c.get("n", 0)) for d, c in daily.items() if d >= monday),
                  open_cases=open_cases, overdue_cases=overdue)


def sparkline(values: tuple[float | None, ...], width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT) -> str:
    """SVG polyline points on a fixed -100..100 scale (so two surveys' lines compare); weeks without answers
    leave no point."""
    if len(values) < 2:
        return ""
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{(100 - v) / 200 * height:.1f}" for i, v in enumerate(values) if v is not None)
