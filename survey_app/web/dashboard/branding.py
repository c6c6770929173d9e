"""The owner's branding page (admins only): business name and brand colour by a plain form; the logo is posted by
the browser straight to S3 (a presigned POST, no JavaScript), which sends it back here to be checked."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from ...domain.branding import BrandingError
from ...errors import NotFound
from ...services import branding
from .. import admin_only, current_store, public
from ..headers import CSP, asset_origin
from . import bp
from .forms import ActionForm
from .routes import load_survey


class BrandingForm(FlaskForm):
    business_name = StringField()
    brand_colour = StringField()


def logo_bucket():
    """One S3 client per app, built on first use (none on the answer path); None when no bucket is configured."""
    name = current_app.config["BRANDING_BUCKET"]
    if not name:
        return None
    if "branding_bucket" not in current_app.extensions:
        from ...store.branding import LogoBucket
        current_app.extensions["branding_bucket"] = LogoBucket(name, current_app.config["AWS_REGION"])
    return current_app.extensions["branding_bucket"]


@bp.app_template_global()
def logo_url(key: str) -> str:
    """The CDN's copy in production (BRANDING_URL); this app's own route otherwise (local, moto)."""
    base = current_app.config["BRANDING_URL"]
    return f"{base.rstrip('/')}/{key}" if base else url_for("dashboard.branding_logo", key=key)


def _page(survey, form, problem: str, status: int) -> Response:
    bucket = logo_bucket()
    upload = branding.logo_upload(bucket, current_app.secret_key, survey.id, lambda token: url_for(
        ".branding_logo_uploaded", survey_id=survey.id, token=token, _external=True)) if bucket else None
    response = Response(render_template("dashboard/branding.html", survey=survey, form=form, upload=upload,
                                        remove=ActionForm(), problem=PROBLEMS.get(problem, "")), status)
    if upload:  # this page's upload form posts to S3 itself: the one origin added to form-action
        policy = CSP.format(cdn=asset_origin(current_app.config["STATIC_URL"]), nonce="", framing="'none'")
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", f"form-action 'self'{asset_origin(upload['url'])}")
    return response


@bp.route("/surveys/<survey_id>/branding", methods=["GET", "POST"])
@admin_only
def branding_settings(survey_id: str):
    survey = load_survey(survey_id)
    form = BrandingForm() if request.method == "POST" else BrandingForm(
        formdata=None, business_name=survey.business_name, brand_colour=survey.brand_colour)
    problem = ""
    if form.validate_on_submit():
        try:
            branding.save_branding(current_store(), survey, form.business_name.data or "", form.brand_colour.data or "")
        except BrandingError as error:
            problem = str(error)
        except branding.SurveyChanged:
            problem = "survey_changed"
        else:
            flash("saved")
            return redirect(url_for(".branding_settings", survey_id=survey_id), 303)
    status = 400 if request.method == "POST" else 200
    return _page(survey, form, problem, status)


@bp.get("/surveys/<survey_id>/branding/logo")
@admin_only
def branding_logo_uploaded(survey_id: str):
    """S3's success_action_redirect: a GET, so the signed token (one key, this survey, 20 minutes) is the guard.
    Recorded: back to the page; refused: the page itself, saying why (the object is gone)."""
    survey, bucket = load_survey(survey_id), logo_bucket()
    problem = "logo_missing"
    if bucket is not None:
        try:
            branding.accept_logo(current_store(), bucket, current_app.secret_key, survey, request.args.get("token", ""))
        except BrandingError as error:
            problem = str(error)
        except branding.SurveyChanged:
            problem = "survey_changed"
        else:
            flash("saved")
            return redirect(url_for(".branding_settings", survey_id=survey_id), 303)
    form = BrandingForm(formdata=None, business_name=survey.business_name, brand_colour=survey.brand_colour)
    return _page(survey, form, problem, 200)


@bp.post("/surveys/<survey_id>/branding/logo/remove")
@admin_only
def branding_logo_remove(survey_id: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    branding.remove_logo(current_store(), load_survey(survey_id))
    flash("saved")
    return redirect(url_for(".branding_settings", survey_id=survey_id), 303)


@bp.get("/logos/<path:key>")
@public
def branding_logo(key: str):
    """Local stand-in for the CDN: serves a key only while it is its survey's recorded logo."""
    bucket, parts = logo_bucket(), key.split("/")
    if bucket is None or len(parts) != 3 or parts[0] != "branding":
        abort(404)
    try:
        if current_store().get_survey(parts[1]).logo_key != key:
            abort(404)
        data = bucket.read(key)
    except NotFound:
        abort(404)
    return Response(data, mimetype=branding.logo_content_type(key, data) or "application/octet-stream",
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})


PROBLEMS = {"brand_colour_not_hex": "The colour must be written #rrggbb.",
            "brand_colour_low_contrast": "White text on this colour (and this colour on white) would be hard to read: "
                                         "pick a darker colour (WCAG AA, contrast at least 4.5:1).",
            "business_name_too_long": "The business name may have at most 80 characters.",
            "logo_link_invalid": "That upload link has expired: choose the file again.",
            "logo_missing": "The upload did not arrive: choose the file again.",
            "logo_too_big": "The logo may be at most 20 KB.",
            "logo_wrong_type": "The logo must be a PNG, JPEG or WebP image of the type chosen (SVG is not accepted).",
            "survey_changed": "Someone else saved this survey a moment ago: try again."}
