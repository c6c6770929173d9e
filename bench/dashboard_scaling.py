"""Dashboard server time as each thing that really grows grows: responses, distinct segment values, comments,
and the days in the range, each alone, with a naive scan of raw responses beside it.

The dashboard reads `AGG#<survey_id>` items by key: one day item per day, one segment item per (property, day,
value) and the newest comments, so its cost should be flat in responses, and rise with days in range and with
distinct segment values (that is where it costs); comment volume should not matter (the page reads the newest
20, a search examines at most a fixed number). Each scenario loads one survey per level on DynamoDB Local,
folding random answers into the per-day and per-segment counters live answers would have left
(metrics.response_counters, summed, batch-written); raw responses are written once, for the naive baseline
(Query every `RESP#` item and count NPS in Python). The whole dashboard view is timed through the test client
with an owner session, the levels of a scenario taking turns round by round after one untimed round. Each
scenario reports its largest level against its smallest: the ratio shows where cost rises. The bench's client
waits up to 60 s for DynamoDB Local's answer (the app's own client gives up after 5 s): under a full run's load a
1 MB page of segment items took longer than that, and the run died on the read timeout. Comments stay flat since
the newest 20 are read with a limit, not from a whole 1 MB page (tests/integration/test_comment_reads.py holds it).
What a render reads is counter attributes, and a small survey does not yet hold every counter a day can have
(each score 0-10, each low rating by category...): up to a few thousand responses the items grow in attributes,
then stop, so the responses scenario rises first and flattens after (the notes give the counter attributes of
each level; the request count, 10 per render, is the same at every level).
`--quick` (what `make bench` runs) keeps every scenario's growth but stops short of the full levels (1,000,000
responses, 1,000 store values, 50,000 comments), which take longer than `make bench` can spend on a 2-core machine.
"""
from __future__ import annotations

import argparse
import functools
import random
import re
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import date, timedelta

from boto3.dynamodb.types import TypeSerializer

from common import (REGION, clock, dynamodb_local, make_app, median, ms, owner_client, print_result, row,
                    seed_survey, times)

# scenario: (levels, quick levels); every other dimension stays at its base while one grows
SCENARIOS = {
    "responses": ((1_000, 100_000, 1_000_000), (1_000, 10_000, 100_000)),
    "distinct store values": ((4, 100, 1_000), (4, 50, 200)),
    "comments": ((100, 10_000, 50_000), (100, 2_000, 10_000)),
    "days in range": ((7, 90, 365), (7, 90, 365)),
}
BASE = {"responses": 100_000, "distinct store values": 4, "comments": 100, "days in range": 90}
QUICK_BASE_RESPONSES = 10_000
HISTORY_DAYS, ROUNDS, NAIVE_ROUNDS, THREADS = 365, 20, 3, 8
PRODUCTS = ("Kopi Gayo 250g", "Batik Tulis Solo", "Sambal Bawang 200ml", "Keripik Tempe")
REASON = "Kopinya enak sekali, pengiriman cepat!"
FLAT_TARGET, NAIVE_TARGET = 1.2, 50
FLAT = {"responses", "comments"}  # should not cost more as they grow; the others are expected to rise
RESPONSE_COUNT = re.compile(r'id="response-count">(\d+)<')
serialize = TypeSerializer().serialize


def patient_store(endpoint: str):
    """A fresh table on DynamoDB Local whose client waits 60 s for an answer and retries more than the app's (5 s,
    4 retries): the dashboard under test reads through it too, so a slow page is timed, not a crash."""
    import boto3
    from botocore.config import Config
    from survey_app.store import Store

    class PatientStore(Store):
        @property
        def client(self):
            if self._client is None:
                self._client = boto3.client("dynamodb", region_name=self.region, endpoint_url=self.endpoint_url,
                                            config=Config(retries={"mode": "standard", "max_attempts": 8},
                                                          connect_timeout=10, read_timeout=60))
            return self._client

    store = PatientStore(f"bench-{uuid.uuid4().hex[:8]}", REGION, endpoint)
    store.create_table()
    return store


def owners_days(tz_name: str, count: int) -> list[str]:
    """The owner's last `count` days, newest first."""
    from survey_app.services import local_day, utcnow

    last = date.fromisoformat(local_day(utcnow(), tz_name))
    return [(last - timedelta(days=d)).isoformat() for d in range(count)]


def _rating(rng: random.Random, score: int, answered_share: float) -> int | None:
    """A 1-5 rating leaning on the NPS score, or None for a skipped optional question."""
    return max(1, min(5, round(score / 2.5 + rng.gauss(0.5, 0.7)))) if rng.random() < answered_share else None


def stores(count: int) -> list[str]:
    return [f"Toko {i:04d}" for i in range(count)]


