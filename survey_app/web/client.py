"""Who is asking: on Lambda the address API Gateway saw (`requestContext.identity.sourceIp`), never a header.

Zappa derives REMOTE_ADDR from X-Forwarded-For, which a client can write (API Gateway appends to what the
client sent), so rate limits and login throttling read the event Zappa keeps in `environ["lambda.event"]`.
"""
from __future__ import annotations

from flask import request


def client_address() -> str:
    event = request.environ.get("lambda.event") or {}
    source = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
    return source or request.remote_addr or "unknown"
