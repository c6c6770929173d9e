"""Provider rate limits kept by the sender: each channel has a messages-per-second ceiling (WhatsApp Cloud API
80/s per number by default; SES the account's send rate), shared by every thread of one run."""
from __future__ import annotations

import threading
import time


class Pace:
    """Hands out send slots no closer than 1/rate seconds apart; `rate` <= 0 means no ceiling."""

    def __init__(self, rate: float):
        self.interval = 1 / rate if rate > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)
