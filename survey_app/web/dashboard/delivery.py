"""Owner pages for getting invitations out: delivery settings, what was sent and what failed,
the WhatsApp send list, API keys and QR codes."""
from __future__ import annotations

import io
from dataclasses import replace

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for

from ...domain.chat_rules import failure_counts
from ...errors import NotFound
from ...services import (create_api_key, failures, mark_sent, retry_failed, revoke_api_key, save_survey, send_list,
                         survey_summary, whatsapp_share_link)
from ...services.accounts import SCOPES, ApiKeyError
from ...services.common import utcnow
from ...services.dashboard import Filters
from ...services.email_feedback import email_rates
from .. import admin_only, current_store
from . import bp
from .forms import ActionForm, ApiKeyForm, DeliveryForm
from .routes import load_survey


@bp.route("/surveys/<survey_id>/delivery", methods=["GET", "POST"])
@admin_only
def delivery(survey_id: str):
    survey = load_survey(survey_id)
    form = DeliveryForm() if request.method == "POST" else DeliveryForm.for_delivery(survey.delivery)
    if form.validate_on_submit():
        save_survey(current_store(), replace(survey, delivery=form.to_delivery()))
        flash("saved")
        return redirect(url_for(".delivery", survey_id=survey_id))
    rates = email_rates(current_store(), current_app.config["TIMEZONE"], utcnow())
    return render_template("dashboard/delivery.html", survey=survey, form=form, email_rates=rates,
                           refused=current_store().open_refusals(survey_id)), 400 if form.errors else 200


@bp.get("/surveys/<survey_id>/invitations")
def invitations(survey_id: str):
    survey = load_survey(survey_id)
    filters = Filters.last_days(current_app.config["DASHBOARD_DAYS"], current_app.config["TIMEZONE"])
    summary = survey_summary(current_store(), survey, filters, tz_name=current_app.config["TIMEZONE"],
                             comment_limit=0, with_segments=False)
    return render_template("dashboard/invitations.html", survey=survey, delivery=summary.delivery(),
                           wa_failures=failure_counts(summary.totals),
                           failed=failures(current_store(), survey), latest=current_store().invitations_of(survey.id),
                           action=ActionForm())


@bp.post("/surveys/<survey_id>/invitations/<token>/retry")
def retry(survey_id: str, token: str):
    invitation = _invitation_of(survey_id, token)
    if ActionForm().validate_on_submit():
        retry_failed(current_store(), invitation)
    return redirect(url_for(".invitations", survey_id=survey_id))


@bp.get("/surveys/<survey_id>/send-list")
@admin_only
def whatsapp_send_list(survey_id: str):
    survey = load_survey(survey_id)
    rows = []
    for invitation in send_list(current_store(), survey):
        link = url_for("answer.personal", token=invitation.token, _external=True)
        rows.append((invitation, whatsapp_share_link(invitation, link, invitation.language or survey.default_language)))
    return render_template("dashboard/send_list.html", survey=survey, rows=rows, action=ActionForm())


@bp.post("/surveys/<survey_id>/send-list/<token>/sent")
def mark_as_sent(survey_id: str, token: str):
    invitation = _invitation_of(survey_id, token)
    if ActionForm().validate_on_submit():
        mark_sent(current_store(), invitation, tz_name=current_app.config["TIMEZONE"])
    return redirect(url_for(".whatsapp_send_list", survey_id=survey_id))


def _invitation_of(survey_id: str, token: str):
    try:
        invitation = current_store().get_invitation(token)
    except NotFound:
        abort(404)
    if invitation.survey_id != survey_id:
        abort(404)
    return invitation


@bp.route("/api-keys", methods=["GET", "POST"])
@admin_only
def api_keys():
    form, new_key, problem = ApiKeyForm(), None, None
    surveys = {s.id: s.title.get(g.lang) for s in current_store().list_surveys()}
    form.surveys.choices = list(surveys.items())
    if form.validate_on_submit():
        try:
            new_key = create_api_key(current_store(), form.label.data, g.owner, form.scopes.data, form.surveys.data)
        except ApiKeyError as error:
            problem = str(error)
    return render_template("dashboard/api_keys.html", form=form, new_key=new_key, problem=problem, surveys=surveys,
                           scopes=SCOPES, keys=current_store().list_api_keys(), action=ActionForm()), \
        400 if form.errors or problem else 200


@bp.post("/api-keys/<key_hash>/revoke")
def revoke(key_hash: str):
    if ActionForm().validate_on_submit():
        revoke_api_key(current_store(), key_hash)
    return redirect(url_for(".api_keys"))


@bp.get("/surveys/<survey_id>/qr.<any(png, svg):kind>")
def qr_code(survey_id: str, kind: str):
    """The open link as a QR code for counters and receipts."""
    import segno

    survey = load_survey(survey_id)
    buffer = io.BytesIO()
    segno.make(url_for("answer.open_link", survey_id=survey.id, _external=True), error="m").save(
        buffer, kind=kind, scale=12 if kind == "png" else 10, border=2)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/png" if kind == "png" else "image/svg+xml", as_attachment=True,
                     download_name=f"survey-{survey.id}-qr.{kind}")


@bp.get("/surveys/<survey_id>/poster")
def poster(survey_id: str):
    """A printable A5 poster with the QR code and a short invitation in both languages."""
    survey = load_survey(survey_id)
    return render_template("dashboard/poster.html", survey=survey,
                           open_url=url_for("answer.open_link", survey_id=survey.id, _external=True))

