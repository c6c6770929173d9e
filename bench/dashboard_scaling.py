"""Dashboard server time for one survey with 1k, 100k and 1M responses, and a naive scan of raw responses.

The dashboard reads only `AGG#<survey_id>` items by key, so its cost should depend on days, not responses.
For each size, random answers over 90 days are folded into the per-day and per-segment counters that many live
answers would have left (metrics.response_counters, summed) and batch-written; raw responses are written only
at the middle size, for the naive baseline: Query every `RESP#<survey_id>` item and count NPS in Python, as a
dashboard without aggregates would. Every survey also gets the same 100 comments (the page shows 20).
The whole dashboard view is timed through the test client with an owner session, on DynamoDB Local, the
sizes taking turns round by round after one untimed round (which imports plotly).
"""
from __future__ import annotations

import argparse
import functools
import random
import re
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import date, timedelta

from boto3.dynamodb.types import TypeSerializer

from common import (clock, dynamodb_local, make_app, median, ms, new_store, owner_client, print_result, row,
                    seed_survey, times)

SIZES, QUICK_SIZES = (1_000, 100_000, 1_000_000), (1_000, 10_000, 100_000)
DAYS, COMMENTS, ROUNDS, NAIVE_ROUNDS, THREADS = 90, 100, 50, 3, 8
PRODUCTS = ("Kopi Gayo 250g", "Batik Tulis Solo", "Sambal Bawang 200ml", "Keripik Tempe")
STORES = ("Jakarta Selatan", "Bandung", "Surabaya", "Tokopedia")
REASON = "Kopinya enak sekali, pengiriman cepat!"
SCALING_TARGET, NAIVE_TARGET = 1.2, 50
RESPONSE_COUNT = re.compile(r'id="response-count">(\d+)<')
serialize = TypeSerializer().serialize


def owners_days(tz_name: str) -> list[str]:
    from survey_app.services import local_day, utcnow

    last = date.fromisoformat(local_day(utcnow(), tz_name))
    return [(last - timedelta(days=d)).isoformat() for d in range(DAYS)]


def _rating(rng: random.Random, score: int, answered_share: float) -> int | None:
    """A 1-5 rating leaning on the NPS score, or None for a skipped optional question."""
    return max(1, min(5, round(score / 2.5 + rng.gauss(0.5, 0.7)))) if rng.random() < answered_share else None


def random_answers(rng: random.Random, days: list[str]) -> tuple:
    """(day, product, store, (nps, csat_product, csat_delivery)): hashable, so equal answers are counted once."""
    score = min(10, max(0, round(rng.gauss(7.6, 2.2))))
    return (rng.choice(days), rng.choice(PRODUCTS), rng.choice(STORES),
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
    return [{"pk": f"AGG#{survey.id}", "sk": sk} | dict(counters) for sk, counters in totals.items()]


def raw_record(survey, index: int, response: tuple) -> dict:
    """One stored response, shaped by the app's own Response dataclass (docs/data-model.md)."""
    from survey_app.domain.models import Response

    day, product, shop, ratings = response
    answers = answers_of(ratings) | ({"reason": REASON} if index % 2 else {})
    record = Response(survey_id=survey.id, response_id=f"h{index:07d}", submitted_at=f"{day}T03:00:00+00:00", day=day,
                      language="id", answers=answers, customer_name="Budi",
                      properties={"product": product, "store": shop})
    return asdict(record) | {"pk": f"RESP#{survey.id}", "sk": record.response_id}


def comment_records(survey, days: list[str]) -> list[dict]:
    return [{"pk": f"CMT#{survey.id}", "sk": f"{days[i % DAYS]}T03:00:00+00:00#c{i}", "response_id": f"c{i}",
             "submitted_at": f"{days[i % DAYS]}T03:00:00+00:00", "texts": {"reason": REASON}, "score": 9,
             "customer_name": "Budi", "properties": {"product": PRODUCTS[0], "store": STORES[0]}}
            for i in range(COMMENTS)]


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


def load(store, n: int, days: list[str], with_raw: bool, notes: list[str]):
    """A survey with n responses' aggregates (and raw responses when asked); notes what loading took."""
    survey = seed_survey(store)
    rng, cells, raw = random.Random(n), Counter(), []
    for index in range(n):
        response = random_answers(rng, days)
        cells[response] += 1
        if with_raw:
            raw.append(raw_record(survey, index, response))
    aggregates = aggregate_records(survey, cells)
    seconds = batch_write(store, aggregates + comment_records(survey, days))
    day_items = [a for a in aggregates if a["sk"].startswith("DAY#")]
    counters = sum(len(a) - 2 for a in day_items) / len(day_items)
    notes.append(f"{n:,} responses: {len(aggregates)} aggregate items ({len(day_items)} day items of "
                 f"{counters:.0f} counters on average) written in {seconds:.1f} s")
    if with_raw:
        seconds = batch_write(store, raw)
        notes.append(f"{n:,} raw responses written in {seconds:.0f} s ({n / seconds:,.0f} items/s, BatchWriteItem "
                     f"x{THREADS} threads)")
    return survey


def naive_nps(store, survey_id: str) -> int:
    """What a dashboard without aggregates would do: read every raw response and count."""
    from survey_app.domain.metrics import category

    counts = Counter(category(r.answers["nps"]) for r in store.iter_responses(survey_id))
    return sum(counts.values())


def run(quick: bool = False) -> dict:
    sizes, notes = (QUICK_SIZES if quick else SIZES), []
    small, middle, large = sizes
    with dynamodb_local() as endpoint:
        store = new_store(endpoint)
        app = make_app(store)
        days = owners_days(app.config["TIMEZONE"])
        surveys = {n: load(store, n, days, n == middle, notes) for n in sizes}
        client = owner_client(app)
        seconds = {n: [] for n in sizes}
        for i in range(ROUNDS + 1):
            for n in sizes[i % len(sizes):] + sizes[:i % len(sizes)]:
                elapsed, page = clock(client.get, f"/owner/surveys/{surveys[n].id}", base_url="https://localhost")
                shown = RESPONSE_COUNT.search(page.get_data(as_text=True))
                assert page.status_code == 200 and shown and int(shown.group(1)) == n, (n, page.status_code)
                if i:
                    seconds[n].append(elapsed)
        naive = []
        for _ in range(NAIVE_ROUNDS):
            elapsed, counted = clock(naive_nps, store, surveys[middle].id)
            assert counted == middle, counted
            naive.append(elapsed)
    small_s, middle_s, large_s = (median(seconds[n]) for n in sizes)
    naive_s = median(naive)
    rows = [
        row(f"Dashboard server time, {large:,} responses", ms(large_s), f"{ms(small_s)} at {small:,}",
            times(large_s / small_s), f"≤ {SCALING_TARGET}x", large_s / small_s <= SCALING_TARGET),
        row(f"Dashboard server time, {middle:,} responses", ms(middle_s), f"{ms(small_s)} at {small:,}",
            times(middle_s / small_s), "– (context)"),
        row(f"Dashboard vs naive scan, {middle:,} raw responses", ms(middle_s), f"{ms(naive_s)} naive scan",
            f"{naive_s / middle_s:.0f}x faster", f"≥ {NAIVE_TARGET}x faster", naive_s / middle_s >= NAIVE_TARGET),
    ]
    notes.append(f"medians of {ROUNDS} dashboard renders per size and {NAIVE_ROUNDS} naive scans; "
                 f"all on DynamoDB Local")
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k/10k/100k instead of 1k/100k/1M")
    print_result(run(**vars(parser.parse_args())))
