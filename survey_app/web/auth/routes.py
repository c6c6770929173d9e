"""Owner sign-in (password, then the second factor where it is on), sign-out, forgotten passwords and the
set-password pages behind team invitations and reset links."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from ...i18n import owner_language
from ...services import authenticate, two_factor
from ...services.accounts import session_owner
from ...services.login_throttle import claim_login_attempt, login_succeeded
from ...services.team import (RESET_MINUTES, accept_invitation, password_reset, request_password_reset,
                              reset_password, team_invitation)
from .. import current_secret_box, current_store, public
from ..access import sign_in
from ..client import client_address
from . import bp
from .forms import CodeForm, ForgotForm, LoginForm, LogoutForm, NewPasswordForm
from .mail import send_owner_mail

SECOND_FACTOR_SECONDS = 300  # between the right password and the code


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
    failed, wait = False, 0
    if form.validate_on_submit():
        store = current_store()
        wait = claim_login_attempt(store, form.email.data, client_address())
        if not wait:
            owner = authenticate(store, form.email.data, form.password.data)
            if owner and owner.totp_secret:
                session.clear()
                session["pending"] = {"email": owner.email, "sv": owner.session_version, "at": int(time.time()),
                                      "next": request.args.get("next") or ""}
                return redirect(url_for("auth.second_factor"))
            if owner:
                login_succeeded(store, owner.email, client_address())
                sign_in(owner)
                return redirect(_safe_next(request.args.get("next")))
            failed = True
    status = 429 if wait else 401 if failed else (400 if form.errors else 200)
    return render_template("auth/login.html", form=form, failed=failed, wait=wait), status


@bp.route("/login/code", methods=["GET", "POST"])
@public
def second_factor():
    """The authenticator code (or a recovery code) after the right password; throttled like the password."""
    g.lang = owner_language()
    pending = session.get("pending") or {}
    if not isinstance(pending.get("at"), int) or time.time() - pending["at"] > SECOND_FACTOR_SECONDS:
        session.pop("pending", None)
        return redirect(url_for("auth.login"))
    form = CodeForm()
    failed, wait = False, 0
    if form.validate_on_submit():
        store = current_store()
        wait = claim_login_attempt(store, pending["email"], client_address())
        if not wait:
            owner = session_owner(store, pending["email"], pending["sv"])
            if owner and two_factor.verify(store, current_secret_box(), owner, form.code.data):
                login_succeeded(store, owner.email, client_address())
                sign_in(owner)
                return redirect(_safe_next(pending["next"]))
            failed = True
    status = 429 if wait else 401 if failed else (400 if form.errors else 200)
    return render_template("auth/code.html", form=form, failed=failed, wait=wait), status


@bp.post("/logout")
def logout():
    if LogoutForm().validate_on_submit():  # CSRF-checked: a cross-site POST cannot log an owner out
        session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@public
def forgot():
    """Answers the same, after the same time, whether or not the address has an account."""
    g.lang = owner_language()
    form, started = ForgotForm(), time.monotonic()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form, sent=False), 400 if form.errors else 200
    reset = request_password_reset(current_store(), form.email.data)
    if reset:
        email, link = reset
        send_owner_mail(email, "reset", url_for("auth.reset", token=link.token, _external=True), g.lang,
                        minutes=RESET_MINUTES)
    time.sleep(max(0.0, current_app.config["PASSWORD_RESET_ANSWER_MS"] / 1000 - (time.monotonic() - started)))
    return render_template("auth/forgot.html", form=form, sent=True)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset(token: str):
    return _set_password(password_reset, reset_password, token, "password_reset_done")


@bp.route("/join/<token>", methods=["GET", "POST"])
@public
def join(token: str):
    """A teammate's invitation: choose a password, then sign in. A GET (a mail scanner) uses nothing up."""
    return _set_password(team_invitation, accept_invitation, token, "invitation_accepted", gone="invitation_gone")


def _set_password(find, use, token: str, done: str, gone: str = ""):
    g.lang = owner_language()
    store = current_store()
    link = find(store, token)
    if link is None:
        return render_template("auth/set_password.html", form=None, link=None, gone=gone), 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        if use(store, token, form.password.data):
            session.clear()
            flash(done)
            return redirect(url_for("auth.login"))
        return render_template("auth/set_password.html", form=None, link=None, gone=gone), 410
    return render_template("auth/set_password.html", form=form, link=link), 400 if form.errors else 200


@bp.get("/")
@public
def home():
    return redirect(url_for("dashboard.surveys"))
