"""/s/<token> personal links, /o/<survey_id> open links, /u/<token> opt-out.

A GET or HEAD never records an answer, and neither does a page that is opened and never touched: mail scanners
open every link in browsers that run scripts. POSTs record once.
"""
from __future__ import annotations

from flask import abort, current_app, g, make_response, redirect, render_template, request, session, url_for

from ...domain import logic
from ...domain.models import Invitation, Survey
from ...errors import AlreadyAnswered, NotFound, StoreUnavailable
from ...i18n import choose_language
from ..errors import render_error
from ...services import LinkExpired, amend_response, open_invitation, opt_out, submit_response
from ...services.surveys import record_review_click
from .. import current_store, public
from . import bp
from .forms import SUBMISSION_PATTERN, answer_form, answers_of, field_name, new_submission_id
from .open_link import HONEYPOT, SHOWN, form_stamp, refusal

OPEN_ANSWERED_KEY = "open_answered"


def _closed():
    """An open link whose survey is gone (deleted): 404 with a page that says it is closed."""
    abort(make_response(render_error(404, "survey_closed_title", "survey_closed_body")))


def _unknown_link():
    """A personal link that does not exist: mistyped, or its survey was deleted with every invitation (nothing
    tells the two apart), so one 404 page says both."""
    abort(404)


def _load_invitation(token: str) -> tuple[Survey, Invitation]:
    try:
        return open_invitation(current_store(), token, tz_name=current_app.config["TIMEZONE"],
                               mark_opened=request.method != "HEAD")
    except NotFound:
        _unknown_link()
    except LinkExpired:
        abort(410)


def _load_open_survey(survey_id: str) -> Survey:
    try:
        return current_store().get_survey(survey_id)
    except NotFound:
        _closed()


def _language(survey: Survey, invitation: Invitation | None) -> str:
    g.lang = choose_language(request.args.get("lang"), invitation.language if invitation else None,
                             default=survey.default_language)
    return g.lang


def _render_form(survey, invitation, form, status=200, notice=None, questions=None, tap_script=False):
    """The first step: every question that may apply; those whose condition waits on an earlier answer are drawn
    hidden, shown in place by the page's script, or asked on the next step without JavaScript."""
    action = (url_for("answer.submit_personal", token=invitation.token) if invitation
              else url_for("answer.open_link", survey_id=survey.id))
    properties = invitation.properties if invitation else {}
    if questions is None:
        questions = [q for q in survey.live_questions if logic.holds(q.show_when, {}, properties) is not False]
    return render_template("answer/form.html", survey=survey, invitation=invitation, form=form, action=action,
                           field_name=field_name, notice=notice, tap_script=tap_script, questions=questions,
                           waiting=_waiting(survey, questions, properties),
                           piped=logic.pipe_values(invitation.customer_name if invitation else "", properties, {},
                                                   survey),
                           bot_check=None if invitation else _bot_check_fields(survey)), status


def _waiting(survey: Survey, questions, properties) -> dict[str, dict]:
    """For each question waiting on an earlier answer, what the page's script compares: the field, a range or
    options."""
    waiting = {}
    for question in questions:
        condition = question.show_when
        if condition is not None and logic.holds(condition, {}, properties) is None:
            target = survey.question(condition.question)
            waiting[question.id] = {"field": field_name(target), "low": condition.low, "high": condition.high,
                                    "any": ",".join(condition.options)}
    return waiting


def _bot_check_fields(survey: Survey) -> dict:
    """The open link's hidden checks: the honeypot's name and the signed moment the form was drawn."""
    return {"honeypot": HONEYPOT, "shown_name": SHOWN, "shown": form_stamp(survey.id)}


@bp.app_template_filter("pipe")
def pipe_filter(text: str, values: dict) -> str:
    """`{name}`, `{score}`, `{product|kami}` in questions and intros; autoescaped like any other text."""
    return logic.pipe(text, values)


def _done(title_key: str, body_key: str, status: int = 200):
    return render_template("answer/done.html", title_key=title_key, body_key=body_key), status


