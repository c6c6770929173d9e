"""The deployed tier's fixtures: `deployed` (the built zip run as production runs it, once per session) and
`axe_js` (axe-core for accessibility checks in the browser). Every test in this folder is marked `deployed`."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import unavailable

from tests.deployed import aws_services, package
from tests.deployed.apigateway import Api
from tests.deployed.cdn import Cdn
from tests.deployed.deployment import WEB_STAGE, Deployment, random_api_id
from tests.deployed.front import Front

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AXE_JS = ROOT / ".cache" / "axe-core" / "package" / "axe.min.js"


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.deployed)


@pytest.fixture(scope="session")
def axe_js() -> str:
    """axe-core's browser bundle (npm package axe-core, fetched by scripts/test-deps.sh), as text to inject."""
    if not AXE_JS.exists():
        unavailable("axe-core", "Run `make test-deps` (it fetches the npm package axe-core into .cache/axe-core).")
    return AXE_JS.read_text(encoding="utf-8")


def _secrets_for(config: dict) -> dict[str, str]:
    """A value for every SSM parameter the stage names (SURVEY_*_PARAMETER)."""
    return {name: f"deployed-tier-{key.lower()}-" + "s" * 40
            for key, name in config.get("environment_variables", {}).items() if key.endswith("_PARAMETER") and name}


@pytest.fixture(scope="session")
def deployed(dynamodb_local) -> Deployment:
    """The zip `make package` builds, behind an API Gateway front, with production settings (see README.md)."""
    if not aws_services.MOTO_SERVER.exists():
        unavailable("moto_server", "Install the test extra: `make install-test` (moto[server]).")
    archive = package.build_zip()
    root = Path(tempfile.mkdtemp(prefix="survey-deployed-"))
    root.chmod(0o755)  # the function's user must reach its code
    try:
        with package.package_lock():
            package.unpack(archive, root / "code")
        runtime = package.runtime_modules(root / "runtime")
        built = subprocess.run([sys.executable, "scripts/build_site.py", "--out", str(root / "site")], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
        assert built.returncode == 0, built.stderr[-3000:]
        cdn = Cdn.for_build(root / "site")
        config = package.stage_config(WEB_STAGE)
        region, environment = config["aws_region"], config["environment_variables"]
        api = Api(random_api_id(), region, WEB_STAGE,
                  "REGIONAL" if "REGIONAL" in config.get("endpoint_configuration", []) else "EDGE")
        with aws_services.moto_server() as moto:
            for stage in package.stage_names():
                aws_services.put_secrets(moto, _secrets_for(package.stage_config(stage)))
            if environment.get("SURVEY_SES_SENDER"):
                aws_services.verify_sender(moto, environment["SURVEY_SES_SENDER"])
            deployment = Deployment(
                root=root, code=root / "code", runtime=runtime, api=api, cdn=cdn, moto_endpoint=moto,
                dynamodb_endpoint=dynamodb_local, table_name=environment.get("SURVEY_TABLE_NAME", "survey-app-production"),
                region=region, overrides={"SURVEY_PUBLIC_URL": api.base_url, "SURVEY_STATIC_URL": cdn.origin})
            with pytest.MonkeyPatch.context() as patch:  # tests/conftest.py sets these per test only
                for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                                    "AWS_DEFAULT_REGION": region}.items():
                    patch.setenv(name, value)
                deployment.store().create_table()
            try:
                deployment.front = Front(api, deployment.function(WEB_STAGE))
                yield deployment
            finally:
                deployment.close()
                aws_services.client("dynamodb", dynamodb_local).delete_table(TableName=deployment.table_name)
    finally:
        if (root / "code").exists():
            package.make_writable(root / "code")
        shutil.rmtree(root, ignore_errors=True)
