"""Friendly error pages in the visitor's language: a clear 4xx for bad input, never a bare 500."""
from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import StoreUnavailable
from ..i18n import choose_language

TITLES = {403: "forbidden_title", 404: "not_found_title", 410: "expired_title", 413: "too_large_title",
          429: "rate_limited_title"}
BODIES = {403: "forbidden_body", 404: "not_found_body", 410: "expired_body", 413: "too_large_body",
          429: "rate_limited_body"}


def render_error(status: int, title_key: str, body_key: str, limit: str = ""):
    if not hasattr(g, "lang"):
        g.lang = choose_language(request.args.get("lang"), default="id")
    return render_template("error.html", title_key=title_key, body_key=body_key, limit=limit), status


def install(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if status >= 500:
            return render_error(status, "error_title", "error_body")
        limit = f"{(request.max_content_length or 0) // 1024} KB" if status == 413 else ""
        return render_error(status, TITLES.get(status, "bad_request_title"), BODIES.get(status, "error_body"), limit)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, "bad_request_title", "session_expired")

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(error: StoreUnavailable):
        app.logger.error("store unavailable: %s", error)
        return render_error(503, "error_title", "store_unavailable")
