"""Static asset URLs: the app's own /static in development, content-hashed names on the CDN in production.

`make site` names files with the same `hashed_name`, so the app and the S3 bucket always agree.
"""
from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path, PurePosixPath

from flask import Flask, current_app, url_for

STATIC_DIR = Path(__file__).parent / "static"


@cache
def content_hash(relative: str) -> str:
    return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:12]


def hashed_name(relative: str) -> str:
    """'vendor/plotly-basic.min.js' -> 'vendor/plotly-basic.min.<hash>.js': safe to cache for a year."""
    path = PurePosixPath(relative)
    return str(path.with_name(f"{path.stem}.{content_hash(relative)}{path.suffix}"))


def asset_url(relative: str) -> str:
    base = current_app.config["STATIC_URL"]
    if base:
        return f"{base.rstrip('/')}/static/{hashed_name(relative)}"
    return url_for("static", filename=relative, v=content_hash(relative))


def install(app: Flask) -> None:
    app.jinja_env.globals["asset_url"] = asset_url
