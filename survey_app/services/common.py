"""Small helpers every use case shares: the clock, tokens, the owner's calendar day."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

TOKEN_BYTES = 9  # 72 bits of entropy, 12 URL-safe characters: short enough for a WhatsApp message


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def local_day(moment: datetime, tz_name: str) -> str:
    """Aggregates are bucketed by the owner's calendar day, not UTC's."""
    return moment.astimezone(ZoneInfo(tz_name)).date().isoformat()
