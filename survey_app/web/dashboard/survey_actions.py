"""Whole-survey actions from the editor: duplicate, archive (no new invitations), restore, and delete for good
(a page saying what goes, then an owner job). Admins only."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from ...background import owner_jobs
from ...services.common import utcnow
from ...services.survey_deletion import deletion_summary
from ...services.surveys import archive_survey, duplicate_survey, restore_survey
from .. import admin_only, current_store
from . import bp
from .forms import ActionForm
from .routes import load_survey


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.post("/surveys/<survey_id>/duplicate")
@admin_only
def duplicate(survey_id: str):
    _checked()
    copy = duplicate_survey(current_store(), load_survey(survey_id))
    flash("duplicated")
    return redirect(url_for(".edit_survey", survey_id=copy.id), 303)


@bp.post("/surveys/<survey_id>/archive")
@admin_only
def archive(survey_id: str):
    _checked()
    archive_survey(current_store(), load_survey(survey_id))
    flash("archived")
    return redirect(url_for(".edit_survey", survey_id=survey_id), 303)


@bp.post("/surveys/<survey_id>/restore")
@admin_only
def restore(survey_id: str):
    _checked()
    restore_survey(current_store(), load_survey(survey_id))
    flash("restored")
    return redirect(url_for(".edit_survey", survey_id=survey_id), 303)


class DeleteForm(FlaskForm):
    understood = BooleanField(validators=[DataRequired()])  # ticked: the owner read what goes


def _confirmation(survey, form: DeleteForm, status: int):
    runner = owner_jobs()
    buckets = [b for b in (runner.objects, runner.logos) if b is not None]
    summary = deletion_summary(current_store(), survey, buckets, utcnow().isoformat())
    return render_template("dashboard/delete_survey.html", survey=survey, summary=summary, form=form), status


@bp.get("/surveys/<survey_id>/delete")
@admin_only
def confirm_delete(survey_id: str):
    return _confirmation(load_survey(survey_id), DeleteForm(), 200)


@bp.post("/surveys/<survey_id>/delete")
@admin_only
def delete(survey_id: str):
    survey, form = load_survey(survey_id), DeleteForm()
    if not form.validate_on_submit():
        return _confirmation(survey, form, 400)
    job = owner_jobs().start_deletion(survey, g.owner)
    return redirect(url_for(".job", job_id=job.id), 303)
