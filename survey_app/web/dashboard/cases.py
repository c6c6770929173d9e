"""Owner pages for closing the loop: the case board and one case's workflow."""
from __future__ import annotations

from flask import abort, current_app, g, render_template, request, url_for

from ...errors import NotFound
from ...services import ask_again, case_board, contact_links, update_case, utcnow, whatsapp_share_link
from .. import current_store
from . import bp
from .forms import CaseForm
from .routes import load_survey


@bp.get("/surveys/<survey_id>/cases")
def cases(survey_id: str):
    survey = load_survey(survey_id)
    return render_template("dashboard/cases.html", survey=survey, board=case_board(current_store(), survey),
                           now=utcnow().isoformat())


@bp.route("/surveys/<survey_id>/cases/<response_id>", methods=["GET", "POST"])
def case(survey_id: str, response_id: str):
    survey = load_survey(survey_id)
    try:
        current = current_store().get_case(survey_id, response_id)
    except NotFound:
        abort(404)
    form = CaseForm() if request.method == "POST" else CaseForm(data={"status": current.status,
                                                                       "assignee": current.assignee})
    notice, new_link = None, None
    if form.validate_on_submit():
        updated = update_case(current_store(), current, status=form.status.data, assignee=form.assignee.data or "",
                              note=form.note.data or "", author=g.owner)
        if updated is None:
            notice = "case_changed"
            current = current_store().get_case(survey_id, response_id)
        else:
            current = updated
            if form.ask_again.data:
                invitation = ask_again(current_store(), survey, current)
                link = url_for("answer.personal", token=invitation.token, _external=True)
                new_link = {"link": link, "whatsapp": whatsapp_share_link(invitation, link, current.language or "id")
                            if invitation.phone else ""}
            form = CaseForm(formdata=None, data={"status": current.status, "assignee": current.assignee})
    links = contact_links(current, current_app.config["BUSINESS_NAME"])
    status = 400 if request.method == "POST" and form.errors else (409 if notice else 200)
    return render_template("dashboard/case.html", survey=survey, case=current, form=form, links=links,
                           notice=notice, new_link=new_link, now=utcnow().isoformat()), status
