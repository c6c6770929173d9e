"""Session login for owners; `require_owner` guards every owner blueprint."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, session, url_for

from ...i18n import owner_language
from ...services import authenticate, login_locked, record_login_failure
from ...services.accounts import LOGIN_WINDOW_MINUTES
from .. import current_store, public
from ..client import client_address
from . import bp
from .forms import LoginForm, LogoutForm


def _safe_next(target: str | None) -> str:
    """Only paths of this app (no open redirect through ?next=), under the app's own root: behind API Gateway
    that is the stage, /production, which `next` (an app path) does not carry."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and not urlsplit(target).netloc:
        return request.script_root + target
    return url_for("dashboard.surveys")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    g.lang = owner_language()
    form = LoginForm()
    failed = locked = False
    if form.validate_on_submit():
        store, ip = current_store(), client_address()
        if login_locked(store, form.email.data, ip):
            locked = True
        else:
            owner = authenticate(store, form.email.data, form.password.data)
            if owner:
                session.clear()
                session["owner"] = owner.email
                session["role"] = owner.role
                return redirect(_safe_next(request.args.get("next")))
            record_login_failure(store, form.email.data, ip)
            failed = True
    status = 429 if locked else 401 if failed else (400 if form.errors else 200)
    return render_template("auth/login.html", form=form, failed=failed, locked=locked,
                           minutes=LOGIN_WINDOW_MINUTES), status


@bp.post("/logout")
def logout():
    if LogoutForm().validate_on_submit():  # CSRF-checked: a cross-site POST cannot log an owner out
        session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/")
@public
def home():
    return redirect(url_for("dashboard.surveys"))

