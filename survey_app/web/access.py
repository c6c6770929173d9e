"""Deny by default: every endpoint needs an owner session unless its view is marked @public; viewers
(the read-only role) may only read, and not even that where a view is marked @admin_only."""
from __future__ import annotations

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from ..i18n import owner_language


def require_owner():
    """Runs before CSRF checks, so an anonymous visitor is sent to login rather than told about tokens."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "upload_limit", None):
        request.max_content_length = current_app.config[view.upload_limit]
    if view is None or getattr(view, "is_public", False) or request.endpoint == "static":
        return None
    if not session.get("owner"):
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    g.lang = owner_language()
    g.owner = session["owner"]
    admin = session.get("role") == "admin"  # a session without a role is a viewer's
    writes = request.method not in ("GET", "HEAD") and request.endpoint != "auth.logout"
    if not admin and (writes or getattr(view, "admin_only", False)):
        abort(403)
    return None


def install(app: Flask) -> None:
    app.before_request(require_owner)
