"""Outgoing webhooks, signed with HMAC-SHA256 so the receiver can check they came from us and are fresh."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
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
