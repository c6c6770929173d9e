"""Public (QR) links that tell people from bots without a captcha: a honeypot field, a minimum time on the
page (a signed timestamp in the form, bound to the browser), a per-browser token (in the signed session cookie)
and hourly limits per survey, each answer charged once however often it is resent: one browser answers a few
times at most, one address (IPv6: its /64, what one subscriber is given) up to a ceiling high enough for a busy
shop behind one carrier-grade NAT or Wi-Fi. Every refusal is counted for the owner; none is dropped silently."""
from __future__ import annotations

import ipaddress
import secrets

from flask import current_app, request, session
from itsdangerous import BadSignature, URLSafeSerializer

from ...services import utcnow
from .. import current_store
from ..client import client_address
from .forms import SUBMISSION_PATTERN, new_submission_id

HONEYPOT = "website"  # a field people never see nor fill (hidden from eyes and screen readers); form bots do
SHOWN = "shown"  # the signed moment the form was drawn
BROWSER_KEY = "browser"


def address_key(address: str) -> str:
    """The address a limit counts: an IPv4 address as it is, an IPv6 address by its /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="open-link-shown")


def issue_browser_token() -> str:
    """A random token per browser, kept in the signed session cookie (one per person's phone)."""
    return session.setdefault(BROWSER_KEY, secrets.token_urlsafe(12))


def _posted_stamp(survey_id: str) -> int | None:
    """When the posted form was drawn, if its stamp is ours, for this survey and this browser."""
    try:
        stamped_survey, browser, shown_at = _signer().loads(request.form.get(SHOWN, ""))
    except (BadSignature, ValueError, TypeError):
        return None
    ours = stamped_survey == survey_id and browser == session.get(BROWSER_KEY) and isinstance(shown_at, int)
    return shown_at if ours else None


def form_stamp(survey_id: str) -> str:
    """For the form being drawn: the posted stamp when it is still valid (a person sending again keeps their
    time on the page), else this browser, survey and moment, signed (a bot cannot backdate it)."""
    if request.method == "POST" and _posted_stamp(survey_id) is not None:
        return request.form[SHOWN]
    return _signer().dumps([survey_id, issue_browser_token(), int(utcnow().timestamp())])


def refusal(survey_id: str) -> str | None:
    """Why this post is refused (counted for the owner), or None: honeypot, too_fast, no_browser, rate_limited."""
    config = current_app.config
    if request.form.get(HONEYPOT, ""):
        return "honeypot"
    moment = utcnow()
    shown_at, now, least = _posted_stamp(survey_id), int(moment.timestamp()), config["OPEN_LINK_MIN_SECONDS"]
    if least and (shown_at is None or now - shown_at < least):  # 0: no time check (tests at machine speed)
        return "too_fast"
    browser = session.get(BROWSER_KEY)
    if not browser:  # no cookie kept since the form was drawn
        return "no_browser"
    hour, expires, store = moment.strftime("%Y-%m-%dT%H"), now + 7200, current_store()
    submission = _submission()
    if not store.take_open_link_token(f"open#{survey_id}#browser#{browser}", hour,
                                      config["OPEN_LINK_LIMIT_PER_BROWSER"], expires, submission):
        return "rate_limited"
    if not store.take_open_link_token(f"open#{survey_id}#{address_key(client_address())}", hour,
                                      config["OPEN_LINK_LIMIT_PER_HOUR"], expires, submission):
        return "rate_limited"
    return None


def _submission() -> str:
    """The answer's own id, as the form posts it back on every resend (one that is not ours counts as new)."""
    posted = request.form.get("submission", "")
    return posted if SUBMISSION_PATTERN.match(posted) else new_submission_id()
