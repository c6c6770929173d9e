"""Whole-survey actions from the editor: duplicate, archive (no new invitations) and restore. Admins only."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for

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
