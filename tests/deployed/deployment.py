"""One deployment of the built zip, as production runs it: per stage a Lambda function (same code, the stage's
settings and limits), the web stage behind an API Gateway front, static files on a second origin, secrets in
SSM, DynamoDB Local and a moto server for the rest. Built once per test session by tests/deployed/conftest.py."""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.deployed import aws_services, event_sources, package
from tests.deployed.apigateway import Api
from tests.deployed.cdn import Cdn
from tests.deployed.front import Front
from tests.deployed.http_client import Client
from tests.deployed.lambda_runtime import ACCOUNT, FunctionConfig, Invocation, LambdaFunction

WEB_STAGE = "production"
PROBE_STAGE = "probe"
PROBE_QUEUE = "deployed-probe-queue"
NOBODY = 65534  # Lambda runs functions as an unprivileged user; so do we when the tests run as root
SYSTEM_PYTHON = Path("/usr/bin/python3.11")  # runnable by that user (a pyenv python under /root is not)


def random_api_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))


def lambda_environment(config: dict, name: str, code: Path, runtime: Path) -> dict[str, str]:
    """What Lambda's python3.11 runtime defines (configuration-envvars.html, "Defined runtime environment
    variables"), plus the stage's `aws_environment_variables` (set on the function by Zappa)."""
    region = config["aws_region"]
    return {
        "_HANDLER": "handler.lambda_handler", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("memory_size", 512)),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "LAMBDA_TASK_ROOT": str(code), "LAMBDA_RUNTIME_DIR": str(runtime),
        "LANG": "en_US.UTF-8", "TZ": ":UTC", "PATH": "/usr/local/bin:/usr/bin:/bin",
        # the execution role's temporary credentials
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        **config.get("aws_environment_variables", {}),
    }


def function_user() -> dict:
    """Who runs the function: as root, `nobody` with the system's python3.11 (root would ignore the read-only
    code directory); otherwise the current user with the tests' own interpreter."""
    if os.geteuid() != 0:
        return {}
    if not SYSTEM_PYTHON.exists():
        raise RuntimeError(f"{SYSTEM_PYTHON} is missing: as root, the tier runs the function as nobody with it")
    return {"run_as": NOBODY, "python": str(SYSTEM_PYTHON)}


