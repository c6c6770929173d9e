"""Owner pages: survey list, editor, links and the Plotly dashboard, all behind login."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/owner")

from . import routes  # noqa: E402,F401
