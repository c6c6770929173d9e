"""Webhooks that outside providers call (WhatsApp Cloud API): no session, a signature on the raw body instead."""
from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from . import whatsapp  # noqa: E402,F401