def random_answers(rng: random.Random, days: list[str], shops: list[str]) -> tuple:
    """(day, product, store, (nps, csat_product, csat_delivery)): hashable, so equal answers are counted once."""
    score = min(10, max(0, round(rng.gauss(7.6, 2.2))))
    return (rng.choice(days), rng.choice(PRODUCTS), rng.choice(shops),
            (score, _rating(rng, score, 0.7), _rating(rng, score, 0.6)))


def answers_of(ratings: tuple) -> dict:
    return {q: v for q, v in zip(("nps", "csat_product", "csat_delivery"), ratings) if v is not None}


def aggregate_records(survey, cells: Counter) -> list[dict]:
    """Counters summed per day and per (property, day, value), from {(day, product, store, ratings): count}."""
    from survey_app.domain.metrics import response_counters
    from survey_app.store import segment_sk

    counters_of = functools.cache(lambda ratings: response_counters(survey, answers_of(ratings)))
    totals: dict[str, Counter] = defaultdict(Counter)
    for (day, product, shop, ratings), count in cells.items():
        counters = {name: value * count for name, value in counters_of(ratings).items()}
        for sk in (f"DAY#{day}", segment_sk("product", day, product), segment_sk("store", day, shop)):
            totals[sk].update(counters)
    properties = {"pk": f"AGG#{survey.id}", "sk": "PROPS", "names": {"product", "store"}}  # as the app remembers
    return [{"pk": f"AGG#{survey.id}", "sk": sk} | dict(counters) for sk, counters in totals.items()] + [properties]


def raw_record(survey, index: int, response: tuple) -> dict:
    """One stored response, shaped by the app's own Response dataclass (docs/data-model.md)."""
    from survey_app.domain.models import Response

    day, product, shop, ratings = response
    answers = answers_of(ratings) | ({"reason": REASON} if index % 2 else {})
    record = Response(survey_id=survey.id, response_id=f"h{index:07d}", submitted_at=f"{day}T03:00:00+00:00", day=day,
                      language="id", answers=answers, customer_name="Budi",
                      properties={"product": product, "store": shop})
    return asdict(record) | {"pk": f"RESP#{survey.id}", "sk": record.response_id}


def comment_records(survey, days: list[str], count: int) -> list[dict]:
    return [{"pk": f"CMT#{survey.id}", "sk": f"{days[i % len(days)]}T03:00:00+00:00#c{i}", "response_id": f"c{i}",
             "submitted_at": f"{days[i % len(days)]}T03:00:00+00:00", "texts": {"reason": REASON}, "score": 9,
             "customer_name": "Budi", "properties": {"product": PRODUCTS[0], "store": "Toko 0000"}}
            for i in range(count)]


def batch_write(store, records: list[dict]) -> float:
    """BatchWriteItem, 25 items a call, THREADS calls at a time; returns seconds."""
    def put(chunk: list[dict]) -> None:
        requests = [{"PutRequest": {"Item": {k: serialize(v) for k, v in r.items() if v not in (None, "")}}}
                    for r in chunk]
        pending = {store.table_name: requests}
        while pending:
            pending = store.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    chunks = [records[i:i + 25] for i in range(0, len(records), 25)]
    with ThreadPoolExecutor(THREADS) as pool:
        seconds, _ = clock(lambda: list(pool.map(put, chunks)))
    return seconds


def load(store, n: int, days: list[str], shops: int, comments: int, with_raw: bool, notes: list[str], label: str):
    """A survey with n responses' aggregates over `days`, `shops` distinct store values and `comments` comments
    (and raw responses when asked); notes what loading took."""
    survey = seed_survey(store)
    rng, cells, raw, names = random.Random(n + shops), Counter(), [], stores(shops)
    for index in range(n):
        response = random_answers(rng, days, names)
        cells[response] += 1
        if with_raw:
            raw.append(raw_record(survey, index, response))
    aggregates = aggregate_records(survey, cells)
    seconds = batch_write(store, aggregates + comment_records(survey, days, comments))
    day_items = [a for a in aggregates if a["sk"].startswith("DAY#")]
    counters = sum(len(a) - 2 for a in aggregates if a["sk"] != "PROPS")  # what a render reads, beyond the keys
    notes.append(f"{label}: {n:,} responses, {len(aggregates):,} aggregate items ({len(day_items)} day items, "
                 f"{counters:,} counter attributes), "
                 f"{shops:,} store values, {comments:,} comments, written in {seconds:.1f} s")
    if with_raw:
        seconds = batch_write(store, raw)
        notes.append(f"{n:,} raw responses written in {seconds:.0f} s ({n / seconds:,.0f} items/s, BatchWriteItem "
                     f"x{THREADS} threads)")
    return survey


