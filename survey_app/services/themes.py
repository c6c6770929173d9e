"""Owner themes, corrections and re-labelling: labels change, and the day counters move by the difference.

A correction is kept on the comment (shown as corrected, never re-labelled again), counted at once, and teaches
the business's own sentiment weights. Adding, editing or retiring a theme re-labels the recent comments in a job
(`relabel_recent`), which resumes from its cursor when its time budget runs out.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, time as day_time, timedelta
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from ..budget import Budget
from ..domain import metrics
from ..domain.custom_themes import OwnerTheme, Vocabulary, label, learn, valid_theme_id
from ..domain.impact import Impact, impacts
from ..domain.models import CES, CSAT, Survey, Text
from ..domain.themes import SENTIMENTS, THEME_LABELS, THEMES
from ..errors import AlreadyAnswered, StoreUnavailable
from ..store import Store
from ..store.themes import LabelChange, LabelledComment
from .common import utcnow

log = logging.getLogger(__name__)
VOCABULARY_SECONDS = 60  # a warm instance reads the owner's themes at most this often (one small Query)
RELABEL_DAYS = 90  # how far back a theme change re-labels comments
EXAMPLES_MAX, EXAMPLE_CHARS = 50, 60
CHANGE_ATTEMPTS = 3  # a correction that loses a race with the re-labelling job is read and tried again


class ThemeError(ValueError):
    """What the owner typed cannot be saved; the message says why."""


def vocabulary(store: Store, fresh: bool = False, clock: Callable[[], float] = time.monotonic) -> Vocabulary:
    """The business's themes and learnt weights, re-read at most every VOCABULARY_SECONDS by each store object
    (kept on it, as a warm Lambda keeps its store)."""
    cached = store.__dict__.get("_theme_vocabulary")
    if fresh or cached is None or clock() - cached[0] > VOCABULARY_SECONDS:
        try:
            cached = store.__dict__["_theme_vocabulary"] = (clock(), store.vocabulary()[0])
        except StoreUnavailable:
            if fresh:
                raise
            log.warning("owner themes not read; labelling with %s", "the last ones read" if cached else "ours only")
            return cached[1] if cached else Vocabulary()  # an answer is never refused for want of its labels
    return cached[1]


def theme_labels(vocab: Vocabulary) -> dict[str, Text]:
    """Every theme's name, shipped first, then the owner's (retired ones too: old counters still name them)."""
    return {**THEME_LABELS, **{t.id: t.label for t in vocab.themes}}


def save_theme(store: Store, theme_id: str, name_en: str, name_id: str, examples: str, now: datetime | None = None,
               retired: bool = False) -> OwnerTheme:
    """Adds or edits an owner theme; `examples` one word or phrase per line or comma.

    :raises ThemeError: a bad id, no name, or no usable example.
    """
    theme_id = theme_id.strip().lower()
    if not valid_theme_id(theme_id):
        raise ThemeError("id: 2-31 lower-case letters, digits or _, starting with a letter, not a built-in theme")
    if not (name_en.strip() or name_id.strip()):
        raise ThemeError("a name in at least one language")
    phrases = tuple(dict.fromkeys(p.strip().lower() for p in examples.replace("\n", ",").split(",") if p.strip()))
    if not phrases or len(phrases) > EXAMPLES_MAX or any(len(p) > EXAMPLE_CHARS for p in phrases):
        raise ThemeError(f"1 to {EXAMPLES_MAX} examples of at most {EXAMPLE_CHARS} characters")
    theme = OwnerTheme(theme_id, Text(name_en.strip(), name_id.strip()), phrases, retired,
                       (now or utcnow()).isoformat())
    if not theme.phrases():
        raise ThemeError("the examples hold no words")
    store.put_owner_theme(theme)
    vocabulary(store, fresh=True)
    return theme


def retire_theme(store: Store, theme_id: str, now: datetime | None = None) -> OwnerTheme:
    """:raises NotFound: no such owner theme."""
    theme = replace(store.owner_theme(theme_id), retired=True, updated_at=(now or utcnow()).isoformat())
    store.put_owner_theme(theme)
    vocabulary(store, fresh=True)
    return theme


def _counter_change(before: LabelledComment, themes: Iterable[str], sentiment: str) -> dict[str, int]:
    old = metrics.comment_counters(before.themes, before.sentiment, before.score)
    new = metrics.comment_counters(themes, sentiment, before.score)
    return {k: new.get(k, 0) - old.get(k, 0) for k in old.keys() | new.keys() if new.get(k, 0) != old.get(k, 0)}


def correct(store: Store, survey: Survey, response_id: str, submitted_at: str, themes: Iterable[str], sentiment: str,
            by: str, now: datetime | None = None) -> LabelledComment:
    """The owner's labels for one comment: kept, counted at once, and learnt from.

    :raises ThemeError: an unknown theme or sentiment. :raises NotFound: no such comment.
    :raises AlreadyAnswered: it kept changing under us (several tries lost their race).
    """
    vocab = vocabulary(store, fresh=True)
    known = list(THEMES) + [t.id for t in vocab.live]
    chosen = tuple(t for t in known if t in set(themes))
    if set(themes) - set(known) or sentiment not in SENTIMENTS:
        raise ThemeError("unknown theme or sentiment")
    response = store.get_response(survey.id, response_id)
    at = (now or utcnow()).isoformat()
    for attempt in range(CHANGE_ATTEMPTS):
        comment = store.labelled_comment(survey.id, response_id, submitted_at)
        current, version = store.vocabulary()
        model_said = label(comment.text, current)["sentiment"]
        try:
            store.change_labels(LabelChange(
                comment, response, chosen, sentiment, _counter_change(comment, chosen, sentiment), at, by,
                learn(current.weights, comment.text, sentiment, model_said), version))
            break
        except AlreadyAnswered:
            if attempt == CHANGE_ATTEMPTS - 1:
                raise
    vocabulary(store, fresh=True)
    return store.labelled_comment(survey.id, response_id, submitted_at)


@dataclass(frozen=True)
class Relabelled:
    examined: int
    changed: int
    cursor: str  # the sort key of the first comment not examined yet; "" when every recent one was


def relabel_recent(store: Store, survey: Survey, budget: Budget, cursor: str = "", days: int = RELABEL_DAYS,
                   now: datetime | None = None) -> Relabelled:
    """Labels the last `days` of comments again with the current themes, newest first, until the budget says
    stop; corrected comments keep the owner's labels. Safe to repeat: an unchanged label writes nothing."""
    vocab = vocabulary(store, fresh=True)
    first = ((now or utcnow()) - timedelta(days=days)).isoformat()
    examined = changed = 0
    for comment in store.labelled_comments(survey.id, first, cursor or "\uffff"):
        if cursor and comment.sk > cursor:
            continue
        if not budget.allows():
            return Relabelled(examined, changed, comment.sk)
        examined += 1
        if not comment.corrected_at and _relabel(store, survey, comment, vocab):
            changed += 1
    return Relabelled(examined, changed, "")


