"""Owner pages for closing the loop: the case board and one case's workflow."""
from __future__ import annotations

from flask import abort, current_app, g, render_template, request, url_for

from ...errors import NotFound
from ...services import ask_again, case_board, contact_links, update_case, utcnow, whatsapp_share_link
from .. import current_store
from ..access import case_work
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
    links = contact_links(current, current_app.config["BUSINESS_NAME"])
    status = 400 if request.method == "POST" and form.errors else (409 if notice else 200)
    return render_template("dashboard/case.html", survey=survey, case=current, form=form, links=links,
                           notice=notice, new_link=new_link, now=utcnow().isoformat()), status


def _drawn(case, note: str = "") -> CaseForm:
    """The form for the case as stored: its status, assignee and version (and a note being kept)."""
    return CaseForm(formdata=None, data={"status": case.status, "assignee": case.assignee, "note": note,
                                         "version": str(case.version)})
