"""One WTForms form class per survey and language, built from the survey's questions."""
from __future__ import annotations

import re
import secrets

from flask import request
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...domain.models import CHOICE_TYPES, LONG_TEXT, MULTI, RATING_SCALES, SHORT_TEXT, Question, Survey
from ...i18n import translate

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 2000
SUBMISSION_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def field_name(question: Question) -> str:
    return f"q_{question.id}"


def new_submission_id() -> str:
    return secrets.token_hex(16)


class _AllOf:
    """Every checked box must be one of the offered options."""

    def __init__(self, values, message):
        self.values, self.message = set(values), message

    def __call__(self, form, field):
        if any(v not in self.values for v in field.data or [] if v.strip()):
            raise ValidationError(self.message)


def _field_for(question: Question, lang: str, deferred: bool = False):
    """`deferred`: a question with display logic on a page where it may stay hidden; it is required only on the
    step that asks it once its condition holds."""
    label = question.label.get(lang)
    required = question.required and not deferred
    presence = InputRequired(translate("field_required", lang)) if required else Optional()
    invalid = translate("invalid_choice", lang)
    if question.type in RATING_SCALES:
        low, high = RATING_SCALES[question.type]
        values = [str(v) for v in range(low, high + 1)]
        return RadioField(label, choices=[SelectChoice(v, v) for v in values], validate_choice=False,
                          validators=[presence, AnyOf(values, message=invalid)])
    if question.type in CHOICE_TYPES:
        choices = [SelectChoice(o.value, o.label.get(lang)) for o in question.live_options]
        values = [o.value for o in question.live_options]
        if question.type == MULTI:  # no Optional(): it looks at the first value only and would skip _AllOf
            needed = [InputRequired(translate("field_required", lang))] if required else []
            return SelectMultipleField(label, choices=choices, validate_choice=False,
                                       widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                       validators=needed + [_AllOf(values, invalid)])
        return RadioField(label, choices=choices, validate_choice=False,
                          validators=[presence, AnyOf(values, message=invalid)])
    limit = SHORT_TEXT_MAX if question.type == SHORT_TEXT else LONG_TEXT_MAX
    field_class = TextAreaField if question.type == LONG_TEXT else StringField
    return field_class(label, validators=[presence, Length(max=limit, message=translate("too_long", lang, limit=limit))],
                       render_kw={"maxlength": limit})


class AnswerFormBase(FlaskForm):
    survey = HiddenField()  # lets a failed POST be drawn again from the survey alone
    submission = HiddenField()
    quick = HiddenField()  # "1" when the page sent a one-tap score by itself

    def submission_id(self) -> str:
        """The id the page was rendered with, so a resent POST is recognised as the same submission."""
        value = self.submission.data or ""
        return value if SUBMISSION_PATTERN.match(value) else new_submission_id()


def answer_form(survey: Survey, lang: str, questions: list[Question] | None = None, **kwargs) -> AnswerFormBase:
    """The form for all of a survey's questions (those with display logic optional: they may stay hidden), or
    for some (the next step, where every question asked applies)."""
    first_step = questions is None
    form_class = type("AnswerForm", (AnswerFormBase,), {
        field_name(q): _field_for(q, lang, deferred=first_step and q.show_when is not None)
        for q in (survey.live_questions if first_step else questions)
    })
    if request.method == "POST":  # form fields only: Flask-WTF would otherwise read a JSON body as the form
        kwargs.setdefault("formdata", request.form)
    return form_class(**({"survey": survey.id} | kwargs))


def answers_of(form: AnswerFormBase, questions) -> dict[str, object]:
    """Validated form data as stored answers: ratings as int, choices as values, text stripped."""
    answers: dict[str, object] = {}
    for question in questions:
        value = form[field_name(question)].data
        if question.type in RATING_SCALES:
            value = int(value) if value is not None and str(value).strip() else None
        elif isinstance(value, str):
            value = value.strip()
        elif isinstance(value, list):
            value = [v for v in value if v.strip()]
        answers[question.id] = value
    return answers
