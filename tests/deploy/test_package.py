"""`make package` builds a Lambda zip that fits, holds no dev-only code, loads on Lambda, and serves a page."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ZIP = ROOT / "dist" / "survey-app-lambda.zip"
MB = 1024 * 1024
DEV_ONLY = {"pytest", "_pytest", "moto", "playwright", "cfnlint", "hypothesis", "schemathesis", "tests", "bench",
            "docs", "infra", "site", ".venv", ".cache"}
LAMBDA_RUNTIME_PROVIDES = {"boto3", "botocore", "s3transfer"}
LAMBDA_RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")


@pytest.fixture(scope="module")
def package() -> zipfile.ZipFile:
    result = subprocess.run(["bash", "scripts/package.sh", "production"], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with zipfile.ZipFile(ZIP) as archive:
        yield archive


def top_level_names(archive):
    return {info.filename.split("/")[0] for info in archive.infolist()}


def test_zip_fits_lambda_without_slim_handler(package):
    zipped = ZIP.stat().st_size
    unzipped = sum(info.file_size for info in package.infolist())
    assert zipped < 25 * MB, f"{zipped / MB:.1f} MB zipped"
    assert unzipped < 120 * MB, f"{unzipped / MB:.1f} MB unzipped"
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    assert not settings["production"].get("slim_handler")


def test_zip_holds_no_dev_test_or_runtime_provided_package(package):
    names = top_level_names(package)
    assert not names & DEV_ONLY
    assert not names & LAMBDA_RUNTIME_PROVIDES
    assert not [n for n in package.namelist() if n.endswith(("plotly.min.js", "widgetbundle.js"))]


def test_zip_holds_the_compiled_catalogs_but_not_babel(package):
    """The app reads only .mo files, compiled by package.sh with Babel from its build venv (not shipped)."""
    from survey_app.domain.models import LANGUAGES

    names = set(package.namelist())
    assert {f"survey_app/translations/{lang}/LC_MESSAGES/messages.mo" for lang in LANGUAGES} <= names
    assert "babel" not in top_level_names(package)


def test_every_compiled_extension_is_built_for_the_runtime(package):
    """Zappa silently packs local binaries when it cannot reach its wheel index: check each .so's wheel tags."""
    runtime = json.loads((ROOT / "zappa_settings.json").read_text())["production"]["runtime"]  # e.g. python3.11
    version = runtime.removeprefix("python").replace(".", "")  # "311"
    owners = {}
    for name in package.namelist():
        if name.endswith(".dist-info/RECORD"):
            for line in package.read(name).decode().splitlines():
                owners[line.split(",")[0]] = name.rsplit("/", 1)[0]
    extensions = [n for n in package.namelist() if n.endswith(".so")]
    for extension in extensions:
        assert f"cpython-{version}-x86_64-linux-gnu" in extension or ".abi3." in extension, extension
        wheel = package.read(owners[extension] + "/WHEEL").decode()
        tags = [line.split(": ", 1)[1].split("-") for line in wheel.splitlines() if line.startswith("Tag: ")]
        assert any(python in (f"cp{version}", "cp3") and abi in (f"cp{version}", "abi3")
                   and platform.startswith("manylinux") and platform.endswith("x86_64")
                   for python, abi, platform in tags), (extension, tags)


def test_the_zip_serves_a_page_through_zappas_handler(package, tmp_path):
    """Unzipped beside only what Lambda's runtime provides, Zappa's handler answers an API Gateway event."""
    code, runtime = tmp_path / "code", tmp_path / "runtime"
    package.extractall(code)
    runtime.mkdir()
    site = Path(__import__("boto3").__file__).parents[1]
    for module in LAMBDA_RUNTIME_MODULES:
        (runtime / module).symlink_to(site / module)
    script = """
import sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
started = time.perf_counter()
import handler
event = {"httpMethod": "GET", "path": "/login", "headers": {"Host": "x.execute-api.ap-southeast-3.amazonaws.com"},
         "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"stage": "production", "httpMethod": "GET", "identity": {"sourceIp": "10.0.0.1"}}}
class Context:
    aws_request_id, function_name = "test", "survey-app-production"
    def get_remaining_time_in_millis(self):
        return 10000
result = handler.lambda_handler(event, Context())
assert result["statusCode"] == 200, result
assert "csrf_token" in result["body"]
print(sorted(m for m in sys.modules if m.split(".")[0] in {"plotly", "pandas", "moto", "pytest"}))
"""
    env = {"PATH": "/usr/bin:/bin", "SURVEY_SECRET_KEY": "x" * 40, "SURVEY_PUBLIC_URL": "https://survey.toko.test",
           "AWS_DEFAULT_REGION": "ap-southeast-3"}
    # -S: no site-packages at all, so every import must come from the zip or the runtime's own modules.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script, str(code), str(runtime)], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"  # Zappa's handler prints its own lines first


def test_every_module_has_bytecode_that_needs_no_source_check(package):
    """Lambda unpacks with the zip's dates and /var/task is read-only: only unchecked hash-based .pyc (PEP 552)
    spare each cold start from recompiling every module."""
    import importlib.util

    names = set(package.namelist())
    sources = [n for n in names if n.endswith(".py")]
    missing = [n for n in sources if importlib.util.cache_from_source(n) not in names]
    assert not missing, missing[:10]
    for source in sources:
        header = package.read(importlib.util.cache_from_source(source))[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(header[4:8], "little") == 0b01, source
