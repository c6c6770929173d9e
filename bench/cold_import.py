"""Cold start: a fresh process imports survey_app.wsgi and serves its first answer page, as a new Lambda does.

Baselines, each in its own fresh process too: the issue's (import flask, wtforms, flask_wtf and create a boto3
DynamoDB client) and an I/O-matched one that also makes the page's two GetItem calls, since the first call
loads much of botocore. The link was opened in the warm-up round, so the timed answer pages make the same two
reads. The dashboard's first render in a fresh process (a survey with no responses) shows what plotly's import
costs an owner. Clocks start at the child's first statement (interpreter start-up is the same for all), the
variants take turns round by round, and each figure is the median of the rounds after one untimed warm-up.
Two facts of the answer path's start-up are measured beside it: what reading a compiled gettext catalog costs
(once per process and language, on the first page), and whether Babel is installed (flask_wtf imports it
whenever it is, so it is kept out of the venv as well as the zip).
"""
from __future__ import annotations

import argparse
import gettext
import importlib.util
import io
import json
import subprocess
import sys
import timeit

from common import (OWNER_EMAIL, bench_owner, app_environment, dynamodb_local, median, ms, new_invitation, new_store,
                    print_result, row, seed_survey, times)

TARGET = 1.2
PRELUDE = "import time; started = time.perf_counter()\n"
REPORT = ("\nimport json, sys; print(json.dumps({'seconds': time.perf_counter() - started, "
          "'import': globals().get('imported', started) - started, 'plotly': 'plotly' in sys.modules}))")
CLIENT = ("import os, boto3\nclient = boto3.client('dynamodb', region_name=os.environ['AWS_DEFAULT_REGION'], "
          "endpoint_url=os.environ['AWS_ENDPOINT_URL_DYNAMODB'])\n")
VARIANTS = {
    "answer": "from survey_app.wsgi import app\nimported = time.perf_counter()\n"
              "assert app.test_client().get('/s/{token}').status_code == 200\n",
    "baseline": "import flask, wtforms, flask_wtf\n" + CLIENT,
    "baseline_io": "import flask, wtforms, flask_wtf\n" + CLIENT +
                   "client.get_item(TableName='{table}', Key={{'pk': {{'S': 'INV#{token}'}}, 'sk': {{'S': 'INV'}}}}, "
                   "ConsistentRead=True)\n"
                   "client.get_item(TableName='{table}', Key={{'pk': {{'S': 'SURVEYS'}}, "
                   "'sk': {{'S': 'SURVEY#{survey}'}}}}, ConsistentRead=True)\n",
    "dashboard": "import time\nfrom survey_app.wsgi import app\nclient = app.test_client()\n"
                 "with client.session_transaction(base_url='https://localhost') as s: "
                 "s.update(owner='{owner}', sv=1, seen=int(time.time()))\n"
                 "assert client.get('/owner/surveys/{survey}', base_url='https://localhost').status_code == 200\n",
}


def fresh_process(code: str, env: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", PRELUDE + code + REPORT], env=env, capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"child failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def catalog_read() -> float:
    """Seconds to parse the Indonesian .mo catalog with the stdlib, best of 5 x 300 reads (survey_app.i18n.catalog)."""
    from survey_app.i18n import CATALOG_DIR, DOMAIN

    data = (CATALOG_DIR / "id" / "LC_MESSAGES" / f"{DOMAIN}.mo").read_bytes()
    return min(timeit.repeat(lambda: gettext.GNUTranslations(io.BytesIO(data)), number=300, repeat=5)) / 300


def run(rounds: int = 15) -> dict:
    children = {name: [] for name in VARIANTS}
    with dynamodb_local() as endpoint:
        store = new_store(endpoint)
        survey = seed_survey(store)
        bench_owner(store)
        values = {"token": new_invitation(store, survey).token, "survey": survey.id, "table": store.table_name,
                  "owner": OWNER_EMAIL}
        codes = {name: code.format(**values) for name, code in VARIANTS.items()}
        env = app_environment(store)
        for i in range(rounds + 1):
            order = list(VARIANTS)[i % len(VARIANTS):] + list(VARIANTS)[:i % len(VARIANTS)]
            for name in order:
                child = fresh_process(codes[name], env)
                if i:
                    children[name].append(child)
    answer, baseline, baseline_io, dashboard = (median([c["seconds"] for c in children[n]]) for n in VARIANTS)
    imported = median([c["import"] for c in children["answer"]])
    first_page = median([c["seconds"] - c["import"] for c in children["answer"]])
    plotly_answer = any(c["plotly"] for c in children["answer"])
    catalog = catalog_read()
    rows = [
        row("Cold start: import + first answer page", ms(answer), f"{ms(baseline)} import flask, wtforms, "
            "flask_wtf + boto3 client", times(answer / baseline), f"≤ {TARGET}x", answer / baseline <= TARGET),
        row("Cold start, vs I/O-matched baseline", ms(answer), f"{ms(baseline_io)} same + 2 GetItem",
            times(answer / baseline_io), f"≤ {TARGET}x", answer / baseline_io <= TARGET),
        row("plotly imported by the answer page", str(plotly_answer), target="False", met=not plotly_answer),
        row("Cold start: import + first dashboard", ms(dashboard), f"{ms(answer)} first answer page",
            times(dashboard / answer), "– (context)"),
    ]
    notes = [f"median of {rounds} fresh processes per variant",
             f"answer page: importing survey_app.wsgi (which builds the app) {ms(imported)}, then the first request "
             f"{ms(first_page)} (first botocore call, template compilation)",
             f"plotly in sys.modules after the dashboard: {all(c['plotly'] for c in children['dashboard'])}",
             f"reading the Indonesian gettext catalog (.mo, stdlib gettext): {ms(catalog)} once per process "
             f"and language ({catalog / first_page:.0%} of the first request); Babel installed: "
             f"{importlib.util.find_spec('babel') is not None}"]
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="fresh processes per variant (default 15)")
    print_result(run(**vars(parser.parse_args())))
