"""`make site`: the static site for S3/CloudFront, with content-hashed asset names for year-long caching.

Assets are the app's own `survey_app/static` files, named by `survey_app.assets.hashed_name`, so the
app (with SURVEY_STATIC_URL set) links exactly the files this build uploads.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from survey_app.assets import STATIC_DIR, hashed_name

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "site" / "pages"
PLACEHOLDER = re.compile(r"\{\{ asset:([\w./-]+) \}\}")
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"


def build(out: Path) -> dict[str, str]:
    """Writes the site into `out` and returns {path in bucket: Cache-Control} for the upload step."""
    if out.exists():
        shutil.rmtree(out)
    caching: dict[str, str] = {}
    for source in sorted(p for p in STATIC_DIR.rglob("*") if p.is_file()):
        relative = source.relative_to(STATIC_DIR).as_posix()
        target = f"static/{hashed_name(relative)}"
        (out / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out / target)
        caching[target] = LONG_CACHE
    for page in sorted(PAGES.glob("*.html")):
        html = PLACEHOLDER.sub(lambda m: f"/static/{hashed_name(m.group(1))}", page.read_text(encoding="utf-8"))
        (out / page.name).write_text(html, encoding="utf-8")
        caching[page.name] = SHORT_CACHE
    manifest = out.parent / f"{out.name}.cache-control.json"  # beside the folder: not uploaded with the site
    manifest.write_text(json.dumps(caching, indent=1, sort_keys=True), encoding="utf-8")
    return caching


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site" / "dist")
    args = parser.parse_args()
    files = build(args.out)
    print(f"site built in {args.out}: {len(files)} files")
    print(f"upload: aws s3 sync {args.out} s3://<SiteBucketName>/ (see docs/deploy.md for the cache headers)")


if __name__ == "__main__":
    main()
