"""Security headers on every response: no framing, no sniffing, scripts only from us, our CDN (or one nonce'd
block)."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, g

CSP = (
    "default-src 'self'; script-src 'self'{cdn}{nonce}; style-src 'self'{cdn} 'unsafe-inline'; "
    "img-src 'self'{cdn} data:; font-src 'self'{cdn}; frame-ancestors {framing}; form-action 'self'; base-uri 'none'"
)


def csp_nonce() -> str:
    """A per-response nonce for the rare inline script (the one-tap score); asked for only where needed."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def asset_origin(static_url: str) -> str:
    """'https://d1.cloudfront.net/x' -> ' https://d1.cloudfront.net': where assets come from, nothing wider."""
    if not static_url:
        return ""
    parts = urlsplit(static_url)
    return f" {parts.scheme}://{parts.netloc}"


def install(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    cdn = asset_origin(app.config["STATIC_URL"])

    @app.after_request
    def secure(response):
        nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
        framing = "'self'" if g.get("frameable") else "'none'"  # only the builder's own preview is framed
        response.headers.setdefault("Content-Security-Policy", CSP.format(cdn=cdn, nonce=nonce, framing=framing))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # same-origin: Flask-WTF checks the Referer of every HTTPS form post, and no third party ever sees a link.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN" if g.get("frameable") else "DENY")
        return response
