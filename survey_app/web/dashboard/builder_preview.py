"""The builder's phone-sized preview of the form as it stands, unsaved: the builder posts its fields here (the
Preview button without scripts; static/builder.js a moment after each change) into the preview frame, and the
answer page's own template draws the draft. Nothing is written to the table."""
from __future__ import annotations

from flask import g, render_template, request

from ...domain.models import DefinitionError
from ...domain.validation import validate_survey
from .. import admin_only
from ..answer.forms import answer_form, field_name
from . import bp
from .forms import SurveyEditForm
from .routes import load_survey


@bp.post("/surveys/<survey_id>/preview")
@admin_only
def preview_draft(survey_id: str):
    survey = load_survey(survey_id)
    g.frameable = True  # drawn in the builder's frame, as the saved preview is
    g.lang = request.args.get("lang") if request.args.get("lang") in ("id", "en") else survey.default_language
    form = SurveyEditForm()
    if not form.validate_on_submit():  # a missing or stale CSRF token is answered by the app's CSRF handler
        return render_template("dashboard/preview_problems.html", survey=survey, problems=[],
                               field_errors=form.errors), 400
    try:
        draft = form.apply_to(survey)
        validate_survey(draft)
    except DefinitionError as error:
        return render_template("dashboard/preview_problems.html", survey=survey, problems=error.errors,
                               field_errors={}), 400
    return render_template("answer/form.html", survey=draft, invitation=None, form=answer_form(draft, g.lang),
                           field_name=field_name, notice=None, preview=True, action="",
                           questions=draft.live_questions)
