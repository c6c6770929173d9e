"""Our answer page beside the peers' renderers (SurveyJS, Formbricks) on the same survey, measured by Lighthouse.

The survey: an NPS 0-10, a reason as long text whose wording depends on the score (display logic: 9-10, 7-8 and
0-6 each get their own question), two 1-5 ratings. Ours is the app's personal-link page (the nps_by_score template
plus the product rating of post_purchase_nps), on moto in this process; the peers are their npm packages' browser
bundles (bench/peers/*.html, survey JSON in bench/peers/*.json, packages pinned in scripts/install-peers.sh). All
three are served gzip -9 from one local origin by the same server. Lighthouse 12.2.3 (mobile form factor, simulated
throttling, Debian's chromium, a fresh profile per run) loads the pages in turn (ours, SurveyJS, Formbricks, ours,
...); each figure is the median of the runs. Ratios are ours / the lightest peer. Branding on ours: a business name
and a brand colour, no logo (the budget excludes only the logo image). scripts/install-peers.sh installs the pinned
peers and Lighthouse into .cache/peers (run() calls it when they are missing).

Choices that favour the peers: their survey JSON is inlined in the page (no request for it); SurveyJS gets its
fontless stylesheet (the default one loads Open Sans from another origin); both peers get a `data:` favicon, ours
downloads its real one; Formbricks is its renderer alone on a minimal page, not its hosted link-survey app, and shows
one question per screen, so only its first screen (the NPS) is measured while ours and SurveyJS show the whole form.
Bytes and requests do not vary between runs; LCP and total blocking time move with the host's load.
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import base64
import json
import logging
import mimetypes
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from common import (ROOT, Unavailable, app_on_moto, free_port, median, new_invitation, print_result, row, size,
                    times)

PEERS = ROOT / "bench" / "peers"
MODULES = ROOT / ".cache" / "peers" / "node_modules"
LIGHTHOUSE = MODULES / "lighthouse" / "cli" / "index.js"
SCREENSHOTS = ROOT / ".cache" / "peers" / "last-run"  # each page's final screenshot, to see that it rendered
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
PAGES = ("ours", "SurveyJS", "Formbricks")
PEER_FILES = {"SurveyJS": "surveyjs", "Formbricks": "formbricks"}
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
BYTES_TARGET, LCP_TARGET = 0.25, 0.75
BRAND_COLOUR = "#0f766e"  # the same colour bench/peers/formbricks.html passes as brandColor
FIGURES = ("bytes", "requests", "lcp", "tbt", "score")


def install() -> None:
    """The pinned peers and Lighthouse (scripts/install-peers.sh installs them when missing), node and chromium."""
    if not shutil.which("node"):
        raise Unavailable("node is missing: Lighthouse runs on Node.js")
    if not Path(CHROME).exists():
        raise Unavailable(f"no browser at {CHROME} (Debian's chromium; set CHROME_PATH)")
    done = subprocess.run([str(ROOT / "scripts" / "install-peers.sh")], capture_output=True, text=True)
    if done.returncode:
        raise Unavailable(f"scripts/install-peers.sh failed: {done.stderr.strip()[-300:]}")


def our_survey():
    """nps_by_score (display logic on the reason) with post_purchase_nps's product rating (two 1-5 ratings),
    branded with a business name and Formbricks' brand colour; no logo (outside the budget, served from the CDN)."""
    from survey_app.domain.templates import TEMPLATES
    from survey_app.services import survey_from_template, utcnow

    survey = survey_from_template("nps_by_score", utcnow(), "en")
    product = next(q for q in TEMPLATES["post_purchase_nps"]["questions"] if q.id == "csat_product")
    return dataclasses.replace(survey, questions=(*survey.questions[:-1], product, survey.questions[-1]),
                               business_name="Toko Kopi Gayo", brand_colour=BRAND_COLOUR)


def peer_page(name: str) -> bytes:
    """The peer's page with its survey JSON inlined (no extra request for the definition)."""
    definition = json.dumps(json.loads((PEERS / f"{name}.json").read_text()), separators=(",", ":"))
    return (PEERS / f"{name}.html").read_text().replace("/*SURVEY_JSON*/", definition).encode()


