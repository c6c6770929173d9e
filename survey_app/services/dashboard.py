"""What the owner's dashboard shows, read from aggregate items only: O(days x segments), not O(responses)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..domain import metrics
from ..domain.models import Comment, Survey
from ..domain.segments import in_segment
from ..domain.themes import THEMES
from ..store import Store
from .common import local_day, utcnow

# the last three: the provider's reports (WhatsApp)
DELIVERY_EVENTS = ("sent", "unconfirmed", "failed", "opened", "answered", "reminded", "reminder_unconfirmed",
                   "opted_out", "skipped", "delivered", "read", "undelivered")
COMMENTS_EXAMINED = 2000
CATEGORY_SCORES = {"promoter": range(9, 11), "passive": range(7, 9), "detractor": range(0, 7)}


@dataclass(frozen=True)
class Filters:
    """The owner's view: a date range in their own days, optionally one segment (property = value)."""

    first_day: str
    last_day: str
    segment: tuple[str, str] | None = None
    by: str = "week"
    category: str = ""
    theme: str = ""
    query: str = ""

    @classmethod
    def last_days(cls, days: int, tz_name: str, now: datetime | None = None, **kwargs) -> "Filters":
        last = date.fromisoformat(local_day(now or utcnow(), tz_name))
        return cls((last - timedelta(days=days - 1)).isoformat(), last.isoformat(), **kwargs)

    def previous(self) -> "Filters":
        """The period of the same length just before this one."""
        first, last = date.fromisoformat(self.first_day), date.fromisoformat(self.last_day)
        length = (last - first).days + 1
        return Filters((first - timedelta(days=length)).isoformat(), (first - timedelta(days=1)).isoformat(),
                       self.segment, self.by)


@dataclass(frozen=True)
class Summary:
    survey: Survey
    filters: Filters
    totals: dict[str, int]
    nps: metrics.NpsResult
    trend: dict[str, metrics.NpsResult]
    change: metrics.Change | None
    segments: dict[str, list[tuple[str, metrics.NpsResult]]] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)

    @property
    def first_day(self) -> str:
        return self.filters.first_day

    @property
    def last_day(self) -> str:
        return self.filters.last_day

    def delivery(self) -> dict[str, dict[str, int]]:
        """Invitation events per channel ('inv#<channel>#<event>' counters), e.g. {'email': {'sent': 3}}."""
        table: dict[str, dict[str, int]] = {}
        for key, value in self.totals.items():
            if key.startswith("inv#"):
                _, channel, event = key.split("#", 2)
                table.setdefault(channel, dict.fromkeys(DELIVERY_EVENTS, 0))[event] = value
        return dict(sorted(table.items()))

    def themes(self) -> dict[str, tuple[int, metrics.NpsResult]]:
        return metrics.theme_results(self.totals, THEMES)


def daily_counters(store: Store, survey: Survey, filters: Filters) -> dict[str, dict[str, int]]:
    """Per-day counters of the whole survey, or of one segment value (its own aggregate items)."""
    if filters.segment is None:
        return store.daily_counters(survey.id, filters.first_day, filters.last_day)
    prop, wanted = filters.segment
    return {day: counters for day, value, counters in
            store.segment_counters(survey.id, prop, filters.first_day, filters.last_day) if value == wanted}


def segment_table(store: Store, survey: Survey, filters: Filters) -> dict[str, list[tuple[str, metrics.NpsResult]]]:
    """NPS per value of every segment property in the period, best first."""
    table = {}
    for prop in store.segment_properties(survey.id):
        per_value: dict[str, list] = {}
        for _, value, counters in store.segment_counters(survey.id, prop, filters.first_day, filters.last_day):
            per_value.setdefault(value, []).append(counters)
        rows = [(value, metrics.nps(metrics.merge(group))) for value, group in per_value.items()]
        table[prop] = sorted((r for r in rows if r[1].n), key=lambda r: (-(r[1].score or 0), r[0]))
    return table


def survey_summary(store: Store, survey: Survey, filters: Filters, *, tz_name: str = "Asia/Jakarta",
                   comment_limit: int = 20, with_segments: bool = True) -> Summary:
    daily = daily_counters(store, survey, filters)
    totals = dict(metrics.merge(daily.values()))
    previous = metrics.nps(metrics.merge(daily_counters(store, survey, filters.previous()).values()))
    current = metrics.nps(totals)
    return Summary(
        survey=survey, filters=filters, totals=totals, nps=current, trend=metrics.trend(daily, filters.by),
        change=metrics.compare(current, previous),
        segments=segment_table(store, survey, filters) if with_segments else {},
        comments=filtered_comments(store, survey, filters, tz_name, comment_limit),
    )


def filtered_comments(store: Store, survey: Survey, filters: Filters, tz_name: str, limit: int) -> list[Comment]:
    """Newest first, matching every filter; reads at most COMMENTS_EXAMINED comments of the period."""
    if limit < 1:
        return []
    zone = ZoneInfo(tz_name)
    start = datetime.combine(date.fromisoformat(filters.first_day), time(), zone)
    # the store's range is inclusive: stop a microsecond before the next day's midnight, which belongs to that day
    end = datetime.combine(date.fromisoformat(filters.last_day) + timedelta(days=1), time(), zone) - timedelta(
        microseconds=1)
    matches = []
    for comment in store.comments_between(survey.id, _utc(start), _utc(end), COMMENTS_EXAMINED):
        if _matches(comment, filters):
            matches.append(comment)
            if len(matches) >= limit:
                break
    return matches


def _utc(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat()


def _matches(comment: Comment, filters: Filters) -> bool:
    if not in_segment(comment.segments, filters.segment):
        return False
    if filters.category and (comment.score is None or comment.score not in CATEGORY_SCORES[filters.category]):
        return False
    if filters.theme and filters.theme not in comment.themes:
        return False
    return not filters.query or filters.query.casefold() in comment.text.casefold()
