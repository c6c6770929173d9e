"""Deny by default: every endpoint needs an owner session unless its view is marked @public."""
from __future__ import annotations

from flask import Flask, current_app, g, redirect, request, session, url_for

from ..i18n import owner_language


def require_owner():
    """Runs before CSRF checks, so an anonymous visitor is sent to login rather than told about tokens."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "is_public", False) or request.endpoint == "static":
        return None
    if not session.get("owner"):
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    g.lang = owner_language()
    g.owner = session["owner"]
    return None


def install(app: Flask) -> None:
    app.before_request(require_owner)
