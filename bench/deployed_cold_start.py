"""Cold start as deployed: a new Lambda instance of the built zip (Zappa's handler, `python3.11 -I -S`, read-only
code, the runtime's boto3) runs init and answers its first API Gateway event for an answer page; against
bench/bare_app.py (Flask + WTForms + a boto3 client, two GetItem) served by the same handler from the same zip.

The link was opened once before, so both first pages make the same two reads. Each round starts one fresh
instance per variant, in alternating order; the clock runs from the process spawn to the answer (init, the
app's import inside Zappa's first call, the request). Figures are medians over the rounds. Beside the bare app, the
production start-up also reads its secret key from SSM Parameter Store (survey_app/parameters.py; moto here), one
more boto3 client and call; benchmark 3 measures the same start in the development venv.
"""
from __future__ import annotations

import argparse
import json
import time
import uuid

from common import dynamodb_local, median, ms, print_result, row, times
from deployed_common import BARE_STAGE, deployed_pair, links

from tests.deployed.apigateway import request_event
from tests.deployed.deployment import WEB_STAGE
from tests.deployed.lambda_runtime import Instance, Logs

TARGET = 1.2
HEADERS = [("Accept", "text/html"), ("User-Agent", "bench")]


def cold_answer(deployed, stage: str, api, token: str) -> float:
    """Seconds from spawning a new instance to its answer for GET /s/<token>."""
    event = json.dumps(request_event(api, "GET", f"/s/{token}", "", HEADERS, b"", "127.0.0.1")).encode()
    started = time.perf_counter()
    instance = Instance(deployed.function(stage).config, Logs(), 0)
    try:
        outcome = instance.invoke(event, str(uuid.uuid4()))
        seconds = time.perf_counter() - started
    finally:
        instance.stop()
    status = json.loads(outcome.payload)["statusCode"] if outcome.payload else outcome.error
    if status != 200:
        raise RuntimeError(f"{stage}: first answer page was {status}")
    return seconds


def run(rounds: int = 9) -> dict:
    samples = {"app": [], "bare": []}
    with dynamodb_local() as endpoint, deployed_pair(endpoint) as (deployed, fronts):
        (token,) = links(deployed, 1)
        warm = deployed.client().get(f"/s/{token}")  # opens the link: later first pages only read
        assert warm.status == 200, warm.status
        stages = {"app": WEB_STAGE, "bare": BARE_STAGE}
        for i in range(rounds + 1):
            for name in (("app", "bare") if i % 2 else ("bare", "app")):
                seconds = cold_answer(deployed, stages[name], fronts[name].api, token)
                if i:
                    samples[name].append(seconds)
    app, bare = median(samples["app"]), median(samples["bare"])
    rows = [row("Deployed cold start: init + first answer page", ms(app),
                f"{ms(bare)} bare Flask + WTForms + boto3, same handler", times(app / bare), f"≤ {TARGET}x",
                app / bare <= TARGET)]
    notes = [f"median of {rounds} fresh instances per variant after one untimed round; "
             f"app min {ms(min(samples['app']))}, bare min {ms(min(samples['bare']))}"]
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9, help="fresh instances per variant (default 9)")
    print_result(run(**vars(parser.parse_args())))
