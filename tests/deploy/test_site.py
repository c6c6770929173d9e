"""`make site`: every asset the app or a static page links exists in the build, under its content hash."""
from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

from moto import mock_aws

from survey_app import create_app
from tests.factories import make_invitation, make_survey

ROOT = Path(__file__).resolve().parents[2]
CDN = "https://d1234.cloudfront.net"
LINKED = re.compile(r'(?:href|src)="([^"]+)"')
ANSWER_PAGE_BUDGET = 14 * 1024  # one round trip (TCP initial window), all in


def build(out: Path) -> None:
    result = subprocess.run([sys.executable, "scripts/build_site.py", "--out", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_static_pages_link_only_files_in_the_build(tmp_path):
    build(tmp_path)
    pages = {p.name for p in tmp_path.glob("*.html")}
    assert pages == {"index.html", "privacy.html", "404.html", "expired.html"}
    for page in pages:
        for link in LINKED.findall((tmp_path / page).read_text()):
            assert (tmp_path / link.lstrip("/")).is_file(), (page, link)
    assert re.fullmatch(r"app\.[0-9a-f]{12}\.css", next((tmp_path / "static").glob("app.*.css")).name)


def test_app_pages_link_cdn_assets_that_the_build_uploads(tmp_path):
    build(tmp_path)
    with mock_aws():
        app = create_app({"ENV": "test", "TABLE_NAME": "site-test", "STATIC_URL": CDN})
        store = app.extensions["survey_store"]
        store.create_table()
        survey = make_survey(store)
        page = app.test_client().get(f"/s/{make_invitation(store, survey).token}").get_data(as_text=True)
    assets = [link for link in LINKED.findall(page) if link.startswith(CDN)]
    assert len(assets) == 2  # favicon and stylesheet
    for asset in assets:
        assert (tmp_path / asset.removeprefix(CDN + "/")).is_file(), asset


def test_answer_page_transfer_is_at_most_14_kb_gzip_and_its_one_script_is_inline_and_nonced(app, client, store):
    """HTML + CSS + JS a phone downloads to answer, gzip as CloudFront/API Gateway would send it."""
    survey = make_survey(store)
    html = client.get(f"/s/{make_invitation(store, survey).token}").get_data()
    total = len(gzip.compress(html, 9))
    for link in LINKED.findall(html.decode()):
        if link.endswith((".css", ".js", ".svg")):
            total += len(gzip.compress(client.get(link).get_data(), 9))
    scripts = re.findall(r"<script[^>]*>", html.decode())
    assert all("nonce=" in tag and "src=" not in tag for tag in scripts), scripts  # the tap script, nothing else
    assert total <= ANSWER_PAGE_BUDGET, f"{total} bytes gzip"
