"""JSON API for shop systems: API-key auth, JSON errors, no cookies or CSRF (keys are the credential)."""
from flask import Blueprint

from ...extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from . import hooks, reads, routes  # noqa: E402,F401
