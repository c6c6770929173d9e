"""Owner pages: survey list, editor, links and the Plotly dashboard, all behind login."""
from flask import Blueprint

from ..auth.routes import require_owner

bp = Blueprint("dashboard", __name__, url_prefix="/owner")
bp.before_request(require_owner)

from . import routes  # noqa: E402,F401
