"""Owner exports (CSV, JSON Lines) and the printable summary, filtered like the dashboard."""
from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, stream_with_context

from ...domain.metrics import FEW_RESPONSES
from ...services import survey_summary
from ...services.exports import export_csv, export_jsonl
from .. import admin_only, current_store
from . import bp
from .forms import DashboardFilterForm
from .routes import load_survey


def _filters():
    return DashboardFilterForm(request.args).filters(current_app.config["DASHBOARD_DAYS"],
                                                     current_app.config["TIMEZONE"])


@bp.get("/surveys/<survey_id>/export.<fmt>")
@admin_only
def export(survey_id: str, fmt: str):
    survey = load_survey(survey_id)
    filters = _filters()
    name = f"responses-{survey.id}-{filters.first_day}-{filters.last_day}"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        properties = [p for p in current_store().segment_properties(survey.id) if p not in ("language", "channel")]
        body = export_csv(current_store(), survey, filters, properties)
        return Response(stream_with_context(body), mimetype="text/csv", headers=headers)
    if fmt == "jsonl":
        return Response(stream_with_context(export_jsonl(current_store(), survey, filters)),
                        mimetype="application/x-ndjson", headers=headers)
    abort(404)


@bp.get("/surveys/<survey_id>/summary")
def printable(survey_id: str):
    survey = load_survey(survey_id)
    summary = survey_summary(current_store(), survey, _filters(), tz_name=current_app.config["TIMEZONE"],
                             comment_limit=10)
    return render_template("dashboard/printable.html", summary=summary, survey=survey, few=FEW_RESPONSES)
