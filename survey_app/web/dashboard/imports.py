"""Owner pages for purchase files: upload, the mapping step (roles and a preview) when the file's shape is new,
then the import, inline or as a job. Works without JavaScript: 'preview' and 'import' are two submit buttons."""
from __future__ import annotations

import io

from flask import abort, current_app, g, redirect, render_template, request, url_for

from ...background import owner_jobs
from ...errors import NotFound
from ...imports.mapping import Mapping, suggest
from ...imports.table import TableError, open_table
from ...services import import_purchases, utcnow
from ...services.imports import (known_mapping, mapped_rows, normalised_text, preview, read_text, save_mapping,
                                 stage_upload, staged_table)
from .. import admin_only, current_store, upload_limit
from . import bp
from .forms import ImportForm, MappingForm
from .routes import load_survey


@bp.route("/surveys/<survey_id>/import", methods=["GET", "POST"])
@admin_only
@upload_limit("WEB_IMPORT_MAX_BYTES")
def import_csv(survey_id: str):
    """Small files here (one request must finish in API Gateway's 29 s); bigger ones with the CLI or the API."""
    survey = load_survey(survey_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(survey, form, status=400 if request.method == "POST" else 200)
    try:
        table = open_table(io.BytesIO(form.csv_file.data.read()))
        text, rows = normalised_text(table)
    except TableError as error:
        return _page(survey, form, problem=str(error), status=400)
    mapping = known_mapping(current_store(), survey.id, table.headers)
    if mapping is not None:
        return _run(survey, text, rows, mapping)
    upload_id = stage_upload(current_store(), survey.id, text, utcnow())
    if upload_id is None:
        return _page(survey, form, problem="file_too_big_to_map", status=400)
    return redirect(url_for(".import_mapping", survey_id=survey.id, upload_id=upload_id), 303)


@bp.route("/surveys/<survey_id>/import/<upload_id>", methods=["GET", "POST"])
@admin_only
def import_mapping(survey_id: str, upload_id: str):
    """The mapping step: suggested roles, changed by the owner, previewed on the first rows, then imported and
    remembered for the next file of the same shape."""
    survey = load_survey(survey_id)
    try:
        text, table = staged_table(current_store(), survey.id, upload_id)
    except NotFound:
        abort(404)
    mapping = suggest(table.headers)
    form = MappingForm() if request.method == "POST" else MappingForm(data={"roles": list(mapping.roles),
                                                                              "name": mapping.name})
    problems = []
    if form.validate_on_submit():
        mapping = mapping.with_roles(form.roles.data, (form.name.data or "").strip())
        problems = mapping.problems()
        if not problems and request.form.get("action") == "import":
            save_mapping(current_store(), survey.id, mapping)
            answer = _run(survey, text, sum(1 for _ in table.rows), mapping)
            current_store().delete_upload(survey.id, upload_id)
            return answer
    config = current_app.config
    rows = preview(read_text(text), mapping, survey, utcnow(),
                   config["COUNTRY_CODE"], config["TIMEZONE"])
    failed = bool(problems or form.errors)
    return render_template("dashboard/import_mapping.html", survey=survey, form=form, mapping=mapping,
                           columns=list(zip(range(len(mapping.headers)), mapping.headers, form.roles)), preview=rows,
                           problems=problems), 400 if failed else 200


def _run(survey, text: str, rows: int, mapping: Mapping):
    config = current_app.config
    if rows > config["WEB_IMPORT_MAX_ROWS"]:
        return _page(survey, ImportForm(), too_many=True, status=400)
    runner = owner_jobs()
    if rows > config["WEB_IMPORT_INLINE_MAX_ROWS"] and runner.objects:
        started = runner.start_import(survey, text.encode(), g.owner, mapping.to_dict())  # well within the timeout
        return redirect(url_for(".job", job_id=started.id))
    report = import_purchases(current_store(), survey, mapped_rows(read_text(text), mapping),
                              tz_name=config["TIMEZONE"], country_code=config["COUNTRY_CODE"])
    return _page(survey, ImportForm(), report=report, mapping=mapping)


def _page(survey, form, *, report=None, mapping=None, too_many=False, problem="", status=200):
    return render_template("dashboard/import.html", survey=survey, form=form, report=report, mapping=mapping,
                           too_many=too_many, problem=problem, max_rows=current_app.config["WEB_IMPORT_MAX_ROWS"],
                           mappings=list(current_store().mappings_of(survey.id))), status
