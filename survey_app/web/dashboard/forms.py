"""Owner forms: new survey, survey editor (questions as a FieldList), links, delivery, imports, API keys."""
from __future__ import annotations

import re
from dataclasses import asdict, replace
from datetime import date, timedelta

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, HiddenField, IntegerField, SelectChoice,
                     SelectField, StringField, TextAreaField)
from wtforms.fields import SelectMultipleField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...domain.contacts import ContactError, normalise_email, normalise_phone
from ...services.accounts import SCOPES
from ...domain.models import CASE_STATES, NPS, NPS_RANGES, QUESTION_TYPES, Condition, Delivery, Option, Question, Survey, Text
from ...domain.templates import TEMPLATES
from ...domain.themes import THEMES
from ...imports.headers import ROLES
from ...services.dashboard import CATEGORY_SCORES, Filters

LANGUAGE_CHOICES = [SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")]
SHOW_WHEN_VALUES = ("", *NPS_RANGES, "keep")  # shown in words: "always", "when the score is 0-6"...
SHOW_WHEN_CHOICES = [SelectChoice(value, value) for value in SHOW_WHEN_VALUES]
QUESTION_PROBLEM = re.compile(r"^Question (\d+): (.*)$", re.S)


def _stripped(field) -> str:
    """A text field's value without surrounding spaces; "" when the post left the field out (data is None)."""
    return (field.data or "").strip()


class NewSurveyForm(FlaskForm):
    template = SelectField(choices=[SelectChoice(key, t["name"].en) for key, t in TEMPLATES.items()])
    default_language = SelectField(choices=LANGUAGE_CHOICES)


class QuestionForm(Form):
    """One question row; a blank row at the end lets an owner add a question without JavaScript."""

    id = StringField(validators=[Optional(), Length(max=40)])
    type = SelectField(choices=[SelectChoice(t, t) for t in QUESTION_TYPES])
    label_en = StringField(validators=[Length(max=500)])
    label_id = StringField(validators=[Length(max=500)])
    required = BooleanField()
    options = TextAreaField(validators=[Length(max=4000)])
    show_when = SelectField(choices=SHOW_WHEN_CHOICES, default="")
    position = IntegerField(validators=[Optional(), NumberRange(min=1, max=99)])
    copy = BooleanField()  # "duplicate": a copy of this question is added after it, with a new id
    remove = BooleanField()

    def is_blank(self) -> bool:
        return not (self.id.data or self.label_en.data or self.label_id.data)

    def to_question(self, nps_id: str | None, kept: Condition | None) -> Question:
        """`nps_id`: the survey's NPS question, which the plain-words conditions look at; `kept`: the condition the
        question had, for "as set outside the editor"."""
        return Question(
            id=_stripped(self.id), type=self.type.data,
            label=Text(_stripped(self.label_en), _stripped(self.label_id)),
            required=bool(self.required.data), options=tuple(parse_options(self.options.data or "")),
            show_when=_condition(self.show_when.data, nps_id, kept),
        )


def _condition(choice: str, nps_id: str | None, kept: Condition | None) -> Condition | None:
    if choice == "keep":
        return kept
    if choice in NPS_RANGES:  # with no NPS question, a condition on "nps" is refused by validation, in words
        low, high = NPS_RANGES[choice]
        return Condition(question=nps_id or "nps", low=low, high=high)
    return None


def _kept(survey: Survey, question_id: str | None) -> Condition | None:
    question = survey.question((question_id or "").strip())
    return question.show_when if question else None


def parse_options(text: str) -> list[Option]:
    """'value | English | Indonesian' per line; missing labels fall back to the value."""
    options = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        en = parts[1] if len(parts) > 1 and parts[1] else parts[0]
        id_ = parts[2] if len(parts) > 2 and parts[2] else en
        options.append(Option(parts[0], Text(en, id_)))
    return options


def format_options(options) -> str:
    return "\n".join(f"{o.value} | {o.label.en} | {o.label.id}" for o in options)


class SurveyEditForm(FlaskForm):
    title_en = StringField(validators=[Length(max=200)])
    title_id = StringField(validators=[Length(max=200)])
    intro_en = TextAreaField(validators=[Length(max=1000)])
    intro_id = TextAreaField(validators=[Length(max=1000)])
    default_language = SelectField(choices=LANGUAGE_CHOICES)
    questions = FieldList(FormField(QuestionForm), min_entries=1, max_entries=31)
    review_url = StringField(validators=[Length(max=500)])
    review_property = StringField(validators=[Length(max=40)])
    review_urls = TextAreaField(validators=[Length(max=20000)])

    @classmethod
    def for_survey(cls, survey: Survey) -> "SurveyEditForm":
        rows = [{
            "id": q.id, "type": q.type, "label_en": q.label.en, "label_id": q.label.id,
            "required": q.required, "options": format_options(q.live_options), "position": number,
            "show_when": (q.show_when.nps_range_name(survey) or "keep") if q.show_when else "",
        } for number, q in enumerate(survey.live_questions, start=1)]
        rows.append({"position": len(rows) + 1})
        return cls(data={
            "title_en": survey.title.en, "title_id": survey.title.id, "intro_en": survey.intro.en,
            "intro_id": survey.intro.id, "default_language": survey.default_language, "questions": rows,
            "review_url": survey.review_url, "review_property": survey.review_property,
            "review_urls": "\n".join(f"{store} | {url}" for store, url in survey.review_urls.items()),
        })

    def apply_to(self, survey: Survey) -> Survey:
        """The edited survey: rows in the order of their positions (a moved row first on a tie), each duplicate
        right after its original; `self.placed` says which row each question came from, for errors in place."""
        kept = [(index, row.form) for index, row in enumerate(self.questions)
                if not row.form.remove.data and not row.form.is_blank()]
        kept.sort(key=lambda pair: _place(pair[0], pair[1].position.data))
        nps_id = next((_stripped(row.id) for _, row in kept if row.type.data == NPS), None)
        questions, self.placed = [], []
        for index, row in kept:
            question = row.to_question(nps_id, _kept(survey, row.id.data))
            copies = [question, _copy_of(question, {q.id for q in questions} | {r.id.data for _, r in kept})] \
                if row.copy.data else [question]
            questions += copies
            self.placed += [index] * len(copies)
        return replace(
            survey, title=Text(_stripped(self.title_en), _stripped(self.title_id)),
            intro=Text(_stripped(self.intro_en), _stripped(self.intro_id)),
            questions=tuple(questions),
            default_language=self.default_language.data, review_url=_stripped(self.review_url),
            review_property=_stripped(self.review_property), review_urls=_review_urls(self.review_urls.data),
        )


    def problems_by_row(self, problems: list[str]) -> tuple[list[str], dict[int, list[str]]]:
        """Definition problems shown beside their question ("Question 3: ..." -> that row), the rest on top."""
        general, by_row = [], {}
        for problem in problems:
            found = QUESTION_PROBLEM.match(problem)
            number = int(found.group(1)) - 1 if found else -1
            if 0 <= number < len(getattr(self, "placed", ())):
                by_row.setdefault(self.placed[number], []).append(found.group(2))
            else:
                general.append(problem)
        return general, by_row


def _place(index: int, position: int | None) -> tuple[int, int, int]:
    """A row moved to position 2 goes before the row that was already 2nd; unmoved rows keep the page's order."""
    wanted = position or index + 1
    return wanted, 0 if wanted != index + 1 else 1, index


def _copy_of(question: Question, taken: set[str]) -> Question:
    """A duplicate with the first free id: nps_2, nps_3..."""
    number = 2
    while f"{question.id[:37]}_{number}" in taken:
        number += 1
    return replace(question, id=f"{question.id[:37]}_{number}")


def _review_urls(text: str | None) -> dict[str, str]:
    """'Solo | https://g.page/r/abc' per line -> {"Solo": "https://g.page/r/abc"} (validation checks the links)."""
    pairs = (line.rsplit("|", 1) for line in (text or "").splitlines() if "|" in line)
    return {store.strip(): url.strip() for store, url in pairs if store.strip()}


class PersonalLinkForm(FlaskForm):
    customer_name = StringField(validators=[Optional(), Length(max=100)])
    contact = StringField(validators=[Optional(), Length(max=254)])
    order_ref = StringField(validators=[Optional(), Length(max=100)])
    product = StringField(validators=[Optional(), Length(max=100)])
    store = StringField(validators=[Optional(), Length(max=100)])
    language = SelectField(choices=[SelectChoice("", "—")] + LANGUAGE_CHOICES, validators=[Optional()])

    def validate_contact(self, field):
        try:
            self.contact_parts()
        except ContactError as error:
            raise ValidationError(f"Use a phone number or an e-mail address: {error}.") from None

    def contact_parts(self) -> dict[str, str]:
        """{'email': ...} or {'phone': ...} (E.164) from the one contact box."""
        value = _stripped(self.contact)
        if "@" in value:
            return {"email": normalise_email(value)}
        return {"phone": normalise_phone(value)} if value else {}


def error_lines(errors, prefix: str = ""):
    """WTForms' nested errors (FieldList of FormField) as readable lines: 'questions #5 type: Not a valid choice.'"""
    if isinstance(errors, dict):
        for name, nested in errors.items():
            yield from error_lines(nested, f"{prefix}{name} ")
    else:
        for number, error in enumerate(errors, start=1):
            if isinstance(error, (dict, list)):
                yield from error_lines(error, f"{prefix}#{number} ")
            else:
                yield f"{prefix.strip()}: {error}"


CHANNEL_ORDERS = {
    "whatsapp,email": "WhatsApp, then e-mail",
    "email,whatsapp": "E-mail, then WhatsApp",
    "wa_link,email": "WhatsApp send list (click-to-chat), then e-mail",
    "email,wa_link": "E-mail, then WhatsApp send list",
    "whatsapp": "WhatsApp only",
    "email": "E-mail only",
    "wa_link": "WhatsApp send list only",
}


class DeliveryForm(FlaskForm):
    delay_days = IntegerField(validators=[InputRequired(), NumberRange(0, 60)])
    channels = SelectField(choices=[SelectChoice(k, v) for k, v in CHANNEL_ORDERS.items()])
    link_days = IntegerField(validators=[InputRequired(), NumberRange(1, 365)])
    reminder_after_days = IntegerField(validators=[InputRequired(), NumberRange(0, 30)])
    fatigue_days = IntegerField(validators=[InputRequired(), NumberRange(0, 365)])
    purchase_max_age_days = IntegerField(validators=[Optional(), NumberRange(1, 3650)])  # blank: the default

    @classmethod
    def for_delivery(cls, delivery: Delivery) -> "DeliveryForm":
        return cls(data=asdict(delivery) | {"channels": ",".join(delivery.channels)})

    def to_delivery(self) -> Delivery:
        return Delivery(delay_days=self.delay_days.data, channels=tuple(self.channels.data.split(",")),
                        link_days=self.link_days.data, reminder_after_days=self.reminder_after_days.data,
                        fatigue_days=self.fatigue_days.data,
                        purchase_max_age_days=self.purchase_max_age_days.data or Delivery().purchase_max_age_days)


class ImportForm(FlaskForm):
    csv_file = FileField(validators=[FileRequired()])


class MappingForm(FlaskForm):
    """The mapping step: one role per column of the uploaded file, and a name to ask for the mapping by."""

    roles = FieldList(SelectField(choices=[SelectChoice(r, r) for r in ROLES]), max_entries=200)
    name = StringField(validators=[Optional(), Length(max=40)])


class ApiKeyForm(FlaskForm):
    """A key's label, what it may do and which surveys it covers (none ticked: every survey; the view fills them)."""

    label = StringField(validators=[InputRequired(), Length(max=100)])
    scopes = SelectMultipleField(choices=[SelectChoice(s, s) for s in SCOPES], default=["purchases", "read"],
                                 option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    surveys = SelectMultipleField(choices=[], option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class CaseForm(FlaskForm):
    status = SelectField(choices=[SelectChoice(s, s) for s in CASE_STATES])
    assignee = StringField(validators=[Optional(), Length(max=254)])
    note = TextAreaField(validators=[Optional(), Length(max=2000)])
    ask_again = BooleanField()
    version = HiddenField()  # the case version the form was drawn from


class DashboardFilterForm(Form):
    """GET filters (no CSRF: reading only). Bad values fall back to defaults with the field's error shown."""

    first = DateField(validators=[Optional()])
    last = DateField(validators=[Optional()])
    segment = StringField(validators=[Optional(), Length(max=300)])
    by = SelectField(choices=[SelectChoice("week", "week"), SelectChoice("month", "month")], default="week",
                     validate_choice=False)
    category = SelectField(choices=[SelectChoice("", ""), SelectChoice("promoter", "promoter"),
                                    SelectChoice("passive", "passive"), SelectChoice("detractor", "detractor")],
                           validate_choice=False)
    theme = StringField(validators=[Optional(), Length(max=40)])
    q = StringField(validators=[Optional(), Length(max=100)])

    def filters(self, default_days: int, tz_name: str, max_days: int = 731) -> Filters:
        defaults = Filters.last_days(default_days, tz_name)
        self.validate()
        first = self.first.data if self.first.data and not self.first.errors else None
        last = self.last.data if self.last.data and not self.last.errors else None
        last = last or date.fromisoformat(defaults.last_day)
        first = first or (last - (date.fromisoformat(defaults.last_day) - date.fromisoformat(defaults.first_day)))
        if first > last or (last - first).days >= max_days:
            first = last - timedelta(days=default_days - 1)
        segment = None
        if self.segment.data and "=" in self.segment.data:
            prop, value = self.segment.data.split("=", 1)
            segment = (prop, value)
        return Filters(first.isoformat(), last.isoformat(), segment,
                       by=self.by.data if self.by.data in ("week", "month") else "week",
                       category=self.category.data if self.category.data in CATEGORY_SCORES else "",
                       theme=self.theme.data if self.theme.data in THEMES else "", query=_stripped(self.q))


class ErasureForm(FlaskForm):
    email = StringField(validators=[Optional(), Length(max=254)])
    phone = StringField(validators=[Optional(), Length(max=40)])
