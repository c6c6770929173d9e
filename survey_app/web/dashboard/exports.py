"""Owner exports (CSV, JSON Lines) and the printable summary, filtered like the dashboard. A survey too large
for one response (Lambda: 6 MB, a 15 s timeout) exports through an owner job to S3 instead."""
from __future__ import annotations

from flask import Response, abort, current_app, g, redirect, render_template, request, stream_with_context, url_for

from ...background import owner_jobs
from ...domain.metrics import FEW_RESPONSES
from ...services import survey_summary
from ...services.exports import CONTENT_TYPES, export_csv, export_jsonl, export_xlsx, export_properties, responses_to_read
from .. import admin_only, current_store
from . import bp
from .forms import ActionForm, DashboardFilterForm
from .routes import load_survey


def _filters():
    return DashboardFilterForm(request.args).filters(current_app.config["DASHBOARD_DAYS"],
                                                     current_app.config["TIMEZONE"])


@bp.route("/surveys/<survey_id>/export.<fmt>", methods=["GET", "POST"])
@admin_only
def export(survey_id: str, fmt: str):
    """Small: streamed now. Large: a page offering the job (GET never starts one); its POST starts it."""
    if fmt not in CONTENT_TYPES:
        abort(404)
    survey = load_survey(survey_id)
    filters = _filters()
    runner = owner_jobs()
    reads = responses_to_read(current_store(), survey, filters)
    if runner.objects is not None and reads > current_app.config["EXPORT_INLINE_MAX_ROWS"]:
        form = ActionForm()
        if form.validate_on_submit():
            started = runner.start_export(survey, filters, fmt, g.owner)
            return redirect(url_for(".job", job_id=started.id))
        status = 400 if request.method == "POST" else 200
        return render_template("dashboard/export_job.html", survey=survey, filters=filters, fmt=fmt, form=form,
                               responses=reads), status
    if request.method == "POST":
        abort(400)
    name = f"responses-{survey.id}-{filters.first_day}-{filters.last_day}"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"}
    if fmt == "xlsx":  # at most EXPORT_INLINE_MAX_ROWS rows here: a small workbook, sent whole
        with export_xlsx(current_store(), survey, filters, export_properties(current_store(), survey),
                         tz_name=current_app.config["TIMEZONE"]) as workbook:
            return Response(workbook.read(), mimetype=CONTENT_TYPES[fmt], headers=headers)
    if fmt == "csv":
        body = export_csv(current_store(), survey, filters, export_properties(current_store(), survey),
                          tz_name=current_app.config["TIMEZONE"])
    else:
        body = export_jsonl(current_store(), survey, filters, tz_name=current_app.config["TIMEZONE"])
    return Response(stream_with_context(body), mimetype=CONTENT_TYPES[fmt], headers=headers)


@bp.get("/surveys/<survey_id>/summary")
def printable(survey_id: str):
    survey = load_survey(survey_id)
    summary = survey_summary(current_store(), survey, _filters(), tz_name=current_app.config["TIMEZONE"],
                             comment_limit=10)
    return render_template("dashboard/printable.html", summary=summary, survey=survey, few=FEW_RESPONSES)
