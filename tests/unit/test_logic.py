"""Display conditions and piping: what applies given earlier answers and properties, what a definition may say."""
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from survey_app.domain.logic import applicable, asked_now, condition_errors, holds, pipe, without_hidden
from survey_app.domain.models import CSAT, MULTI, NPS, Condition, Option, Question, Text
from survey_app.services import survey_from_template

DETRACTOR = Condition(question="nps", low=0, high=6)


def by_score() -> object:
    return survey_from_template("nps_by_score", datetime(2026, 12, 1, tzinfo=timezone.utc))


@pytest.mark.parametrize(("score", "expected"), [(0, True), (6, True), (7, False), (10, False), (None, None)])
def test_a_range_condition_holds_inside_its_bounds_and_waits_while_unanswered(score, expected):
    assert holds(DETRACTOR, {"nps": score} if score is not None else {}, {}) is expected


def test_an_options_condition_holds_when_any_named_option_was_chosen():
    condition = Condition(question="liked", options=("price",))
    assert holds(condition, {"liked": ["speed", "price"]}, {}) is True
    assert holds(condition, {"liked": ["speed"]}, {}) is False


def test_a_property_condition_is_decided_at_once_without_case():
    condition = Condition(property="store", values=("Solo",))
    assert holds(condition, {}, {"store": " solo "}) is True and holds(condition, {}, {"store": "Medan"}) is False


def test_the_default_template_asks_each_nps_group_its_own_follow_up():
    survey = by_score()
    assert [q.id for q in asked_now(survey, {})] == ["nps", "csat_delivery"]
    follow_ups = {score: [q.id for q in applicable(survey, {"nps": score}, {})][1] for score in (3, 7, 10)}
    assert follow_ups == {3: "went_wrong", 7: "to_ten", 10: "loved"}


def test_answers_to_questions_that_no_longer_apply_are_dropped():
    survey = by_score()
    answers = {"nps": 9, "went_wrong": "shown by a script, then the score changed", "loved": "the coffee"}
    assert without_hidden(survey, answers, {}) == {"nps": 9, "loved": "the coffee"}


def test_a_condition_may_only_look_back_at_an_earlier_question_of_a_fitting_type():
    survey = by_score()
    first, *rest = survey.questions
    looks_forward = replace(first, show_when=Condition(question="csat_delivery", low=1, high=2))
    assert "not an earlier question" in condition_errors(replace(survey, questions=(looks_forward, *rest)))[0]
    on_itself = replace(first, show_when=Condition(question="nps", low=0, high=6))
    assert condition_errors(replace(survey, questions=(on_itself, *rest)))
    text_range = Question("x", CSAT, Text("x", "x"), show_when=Condition(question="loved", low=1, high=2))
    assert "not a rating" in condition_errors(replace(survey, questions=survey.questions + (text_range,)))[0]
    out_of_scale = Question("y", CSAT, Text("y", "y"), show_when=Condition(question="nps", low=0, high=11))
    assert "within 0-10" in condition_errors(replace(survey, questions=survey.questions + (out_of_scale,)))[0]
    liked = Question("liked", MULTI, Text("l", "l"), options=(Option("a", Text("a", "a")), Option("b", Text("b", "b"))))
    unknown = Question("z", NPS, Text("z", "z"), show_when=Condition(question="liked", options=("c",)))
    assert "does not have" in condition_errors(replace(survey, questions=(liked, unknown)))[0]
    assert condition_errors(survey) == []


def test_piping_fills_values_and_falls_back_when_missing():
    text = "Hi {name|Kak}, about {product|your order}: why {score}?"
    assert pipe(text, {"name": "Ani", "product": "Kopi", "score": 6}) == "Hi Ani, about Kopi: why 6?"
    assert pipe(text, {"name": ""}) == "Hi Kak, about your order: why ?"
    assert pipe("{not a pipe} {Name}", {"Name": "x"}) == "{not a pipe} {Name}"
