"""Blueprints per audience, plus the two helpers every view needs."""
from __future__ import annotations

from flask import current_app

from ..store import Store


def current_store() -> Store:
    return current_app.extensions["survey_store"]


def current_secret_box():
    """The KMS box of two-factor secrets, built on first use (a customer's page never pays for it)."""
    if "survey_secret_box" not in current_app.extensions:
        from ..store.secret_box import SecretBox

        current_app.extensions["survey_secret_box"] = SecretBox(current_app.config["TOTP_KEY_ID"],
                                                                current_app.config["AWS_REGION"])
    return current_app.extensions["survey_secret_box"]


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
