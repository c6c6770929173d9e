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
