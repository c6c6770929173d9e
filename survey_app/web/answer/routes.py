"""/s/<token> personal links and /o/<survey_id> open links: GET only renders, POST records once."""
from __future__ import annotations

from flask import abort, current_app, g, render_template, request

from ...domain.models import Invitation, Survey
from ...errors import AlreadyAnswered, NotFound, StoreUnavailable
from ...i18n import choose_language
from ...services import LinkExpired, open_invitation, submit_response
from .. import current_store, public
from . import bp
from .forms import answer_form, answers_of, field_name, new_submission_id


def _load_invitation(token: str) -> tuple[Survey, Invitation]:
    try:
        return open_invitation(current_store(), token, tz_name=current_app.config["TIMEZONE"])
    except NotFound:
        abort(404)
    except LinkExpired:
        abort(410)


def _load_open_survey(survey_id: str) -> Survey:
    try:
        return current_store().get_survey(survey_id)
    except NotFound:
        abort(404)


def _language(survey: Survey, invitation: Invitation | None) -> str:
    g.lang = choose_language(request.args.get("lang"), invitation.language if invitation else None,
                             default=survey.default_language)
    return g.lang


def _render_form(survey, invitation, form, status=200, notice=None):
    return render_template("answer/form.html", survey=survey, invitation=invitation, form=form,
                           field_name=field_name, notice=notice), status


@bp.get("/s/<token>")
@bp.get("/s/<token>/<int:score>")
@public
def personal(token: str, score: int | None = None):
    survey, invitation = _load_invitation(token)
    lang = _language(survey, invitation)
    if invitation.answered_at:
        return render_template("answer/done.html", title_key="already_title", body_key="already_body")
    form = answer_form(survey, lang, submission=new_submission_id())
    nps = survey.nps_question
    if nps is not None and score is not None and 0 <= score <= 10:
        form[field_name(nps)].data = str(score)
    return _render_form(survey, invitation, form)


@bp.post("/s/<token>")
@public
def submit_personal(token: str):
    survey, invitation = _load_invitation(token)
    return _submit(survey, invitation)


@bp.route("/o/<survey_id>", methods=["GET", "POST"])
@public
def open_link(survey_id: str):
    survey = _load_open_survey(survey_id)
    if request.method == "GET":
        lang = _language(survey, None)
        return _render_form(survey, None, answer_form(survey, lang, submission=new_submission_id()))
    return _submit(survey, None)


def _submit(survey: Survey, invitation: Invitation | None):
    lang = _language(survey, invitation)
    form = answer_form(survey, lang)
    if not form.validate_on_submit():
        notice = "session_expired" if form.csrf_token.errors else "errors_above"
        return _render_form(survey, invitation, form, status=400, notice=notice)
    try:
        submit_response(current_store(), survey, answers_of(form, survey), language=lang,
                        submission_id=form.submission_id(), invitation=invitation,
                        tz_name=current_app.config["TIMEZONE"])
    except AlreadyAnswered:
        return render_template("answer/done.html", title_key="already_title", body_key="already_body"), 409
    except StoreUnavailable as error:
        current_app.logger.error("response not stored, customer asked to retry: %s", error)
        return _render_form(survey, invitation, form, status=503, notice="store_unavailable")
    return render_template("answer/done.html", title_key="thanks_title", body_key="thanks_body")
