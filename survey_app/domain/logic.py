"""Display logic and piping: which questions a customer is asked, given what they answered before and who they
are, and their own words in the questions. Pure functions: the server decides; a page script only mirrors it."""
from __future__ import annotations

import re
from typing import Mapping

from .models import NPS, Condition, Question, Survey

PIPE = re.compile(r"\{([a-z0-9_]{1,40})(?:\|([^{}]{0,60}))?\}")


def holds(condition: Condition | None, answers: Mapping[str, object], properties: Mapping[str, str]) -> bool | None:
    """True or False, or None while the earlier question it looks at has not been answered yet."""
    if condition is None:
        return True
    if condition.property:
        value = str(properties.get(condition.property, "")).strip().casefold()
        return value in {v.strip().casefold() for v in condition.values}
    answer = answers.get(condition.question)
    if answer in (None, "", []):
        return None
    if condition.options:
        chosen = answer if isinstance(answer, list) else [answer]
        return any(str(c) in condition.options for c in chosen)
    try:
        value = int(answer)
    except (TypeError, ValueError):
        return False
    return (condition.low is None or value >= condition.low) and (condition.high is None or value <= condition.high)


def asked_now(survey: Survey, properties: Mapping[str, str]) -> list[Question]:
    """The first step: questions that apply before anything is answered (no condition, or one on a property)."""
    return [q for q in survey.live_questions if holds(q.show_when, {}, properties) is True]


def applicable(survey: Survey, answers: Mapping[str, object], properties: Mapping[str, str]) -> list[Question]:
    """Every live question whose condition holds for these answers."""
    return [q for q in survey.live_questions if holds(q.show_when, answers, properties) is True]


def without_hidden(survey: Survey, answers: dict[str, object], properties: Mapping[str, str]) -> dict[str, object]:
    """Answers to questions that do not apply (a script showed one, then the score changed) are not kept."""
    keep = {q.id for q in applicable(survey, answers, properties)}
    return {k: v for k, v in answers.items() if k in keep}


def condition_errors(survey: Survey) -> list[str]:
    """A condition may only look back at an earlier question of a type it can test (so no cycles)."""
    errors: list[str] = []
    earlier: dict[str, Question] = {}
    for number, question in enumerate(survey.questions, start=1):
        condition = question.show_when
        if condition is not None:
            errors.extend(f"Question {number}: {problem}" for problem in _problems(condition, earlier))
        earlier[question.id] = question
    return errors


def _problems(condition: Condition, earlier: Mapping[str, Question]) -> list[str]:
    if condition.property:
        return [] if condition.values else ["a condition on a property needs at least one value."]
    target = earlier.get(condition.question)
    if target is None:
        return [f"its condition looks at '{condition.question}', which is not an earlier question."]
    if condition.options:
        known = {o.value for o in target.options}
        return [] if set(condition.options) <= known else [f"its condition names options '{target.id}' does not have."]
    if target.scale is None:
        return [f"its condition needs a range, but '{target.id}' is not a rating."]
    low, high = target.scale
    bounds = [b for b in (condition.low, condition.high) if b is not None]
    if not bounds or any(not low <= b <= high for b in bounds) or (len(bounds) == 2 and bounds[0] > bounds[1]):
        return [f"its condition's range must lie within {low}-{high} of '{target.id}'."]
    return []


def pipe(text: str, values: Mapping[str, object]) -> str:
    """'{name|Kak}, why {score}?' -> 'Ani, why 6?': a missing value takes the fallback after '|' (or nothing).
    Returns plain text: the page's autoescaping escapes what a customer or an import put in."""
    def fill(match: re.Match) -> str:
        value = values.get(match.group(1))
        return str(value) if value not in (None, "") else (match.group(2) or "")
    return PIPE.sub(fill, text)


def pipe_values(customer_name: str, properties: Mapping[str, str], answers: Mapping[str, object],
                survey: Survey) -> dict[str, object]:
    """What `{...}` may name: the customer's name, every property, and the NPS score once given."""
    nps = survey.nps_question
    score = answers.get(nps.id) if nps is not None and nps.type == NPS else None
    return {**properties, "name": customer_name, "score": score}