@dataclass
class Deployment:
    """Everything a deployed-tier test reaches; see tests/deployed/README.md for how to use it."""

    root: Path
    code: Path
    runtime: Path
    api: Api
    cdn: Cdn
    moto_endpoint: str
    dynamodb_endpoint: str
    table_name: str
    region: str
    overrides: dict[str, str]
    functions: dict[str, LambdaFunction] = field(default_factory=dict)
    extra_stages: dict[str, dict] = field(default_factory=dict)
    stage_paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    front: Front | None = None
    probe_front: Front | None = None
    stream_mapping: event_sources.StreamMapping | None = None
    stream_feed: object | None = None

    # -- addresses --------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The browser-reachable base of the web stage: http://localhost:<port>/production."""
        return self.front.url

    @property
    def api_origin(self) -> str:
        """The public origin the function believes it serves: https://<apiId>.execute-api.<region>.amazonaws.com."""
        return self.api.origin

    @property
    def public_url(self) -> str:
        return self.api.base_url

    @property
    def static_url(self) -> str:
        return self.cdn.origin

    def browser_url(self, public_url: str) -> str:
        return self.front.browser_url(public_url)

    # -- the functions ----------------------------------------------------------------------------------------
    def stage_config(self, stage: str) -> dict:
        self._ensure_probe_stage(stage)
        return package.stage_config(stage, package.zappa_settings(self.extra_stages))

    def add_stage(self, stage: str, config: dict, modules: tuple[Path, ...]) -> None:
        """A stage of the tier's own (the probe, the benchmarks' bare handler): `config` as in zappa_settings.json,
        `modules` copied read-only into a folder ahead of the zip on its sys.path."""
        self.extra_stages[stage] = config
        folder = self.root / f"modules-{stage}"
        folder.mkdir()
        for module in modules:
            shutil.copy(module, folder)
        package.make_read_only(folder)
        self.stage_paths[stage] = (str(folder),)

    def _ensure_probe_stage(self, stage: str) -> None:
        """The probe stage (probe_app.py's tiny WSGI app, the same Zappa handler, a short timeout) exists once
        anything names it: a test may invoke its schedule or queue before any test has opened `probe`, as the order
        of tests on a worker is not fixed."""
        if stage != PROBE_STAGE or PROBE_STAGE in self.extra_stages:
            return
        queue = f"arn:aws:sqs:{self.region}:{ACCOUNT}:{PROBE_QUEUE}"
        self.add_stage(PROBE_STAGE, {
            "extends": WEB_STAGE, "app_function": "probe_app.app", "timeout_seconds": 5,
            "events": [{"function": "probe_app.tick", "expression": "rate(1 minute)"},
                       {"function": "probe_app.record_batch", "event_source": {"arn": queue, "batch_size": 3}}]},
            (Path(__file__).with_name("probe_app.py"),))

    @property
    def probe(self) -> Front:
        """The probe app's stage behind its own front: http://localhost:R/probe."""
        if self.probe_front is None:
            self.probe_front = Front(Api(random_api_id(), self.region, PROBE_STAGE), self.function(PROBE_STAGE))
        return self.probe_front

    def function(self, stage: str = WEB_STAGE) -> LambdaFunction:
        """The stage's function, created on first use (its settings module generated by Zappa)."""
        if stage not in self.functions:
            config = self.stage_config(stage)  # registers the probe stage when it is the one named
            name = event_sources.lambda_name(config["project_name"], stage)
            settings = package.stage_settings_module(stage, self.root / f"settings-{stage}", self.overrides,
                                                     self.extra_stages)
            tmp = self.root / f"tmp-{stage}"
            tmp.mkdir(mode=0o755)
            environment = {**lambda_environment(config, name, self.code, self.runtime),
                           **aws_services.endpoint_variables(self.moto_endpoint, self.dynamodb_endpoint)}
            self.functions[stage] = LambdaFunction(FunctionConfig(
                name=name, region=config["aws_region"], timeout_seconds=int(config.get("timeout_seconds", 30)),
                memory_mb=int(config.get("memory_size", 512)),
                sys_path=(str(settings), *self.stage_paths.get(stage, ()), str(self.code), str(self.runtime)),
                code_dir=str(self.code),
                environment=environment, tmp_root=str(tmp), **function_user()))
        return self.functions[stage]

    def logs(self, stage: str = WEB_STAGE) -> str:
        """Everything the stage's instances printed (what CloudWatch Logs would show)."""
        return self.function(stage).logs.text()

    def invoke(self, event: dict, stage: str = WEB_STAGE) -> Invocation:
        return self.function(stage).invoke(event)

    def invoke_scheduled(self, stage: str, function: str, kwargs: dict | None = None) -> Invocation:
        """What the stage's EventBridge rule for `function` delivers, under that stage's limits.
        :raises LookupError: the stage does not schedule `function`."""
        config = self.stage_config(stage)
        event_sources.scheduled_entry(config, function)
        name = event_sources.lambda_name(config["project_name"], stage)
        return self.invoke(event_sources.scheduled_event(function, name, config["aws_region"], kwargs), stage)

    def stop_stream_mapping(self) -> None:
        """Stops polling (between deployed tests: DynamoDB Local also serves the rest of the session); the next
        start goes on from where it stopped."""
        if self.stream_mapping is not None:
            self.stream_mapping.close()
            self.stream_feed, self.stream_mapping = self.stream_mapping.feed, None

    def start_stream_mapping(self, stage: str = "production_counters") -> event_sources.StreamMapping:
        """The stage's event source on the table's stream (the tally consumer), polling in the background."""
        if self.stream_mapping is None and self.stream_feed is not None:
            self.stream_mapping = event_sources.StreamMapping(self.function(stage), self.stream_feed)
        if self.stream_mapping is None:
            config = self.stage_config(stage)
            source = next(e["event_source"] for e in config.get("events", [])
                          if ":dynamodb:" in e.get("event_source", {}).get("arn", ""))
            from tests.dynamodb_stream import StreamFeed

            stream_arn = self.aws_client("dynamodb").describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]
            feed = StreamFeed(aws_services.client("dynamodbstreams", self.dynamodb_endpoint), stream_arn,
                              int(source.get("batch_size", 100)), source_arn=source["arn"])
            self.stream_mapping = event_sources.StreamMapping(self.function(stage), feed)
        return self.stream_mapping

    def drain_queue(self, stage: str, queue_url: str) -> event_sources.DrainReport:
        """The stage's SQS event source mapping for this queue, run until the queue shows no message.
        :raises LookupError: no `event_source` of the stage names this queue."""
        sqs = self.aws_client("sqs")
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        config = self.stage_config(stage)
        source = next((e["event_source"] for e in config.get("events", [])
                       if e.get("event_source", {}).get("arn") == arn), None)
        if source is None:
            raise LookupError(f"stage {stage} has no SQS event source for {arn}")
        return event_sources.drain(self.function(stage), sqs, queue_url, int(source.get("batch_size", 10)),
                                   config["aws_region"])

    # -- helpers for tests ------------------------------------------------------------------------------------
    def client(self) -> Client:
        """A new visitor (own cookies) on the front."""
        return Client(self.url)

    def aws_client(self, service: str):
        endpoint = self.dynamodb_endpoint if service == "dynamodb" else self.moto_endpoint
        return aws_services.client(service, endpoint)

    def store(self):
        """The working tree's Store on the deployment's table: for seeding data from the test process only. Its
        tallies are folded by the jobs function from the stream, as the deployed functions' are."""
        from survey_app.store import Store

        return Store(self.table_name, self.region, self.dynamodb_endpoint, fold_inline=False)

    def close(self) -> None:
        if self.stream_mapping:
            self.stream_mapping.close()
        for front in (self.front, self.probe_front):
            if front:
                front.close()
        for function in self.functions.values():
            function.close()
        self.cdn.close()


