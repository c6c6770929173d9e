"""Answer page GET and POST latency through the API Gateway front and the Lambda emulation (the built zip, Zappa's
handler, warm instances), against bench/bare_app.py served by the same handler from the same zip behind its own
front.

Every link is a fresh invitation. GET the page (timed), read its CSRF token, submission id and session cookie
(not timed), POST the answers with the Referer a same-origin browser sends (timed). The app's first GET of a
link also writes the first-open state; the bare GET is the two reads only, so a second GET of the same link
(timed, "already opened") is the I/O-matched comparison. The two take turns link by link.
"""
from __future__ import annotations

import argparse
import http.client
import secrets
import time
from collections import Counter
from urllib.parse import urlencode, urlsplit

from answer_latency import ANSWERS, CSRF, SUBMISSION
from common import dynamodb_local, median, ms, percentile, print_result, row, times
from deployed_common import deployed_pair, links

TARGET = 1.3
WARMUP = 10


def call(front, method: str, path: str, body: str | None = None, headers: dict | None = None):
    """One request on a fresh connection; (seconds, status, session cookie, body)."""
    parts = urlsplit(front.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    started = time.perf_counter()
    connection.request(method, parts.path + path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    return seconds, response.status, (response.getheader("Set-Cookie") or "").split(";")[0], data


def answer(front, token: str) -> tuple[float, float, float, bool]:
    get_seconds, get_status, cookie, page = call(front, "GET", f"/s/{token}")
    again_seconds, again_status, _, _ = call(front, "GET", f"/s/{token}")
    text = page.decode()
    hidden = {"csrf_token": m.group(1) if (m := CSRF.search(text)) else "",
              "submission": m.group(1) if (m := SUBMISSION.search(text)) else secrets.token_hex(16)}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{front.url}/s/{token}"}
    headers |= {"Cookie": cookie} if cookie else {}
    post_seconds, post_status, _, _ = call(front, "POST", f"/s/{token}?lang=id", urlencode(hidden | ANSWERS), headers)
    return get_seconds, again_seconds, post_seconds, get_status == again_status == post_status == 200


def run(requests: int = 300) -> dict:
    samples = {name: {"GET": [], "GET again": [], "POST": []} for name in ("app", "bare")}
    failures = Counter()
    with dynamodb_local() as endpoint, deployed_pair(endpoint) as (deployed, fronts):
        tokens = {name: links(deployed, requests + WARMUP) for name in fronts}
        for i in range(requests + WARMUP):
            for name in (("app", "bare") if i % 2 else ("bare", "app")):
                *seconds, ok = answer(fronts[name], tokens[name][i])
                failures[name] += not ok
                if i >= WARMUP:
                    for method, value in zip(samples[name], seconds):
                        samples[name][method].append(value)
    rows = []
    for method in ("GET", "GET again", "POST"):
        app, bare = median(samples["app"][method]), median(samples["bare"][method])
        label = "Deployed answer GET p50, link already opened" if method == "GET again" else f"Deployed answer {method} p50"
        rows.append(row(label, ms(app), f"{ms(bare)} bare, same front and handler", times(app / bare),
                        f"≤ {TARGET}x", app / bare <= TARGET))
    p95 = {name: percentile(samples[name]["POST"], 95) for name in samples}
    notes = [f"{requests} links per function after {WARMUP} warm-up links; requests not answered 200: "
             f"app {failures['app']}, bare {failures['bare']}",
             f"POST p95: app {ms(p95['app'])}, bare {ms(p95['bare'])}; instances started: "
             f"app {fronts['app'].function.instances_started}, bare {fronts['bare'].function.instances_started}"]
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="links (GET, GET again, POST) per function")
    print_result(run(**vars(parser.parse_args())))