def _relabel(store: Store, survey: Survey, comment: LabelledComment, vocab: Vocabulary) -> bool:
    fresh = label(comment.text, vocab)
    themes, sentiment = tuple(fresh["themes"]), str(fresh["sentiment"])
    if themes == comment.themes and sentiment == comment.sentiment:
        return False
    try:
        store.change_labels(LabelChange(comment, store.get_response(survey.id, comment.response_id), themes,
                                        sentiment, _counter_change(comment, themes, sentiment),
                                        utcnow().isoformat()))
    except AlreadyAnswered:
        return False  # corrected or re-labelled meanwhile: that change stands
    return True


def impact_view(store: Store, survey: Survey, first_day: str, last_day: str) -> tuple[list[Impact], dict[str, Text]]:
    """Impact of every theme and CSAT/CES item in the period, from the day aggregates; with the names to show."""
    counters = metrics.merge(store.daily_counters(survey.id, first_day, last_day).values())
    vocab = vocabulary(store)
    items = [q for q in survey.questions if q.type in (CSAT, CES)]
    names = {f"theme#{k}": v for k, v in theme_labels(vocab).items()} | {f"q#{q.id}": q.label for q in items}
    return impacts(counters, list(THEMES) + [t.id for t in vocab.themes], [q.id for q in items]), names


def local_range(first_day: str, last_day: str, tz_name: str) -> tuple[str, str]:
    """UTC ISO bounds of the owner's days, for comment keys (submitted_at is UTC)."""
    zone = ZoneInfo(tz_name)
    start = datetime.combine(date.fromisoformat(first_day), day_time(), zone)
    end = datetime.combine(date.fromisoformat(last_day) + timedelta(days=1), day_time(), zone) - timedelta(
        microseconds=1)
    return start.astimezone(ZoneInfo("UTC")).isoformat(), end.astimezone(ZoneInfo("UTC")).isoformat()