@bp.get("/s/<token>")
@bp.get("/s/<token>/<int:score>")
@public
def personal(token: str, score: int | None = None):
    survey, invitation = _load_invitation(token)
    lang = _language(survey, invitation)
    if invitation.answered_at:
        return _done("already_title", "already_body")
    form = answer_form(survey, lang, submission=new_submission_id())
    nps = survey.nps_question
    # One tap: the score alone is enough when no other question is required (the rest come on the next page).
    quick = nps is not None and not any(q.required for q in survey.live_questions if q is not nps)
    chosen = nps is not None and score is not None and 0 <= score <= 10
    if chosen:
        form[field_name(nps)].data = str(score)
    if not (quick and chosen):
        return _render_form(survey, invitation, form, tap_script=quick)
    # The e-mail's score link: the score preselected and one large send button. Nothing is sent by opening it
    # (mail scanners run scripts too); the page's script sends on the person's first trusted interaction.
    form.quick.data = "1"
    return _render_form(survey, invitation, form, questions=[nps], tap_script=True)


@bp.post("/s/<token>")
@public
def submit_personal(token: str):
    survey, invitation = _load_invitation(token)
    return _submit(survey, invitation)


@bp.route("/o/<survey_id>", methods=["GET", "POST"])
@public
def open_link(survey_id: str):
    survey = _load_open_survey(survey_id)
    lang = _language(survey, None)
    if survey.id in session.get(OPEN_ANSWERED_KEY, []):
        return _done("already_title", "already_body")
    if request.method == "GET":
        return _render_form(survey, None, answer_form(survey, lang, submission=new_submission_id()))
    return _submit(survey, None, guard=_open_link_guard)


def _open_link_guard(survey: Survey, form):
    """After the form is valid: a likely bot's answer is refused and counted for the owner (a honeypot bot is
    thanked, learning nothing); a person who was quicker than the minimum just sends again."""
    reason = refusal(survey.id)
    if reason is None:
        return None
    current_store().count_open_refusal(survey.id, reason)
    if reason == "honeypot":
        return _done("thanks_title", "thanks_body")
    if reason == "rate_limited":
        return _done("rate_limited_title", "rate_limited_body", 429)
    return _render_form(survey, None, form, status=400, notice="send_again")


def _submit(survey: Survey, invitation: Invitation | None, guard=None):
    lang = _language(survey, invitation)
    form = answer_form(survey, lang)
    if not form.validate_on_submit():
        notice = "session_expired" if form.csrf_token.errors else "errors_above"
        return _render_form(survey, invitation, form, status=400, notice=notice)
    refused = guard(survey, form) if guard else None
    if refused is not None:
        return refused
    properties = invitation.properties if invitation else {}
    answers = logic.without_hidden(survey, answers_of(form, survey.live_questions), properties)
    remaining = _next_step(survey, answers, properties, one_tap=form.quick.data == "1")
    try:
        response = submit_response(current_store(), survey, answers, language=lang,
                                   submission_id=form.submission_id(), invitation=invitation,
                                   tz_name=current_app.config["TIMEZONE"], complete=not remaining)
    except AlreadyAnswered:
        return _done("already_title", "already_body", 409)
    except StoreUnavailable as error:
        current_app.logger.error("response not stored, customer asked to retry: %s", error)
        return _render_form(survey, invitation, form, status=503, notice="store_unavailable")
    if invitation is None:
        session[OPEN_ANSWERED_KEY] = (session.get(OPEN_ANSWERED_KEY, []) + [survey.id])[-20:]
    if not remaining:
        return _thanks(survey, invitation, response.score(survey))
    more = answer_form(survey, lang, questions=remaining, submission=response.submission_id)
    action = (url_for("answer.tell_more", token=invitation.token) if invitation
              else url_for("answer.open_more", survey_id=survey.id))
    return render_template("answer/more.html", survey=survey, form=more, action=action, questions=remaining,
                           field_name=field_name, piped=_piped(survey, response))


def _next_step(survey: Survey, answers: dict, properties: dict, one_tap: bool) -> list:
    """After a one-tap score, every question that applies and is unanswered; after a full page, only those that
    waited on its answers (the rest were on the page)."""
    answered = {k for k, v in answers.items() if v not in (None, "", [])}
    remaining = [q for q in logic.applicable(survey, answers, properties) if q.id not in answered]
    if one_tap:
        return remaining
    return [q for q in remaining if q.show_when is not None and q.show_when.property == ""]


def _piped(survey: Survey, response) -> dict:
    return logic.pipe_values(response.customer_name, response.properties, response.answers, survey)


@bp.post("/s/<token>/more")
@public
def tell_more(token: str):
    """The next step (after a one-tap score, or questions that waited on the first answers): added to the same
    response once."""
    survey, invitation = _load_invitation(token)
    return _amend(survey, invitation.token, _language(survey, invitation), invitation)