def gzipped(app):
    """WSGI middleware: text responses gzip -9 when the browser accepts it, as a CDN in front of any of them would."""
    def middleware(environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return lambda data: None

        body_iter = app(environ, capture)
        try:
            body = b"".join(body_iter)
        finally:
            getattr(body_iter, "close", lambda: None)()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        kind = next((v for k, v in headers if k.lower() == "content-type"), "")
        if ("gzip" in environ.get("HTTP_ACCEPT_ENCODING", "") and kind.startswith(COMPRESSIBLE)
                and not any(k.lower() == "content-encoding" for k, _ in headers)):
            body = gzip.compress(body, compresslevel=9, mtime=0)
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        start_response(captured["status"], headers + [("Content-Length", str(len(body)))])
        return [body]
    return middleware


def origin(app):
    """One origin for all three: /peers/<name>/ and /vendor/<npm path> for the peers, everything else our app."""
    pages = {f"/peers/{name}/": peer_page(name) for name in PEER_FILES.values()}

    @Request.application
    def peers(request: Request) -> Response:
        if request.path in pages:
            return Response(pages[request.path], content_type="text/html; charset=utf-8")
        if request.path == "/peers/answer":
            return Response(status=204)
        file = (MODULES / request.path.removeprefix("/vendor/")).resolve()
        if not file.is_relative_to(MODULES) or not file.is_file():
            return Response("not found", status=404)
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return Response(file.read_bytes(), content_type=kind, headers={"Cache-Control": "public, max-age=31536000"})

    def dispatch(environ, start_response):
        path = environ.get("PATH_INFO", "")
        target = peers if path.startswith(("/peers/", "/vendor/")) else app
        return target(environ, start_response)
    return gzipped(dispatch)


def lighthouse(url: str, workdir: Path, page: str) -> dict:
    """One Lighthouse run (mobile, simulated throttling, a fresh chromium profile): the five figures, plus what
    was downloaded and which element was the LCP (the evidence that the survey rendered)."""
    report = workdir / "report.json"
    command = ["node", str(LIGHTHOUSE), url, "--only-categories=performance", "--form-factor=mobile",
               "--throttling-method=simulate", "--output=json", f"--output-path={report}", "--quiet",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ | {"CHROME_PATH": CHROME},
                          timeout=300)
    if done.returncode or not report.exists():
        raise RuntimeError(f"lighthouse failed on {url}: {(done.stderr or done.stdout).strip()[-400:]}")
    result = json.loads(report.read_text())
    report.unlink()
    if result.get("runtimeError"):
        raise RuntimeError(f"lighthouse on {url}: {result['runtimeError']}")
    audits = result["audits"]
    shot = audits["final-screenshot"]["details"]["data"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{page}.jpg").write_bytes(base64.b64decode(shot.split(",", 1)[1]))
    element = audits["largest-contentful-paint-element"]
    lcp_element = (element["details"]["items"][0]["items"][0]["node"]["snippet"] if "details" in element
                   else f"not known: {element.get('errorMessage', '')[:120]}")
    evidence = {"downloads": [f"{urlsplit(item['url']).path} {item['transferSize']} B"
                              for item in audits["network-requests"]["details"]["items"]],
                "lcp_element": lcp_element, "warnings": result.get("runWarnings", [])}
    return evidence | {"bytes": audits["total-byte-weight"]["numericValue"],
                       "requests": len(audits["network-requests"]["details"]["items"]),
                       "lcp": audits["largest-contentful-paint"]["numericValue"],
                       "tbt": audits["total-blocking-time"]["numericValue"],
                       "score": round(result["categories"]["performance"]["score"] * 100)}


def measure(runs: int) -> dict[str, list[dict]]:
    """Every page `runs` times, alternating, each of ours on a fresh personal link."""
    from survey_app.services import save_survey

    samples: dict[str, list[dict]] = {page: [] for page in PAGES}
    with app_on_moto() as (app, store), tempfile.TemporaryDirectory() as workdir:
        survey = save_survey(store, our_survey())
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        port = free_port()
        server = make_server("127.0.0.1", port, origin(app), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            for _ in range(runs):
                for page in PAGES:
                    path = (f"/s/{new_invitation(store, survey).token}" if page == "ours"
                            else f"/peers/{PEER_FILES[page]}/")
                    samples[page].append(lighthouse(f"http://127.0.0.1:{port}{path}", Path(workdir), page))
        finally:
            server.shutdown()
    return samples


def run(runs: int = 3) -> dict:
    install()
    samples = measure(runs)
    figures = {page: {k: median([s[k] for s in samples[page]]) for k in FIGURES} for page in PAGES}
    lightest = min(PEER_FILES, key=lambda page: figures[page]["bytes"])
    base = figures[lightest]
    rows = [row(f"Peer pages: {page} (Lighthouse mobile, median of {runs})",
                f"{size(int(f['bytes']))} in {f['requests']:.0f} requests, LCP {f['lcp'] / 1000:.2f} s, "
                f"TBT {f['tbt']:.0f} ms, score {f['score']:.0f}") for page, f in figures.items()]
    ours = figures["ours"]
    rows += [row("Peer pages: our bytes / lightest peer's", size(int(ours["bytes"])), f"{lightest} "
                 f"{size(int(base['bytes']))}", times(ours["bytes"] / base["bytes"]), f"≤ {BYTES_TARGET}x",
                 ours["bytes"] / base["bytes"] <= BYTES_TARGET),
             row("Peer pages: our LCP / lightest peer's", f"{ours['lcp'] / 1000:.2f} s",
                 f"{lightest} {base['lcp'] / 1000:.2f} s", times(ours["lcp"] / base["lcp"]), f"≤ {LCP_TARGET}x",
                 ours["lcp"] / base["lcp"] <= LCP_TARGET)]
    notes = [f"{page} runs: " + "; ".join(f"{size(int(s['bytes']))}/{s['requests']} req/LCP {s['lcp']:.0f} ms/"
                                          f"TBT {s['tbt']:.0f} ms/score {s['score']}" for s in samples[page])
             for page in PAGES]
    notes += [f"{page}, last run: downloads " + ", ".join(samples[page][-1]["downloads"])
              + f"; LCP element: {samples[page][-1]['lcp_element']}" for page in PAGES]
    warnings = sorted({w for page in PAGES for s in samples[page] for w in s["warnings"]})
    notes += [f"Lighthouse warned: {w}" for w in warnings]
    notes.append(f"Branding: ours has a business name and brand colour {BRAND_COLOUR} (no logo: the budget "
                 "excludes it), Formbricks the same brandColor, SurveyJS its default theme.")
    notes.append(f"Each page's final screenshot of the last run is in {SCREENSHOTS.relative_to(ROOT)}/ (the LCP "
                 "element, where Lighthouse could not name it, is checked there by eye).")
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (the median is reported)")
    print_result(run(parser.parse_args().runs))
