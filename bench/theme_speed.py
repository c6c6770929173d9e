"""Labelling speed on the answer path: per comment (words seen for the first time, then warm), the model file's
one-off load, and what the themes modules add to a cold start's imports. Each figure in a fresh process; times
per comment are CPU time (time.process_time), so other work on a shared machine does not inflate them.

Texts: the held-out public comments (tests/data/public), Indonesian tweets and English review sentences.
Usage: .venv/bin/python bench/theme_speed.py [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 1.0
CHILD = """
import csv, json, time
started = time.perf_counter()
from survey_app.domain import sentiment_model
from survey_app.domain.custom_themes import label
imported = time.perf_counter()
sentiment_model.model()
loaded = time.perf_counter()
texts = [r["text"] for name in ("id_social.csv", "en_amazon.csv")
         for r in csv.DictReader(open("tests/data/public/" + name, encoding="utf-8")) if r["split"] == "holdout"]
t0 = time.process_time()
for text in texts:
    label(text)
cold = time.process_time()
for text in texts:
    label(text + " x")
warm = time.process_time()
print(json.dumps({"import": imported - started, "load": loaded - imported, "n": len(texts),
                  "cold": (cold - t0) / len(texts), "warm": (warm - cold) / len(texts),
                  "chars": sum(map(len, texts)) / len(texts)}))
"""
IMPORTS = "import survey_app.services.responses"


def child(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_time(module_prefixes: tuple[str, ...]) -> float:
    """Seconds of `-X importtime` self time spent in the named modules while importing the answer path's services."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTS], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    total = 0
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip().startswith(module_prefixes):
            total += int(parts[0].split(":")[1])
    return total / 1e6


def main(rounds: int) -> None:
    runs = [child(CHILD) for _ in range(rounds)]
    mine = ("survey_app.domain.sentiment_model", "survey_app.domain.custom_themes", "survey_app.domain.impact",
            "survey_app.services.themes", "survey_app.store.themes")
    imports = [import_time(mine) for _ in range(rounds)]
    pick = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    print(f"{pick['n']:.0f} held-out comments, {pick['chars']:.0f} characters on average; median of {rounds} processes")
    print(f"per comment, words new to the process: {pick['cold'] * 1000:.3f} ms (target <= {TARGET_MS} ms)")
    print(f"per comment, warm:                     {pick['warm'] * 1000:.3f} ms")
    print(f"model file load, once per process:     {pick['load'] * 1000:.1f} ms "
          f"({(ROOT / 'survey_app/domain/data/sentiment_model.json').stat().st_size / 1e6:.2f} MB)")
    print(f"import of the themes modules (self):   {statistics.median(imports) * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    main(**vars(parser.parse_args()))
