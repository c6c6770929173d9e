"""Customer-facing answer pages: light, server-rendered, no JavaScript needed, never imports plotly."""
from flask import Blueprint

bp = Blueprint("answer", __name__)

from . import routes  # noqa: E402,F401  (registers the views on bp)
