"""Proof that a race raced: when each racer entered and left (one clock for every thread), how many were in at
once, and a way to release calls together. Racers that ran one after another pass every other race assertion."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Hashable, Iterator


class Spans:
    """Each racer's (name, entered, left) on time.monotonic, which every thread of the process shares."""

    def __init__(self):
        self.spans: list[tuple[Hashable, float, float]] = []
        self._lock = threading.Lock()

    @contextmanager
    def span(self, name: Hashable = "") -> Iterator[None]:
        entered = time.monotonic()
        try:
            yield
        finally:
            left = time.monotonic()
            with self._lock:
                self.spans.append((name, entered, left))

    def timed(self, call: Callable, name: Hashable = "") -> Callable:
        """`call`, each run of it recorded as a span."""
        def run(*args, **kwargs):
            with self.span(name):
                return call(*args, **kwargs)
        return run

    def most_at_once(self, counted: Callable[[Hashable], bool] = lambda name: True) -> int:
        """The most spans (of the names `counted` accepts) open at the same moment."""
        edges = sorted(edge for name, entered, left in self.spans if counted(name)
                       for edge in ((entered, 1), (left, -1)))  # on a tie the end sorts first: touching is not overlap
        most = now = 0
        for _, step in edges:
            now += step
            most = max(most, now)
        return most


def all_at_once(calls: list) -> list:
    """Runs every call in its own thread, released together; their results in order (a racer's error is raised)."""
    start = threading.Barrier(len(calls), timeout=60)

    def released(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(released, calls))
