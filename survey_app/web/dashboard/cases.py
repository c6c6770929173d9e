"""Owner pages for closing the loop: the case board, one case's workflow and its conversation with the customer."""
from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

from ...errors import NotFound
from ...services import ask_again, case_board, contact_links, update_case, utcnow, whatsapp_share_link
from ...services.case_threads import ReplySettings, case_thread, reply_on_whatsapp
from .. import current_store
from ..access import case_work
from ..webhooks.whatsapp import whatsapp_channel
from . import bp
from .forms import CaseForm
from .routes import load_survey


@bp.get("/surveys/<survey_id>/cases")
def cases(survey_id: str):
    survey = load_survey(survey_id)
    return render_template("dashboard/cases.html", survey=survey, board=case_board(current_store(), survey),
                           now=utcnow().isoformat())


@bp.route("/surveys/<survey_id>/cases/<response_id>", methods=["GET", "POST"])
@case_work
def case(survey_id: str, response_id: str):
    """One case's workflow. A form drawn from an older version than the stored one (another tab, a colleague)
    changes nothing: it is shown the case as it is now, with what was typed kept, to send again."""
    survey = load_survey(survey_id)
    try:
        current = current_store().get_case(survey_id, response_id)
    except NotFound:
        abort(404)
    form = CaseForm() if request.method == "POST" else _drawn(current)
    notice, new_link = None, None
    if form.validate_on_submit():
        updated = None
        if (form.version.data or "") in (str(current.version), ""):  # none posted (a script): applies to now
            updated = update_case(current_store(), current, status=form.status.data,
                                  assignee=form.assignee.data or "", note=form.note.data or "", author=g.owner)
        if updated is None:
            notice = "case_changed"
            current = current_store().get_case(survey_id, response_id)
            form = _drawn(current, note=form.note.data or "")
        else:
            current = updated
            if form.ask_again.data:
                invitation = ask_again(current_store(), survey, current)
                link = url_for("answer.personal", token=invitation.token, _external=True)
                new_link = {"link": link, "whatsapp": whatsapp_share_link(invitation, link, current.language or "id")
                            if invitation.phone else ""}
            form = _drawn(current)
    status = 400 if request.method == "POST" and form.errors else (409 if notice else 200)
    return _page(survey, current, form, status, notice=notice, new_link=new_link)


def _page(survey, case, form, status: int, reply_outcome: str = "", **extra):
    """The case page: workflow form, one-tap contact links, the conversation and the reply box."""
    return render_template("dashboard/case.html", survey=survey, case=case, form=form, now=utcnow().isoformat(),
                           links=contact_links(case, current_app.config["BUSINESS_NAME"]),
                           thread=case_thread(current_store(), case), reply=ReplyForm(formdata=None),
                           can_reply=whatsapp_channel() is not None and bool(case.phone),
                           reply_outcome=reply_outcome, **({"notice": None, "new_link": None} | extra)), status


class ReplyForm(FlaskForm):
    text = TextAreaField(validators=[Length(max=4096)])
    template = BooleanField()  # outside the 24-hour window: the approved reply template instead of free text


@bp.post("/surveys/<survey_id>/cases/<response_id>/reply")
@case_work
def reply(survey_id: str, response_id: str):
    """The owner's message to the customer through the Cloud API, then back to the case (its thread shows it);
    outside the window free text is refused (409) and the page offers the template instead."""
    survey = load_survey(survey_id)
    try:
        current = current_store().get_case(survey_id, response_id)
    except NotFound:
        abort(404)
    form = ReplyForm()
    if not form.validate_on_submit() or not (form.template.data or (form.text.data or "").strip()):
        abort(400)
    outcome = reply_on_whatsapp(current_store(), whatsapp_channel(), current, form.text.data or "", g.owner,
                                ReplySettings(current_app.config["BUSINESS_NAME"],
                                              current_app.config["WHATSAPP_REPLY_TEMPLATE"]),
                                use_template=bool(form.template.data))
    if outcome == "sent":
        return redirect(url_for(".case", survey_id=survey_id, response_id=response_id), 303)
    status = 409 if outcome in ("window_closed", "not_configured") else 502
    return _page(survey, current, _drawn(current), status, reply_outcome=outcome)


def _drawn(case, note: str = "") -> CaseForm:
    """The form for the case as stored: its status, assignee and version (and a note being kept)."""
    return CaseForm(formdata=None, data={"status": case.status, "assignee": case.assignee, "note": note,
                                         "version": str(case.version)})
