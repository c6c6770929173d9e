"""The owner's WhatsApp inbox: messages from numbers with no open case and no chat survey waiting, never lost."""
from __future__ import annotations

from flask import render_template

from .. import current_store
from . import bp


@bp.get("/inbox")
def inbox():
    return render_template("dashboard/inbox.html", messages=current_store().inbox())
