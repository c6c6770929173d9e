"""What a phone downloads to answer a personal link: the page plus every resource it links (stylesheet,
icon, scripts, images, and anything the CSS pulls in), raw and gzip -9, and how many requests that takes.

Bytes are deterministic, so they are compared with the budget directly; moto serves the data (the engine
does not change a byte). Links the customer may follow (the language switch) are not downloads.
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from common import KB, app_on_moto, css_resources, gzip_size, new_invitation, print_result, resources, row, size

BUDGET = 14 * KB  # one round trip: TCP's first flight of 10 segments on a slow phone connection
TEMPLATES = {"post_purchase_nps": "", "nps_by_score": ", display logic and piping"}
SCRIPT = re.compile(rb"<script\b.*?</script>", re.S)
KINDS = {".css": "CSS", ".js": "JS", ".svg": "images", ".png": "images", ".jpg": "images", ".webp": "images",
         ".ico": "images", ".woff2": "fonts"}


def _kind(url: str) -> str:
    return KINDS.get(PurePosixPath(urlsplit(url).path).suffix, "other")


def download(client, url: str) -> tuple[int, dict[str, Counter]]:
    """GET a page and, recursively, the resources it links; returns (requests, {kind: raw/gzip bytes})."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    html = page.get_data()
    weight = {"HTML": Counter(raw=len(html), gzip=gzip_size(html))}
    pending, seen = resources(html.decode()), set()
    while pending:
        link = pending.pop()
        if link in seen:
            continue
        seen.add(link)
        body = client.get(link).get_data()
        weight.setdefault(_kind(link), Counter()).update(raw=len(body), gzip=gzip_size(body))
        if _kind(link) == "CSS":
            pending += css_resources(body.decode())
    return 1 + len(seen), weight


def measure(language: str, template: str) -> tuple[int, dict[str, Counter], list[bytes]]:
    """(requests, weight by kind, inline scripts of the e-mail's one-tap link /s/<token>/<score>)."""
    from survey_app.services import save_survey, survey_from_template, utcnow

    with app_on_moto() as (app, store):
        survey = save_survey(store, survey_from_template(template, utcnow(), language))
        client = app.test_client()
        requests, weight = download(client, f"/s/{new_invitation(store, survey).token}")
        tapped = client.get(f"/s/{new_invitation(store, survey).token}/9").get_data()
    return requests, weight, SCRIPT.findall(tapped)


def run() -> dict:
    rows, notes = [], []
    for (template, feature), language in ((t, lang) for t in TEMPLATES.items() for lang in ("id", "en")):
        requests, weight, tap_scripts = measure(language, template)
        total = sum((w for w in weight.values()), Counter())
        rows.append(row(f"Answer page weight ({language}{feature}), gzip -9", f"{size(total['gzip'])} in "
                        f"{requests} requests ({size(total['raw'])} raw)", target=f"≤ {size(BUDGET)} gzip",
                        met=total["gzip"] <= BUDGET))
        notes.append(f"{language}{feature}: " + ", ".join(f"{kind} {size(w['raw'])} raw / {size(w['gzip'])} gzip"
                                                           for kind, w in sorted(weight.items())))
        if language == "id" and not feature:
            js = weight.get("JS", Counter())["raw"]
            inline = sum(len(s) for s in tap_scripts)
            js_row = row("Answer page JavaScript", f"{size(js)} on `/s/<token>`; {size(inline)} inline on the "
                         "e-mail's one-tap `/s/<token>/9` (sent on a trusted tap only)", target="no JS required",
                         met=not js and not any(b" src=" in s for s in tap_scripts))
    return {"rows": rows + [js_row], "notes": notes}


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__).parse_args()
    print_result(run())
