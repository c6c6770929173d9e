"""Deny by default: every endpoint needs a signed-in owner unless its view is marked @public. The cookie only
names the owner and the session version it signed in with; the role and that version are read from the store
on every request (one read), so a removal, a role change, a password change or "log out everywhere" counts at
the next request, and a session idle for longer than PERMANENT_SESSION_LIFETIME (12 hours) ends.

Roles: an admin does everything; an agent reads what a viewer reads, sees customers' contact details and works
cases (posts only where a view is marked @case_work); a viewer reads dashboards and cases without contact
details and changes nothing. Pages marked @admin_only are for admins alone; every role may post to its own
account pages (@own_account) and log out."""
from __future__ import annotations

import time

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from ..domain.models import Owner
from ..i18n import owner_language, translate
from ..services.accounts import session_owner


def role() -> str:
    """The signed-in owner's role as stored now; outside an owner request, the least: a viewer's."""
    return g.get("role", "viewer")


def can_work_cases() -> bool:
    """Change a case: status, assignee, notes, replies to the customer."""
    return role() in ("admin", "agent")


def can_see_contacts() -> bool:
    """See a customer's name, e-mail and phone (viewers read the numbers and comments only)."""
    return role() in ("admin", "agent")


def private(text: str) -> str:
    """Contact details (a customer's name, e-mail, phone) as they are for admins and agents; for a viewer, only
    that there is a customer."""
    return text if can_see_contacts() else translate("customer")


def case_work(view):
    """Marks a view an agent may post to (a case's workflow); an admin may post anywhere, a viewer nowhere."""
    view.case_work = True
    return view


def own_account(view):
    """Marks a view every signed-in owner may post to: their own password, two-factor, sessions."""
    view.own_account = True
    return view


def sign_in(owner: Owner) -> None:
    """A fresh session (nothing carried over from before login) tied to the owner's current session version."""
    lang = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches this request's token: it belonged to the cleared session
    session.update(owner=owner.email, sv=owner.session_version, seen=int(time.time()))
    if lang:
        session["lang"] = lang
    session.permanent = True  # the cookie's own expiry follows the idle limit too


def _may(view, owner_role: str) -> bool:
    if owner_role == "admin" or request.endpoint == "auth.logout":
        return True
    if getattr(view, "admin_only", False):
        return False
    if request.method in ("GET", "HEAD") or getattr(view, "own_account", False):
        return True
    return owner_role == "agent" and getattr(view, "case_work", False)


def _signed_in_owner() -> Owner | None:
    """The owner this session still belongs to, or None (never signed in, idle too long, revoked)."""
    email, seen, now = session.get("owner"), session.get("seen"), int(time.time())
    if not email or not isinstance(seen, int) or now - seen > current_app.permanent_session_lifetime.total_seconds():
        return None
    owner = session_owner(current_app.extensions["survey_store"], email, session.get("sv"))
    if owner is not None:
        session["seen"] = now  # sliding: the idle clock starts again
    return owner


def require_owner():
    """Runs before CSRF checks, so an anonymous visitor is sent to login rather than told about tokens."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "upload_limit", None):
        request.max_content_length = current_app.config[view.upload_limit]
    if view is None or getattr(view, "is_public", False) or request.endpoint == "static":
        return None
    owner = _signed_in_owner()
    if owner is None:
        if session.get("owner"):
            session.clear()
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    g.lang = owner_language()
    g.owner, g.role, g.account = owner.email, owner.role, owner
    if not _may(view, owner.role):
        abort(403)
    if request.mimetype == "multipart/form-data" and (None in request.form or None in request.files):
        abort(400)  # a part without a name (werkzeug files it under None): WTForms' FieldList fails on it
    return None


def install(app: Flask) -> None:
    app.before_request(require_owner)
    app.jinja_env.globals.update(can_work_cases=can_work_cases, can_see_contacts=can_see_contacts, private=private,
                                 role=role)
