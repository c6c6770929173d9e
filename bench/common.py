"""What every benchmark shares: DynamoDB Local, a seeded survey, timing, machine facts and the markdown table.

Benchmarks are not tests: they report and never fail on a slow machine. Shared machines are noisy, so every
timing is reported as a ratio to a baseline measured side by side in the same run, beside the absolute numbers.
"""
from __future__ import annotations

import contextlib
import gzip
import importlib.metadata
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))  # the tests' DynamoDB Local runner is shared, not copied
from tests import local_dynamodb  # noqa: E402
REGION = "ap-southeast-3"
SECRET_KEY = "bench-only-not-a-secret-" + "x" * 24
OWNER_EMAIL = "owner@bench.test"
KB, MB = 1024, 1024 * 1024
# Resources a browser downloads by itself (stylesheets, icons, scripts, images), not links the reader follows.
RESOURCE = re.compile(r'<(?:link|script|img|source)\b[^>]*?\b(?:href|src)="([^"]+)"')
CSS_URL = re.compile(r'url\(\s*["\']?([^"\')]+)["\']?\s*\)')

# Benchmarks never reach a real AWS account, whatever the caller's shell holds.
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION}
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(_name, None)
os.environ.update(FAKE_AWS)


# A piece a benchmark needs (Java, DynamoDB Local) is missing: that benchmark is reported as not run.
Unavailable = local_dynamodb.Unavailable
free_port = local_dynamodb.free_port

# The CLI, reporting its own peak resident memory on stderr as it exits. Not wait4's ru_maxrss: Linux carries the
# parent's high-water mark into a child across fork and exec (fs/exec.c exec_mmap records the old mm's hiwater in
# signal->maxrss; golang/go#32054 hit the same), so a child of a benchmark grown by seeding (or of run_all, grown by
# the benchmarks before) was reported at its parent's peak, whatever its own.
CLI_WITH_PEAK = ("import atexit, sys\n"
                 "atexit.register(lambda: sys.stderr.write(next(line for line in open('/proc/self/status')"
                 " if line.startswith('VmHWM:'))))\n"
                 "from survey_app.cli import main\n"
                 "main()")


def peak_kb_of(stderr: str) -> int:
    """The peak resident KB a CLI_WITH_PEAK child wrote last on its stderr."""
    return int(stderr.rsplit("VmHWM:", 1)[1].split()[0])


# -- DynamoDB ----------------------------------------------------------------

def dynamodb_local():
    """The tests' own DynamoDB Local runner (tests/local_dynamodb.py): one way to start the engine."""
    return local_dynamodb.running()


def new_store(endpoint: str | None):
    """A fresh table (None: moto, which must already be active)."""
    from survey_app.store import Store

    store = Store(f"bench-{uuid.uuid4().hex[:8]}", REGION, endpoint)
    store.create_table()
    return store


def seed_survey(store, language: str = "id"):
    """The built-in post-purchase NPS survey; Indonesian by default, the longer of the two languages."""
    from survey_app.services import save_survey, survey_from_template, utcnow

    return save_survey(store, survey_from_template("post_purchase_nps", utcnow(), language))


def new_invitation(store, survey):
    """A personal link made by hand from one purchase: a name, its own order reference, two properties."""
    from survey_app.services import create_invitation

    return create_invitation(store, survey, customer_name="Budi", order_ref=f"INV-{uuid.uuid4().hex[:12]}",
                             properties={"product": "Kopi Gayo 250g", "store": "Bandung"})


def app_environment(store) -> dict[str, str]:
    """Environment for a fresh process running survey_app.wsgi as Lambda would (production settings)."""
    return dict(os.environ) | FAKE_AWS | {
        "SURVEY_ENV": "production", "SURVEY_SECRET_KEY": SECRET_KEY, "SURVEY_PUBLIC_URL": "https://survey.toko.test",
        "SURVEY_TABLE_NAME": store.table_name,
        "SURVEY_AWS_REGION": REGION, "AWS_ENDPOINT_URL_DYNAMODB": store.endpoint_url or "",
    }


