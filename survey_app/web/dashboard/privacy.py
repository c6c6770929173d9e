"""The admin's erasure page: a customer asks to be forgotten. The erasure runs as an owner job (every survey's
invitations, a page at a time); the owner is taken to its page."""
from __future__ import annotations

from flask import g, redirect, render_template, url_for

from ...background import owner_jobs
from ...domain.contacts import ContactError
from ...domain.jobs import NO_SURVEY
from .. import admin_only, current_store
from . import bp
from .forms import ErasureForm


@bp.route("/privacy", methods=["GET", "POST"])
@admin_only
def privacy():
    form = ErasureForm()
    problem = None
    if form.validate_on_submit():
        try:
            started = owner_jobs().start_erasure(g.owner, email=form.email.data or "", phone=form.phone.data or "")
        except (ContactError, ValueError) as error:
            problem = str(error)
        else:
            return redirect(url_for(".job", job_id=started.id))
    status = 400 if problem or form.errors else 200
    return render_template("dashboard/privacy.html", form=form, problem=problem,
                           audit=current_store().audit_log(20), jobs=current_store().recent_jobs(NO_SURVEY, 10)), status
