"""Answer page GET and submit POST latency through a real HTTP server, against the same requests' bare cost.

The app (survey_app.wsgi, production settings) and bare_app.py (Flask + the same DynamoDB calls, nothing
else) run side by side, each in its own werkzeug process, on one DynamoDB Local. Every link is a fresh
invitation, as every customer's is: GET the page (timed), GET it again (timed, a diagnosis), read its CSRF
token, submission id and session cookie (not timed), POST the answers (timed). The two servers take turns
link by link, alternating which goes first, so noise from a shared machine lands on both.
The app's first GET of a sent link also writes (state -> opened, plus a day counter, in one transaction);
the bare GET is the two reads the data model lists, so "already opened" isolates what that write costs.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from common import (BENCH, app_environment, dynamodb_local, free_port, median, ms, new_invitation, new_store,
                    percentile, print_result, row, seed_survey, times)

SERVERS = {"app": "survey_app.wsgi:app", "bare": "bare_app:app"}
ANSWERS = {"q_nps": "9", "q_reason": "Kopinya enak sekali, pengiriman cepat!", "q_csat_product": "5",
           "q_csat_delivery": "4"}
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission" type="hidden" value="([0-9a-f]+)"')
WARMUP = 20
TARGET = 1.5


@contextlib.contextmanager
def server(target: str, env: dict):
    """One WSGI server process on a free port, stopped by its PID."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, str(BENCH / "wsgi_server.py"), target, str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    call(port, "GET", "/")
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(f"{target} did not start: {log.read().decode()[-2000:]}") from None
                    time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


def call(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    """One request on a fresh connection, as a phone makes it; returns (seconds, status, cookie, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed, response.status, (response.getheader("Set-Cookie") or "").split(";")[0], data


def answer(port: int, token: str) -> tuple[float, float, float, bool]:
    """GET, GET again, then POST one personal link; only the requests themselves are timed.

    The second GET is a diagnosis: the app's first open of a sent link also writes (state -> opened, with a
    day counter), a second open only reads, so the two show what that write costs.
    """
    get_seconds, get_status, cookie, page = call(port, "GET", f"/s/{token}")
    again_seconds, again_status, _, _ = call(port, "GET", f"/s/{token}")
    text = page.decode()
    hidden = {"csrf_token": m.group(1) if (m := CSRF.search(text)) else "",
              "submission": m.group(1) if (m := SUBMISSION.search(text)) else secrets.token_hex(16)}
    headers = {"Content-Type": "application/x-www-form-urlencoded"} | ({"Cookie": cookie} if cookie else {})
    post_seconds, post_status, _, _ = call(port, "POST", f"/s/{token}?lang=id", urlencode(hidden | ANSWERS), headers)
    return get_seconds, again_seconds, post_seconds, get_status == again_status == post_status == 200


def invitations(store, survey, count: int) -> list[str]:
    store.client  # built once here, before threads share it
    with ThreadPoolExecutor(4) as pool:
        return [i.token for i in pool.map(lambda _: new_invitation(store, survey), range(count))]


def run(requests: int = 2000) -> dict:
    samples = {name: {"GET": [], "GET again": [], "POST": []} for name in SERVERS}
    failures = Counter()
    with dynamodb_local() as endpoint:
        store = new_store(endpoint)
        survey = seed_survey(store)
        tokens = {name: invitations(store, survey, requests + WARMUP) for name in SERVERS}
        env = app_environment(store)
        with server(SERVERS["app"], env) as app_port, server(SERVERS["bare"], env) as bare_port:
            ports = {"app": app_port, "bare": bare_port}
            for i in range(requests + WARMUP):
                for name in (("app", "bare") if i % 2 else ("bare", "app")):
                    *seconds, ok = answer(ports[name], tokens[name][i])
                    failures[name] += not ok
                    if i >= WARMUP:
                        for method, value in zip(samples[name], seconds):
                            samples[name][method].append(value)
    rows = []
    for method in ("GET", "POST"):
        for p in (50, 95, 99):
            app, bare = percentile(samples["app"][method], p), percentile(samples["bare"][method], p)
            rows.append(row(f"Answer {method} latency p{p}", ms(app), f"{ms(bare)} bare", times(app / bare),
                            f"≤ {TARGET:.1f}x bare", app / bare <= TARGET))
    app, bare = median(samples["app"]["GET again"]), median(samples["bare"]["GET again"])
    rows.insert(3, row("Answer GET latency p50, link already opened", ms(app), f"{ms(bare)} bare", times(app / bare),
                       "– (diagnosis)"))
    notes = [f"{requests} links per server (GET, GET again, POST each) after {WARMUP} warm-up links; "
             f"requests not answered 200: app {failures['app']}, bare {failures['bare']}"]
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="links (GET + POST each) per server (default 2000)")
    print_result(run(**vars(parser.parse_args())))