@bp.post("/o/<survey_id>/more")
@public
def open_more(survey_id: str):
    """The open link's next step: its response is found by the submission id only that browser's form holds."""
    survey = _load_open_survey(survey_id)
    submission = request.form.get("submission", "")
    if not SUBMISSION_PATTERN.match(submission):
        abort(400)
    return _amend(survey, f"o{submission}", _language(survey, None), None)


def _amend(survey: Survey, response_id: str, lang: str, invitation: Invitation | None):
    posted = [q for q in survey.live_questions if field_name(q) in request.form]
    form = answer_form(survey, lang, questions=posted)
    if not form.validate_on_submit():
        return render_template("answer/more.html", survey=survey, form=form, action=request.path, questions=posted,
                               field_name=field_name, notice="errors_above", piped={}), 400
    try:
        response = amend_response(current_store(), survey, response_id, form.submission.data or "",
                                  answers_of(form, posted))
    except NotFound:
        abort(404)
    except AlreadyAnswered:
        return _done("already_title", "already_body", 409)
    return _thanks(survey, invitation, response.score(survey))


def _thanks(survey: Survey, invitation: Invitation | None, score: int | None):
    """The thank-you page, inviting every customer to review the shop in public when the survey has a review page:
    the wording may follow the score, the link never does (Google forbids asking only happy customers)."""
    review = None
    if survey.review_link(invitation.properties if invitation else {}):
        review = {"url": url_for("answer.review", token=invitation.token) if invitation
                  else url_for("answer.open_review", survey_id=survey.id), "happy": score is not None and score >= 9}
    return render_template("answer/done.html", title_key="thanks_title", body_key="thanks_body", review=review)


@bp.get("/s/<token>/review")
@public
def review(token: str):
    """The thank-you page's review link: counted, then on to the shop's review page."""
    try:
        invitation = current_store().get_invitation(token)
        survey = current_store().get_survey(invitation.survey_id)
    except NotFound:
        _unknown_link()
    return _to_review(survey, survey.review_link(invitation.properties))


@bp.get("/o/<survey_id>/review")
@public
def open_review(survey_id: str):
    survey = _load_open_survey(survey_id)
    return _to_review(survey, survey.review_url)


def _to_review(survey: Survey, link: str):
    if not link:
        abort(404)
    record_review_click(current_store(), survey, current_app.config["TIMEZONE"])
    return redirect(link, 302)


@bp.errorhandler(StoreUnavailable)
def store_unavailable(error: StoreUnavailable):
    """DynamoDB failed (after retries) before the answer was written: the customer gets their answers back,
    ready to send again, drawn from the last known survey definition, or as a bare resend form."""
    current_app.logger.error("answer not stored, customer asked to resend: %s", error)
    if request.method != "POST":
        return render_error(503, "error_title", "store_unavailable")
    survey_id = request.form.get("survey") or (request.view_args or {}).get("survey_id", "")
    survey = current_store().last_known_survey(survey_id)
    if survey is None:
        g.lang = choose_language(request.args.get("lang"), default="id")
        return render_template("answer/resend.html", fields=list(request.form.items(multi=True))), 503
    g.lang = choose_language(request.args.get("lang"), default=survey.default_language)
    if request.endpoint in ("answer.tell_more", "answer.open_more"):
        questions = [q for q in survey.live_questions if field_name(q) in request.form]
        form = answer_form(survey, g.lang, questions=questions)
        return render_template("answer/more.html", survey=survey, form=form, action=request.path, questions=questions,
                               field_name=field_name, notice="store_unavailable", piped={}), 503
    form = answer_form(survey, g.lang)
    return render_template("answer/form.html", survey=survey, invitation=None, form=form, action=request.path,
                           field_name=field_name, notice="store_unavailable", questions=survey.live_questions,
                           waiting={}, piped={},
                           bot_check=_bot_check_fields(survey) if request.endpoint == "answer.open_link" else None), 503


@bp.route("/u/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):
    """GET asks (scanners open links); POST stops every future message, also as RFC 8058 one-click."""
    try:
        invitation = current_store().get_invitation(token)
    except NotFound:
        abort(404)
    g.lang = choose_language(request.args.get("lang"), invitation.language, default="id")
    if request.method == "POST":
        opt_out(current_store(), token)
        return _done("unsubscribed_title", "unsubscribed_body")
    return render_template("answer/unsubscribe.html", token=token)
