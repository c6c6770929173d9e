"""JavaScript an owner's browser downloads for the dashboard: every script the page links, gzip -9.

plotly.js dominates; the app serves its own "basic" bundle so the dashboard works offline. Bytes are
deterministic, so they are compared with the budget directly (moto serves the data).
"""
from __future__ import annotations

import argparse
import re

from common import KB, app_on_moto, gzip_size, owner_client, print_result, resources, row, seed_survey, size

BUDGET = 400 * KB
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


def run() -> dict:
    with app_on_moto() as (app, store):
        survey = seed_survey(store)
        client = owner_client(app)
        page = client.get(f"/owner/surveys/{survey.id}", base_url="https://localhost")
        assert page.status_code == 200, page.status_code
        html = page.get_data()
        scripts = {link: client.get(link, base_url="https://localhost").get_data()
                   for link in resources(html.decode()) if link.split("?")[0].endswith(".js")}
    raw = sum(len(body) for body in scripts.values())
    packed = sum(gzip_size(body) for body in scripts.values())
    notes = [f"{link.split('?')[0]}: {size(len(body))} raw / {size(gzip_size(body))} gzip"
             for link, body in scripts.items()]
    notes.append(f"inline executable `<script>` blocks: {len(INLINE_SCRIPT.findall(html))} "
                 "(figures travel as application/json blocks)")
    rows = [row("Dashboard JavaScript, gzip -9", f"{size(packed)} in {len(scripts)} scripts ({size(raw)} raw)",
                target=f"≤ {size(BUDGET)} gzip", met=packed <= BUDGET)]
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__).parse_args()
    print_result(run())
