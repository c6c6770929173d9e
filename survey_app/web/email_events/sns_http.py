"""The two HTTPS calls an SNS subscriber makes: fetching a signing certificate (kept per warm instance) and
confirming a subscription. Only to URLs domain.sns accepts, with a timeout, never following a redirect."""
from __future__ import annotations

import functools
import ssl
import urllib.error
import urllib.request

from ...domain.sns import is_sns_url

TIMEOUT_SECONDS = 5  # SNS waits 15 s for our answer (sns-message-delivery-retries.html); leave it the rest
MAX_BYTES = 64 * 1024  # a PEM certificate or a ConfirmSubscriptionResponse is a few KB
_certificates: dict[str, bytes] = {}


class Unreachable(Exception):
    """The SNS host did not answer well; SNS retries the message later (we answer 503)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx becomes an error: the URL we checked is the only one we read


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    """Built on first use: loading the system's CA certificates costs ~80 ms, too much for every cold start."""
    return urllib.request.build_opener(_NoRedirects, urllib.request.HTTPSHandler(context=ssl.create_default_context()))


def fetch(url: str) -> bytes:
    """One GET over verified HTTPS; the only network call here (tests replace it)."""
    try:
        with _opener().open(urllib.request.Request(url, headers={"User-Agent": "survey-app"}),
                          timeout=TIMEOUT_SECONDS) as response:
            return response.read(MAX_BYTES)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise Unreachable(f"{url[:100]}: {error}") from error


def certificate(url: str) -> bytes:
    """The signing certificate at a checked URL; SNS signs with few certificates, so a warm instance asks once."""
    if not is_sns_url(url):
        raise ValueError(f"not an SNS URL: {url[:100]!r}")
    if url not in _certificates:
        _certificates[url] = fetch(url)
    return _certificates[url]


def confirm_subscription(subscribe_url: str) -> None:
    """Visiting SubscribeURL confirms the subscription ("Step 1: Make sure your endpoint is ready", SNS guide).

    :raises ValueError: the URL is not on an SNS host of AWS over https.
    :raises Unreachable: SNS did not confirm.
    """
    if not is_sns_url(subscribe_url):
        raise ValueError(f"not an SNS URL: {subscribe_url[:100]!r}")
    fetch(subscribe_url)
