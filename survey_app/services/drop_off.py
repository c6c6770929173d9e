"""Drop-off, per survey and per channel: opened -> answered each question, in order -> sent the last step.
Read from the day and channel-segment aggregates only (O(days x channels)), like the rest of the dashboard."""
from __future__ import annotations

from dataclasses import dataclass

from ..domain import metrics
from ..domain.models import Survey
from ..store import Store


@dataclass(frozen=True)
class Step:
    key: str  # "opened", a question id, or "complete"
    count: int | None  # None where it cannot be known (the open link's page views are not counted)


def steps(survey: Survey, totals: dict[str, int], opened: int | None) -> list[Step]:
    """One row per step; questions in the order they are asked (retired ones only when they have answers)."""
    rows = [Step("opened", opened)]
    rows += [Step(q.id, totals.get(f"q#{q.id}#n", 0)) for q in survey.questions
             if not q.retired or totals.get(f"q#{q.id}#n", 0)]
    return rows + [Step("complete", totals.get("complete", 0))]


def drop_off(store: Store, survey: Survey, totals: dict[str, int], first_day: str,
             last_day: str) -> dict[str, list[Step]]:
    """{"": the whole survey, "<channel>": each channel that had answers or opens}; `totals`: the period's day
    counters, already read by the dashboard."""
    opened = {key.split("#")[1]: value for key, value in totals.items()
              if key.startswith("inv#") and key.endswith("#opened")}
    table = {"": steps(survey, totals, sum(opened.values()) if opened else None)}
    per_channel: dict[str, list] = {}
    for _, channel, counters in store.segment_counters(survey.id, "channel", first_day, last_day):
        per_channel.setdefault(channel, []).append(counters)
    for channel in sorted(set(per_channel) | set(opened)):
        counters = dict(metrics.merge(per_channel.get(channel, [])))
        table[channel] = steps(survey, counters, opened.get(channel))
    return table