def make_app(store):
    """The real app with production settings, in this process, on the given store."""
    from survey_app import create_app

    app = create_app({"ENV": "production", "SECRET_KEY": SECRET_KEY, "PUBLIC_URL": "https://survey.toko.test",
                      "TABLE_NAME": store.table_name,
                      "AWS_REGION": REGION, "DYNAMODB_ENDPOINT": store.endpoint_url})
    app.extensions["survey_store"] = store
    return app


def bench_owner(store) -> None:
    """The admin whose session the benchmarks use (every owner request reads it: that read is part of the cost)."""
    from survey_app.domain.models import Owner
    from survey_app.errors import AlreadyAnswered

    with contextlib.suppress(AlreadyAnswered):
        store.put_owner(Owner(OWNER_EMAIL, password_hash="not-used-by-the-benchmarks"))


def owner_client(app):
    """A test client with an owner session (the session is what login leaves; login itself costs a scrypt)."""
    bench_owner(app.extensions["survey_store"])
    client = app.test_client()
    with client.session_transaction(base_url="https://localhost") as session:
        session.update(owner=OWNER_EMAIL, sv=1, seen=int(time.time()))
    return client


@contextlib.contextmanager
def app_on_moto():
    """(app, store) on moto in-process, for byte counts where the engine does not matter."""
    from moto import mock_aws

    with mock_aws():
        store = new_store(None)
        yield make_app(store), store


# -- bytes -------------------------------------------------------------------
def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def resources(html: str) -> list[str]:
    return RESOURCE.findall(html)


def css_resources(css: str) -> list[str]:
    return [u for u in CSS_URL.findall(css) if not u.startswith("data:")]


# -- timing ------------------------------------------------------------------
def percentile(samples: list[float], p: float) -> float:
    """Linear interpolation between closest ranks, as numpy's default does."""
    ordered = sorted(samples)
    k = (len(ordered) - 1) * p / 100
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def median(samples: list[float]) -> float:
    return percentile(samples, 50)


def clock(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


# -- formatting and rows -----------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB"
    return f"{n / KB:.1f} KB" if n >= KB else f"{n} B"


def times(ratio: float) -> str:
    return f"{ratio:.2f}x"


def row(benchmark: str, measured: str, baseline: str = "–", ratio: str = "–", target: str = "–",
        met: bool | None = None) -> dict:
    return {"benchmark": benchmark, "measured": measured, "baseline": baseline, "ratio": ratio, "target": target,
            "met?": {True: "yes", False: "**no**", None: "–"}[met]}


COLUMNS = ("benchmark", "measured", "baseline", "ratio", "target", "met?")


def markdown_table(rows: list[dict], columns=COLUMNS) -> str:
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def print_result(result: dict) -> None:
    """What a benchmark run alone prints: its rows, then its notes."""
    print(markdown_table(result["rows"]))
    for note in result.get("notes", []):
        print(f"- {note}")


# -- machine -----------------------------------------------------------------
def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _java() -> str:
    if not shutil.which("java"):
        return "not installed"
    result = subprocess.run(["java", "-version"], capture_output=True, text=True)
    return (result.stderr or result.stdout).splitlines()[0]


def _commit() -> str:
    """The code measured: HEAD, and whether the app's working tree differed from it during the run."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "survey_app", "pyproject.toml"],
                           capture_output=True, text=True).stdout.strip()
    return (head or "unknown") + (" with uncommitted changes in survey_app/" if dirty else "")


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: on a shared machine they say how much the timings are worth."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict[str, str]:
    """The facts a reader needs to compare two runs of the same benchmarks."""
    ram_kb = _first("/proc/meminfo", "MemTotal").split()[0] if _first("/proc/meminfo", "MemTotal") else ""
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("flask", "boto3", "moto", "plotly"))
    return {
        "Date (UTC)": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "Commit": _commit(),
        "CPU": _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "Cores": f"{os.cpu_count()} logical, {len(os.sched_getaffinity(0))} usable",
        "RAM": f"{int(ram_kb) / 1024 / 1024:.1f} GB" if ram_kb else "unknown",
        "Load average at start": load_average(),
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Java (DynamoDB Local)": _java(),
        "Packages": versions,
    }
