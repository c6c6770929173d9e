"""Survey definitions: built from templates, validated before anything is saved, versioned once answered."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..domain.models import TEXT_TYPES, DefinitionError, Survey, Text
from ..domain.templates import TEMPLATES
from ..domain.validation import carry_history, change_errors, validate_survey
from ..errors import NotFound
from ..store import Store
from .common import local_day, new_token, utcnow


def survey_from_template(template_key: str, now: datetime, default_language: str = "id") -> Survey:
    """:raises NotFound: for an unknown template key."""
    if template_key not in TEMPLATES:
        raise NotFound(f"no template {template_key!r}")
    template = TEMPLATES[template_key]
    return Survey(
        id=new_token(), title=template["title"], intro=template["intro"], questions=template["questions"],
        default_language=default_language, created_at=now.isoformat(),
    )


def save_survey(store: Store, survey: Survey) -> Survey:
    """Saves the definition as a new version; questions with answers keep their id and type, and dropped ones
    (or their dropped options) stay in the definition as retired.

    :raises DefinitionError: nothing is saved when the definition or the change is invalid, or when another
        save of the same survey got there first.
    """
    validate_survey(survey)
    try:
        current = store.get_survey(survey.id)
    except NotFound:
        saved = replace(survey, version=1)
    else:
        answered = answered_questions(store, current)
        survey = carry_history(current, survey, answered)
        errors = change_errors(current, survey, answered)
        if errors:
            raise DefinitionError(errors)
        saved = replace(survey, version=current.version + 1)
    if not store.put_survey_version(saved):
        raise DefinitionError(["Someone else saved this survey a moment ago: reload it and make your change again."])
    return saved


def answered_questions(store: Store, survey: Survey) -> set[str]:
    """Questions with at least one answer, from the day aggregates (O(days)); text answers are not counted per
    question, so once the survey has any response every text question counts as answered."""
    totals: dict[str, int] = {}
    for counters in store.daily_counters(survey.id, "0000-00-00", "9999-99-99").values():
        for name, value in counters.items():
            totals[name] = totals.get(name, 0) + value
    answered = {q.id for q in survey.questions if totals.get(f"q#{q.id}#n", 0) > 0}
    if totals.get("n", 0) > 0:
        answered |= {q.id for q in survey.questions if q.type in TEXT_TYPES}
    return answered


def record_review_click(store: Store, survey: Survey, tz_name: str, now: datetime | None = None) -> None:
    """A customer followed the thank-you page's review link: counted on the day, for the dashboard."""
    store.add_day_counters(survey.id, local_day(now or utcnow(), tz_name), {"review#clicks": 1})


def archive_survey(store: Store, survey: Survey, now: datetime | None = None) -> Survey:
    """No new invitations (links already sent still work, figures stay); saved as a version like any change."""
    return save_survey(store, replace(survey, archived_at=(now or utcnow()).isoformat()))


def restore_survey(store: Store, survey: Survey) -> Survey:
    return save_survey(store, replace(survey, archived_at=""))


def duplicate_survey(store: Store, survey: Survey, now: datetime | None = None) -> Survey:
    """A new survey with the same questions, delivery and review pages, and none of the answers."""
    copy = replace(survey, id=new_token(), version=1, archived_at="", created_at=(now or utcnow()).isoformat(),
                   title=Text(*(f"{t} (copy)" if t else "" for t in (survey.title.en, survey.title.id))),
                   questions=survey.live_questions)
    return save_survey(store, copy)