def _secrets_for(config: dict) -> dict[str, str]:
    """A value for every SSM parameter the stage names (SURVEY_*_PARAMETER)."""
    return {name: f"deployed-tier-{key.lower()}-" + "s" * 40
            for key, name in config.get("environment_variables", {}).items() if key.endswith("_PARAMETER") and name}


@contextlib.contextmanager
def running(dynamodb_endpoint: str):
    """The built zip deployed on a DynamoDB Local endpoint, the web stage behind its front; all stopped after.
    :raises FileNotFoundError: moto_server is not installed."""
    if not aws_services.MOTO_SERVER.exists():
        raise FileNotFoundError(f"{aws_services.MOTO_SERVER} is missing: install the test extra (moto[server])")
    archive = package.build_zip()
    root = Path(tempfile.mkdtemp(prefix="survey-deployed-"))
    root.chmod(0o755)  # the function's user must reach its code
    try:
        with package.package_lock():
            package.unpack(archive, root / "code")
        runtime = package.runtime_modules(root / "runtime")
        built = subprocess.run([sys.executable, "scripts/build_site.py", "--out", str(root / "site")],
                               cwd=package.ROOT, capture_output=True, text=True, timeout=120)
        if built.returncode != 0:
            raise RuntimeError(f"make site failed: {built.stderr[-3000:]}")
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
            jobs = aws_services.owner_jobs_resources(moto, environment)
            deployment = Deployment(
                root=root, code=root / "code", runtime=runtime, api=api, cdn=cdn, moto_endpoint=moto,
                dynamodb_endpoint=dynamodb_endpoint, region=region,
                table_name=environment.get("SURVEY_TABLE_NAME", "survey-app-production"),
                overrides={"SURVEY_PUBLIC_URL": api.base_url, "SURVEY_STATIC_URL": cdn.origin} | jobs)
            dynamodb = aws_services.client("dynamodb", dynamodb_endpoint)
            with aws_services.fake_credentials(region):
                deployment.store().create_table()
            try:
                deployment.front = Front(api, deployment.function(WEB_STAGE))
                yield deployment
            finally:
                deployment.close()
                dynamodb.delete_table(TableName=deployment.table_name)
    finally:
        for folder in ("code", "runtime"):
            if (root / folder).exists():
                package.make_writable(root / folder)
        shutil.rmtree(root, ignore_errors=True)
