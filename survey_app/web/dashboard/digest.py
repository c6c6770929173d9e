"""Each teammate's digest preference (how often, e-mail, WhatsApp, language), and the digest's unsubscribe link,
which works without signing in: the signed token in the link is the proof (RFC 8058 one-click POST too)."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from ...domain.contacts import ContactError
from ...domain.models import LANGUAGES
from ...extensions import csrf
from ...i18n import choose_language
from ...services import digest
from .. import current_store, public
from ..access import own_account
from . import bp


class DigestForm(FlaskForm):
    frequency = SelectField(choices=[SelectChoice(f, f"digest_{f}") for f in digest.FREQUENCIES])
    email_on = BooleanField()
    whatsapp = StringField(validators=[Length(max=30)])
    language = SelectField(choices=[SelectChoice(code, code) for code in LANGUAGES])


@bp.route("/account/digest", methods=["GET", "POST"])
@own_account
def digest_settings():
    saved = digest.preference(current_store(), g.owner, g.lang)
    form = DigestForm() if request.method == "POST" else DigestForm(
        formdata=None, frequency=saved["frequency"], email_on=saved["email_on"], whatsapp=saved["whatsapp_to"],
        language=saved["language"])
    problem = ""
    if form.validate_on_submit():
        try:
            digest.save_preference(current_store(), g.owner, form.frequency.data, form.email_on.data,
                                   form.whatsapp.data or "", form.language.data, current_app.config["COUNTRY_CODE"])
        except ContactError:
            problem = "digest_invalid_phone"
        else:
            flash("saved")
            return redirect(url_for(".digest_settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("dashboard/home_digest.html", form=form, problem=problem), status


@bp.route("/digest/stop/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
def digest_stop(token: str):
    """GET asks (mail scanners open links); POST turns the digest off."""
    g.lang = choose_language(request.args.get("lang"), default="id")
    email = digest.unsubscribed_email(current_app.secret_key, token)
    if email is None:
        return render_template("dashboard/home_digest_stop.html", email=None, done=False, token=token), 404
    if request.method == "POST":
        digest.stop(current_store(), current_app.secret_key, token)
    return render_template("dashboard/home_digest_stop.html", email=email, done=request.method == "POST",
                           token=token)
