"""The race proofs' own tools (tests/racing.py) can fail: racers one after another never count as at once."""
from __future__ import annotations

import threading

import pytest

from tests.racing import Spans, all_at_once


def test_spans_one_after_another_or_only_touching_are_never_at_once():
    spans = Spans()
    spans.spans = [("a", 0.0, 1.0), ("b", 1.0, 2.0), ("a", 2.5, 3.0)]
    assert spans.most_at_once() == 1
    spans.spans.append(("b", 0.5, 2.6))  # overlaps each of the others, one at a time
    assert spans.most_at_once() == 2
    assert spans.most_at_once(lambda name: name == "a") == 1
    spans.spans.append(("c", 0.9, 1.1))  # with the first a and the long b: three at once, from 0.9 to 1.0
    assert spans.most_at_once() == 3


def test_calls_run_one_by_one_count_one_at_a_time():
    spans = Spans()
    for _ in range(3):
        spans.timed(lambda: None)()
    assert len(spans.spans) == 3 and spans.most_at_once() == 1


def test_all_at_once_releases_every_call_together_and_returns_their_results_in_order():
    meet = threading.Barrier(3, timeout=10)  # passed only if all three are running at the same time
    spans = Spans()

    def racer(number: int) -> int:
        meet.wait()
        return number

    calls = [spans.timed(lambda number=number: racer(number)) for number in range(3)]
    assert all_at_once(calls) == [0, 1, 2]
    assert spans.most_at_once() == 3


def test_a_racers_error_is_raised_not_lost_in_its_thread():
    def fails():
        raise ValueError("racer failed")

    with pytest.raises(ValueError, match="racer failed"):
        all_at_once([lambda: 1, fails])
