"""Blueprints per audience, plus the two helpers every view needs."""
from __future__ import annotations

from flask import current_app

from ..store import Store


def current_store() -> Store:
    return current_app.extensions["survey_store"]


def public(view):
    """Marks a view as reachable without login; the access-control test trusts this mark and nothing else."""
    view.is_public = True
    return view


def admin_only(view):
    """Marks a page a viewer may not even read (settings, personal data exports, sending); any POST is
    admin-only anyway (see access.py)."""
    view.admin_only = True
    return view


def upload_limit(max_bytes_setting: str):
    """This view accepts bodies up to the named setting, not the app-wide MAX_CONTENT_LENGTH; applied in
    access.py before CSRF reads the form, so the larger limit is the one that counts."""
    def mark(view):
        view.upload_limit = max_bytes_setting
        return view
    return mark
