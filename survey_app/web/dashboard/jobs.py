"""Owner job pages: one job's state, progress and result (a fresh presigned link for a finished export), and the
recent jobs of a survey. While a job runs the page offers a refresh, and refreshes itself (no JavaScript needed)
only when the owner asks, with a link that turns it off again (WCAG 2.2.1: no timed refresh by default)."""
from __future__ import annotations

from flask import abort, render_template, request

from ...background import owner_jobs
from ...domain.jobs import DONE, EXPORT, NO_SURVEY
from ...errors import NotFound
from .. import admin_only, current_store
from . import bp
from .routes import load_survey

REFRESH_SECONDS = 3


@bp.get("/jobs/<job_id>")
@admin_only
def job(job_id: str):
    try:
        found = current_store().get_job(job_id)
    except NotFound:
        abort(404)
    runner = owner_jobs()
    survey = load_survey(found.survey_id) if found.survey_id != NO_SURVEY else None
    link = runner.download_link(found) if found.kind == EXPORT and found.state == DONE else None
    return render_template("dashboard/job.html", job=found, survey=survey, link=link, inline=runner.inline,
                           refresh=REFRESH_SECONDS if request.args.get("refresh") == "on" else None,
                           link_minutes=runner.settings.link_seconds // 60)


@bp.get("/surveys/<survey_id>/jobs")
@admin_only
def jobs(survey_id: str):
    survey = load_survey(survey_id)
    return render_template("dashboard/jobs.html", survey=survey, jobs=current_store().recent_jobs(survey.id))
