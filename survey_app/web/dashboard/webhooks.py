"""The admin's webhooks page: endpoints (URL and events, each with its signing secret), the delivery log of each,
and "send again" for an ended delivery. Deliveries themselves go out from the jobs function, never from here."""
from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ...errors import NotFound
from ...services.webhooks import EVENTS, WebhookError, add_webhook, send_again
from .. import admin_only, current_store
from . import bp
from .forms import ActionForm

LOG_LINES = 50


class WebhookForm(FlaskForm):
    url = StringField(validators=[DataRequired(), Length(max=500)])
    events = SelectMultipleField(choices=[SelectChoice(e, e) for e in EVENTS], default=list(EVENTS),
                                 option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


@bp.route("/webhooks", methods=["GET", "POST"])
@admin_only
def webhooks():
    form, problem = WebhookForm(), None
    if form.validate_on_submit():
        try:
            add_webhook(current_store(), form.url.data, form.events.data, g.owner,
                        require_https=current_app.config["ENV"] not in ("dev", "test"))
        except WebhookError as error:
            problem = str(error)
        else:
            return redirect(url_for(".webhooks"))
    status = 400 if problem or form.errors else 200
    return render_template("dashboard/webhooks.html", form=form, problem=problem, hooks=current_store().webhooks(),
                           action=ActionForm()), status


@bp.get("/webhooks/<hook_id>")
@admin_only
def webhook_log(hook_id: str):
    try:
        hook = current_store().get_webhook(hook_id)
    except NotFound:
        abort(404)
    return render_template("dashboard/webhook_log.html", hook=hook, action=ActionForm(),
                           deliveries=current_store().delivery_log(hook_id, LOG_LINES))


@bp.post("/webhooks/<hook_id>/remove")
@admin_only
def remove_webhook(hook_id: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    current_store().delete_webhook(hook_id)
    return redirect(url_for(".webhooks"))


@bp.post("/webhooks/<hook_id>/send-again")
@admin_only
def send_delivery_again(hook_id: str):
    """The form names the delivery by its survey, subject and id (the delivery item's key)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    fields = [request.form.get(name, "")[:100] for name in ("survey_id", "subject_id", "delivery_id")]
    if not all(fields) or not send_again(current_store(), *fields):
        abort(409)
    return redirect(url_for(".webhook_log", hook_id=hook_id))