def timed_renders(client, pages: dict, rounds: int) -> dict:
    """{level: median seconds} of the dashboard at each level's URL, levels taking turns round by round."""
    levels, seconds = list(pages), {level: [] for level in pages}
    for i in range(rounds + 1):
        for level in levels[i % len(levels):] + levels[:i % len(levels)]:
            url, expected = pages[level]
            elapsed, page = clock(client.get, url, base_url="https://localhost")
            shown = RESPONSE_COUNT.search(page.get_data(as_text=True))
            assert page.status_code == 200 and shown, (level, page.status_code)
            assert expected is None or int(shown.group(1)) == expected, (level, shown.group(1), expected)
            if i:
                seconds[level].append(elapsed)
    return {level: median(values) for level, values in seconds.items()}


def trend(by_level: dict) -> str:
    """Whether the time rose at every level: a ratio that comes and goes between levels is the machine's noise, one
    that grows step by step is cost."""
    times_in_order = list(by_level.values())
    if all(a < b for a, b in zip(times_in_order, times_in_order[1:])):
        return ": rises at every level"
    return ": not monotonic in the levels (the noise between levels is as large as any change)"


def naive_nps(store, survey_id: str) -> int:
    """What a dashboard without aggregates would do: read every raw response and count."""
    from survey_app.domain.metrics import category

    counts = Counter(category(r.answers["nps"]) for r in store.iter_responses(survey_id))
    return sum(counts.values())


def run(quick: bool = False, rounds: int = ROUNDS) -> dict:
    notes, rows = [], []
    chosen = {scenario: quick_levels if quick else levels for scenario, (levels, quick_levels) in SCENARIOS.items()}
    base = dict(BASE, responses=QUICK_BASE_RESPONSES if quick else BASE["responses"])
    with dynamodb_local() as endpoint:
        store = patient_store(endpoint)
        app = make_app(store)
        history = owners_days(app.config["TIMEZONE"], HISTORY_DAYS)
        client = owner_client(app)
        medians, naive = {}, []
        for scenario, levels in chosen.items():
            pages = {}
            for level in levels:
                shape = dict(base, **{scenario: level})
                days = history[:shape["days in range"]] if scenario != "days in range" else history
                survey = load(store, shape["responses"], days, shape["distinct store values"], shape["comments"],
                              with_raw=scenario == "responses" and level == base["responses"], notes=notes,
                              label=f"{scenario} = {level:,}")
                first, last = history[shape["days in range"] - 1], history[0]
                url = f"/owner/surveys/{survey.id}?first={first}&last={last}"
                pages[level] = (url, shape["responses"] if scenario != "days in range" else None)
                if scenario == "responses" and level == base["responses"]:
                    for _ in range(NAIVE_ROUNDS):
                        elapsed, counted = clock(naive_nps, store, survey.id)
                        assert counted == level, counted
                        naive.append(elapsed)
            medians[scenario] = timed_renders(client, pages, rounds)
    for scenario, by_level in medians.items():
        (low, low_s), (high, high_s) = list(by_level.items())[0], list(by_level.items())[-1]
        ratio = high_s / low_s
        steps = ", ".join(f"{ms(s)} at {level:,}" for level, s in by_level.items())
        if scenario in FLAT:
            rows.append(row(f"Dashboard server time, {high:,} {scenario}", ms(high_s), f"{ms(low_s)} at {low:,}",
                            times(ratio), f"≤ {FLAT_TARGET}x (flat)", ratio <= FLAT_TARGET))
        else:
            rows.append(row(f"Dashboard server time, {high:,} {scenario}", ms(high_s), f"{ms(low_s)} at {low:,}",
                            times(ratio), "– (where cost rises)"))
        notes.append(f"{scenario}: {steps}; {'rises' if ratio > FLAT_TARGET else 'flat'} "
                     f"({(high_s - low_s) * 1e6 / (high - low):.1f} µs per one more)" + trend(by_level))
    middle_s = medians["responses"][base["responses"]]
    naive_s = median(naive)
    rows.append(row(f"Dashboard vs naive scan, {base['responses']:,} raw responses", ms(middle_s),
                    f"{ms(naive_s)} naive scan", f"{naive_s / middle_s:.0f}x faster", f"≥ {NAIVE_TARGET}x faster",
                    naive_s / middle_s >= NAIVE_TARGET))
    notes.append("levels this run: " + "; ".join(f"{scenario} " + ", ".join(f"{level:,}" for level in levels)
                                                  for scenario, levels in chosen.items())
                 + ("; the full levels (" + ", ".join(f"{levels[-1]:,} {scenario}" for scenario, (levels, _)
                                                       in SCENARIOS.items()) +
                    f", base {BASE['responses']:,} responses) run with `bench/dashboard_scaling.py` alone"
                    if quick else ""))
    notes.append(f"medians of {rounds} dashboard renders per level and {NAIVE_ROUNDS} naive scans; base: "
                 f"{base['responses']:,} responses, {BASE['distinct store values']} store values, "
                 f"{BASE['comments']} comments, {BASE['days in range']} days; all on DynamoDB Local")
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller levels (10k responses at the base)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed renders per level (median reported)")
    print_result(run(**vars(parser.parse_args())))
