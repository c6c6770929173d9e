"""The read API on a large survey (100,000 responses unless told; DynamoDB Local, production settings): one page of
responses at the largest limit (500) and at the default (100), a page of one week, a page of one segment, a page deep
in the survey by its cursor, and the summary: time and bytes of each, against Lambda's 6 MB synchronous response
limit. Each page is bounded by count and by 4 MB (services/read_api.PAGE_BYTES), so its cost does not grow with the
survey. The summary reads the day and segment aggregates only (days x values items). The deployed tier checks the
byte bound through API Gateway with answers long enough that a page of 500 would be 7 MB
(tests/deployed/test_read_api_deployed.py)."""
from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone

from common import (MB, REGION, dynamodb_local, load_average, make_app, ms, new_store, print_result, row,
                    seed_survey, size, times)

LAMBDA_RESPONSE_LIMIT = 6 * MB  # synchronous invocation payload (AWS Lambda quotas)


def seed(store, survey, count: int) -> None:
    """`count` responses over 90 days, a comment on every other one, three stores: the bulk history loader."""
    from survey_app.services import PastAnswer, import_history

    now = datetime.now(timezone.utc)
    import_history(store, survey, (
        PastAnswer(answers={"nps": i % 11, **({"reason": f"Pengiriman cepat, barang bagus nomor {i}"} if i % 2 else {})},
                   language="id", submitted_at=now - timedelta(minutes=i * 90 * 1440 / count),
                   customer_name=f"Pelanggan {i}", properties={"store": ("Bandung", "Solo", "Medan")[i % 3]})
        for i in range(count)), "Asia/Jakarta")


def patient_client(endpoint: str):
    """The store's client with a 60 s read timeout: DynamoDB Local on a busy 2-core machine can pause longer than
    the app's 5 s while it takes 100,000 batch writes (the app's own timeout is for AWS)."""
    import boto3
    from botocore.config import Config

    return boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint,
                        config=Config(retries={"mode": "standard", "max_attempts": 8}, read_timeout=60))


def timed_get(client, url: str, headers: dict, query: dict) -> tuple[float, int, dict]:
    started = time.perf_counter()
    answer = client.get(url, query_string=query, headers=headers)
    seconds = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{url} {query}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
    return seconds, len(answer.get_data()), answer.json


def run(quick: bool = False, responses: int = 0) -> dict:
    """`responses` in the survey: 100,000 unless given, 11,000 with --quick (page 21 of 500 must exist)."""
    from survey_app.services import create_api_key

    count = responses or (11_000 if quick else 100_000)
    rows_out, notes = [], []
    with dynamodb_local() as endpoint:
        store = new_store(endpoint)
        store._client = patient_client(endpoint)
        app = make_app(store)
        survey = seed_survey(store)
        started, load_before = time.perf_counter(), load_average()
        seed(store, survey, count)
        notes.append(f"{count:,} responses seeded in {time.perf_counter() - started:.0f} s (bulk history loader); "
                     f"load average {load_before} before, {load_average()} after")
        headers = {"Authorization": f"Bearer {create_api_key(store, 'bench', 'owner@bench.test')}"}
        client = app.test_client()
        url = f"/api/v1/surveys/{survey.id}/responses"
        week = (datetime.now(timezone.utc) - timedelta(days=7)).date().isoformat()
        cases = {"limit 500": {"limit": 500}, "limit 100 (default)": {},
                 "one week, limit 500": {"from": week, "limit": 500},
                 "segment store:Solo, limit 500": {"segment": "store:Solo", "limit": 500}}
        timed = {}
        for label, query in cases.items():
            seconds, body, answer = timed_get(client, url, headers, query)
            timed[label] = seconds
            rows_out.append(row(f"API responses page, {label}, {count:,}-response survey",
                                f"{ms(seconds)}, {size(body)}, {len(answer['responses'])} responses",
                                target=f"< {size(LAMBDA_RESPONSE_LIMIT)}", met=body < LAMBDA_RESPONSE_LIMIT))
        cursor, pages = None, 0
        for pages in range(1, 21):  # 20 pages of 500 in: the cursor starts where the last page stopped
            _, _, answer = timed_get(client, url, headers, {"limit": 500} | ({"cursor": cursor} if cursor else {}))
            cursor = answer["next_cursor"]
            if cursor is None:
                raise RuntimeError(f"{count:,} responses end at page {pages}: page 21 needs more than 10,000")
        deep, body, answer = timed_get(client, url, headers, {"limit": 500, "cursor": cursor})
        rows_out.append(row(f"API responses page {pages + 1} (by cursor), limit 500",
                            f"{ms(deep)}, {size(body)}, {len(answer['responses'])} responses",
                            target=f"< {size(LAMBDA_RESPONSE_LIMIT)}", met=body < LAMBDA_RESPONSE_LIMIT))
        seconds, body, answer = timed_get(client, f"/api/v1/surveys/{survey.id}/summary", headers, {})
        rows_out.append(row(f"API summary, {count:,}-response survey (90 days, per segment)",
                            f"{ms(seconds)}, {size(body)}, n = {answer['responses']:,}"))
        slowest = max(timed, key=timed.get)
        notes.append(f"slowest page: {slowest} ({ms(timed[slowest])}); page {pages + 1} by cursor took "
                     f"{times(deep / timed['limit 500'])} the time of page 1 at the same limit; the summary counts "
                     f"{answer['responses']:,} of the {count:,} responses (those inside its default window)")
    notes.append("DynamoDB Local on this machine (moto's index queries read the whole table, so it cannot say what a "
                 "key range costs); a page reads at most `limit` items per DynamoDB page and at most 5 DynamoDB pages "
                 "when a segment filter skips most of them, so its time does not grow with the survey")
    return {"rows": rows_out, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="11,000 responses")
    parser.add_argument("--responses", type=int, default=0, help="responses in the survey (default 100,000)")
    print_result(run(**vars(parser.parse_args())))
