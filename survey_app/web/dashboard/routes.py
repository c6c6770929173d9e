"""Owner views: parse, call one service, render."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from ...domain.metrics import FEW_RESPONSES, choice_shares, rating
from ...domain.models import CHOICE_TYPES, QUESTION_TYPES, RATING_SCALES, DefinitionError, Survey
from ...domain.themes import THEME_LABELS
from ...errors import NotFound
from ...services import create_invitation, save_survey, survey_from_template, survey_summary, utcnow, whatsapp_share_link
from .. import admin_only, current_store
from ..answer.forms import answer_form, field_name
from . import bp
from ...services.dashboard import COMMENTS_EXAMINED
from ...services.home import home
from ...services.drop_off import drop_off
from .forms import SHOW_WHEN_VALUES, ActionForm, DashboardFilterForm, NewSurveyForm, PersonalLinkForm, SurveyEditForm


def load_survey(survey_id: str) -> Survey:
    try:
        return current_store().get_survey(survey_id)
    except NotFound:
        abort(404)


@bp.get("/")
def surveys():
    """The home: every survey at a glance (services/home.py), then the new-survey form."""
    glance = home(current_store(), current_app.config["TIMEZONE"])
    return render_template("dashboard/surveys.html", home=glance, form=NewSurveyForm())


@bp.post("/surveys")
def create_survey():
    form = NewSurveyForm()
    if not form.validate_on_submit():
        abort(400)
    survey = save_survey(current_store(), survey_from_template(form.template.data, utcnow(), form.default_language.data))
    return redirect(url_for(".edit_survey", survey_id=survey.id))


@bp.route("/surveys/<survey_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_survey(survey_id: str):
    survey = load_survey(survey_id)
    form = SurveyEditForm() if request.method == "POST" else SurveyEditForm.for_survey(survey)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            save_survey(current_store(), form.apply_to(survey))
        except DefinitionError as error:
            problems = error.errors
        else:
            flash("saved")
            return redirect(url_for(".edit_survey", survey_id=survey_id))
    status = 400 if request.method == "POST" else 200
    problems, row_problems = form.problems_by_row(problems)
    return render_template("dashboard/edit.html", survey=survey, form=form, problems=problems,
                           row_problems=row_problems, show_when_values=SHOW_WHEN_VALUES,
                           question_types=QUESTION_TYPES, action_form=ActionForm()), status


@bp.get("/surveys/<survey_id>/preview")
def preview_survey(survey_id: str):
    survey = load_survey(survey_id)
    g.frameable = True  # shown in the editor's phone-sized frame
    g.lang = request.args.get("lang") if request.args.get("lang") in ("id", "en") else survey.default_language
    return render_template("answer/form.html", survey=survey, invitation=None, form=answer_form(survey, g.lang),
                           field_name=field_name, notice=None, preview=True, action="", questions=survey.live_questions)


@bp.route("/surveys/<survey_id>/links", methods=["GET", "POST"])
@admin_only
def links(survey_id: str):
    survey = load_survey(survey_id)
    form = PersonalLinkForm()
    created = None
    if survey.archived_at and request.method == "POST":
        flash("archived_no_links")
        return redirect(url_for(".links", survey_id=survey.id), 303)
    if form.validate_on_submit():
        invitation = create_invitation(
            current_store(), survey, customer_name=form.customer_name.data or "", **form.contact_parts(),
            order_ref=form.order_ref.data or "", language=form.language.data or "",
            properties={"product": form.product.data or "", "store": form.store.data or ""},
            tz_name=current_app.config["TIMEZONE"],
        )
        link = url_for("answer.personal", token=invitation.token, _external=True)
        lang = invitation.language or survey.default_language
        created = {"link": link, "whatsapp": whatsapp_share_link(invitation, link, lang)}
    status = 400 if request.method == "POST" and form.errors else 200
    open_url = url_for("answer.open_link", survey_id=survey.id, _external=True)
    return render_template("dashboard/links.html", survey=survey, form=form, created=created,
                           open_url=open_url), status


@bp.get("/surveys/<survey_id>")
def dashboard(survey_id: str):
    from ... import charts  # plotly is imported here, never on customer pages

    survey = load_survey(survey_id)
    form = DashboardFilterForm(request.args)
    filters = form.filters(current_app.config["DASHBOARD_DAYS"], current_app.config["TIMEZONE"])
    summary = survey_summary(current_store(), survey, filters, tz_name=current_app.config["TIMEZONE"])
    rating_rows = [(q, rating(summary.totals, q.id, q.type)) for q in survey.questions
                   if q.type in RATING_SCALES and q.type != "nps"]
    choice_rows = [(q, choice_shares(summary.totals, q.id, [o.value for o in q.options])) for q in survey.questions
                   if q.type in CHOICE_TYPES]
    figures = {"distribution": charts.distribution(summary), "trend": charts.trend(summary),
               "ratings": charts.ratings(summary, g.lang), "themes": charts.themes(summary, g.lang)}
    return render_template("dashboard/dashboard.html", summary=summary, figures=figures, rating_rows=rating_rows,
                           choice_rows=choice_rows, few=FEW_RESPONSES, form=form, filters=filters,
                           theme_labels=THEME_LABELS, examined=COMMENTS_EXAMINED,
                           drop_off=None if filters.segment else drop_off(current_store(), survey, summary.totals,
                                                                          filters.first_day, filters.last_day),
                           filter_args=_filter_args(form), link_args=_filter_args(form, "segment"),
                           figures_updated_at=current_store().figures_updated_at(survey.id))


def _filter_args(form, *leave_out: str) -> dict[str, str]:
    """The query's filters (and language) to carry into links: only known names, so a query such as ?fmt=x or
    ?_external=1 can never collide with a link's own arguments."""
    names = set(form._fields) | {"lang"}
    return {k: v for k, v in request.args.items() if k in names and k not in leave_out}
