"""Each owner's own account: change the password, end every session, turn two-factor sign-in on or off."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, session, url_for

from ...services import two_factor
from ...services.accounts import change_password, log_out_everywhere
from .. import current_secret_box, current_store
from ..access import own_account, sign_in
from . import bp
from .team_forms import EverywhereForm, PasswordChangeForm, TwoFactorForm

SETUP_KEY = "totp_setup"  # the secret being set up, until the app shows a right code for it


@bp.get("/account")
def account():
    return _page()


def _page(status: int = 200, problem: str = "", recovery_codes: list[str] | None = None, **forms):
    """The account page; a secret to set up is drawn once and kept in the (signed) session until it is used."""
    owner = g.account
    setup = None
    if not owner.totp_secret:
        import segno

        secret = session.setdefault(SETUP_KEY, two_factor.new_secret())
        uri = two_factor.provisioning_uri(secret, owner.email, current_app.config["BUSINESS_NAME"])
        setup = {"secret": secret, "qr": segno.make(uri, error="m").svg_data_uri(scale=4), "uri": uri}
    forms = {"password_form": PasswordChangeForm(formdata=None), "everywhere_form": EverywhereForm(formdata=None),
             "code_form": TwoFactorForm(formdata=None)} | forms
    return render_template("dashboard/account.html", owner=owner, setup=setup, problem=problem,
                           recovery_codes=recovery_codes, **forms), status


@bp.post("/account/password")
@own_account
def account_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(400, password_form=form)
    changed = change_password(current_store(), g.account, form.current.data, form.password.data)
    if changed is None:
        return _page(400, "wrong_current_password", password_form=form)
    sign_in(changed)  # every other session has ended; this one goes on
    flash("password_changed")
    return redirect(url_for(".account"))


@bp.post("/account/everywhere")
@own_account
def account_everywhere():
    form = EverywhereForm()
    if not form.validate_on_submit():
        return _page(400, everywhere_form=form)
    log_out_everywhere(current_store(), g.account)
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/account/two-factor")
@own_account
def account_two_factor():
    """On (with a code for the secret being set up) or, when it is on, off (with a current or recovery code)."""
    form = TwoFactorForm()
    if not form.validate_on_submit():
        return _page(400, code_form=form)
    store = current_store()
    if g.account.totp_secret:
        if two_factor.disable(store, current_secret_box(), g.account, form.code.data) is None:
            return _page(400, "code_failed", code_form=form)
        sign_in(store.get_owner(g.owner))
        flash("two_factor_off")
        return redirect(url_for(".account"))
    codes = two_factor.enable(store, current_secret_box(), g.account, session.get(SETUP_KEY, ""),
                             form.code.data) if session.get(SETUP_KEY) else None
    if codes is None:
        return _page(400, "code_failed", code_form=form)
    g.account = store.get_owner(g.owner)
    sign_in(g.account)
    return _page(recovery_codes=codes)
