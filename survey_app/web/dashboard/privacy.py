"""The admin's erasure page: a customer asks to be forgotten."""
from __future__ import annotations

from flask import g, render_template

from ...domain.contacts import ContactError
from ...services import erase_customer
from .. import admin_only, current_store
from . import bp
from .forms import ErasureForm


@bp.route("/privacy", methods=["GET", "POST"])
@admin_only
def privacy():
    form = ErasureForm()
    result, problem = None, None
    if form.validate_on_submit():
        try:
            result = erase_customer(current_store(), email=form.email.data or "", phone=form.phone.data or "",
                                    actor=g.owner)
        except (ContactError, ValueError) as error:
            problem = str(error)
    status = 400 if problem or form.errors else 200
    return render_template("dashboard/privacy.html", form=form, result=result, problem=problem,
                           audit=current_store().audit_log(20)), status
