"""What the deployed benchmarks share: the built zip deployed as the tests' deployed tier deploys it
(tests/deployed/deployment.py), with a second stage that serves bench/bare_app.py through the same Zappa handler."""
from __future__ import annotations

import contextlib

from common import BENCH, new_invitation, seed_survey

from tests.deployed.apigateway import Api
from tests.deployed.deployment import WEB_STAGE, random_api_id, running
from tests.deployed.front import Front

BARE_STAGE = "bare"


@contextlib.contextmanager
def deployed_pair(dynamodb_endpoint: str):
    """(deployment, {"app": front, "bare": front}); the bare stage extends production, only its app differs."""
    with running(dynamodb_endpoint) as deployed:
        deployed.add_stage(BARE_STAGE, {"extends": WEB_STAGE, "app_function": "bare_lambda.app", "events": []},
                           (BENCH / "bare_app.py", BENCH / "bare_lambda.py"))
        bare = Front(Api(random_api_id(), deployed.region, BARE_STAGE), deployed.function(BARE_STAGE))
        try:
            yield deployed, {"app": deployed.front, "bare": bare}
        finally:
            bare.close()


def links(deployed, count: int) -> list[str]:
    store = deployed.store()
    survey = seed_survey(store)
    return [new_invitation(store, survey).token for _ in range(count)]
