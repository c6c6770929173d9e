"""How a batch of tallies is cut into fold transactions: never over the engine's item limit, every tally in
exactly one chunk in stream order, its counters summed per aggregate item."""
from __future__ import annotations

from collections import Counter, defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.domain.tallies import Tally, plan_chunks, tally_shard

KEYS = st.sampled_from(["DAY#2026-12-01", "DAY#2026-12-02", "SEG#city#2026-12-01#Medan", "SEG#city#2026-12-01#Bandung"])
TALLIES = st.lists(st.builds(
    Tally, tally_id=st.uuids().map(str), survey_id=st.sampled_from(["s1", "s2"]), at=st.just("2026-12-01T00:00:00"),
    adds=st.dictionaries(KEYS, st.dictionaries(st.sampled_from(["n", "promoter", "q#nps#9"]),
                                               st.integers(-2, 3), max_size=3), max_size=3)), max_size=60)


@settings(max_examples=150)  # and the run's profile, seeded in `make test` (tests/fuzz/profiles.py)
@given(TALLIES, st.integers(min_value=10, max_value=100))  # a tally here needs at most 6 items
def test_chunks_stay_under_the_limit_and_hold_every_tally_once_with_their_sums(tallies, limit):
    chunks = plan_chunks(tallies, limit)
    assert [t for c in chunks for t in c.tallies] == tallies
    assert all(c.item_count() <= limit for c in chunks)
    for chunk in chunks:
        expected: dict = defaultdict(Counter)
        for tally in chunk.tallies:
            for sk, counters in tally.adds.items():
                expected[(tally.survey_id, sk)].update(counters)
        assert nonzero(chunk.totals) == nonzero(expected)


def nonzero(totals) -> dict:
    kept = {key: {name: v for name, v in counters.items() if v} for key, counters in totals.items()}
    return {key: counters for key, counters in kept.items() if counters}

def test_a_batch_of_one_surveys_answers_needs_few_transactions_at_awss_limit():
    adds = {"DAY#2026-12-01": {"n": 1}, "SEG#city#2026-12-01#Medan": {"n": 1}}
    tallies = [Tally(f"answer-{i}", "s1", "2026-12-01T00:00:00", adds) for i in range(500)]
    chunks = plan_chunks(tallies, 100)
    assert len(chunks) == 6 and chunks[0].totals[("s1", "DAY#2026-12-01")]["n"] == 96  # 2 aggregates, the property names, the survey check


def test_a_tally_with_nothing_to_add_is_still_folded_so_it_never_waits_forever():
    chunks = plan_chunks([Tally("t", "s1", "2026-12-01T00:00:00", {})], 10)
    assert [t.tally_id for c in chunks for t in c.tallies] == ["t"]


def test_a_tallys_shard_is_stable_and_within_the_sixteen():
    assert tally_shard("answer-abc") == tally_shard("answer-abc") and {tally_shard(f"x{i}") for i in range(200)} <= set(range(16))
