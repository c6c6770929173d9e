"""Owner pages for themes: which theme moves the NPS most, recent comments with labels to correct, and the
business's own themes (adding, editing or retiring one re-labels recent comments in a job)."""
from __future__ import annotations

from itertools import islice

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...background import owner_jobs
from ...domain.metrics import FEW_RESPONSES
from ...domain.models import Text
from ...domain.themes import SENTIMENTS, THEMES
from ...errors import AlreadyAnswered, NotFound
from ...services.themes import (ThemeError, correct, impact_view, local_range, retire_theme, save_theme,
                                theme_labels, vocabulary)
from .. import current_store
from . import bp
from .forms import DashboardFilterForm
from .routes import load_survey

COMMENTS_SHOWN = 30
WORDS = {  # this page's own words, in both languages
    "title": Text("Themes", "Tema"),
    "impact": Text("Which theme moves the NPS most", "Tema mana yang paling menggerakkan NPS"),
    "impact_help": Text("NPS of the customers who mention a theme (or rate an item below its top two boxes) minus "
                        "the NPS of everyone else, with its 95% interval; biggest gap x share first.",
                        "NPS pelanggan yang menyebut tema (atau memberi nilai di bawah dua kotak teratas) dikurangi "
                        "NPS pelanggan lainnya, dengan interval 95%; selisih x porsi terbesar lebih dulu."),
    "what": Text("Theme or item", "Tema atau butir"), "gap": Text("Impact (points)", "Dampak (poin)"),
    "share": Text("Share", "Porsi"), "group_nps": Text("NPS with", "NPS dengan"),
    "rest_nps": Text("NPS without", "NPS tanpa"), "few": Text("few answers", "jawaban sedikit"),
    "beyond": Text("beyond noise", "di luar derau"), "none": Text("No scored comments in this period.",
                                                               "Belum ada komentar bernilai di periode ini."),
    "comments": Text("Recent comments and their labels", "Komentar terbaru dan labelnya"),
    "corrected": Text("corrected by", "dikoreksi oleh"), "save": Text("Save labels", "Simpan label"),
    "own": Text("Your own themes", "Tema Anda sendiri"), "add": Text("Add or edit a theme", "Tambah atau ubah tema"),
    "id": Text("Id (a-z, 0-9, _)", "Id (a-z, 0-9, _)"), "name_en": Text("Name (English)", "Nama (Inggris)"),
    "name_id": Text("Name (Indonesian)", "Nama (Indonesia)"),
    "examples": Text("Example words or phrases, one per line", "Contoh kata atau frasa, satu per baris"),
    "retire": Text("Retire", "Pensiunkan"), "retired": Text("retired", "dipensiunkan"),
    "relabelling": Text("Recent comments are being labelled again.", "Komentar terbaru sedang dilabeli ulang."),
    "sentiment": Text("Sentiment", "Sentimen"), "positive": Text("positive", "positif"),
    "negative": Text("negative", "negatif"), "neutral": Text("neutral", "netral"),
    "manage": Text("Manage your own themes", "Kelola tema Anda sendiri"),
    "refused": Text("These labels were not saved: the comment, or the themes to choose from, changed meanwhile. "
                    "Look at it again and retry.", "Label ini tidak disimpan: komentar atau pilihan temanya berubah. "
                    "Periksa lagi lalu coba ulang."),
}


class LabelForm(FlaskForm):
    submitted_at = HiddenField(validators=[DataRequired(), Length(max=64)])
    themes = SelectMultipleField(choices=[], validate_choice=False)
    sentiment = SelectField(choices=[SelectChoice(s, s) for s in SENTIMENTS])


class RetireForm(FlaskForm):
    theme_id = HiddenField(validators=[DataRequired(), Length(max=31)])


class ThemeForm(FlaskForm):
    theme_id = StringField(validators=[DataRequired(), Length(max=31)])
    name_en = StringField(validators=[Length(max=60)])
    name_id = StringField(validators=[Length(max=60)])
    examples = TextAreaField(validators=[DataRequired(), Length(max=4000)])


def _theme_choices() -> list[tuple[str, Text]]:
    vocab = vocabulary(current_store())
    names = theme_labels(vocab)
    return [(t, names[t]) for t in list(THEMES) + [t.id for t in vocab.live]]


@bp.get("/surveys/<survey_id>/themes")
def survey_themes(survey_id: str):
    survey = load_survey(survey_id)
    filters = DashboardFilterForm(request.args).filters(current_app.config["DASHBOARD_DAYS"],
                                                        current_app.config["TIMEZONE"])
    found, names = impact_view(current_store(), survey, filters.first_day, filters.last_day)
    first, last = local_range(filters.first_day, filters.last_day, current_app.config["TIMEZONE"])
    comments = list(islice(current_store().labelled_comments(survey.id, first, last), COMMENTS_SHOWN))
    return render_template("dashboard/themes.html", survey=survey, filters=filters, impacts=found, names=names,
                           comments=comments, choices=_theme_choices(), form=LabelForm(), w=WORDS, few=FEW_RESPONSES)


@bp.post("/surveys/<survey_id>/comments/<response_id>/labels")
def correct_labels(survey_id: str, response_id: str):
    """An admin says what a comment is about and how it feels; counted at once (agents post to cases only)."""
    survey = load_survey(survey_id)
    form = LabelForm()
    status = 400
    if form.validate_on_submit():
        try:
            correct(current_store(), survey, response_id, form.submitted_at.data, form.themes.data,
                    form.sentiment.data, by=g.owner)
        except ThemeError:
            status = 400
        except NotFound:
            status = 404
        except AlreadyAnswered:
            status = 409  # it kept changing while we tried: the page shows it as it is now
        else:
            return redirect(url_for(".survey_themes", survey_id=survey.id) + f"#c-{response_id}")
    return render_template("dashboard/themes_refused.html", survey=survey, w=WORDS), status


@bp.route("/themes", methods=["GET", "POST"])
def owner_themes():
    """The business's own themes; a POST (admins only) adds or edits one and re-labels every survey's recent
    comments in a job."""
    form = ThemeForm()
    status = 200
    if form.validate_on_submit():
        try:
            save_theme(current_store(), form.theme_id.data, form.name_en.data, form.name_id.data, form.examples.data)
        except ThemeError as error:
            form.theme_id.errors = [str(error)]
        else:
            return _relabel_everything()
    if request.method == "POST":
        status = 400
    vocab = vocabulary(current_store(), fresh=True)
    return render_template("dashboard/owner_themes.html", themes=vocab.themes, form=form, retire_form=RetireForm(),
                           w=WORDS, relabelling=request.args.get("relabelling")), status


@bp.post("/themes/retire")
def retire_owner_theme():
    """Admins only (every owner POST is, unless marked otherwise): the theme stays listed, matched no more."""
    form = RetireForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        retire_theme(current_store(), form.theme_id.data)
    except NotFound:
        abort(404)
    return _relabel_everything()


def _relabel_everything():
    runner = owner_jobs()
    for survey in current_store().list_surveys():
        runner.start_relabel(survey, g.owner)
    return redirect(url_for(".owner_themes", relabelling=1))
