"""What the owner's dashboard shows, read from per-day aggregate items only: O(days), not O(responses)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..domain import metrics
from ..domain.models import Comment, Survey
from ..store import Store
from .common import local_day, utcnow

DELIVERY_EVENTS = ("sent", "failed", "opened", "answered", "reminded", "opted_out", "skipped")


@dataclass(frozen=True)
class Summary:
    survey: Survey
    first_day: str
    last_day: str
    totals: dict[str, int]
    nps: metrics.NpsResult
    weekly: dict[str, metrics.NpsResult]
    comments: list[Comment]

    def delivery(self) -> dict[str, dict[str, int]]:
        """Invitation events per channel ('inv#<channel>#<event>' counters), e.g. {'email': {'sent': 3}}."""
        table: dict[str, dict[str, int]] = {}
        for key, value in self.totals.items():
            if key.startswith("inv#"):
                _, channel, event = key.split("#", 2)
                table.setdefault(channel, dict.fromkeys(DELIVERY_EVENTS, 0))[event] = value
        return dict(sorted(table.items()))


def survey_summary(
    store: Store, survey: Survey, *, days: int = 90, now: datetime | None = None,
    tz_name: str = "Asia/Jakarta", comment_limit: int = 20,
) -> Summary:
    last = date.fromisoformat(local_day(now or utcnow(), tz_name))
    first = last - timedelta(days=days - 1)
    daily = store.daily_counters(survey.id, first.isoformat(), last.isoformat())
    totals = dict(metrics.merge(daily.values()))
    return Summary(
        survey=survey, first_day=first.isoformat(), last_day=last.isoformat(), totals=totals,
        nps=metrics.nps(totals), weekly=metrics.weekly(daily),
        comments=store.latest_comments(survey.id, comment_limit),
    )
