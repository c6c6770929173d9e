"""Amazon SNS's HTTPS subscription for SES events: no session, no CSRF (each message carries SNS's signature)."""
from flask import Blueprint

from ...extensions import csrf

bp = Blueprint("email_events", __name__)
csrf.exempt(bp)

from . import routes  # noqa: E402,F401
