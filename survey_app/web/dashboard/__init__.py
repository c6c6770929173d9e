"""Owner pages: survey list, editor, links and the Plotly dashboard, all behind login."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/owner")

from . import account, cases, delivery, exports, imports, jobs, privacy, routes, team  # noqa: E402,F401
from . import inbox  # noqa: E402,F401
from . import themes  # noqa: E402,F401
from . import digest  # noqa: E402,F401
from . import webhooks  # noqa: E402,F401
from . import survey_actions  # noqa: E402,F401
from . import branding  # noqa: E402,F401
from . import builder_preview  # noqa: E402,F401
from .forms import error_lines  # noqa: E402

bp.add_app_template_global(error_lines)
