"""Outgoing webhooks, signed with HMAC-SHA256 so the receiver can check they came from us and are fresh: the
operator's alert webhook (`Webhook`), and owners' webhooks (`deliver`), whose addresses are checked so they reach only
the public internet, also after a DNS change (the name is resolved and judged on every delivery, and the connection
goes to the address judged)."""
from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

from . import ChannelError

TIMEOUT_SECONDS = 5
ATTEMPTS = 3


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """sha256=HMAC(secret, "<timestamp>.<body>"): the timestamp is signed too, so old deliveries cannot be replayed."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class Webhook:
    def __init__(self, url: str, secret: str, sleep=time.sleep):
        self.url, self.secret, self._sleep = url, secret, sleep

    def send(self, event: str, payload: dict) -> None:
        """Retried with back-off (0.5 s, 1 s); :raises ChannelError: after the last attempt, with its reason."""
        body = json.dumps({"event": event, "data": payload}, ensure_ascii=False, sort_keys=True).encode()
        reason = ""
        for attempt in range(ATTEMPTS):
            timestamp = str(int(time.time()))
            request = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/json", "X-Survey-Event": event, "X-Survey-Timestamp": timestamp,
                "X-Survey-Signature": signature(self.secret, timestamp, body)})
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):
                    return
            except urllib.error.HTTPError as error:
                reason = f"webhook answered {error.code}"
                if error.code < 500 and error.code != 429:
                    break  # the receiver refused this delivery; retrying will not change its mind
            except (urllib.error.URLError, TimeoutError, OSError) as error:
                reason = f"webhook unreachable: {error}"
            if attempt < ATTEMPTS - 1:
                self._sleep(0.5 * 2**attempt)
        raise ChannelError(reason)


# ---- owners' webhooks: addresses an owner typed, so every delivery proves it reaches only the public internet ----
class UnsafeUrl(ValueError):
    """A webhook address that could reach this platform's own network (or is not https in production)."""


def check_url(url: str, require_https: bool) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable address; :raises UnsafeUrl: with the reason, in the owner's terms.
    Literal addresses are judged here; names are judged on every delivery (`public_addresses`), after resolving."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("The address must start with https:// and name a host.")
    if require_https and parts.scheme != "https":
        raise UnsafeUrl("The address must use https://.")
    if parts.username or parts.password:
        raise UnsafeUrl("The address must not hold a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("The address's port is not a number from 1 to 65535.") from None
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
        raise UnsafeUrl("The address must be reachable on the public internet.")
    literal = _literal(host)
    if literal is not None and not _public(literal):
        raise UnsafeUrl("The address must be reachable on the public internet.")
    return parts.scheme, host, port


def public_addresses(host: str, port: int, resolve=socket.getaddrinfo) -> list[str]:
    """Every address the name resolves to, now; :raises UnsafeUrl: when any is private, loopback, link-local,
    multicast or reserved (a name that once resolved to a public address may since point inside: DNS rebinding),
    so the connection is made to one of exactly these addresses."""
    try:
        found = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"The host does not resolve: {error}") from None
    addresses = sorted({info[4][0] for info in found})
    if not addresses or not all(_public(ipaddress.ip_address(a.split("%")[0])) for a in addresses):
        raise UnsafeUrl("The address resolves inside a private network.")
    return addresses


def _literal(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _public(address) -> bool:
    """Globally routable unicast only; an IPv4 address mapped or embedded in IPv6 is judged as itself."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return _public(embedded)
    return address.is_global and not address.is_multicast


class _PinnedHTTPS(http.client.HTTPSConnection):
    """Connects to the address already checked, while TLS still verifies the certificate for the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


def deliver(url: str, secret: str, event: str, delivery_id: str, body: bytes, *, require_https: bool,
            resolve=public_addresses, now=time.time) -> tuple[bool, str]:
    """One signed POST, to an address checked just now: (delivered?, what happened). Never raises for the
    receiver's failures; the caller records them and retries later (outgoing webhooks never retry in-process).
    Headers: X-Survey-Event, X-Survey-Delivery (the same on every retry: receivers ignore repeats by it),
    X-Survey-Timestamp and X-Survey-Signature = sha256=HMAC(secret, "<timestamp>.<body>")."""
    try:
        scheme, host, port = check_url(url, require_https)
        address = resolve(host, port)[0]
    except UnsafeUrl as error:
        return False, f"refused: {error}"
    timestamp = str(int(now()))
    parts = urllib.parse.urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = (_PinnedHTTPS if scheme == "https" else _PinnedHTTP)(host, port, address, TIMEOUT_SECONDS)
    try:
        connection.request("POST", target, body=body, headers={
            "Content-Type": "application/json", "User-Agent": "survey-app-webhooks", "X-Survey-Event": event,
            "X-Survey-Delivery": delivery_id, "X-Survey-Timestamp": timestamp,
            "X-Survey-Signature": signature(secret, timestamp, body)})
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as error:
        return False, f"unreachable: {type(error).__name__}: {error}"[:300]
    finally:
        connection.close()
    return 200 <= status < 300, f"answered {status}"


def verify(secret: str, timestamp: str, body: bytes, given: str, now: float, window: int = 300) -> bool:
    """What a receiver does (and our tests, as one): the signature matches and the timestamp is within `window`
    seconds of its clock, so a captured delivery cannot be replayed later."""
    fresh = timestamp.isdigit() and abs(now - int(timestamp)) <= window
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), given)
