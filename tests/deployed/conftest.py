"""The deployed tier's fixtures: `deployed` (the built zip run as production runs it, once per session) and
`axe_js` (axe-core for accessibility checks in the browser). Every test in this folder is marked `deployed`."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.deployed import deployment

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


@pytest.fixture(scope="session")
def deployed(dynamodb_local) -> deployment.Deployment:
    """The zip `make package` builds, behind an API Gateway front, with production settings (see README.md)."""
    try:
        with deployment.running(dynamodb_local) as deployed:
            yield deployed
    except FileNotFoundError as missing:
        unavailable("moto_server", str(missing))


@pytest.fixture(autouse=True)
def stream_mapping_runs_during_each_deployed_test(request):
    """The counters stage's stream mapping polls while a test of the deployed tier runs, as it always does in
    production, and stops after it: the session's DynamoDB Local then serves the other tiers undisturbed."""
    if "deployed" not in request.fixturenames:
        yield
        return
    deployed = request.getfixturevalue("deployed")
    deployed.start_stream_mapping()
    yield
    deployed.stop_stream_mapping()
