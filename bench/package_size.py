"""The Lambda zip `make package` builds, zipped and unzipped, against Lambda's limits.

Under 25 MB zipped the zip can be uploaded directly, and under 120 MB unzipped it leaves room below Lambda's
250 MB hard limit without Zappa's slim handler (which would download the code from S3 on every cold start).
"""
from __future__ import annotations

import argparse
import subprocess
import zipfile
from collections import Counter

from common import MB, ROOT, clock, print_result, row, size

ZIP = ROOT / "dist" / "survey-app-lambda.zip"
ZIPPED_TARGET, UNZIPPED_TARGET, HARD_LIMIT = 25 * MB, 120 * MB, 250 * MB


def build() -> str:
    """What `make package` did: it skips the build when its inputs did not change since the zip was built."""
    seconds, result = clock(subprocess.run, ["bash", "scripts/package.sh", "production"], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError("scripts/package.sh failed: " + (result.stderr or result.stdout)[-2000:])
    if "is up to date" in result.stdout:
        return f"`bash scripts/package.sh production` found the zip up to date (inputs unchanged) in {seconds:.0f} s"
    return f"built by `bash scripts/package.sh production` in {seconds:.0f} s"


def run(reuse: bool = False) -> dict:
    notes = []
    if reuse and ZIP.exists():
        notes.append(f"reused the existing {ZIP.relative_to(ROOT)} (--reuse)")
    else:
        notes.append(build())
    with zipfile.ZipFile(ZIP) as archive:
        entries = archive.infolist()
    zipped, unzipped = ZIP.stat().st_size, sum(e.file_size for e in entries)
    heaviest = Counter()
    for entry in entries:
        heaviest[entry.filename.split("/")[0]] += entry.file_size
    notes.append("largest top-level entries, unzipped: " + ", ".join(
        f"{name} {size(n)}" for name, n in heaviest.most_common(6)))
    rows = [
        row("Lambda zip, zipped", size(zipped), target=f"≤ {size(ZIPPED_TARGET)}", met=zipped <= ZIPPED_TARGET),
        row("Lambda zip, unzipped", f"{size(unzipped)} ({unzipped / HARD_LIMIT:.0%} of the 250 MB hard limit)",
            target=f"≤ {size(UNZIPPED_TARGET)}", met=unzipped <= UNZIPPED_TARGET),
    ]
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reuse", action="store_true", help="measure dist/survey-app-lambda.zip without rebuilding")
    print_result(run(**vars(parser.parse_args())))
