"""Customer-facing answer pages: light, server-rendered, no JavaScript needed, never imports plotly."""
from flask import Blueprint

from ...extensions import csrf

bp = Blueprint("answer", __name__)
# The answer form checks its own CSRF field (FlaskForm), so a stale token shows an inline
# message with the customer's answers kept, instead of the global handler's bare 400.
csrf.exempt(bp)

from . import routes  # noqa: E402,F401  (registers the views on bp)
