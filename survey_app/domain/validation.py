"""Survey definition rules, checked before anything is saved so an owner sees every problem at once."""
from __future__ import annotations

import re
from dataclasses import replace

from .logic import condition_errors
from .models import CHOICE_TYPES, LANGUAGES, NPS, QUESTION_TYPES, DefinitionError, Survey

ID_PATTERN = re.compile(r"^[a-z0-9_]{1,40}$")
MAX_QUESTIONS = 30
MAX_LABEL = 500
MAX_OPTIONS = 20
MAX_URL = 500


def validate_survey(survey: Survey) -> None:
    """:raises DefinitionError: listing every rule the definition breaks."""
    errors: list[str] = []
    if not (survey.title.en.strip() or survey.title.id.strip()):
        errors.append("The survey needs a title in at least one language.")
    if survey.default_language not in LANGUAGES:
        errors.append(f"Default language must be one of {', '.join(LANGUAGES)}.")
    if not survey.questions:
        errors.append("The survey needs at least one question.")
    if len(survey.questions) > MAX_QUESTIONS:
        errors.append(f"At most {MAX_QUESTIONS} questions.")
    if sum(q.type == NPS for q in survey.questions) > 1:
        errors.append("Only one NPS (0-10) question per survey.")
    seen: set[str] = set()
    for number, question in enumerate(survey.questions, start=1):
        where = f"Question {number}"
        if not ID_PATTERN.match(question.id):
            errors.append(f"{where}: id must be 1-40 lowercase letters, digits or _.")
        elif question.id in seen:
            errors.append(f"{where}: id '{question.id}' is used twice.")
        seen.add(question.id)
        if question.type not in QUESTION_TYPES:
            errors.append(f"{where}: unknown type '{question.type}'.")
        if not (question.label.en.strip() or question.label.id.strip()):
            errors.append(f"{where}: needs a label.")
        if max(len(question.label.en), len(question.label.id)) > MAX_LABEL:
            errors.append(f"{where}: labels are limited to {MAX_LABEL} characters.")
        errors.extend(_option_errors(where, question))
    errors.extend(condition_errors(survey))
    errors.extend(_review_errors(survey))
    if errors:
        raise DefinitionError(errors)


def _option_errors(where, question) -> list[str]:
    if question.type not in CHOICE_TYPES:
        return [f"{where}: only choice questions have options."] if question.options else []
    values = [o.value for o in question.options]
    errors = []
    if not 2 <= len(values) <= MAX_OPTIONS:
        errors.append(f"{where}: a choice question needs 2 to {MAX_OPTIONS} options.")
    if len(set(values)) != len(values):
        errors.append(f"{where}: two options have the same value.")
    if any(not ID_PATTERN.match(v) for v in values):
        errors.append(f"{where}: option values must be 1-40 lowercase letters, digits or _.")
    return errors


def carry_history(current: Survey, edited: Survey, answered: set[str]) -> Survey:
    """Questions and options that already have answers and were dropped from the edit stay in the definition,
    retired: an owner removing them stops asking, while the answers they have keep their meaning."""
    questions = []
    for question in edited.questions:
        old = current.question(question.id)
        if old is not None and question.id in answered:
            kept = {o.value for o in question.options}
            dropped = tuple(replace(o, retired=True) for o in old.options if o.value not in kept)
            question = replace(question, options=question.options + dropped)
        questions.append(question)
    present = {q.id for q in edited.questions}
    questions += [replace(q, retired=True) for q in current.questions if q.id not in present and q.id in answered]
    return replace(edited, questions=tuple(questions))


def change_errors(current: Survey, edited: Survey, answered: set[str]) -> list[str]:
    """A question that has answers keeps its type (a CSAT 1-5 turned into CES 1-7 under the same id would mix
    both scales in one sum); its id is kept by carry_history."""
    errors = []
    for question in edited.questions:
        old = current.question(question.id)
        if old is not None and question.id in answered and old.type != question.type:
            errors.append(f"Question '{question.id}' already has answers: its type stays '{old.type}'. "
                          f"Add a new question (with a new id) for '{question.type}' and remove this one.")
    return errors


def _review_errors(survey: Survey) -> list[str]:
    links = [survey.review_url, *survey.review_urls.values()]
    if any(link and not (link.startswith("https://") and len(link) <= MAX_URL and " " not in link) for link in links):
        return [f"Review links must be https:// addresses of at most {MAX_URL} characters."]
    if survey.review_urls and not survey.review_property:
        return ["Review links per store need the name of the property that holds the store."]
    return []
