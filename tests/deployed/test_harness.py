"""The deployed tier itself: code from the zip runs through Zappa's handler behind an API Gateway front, with
Lambda's limits, and a client sees what API Gateway would give it. Cases the survey app has no route for use the
probe app (probe_app.py) through the same handler, Flask and runtime."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.deployed import event_sources, package
from tests.deployed.deployment import PROBE_QUEUE, PROBE_STAGE, WEB_STAGE
from tests.deployed.http_client import Client
from tests.deployed.lambda_runtime import RESPONSE_LIMIT

MB = 1024 * 1024


@pytest.fixture
def probe(deployed):
    return Client(deployed.probe.url)


def test_the_function_imports_the_app_from_the_unpacked_zip_only(deployed):
    mark = deployed.function().logs.mark()
    outcome = deployed.invoke({"raw_command": "import survey_app, sys; print('AT', survey_app.__file__); "
                                              "print('PATH', sys.path)"})
    assert outcome.error is None
    logs = deployed.function().logs.since(mark)
    assert f"AT {deployed.code}/survey_app/__init__.py" in logs
    path = eval(logs.split("PATH ", 1)[1].splitlines()[0])  # the list as the function printed it
    own = [p for p in path if not p.startswith(("/usr/lib/python3", sys.base_prefix))]  # minus the stdlib
    assert own == [str(deployed.root / f"settings-{WEB_STAGE}"), str(deployed.code), str(deployed.runtime)]


def test_every_line_the_function_printed_is_logged_before_its_end_line(deployed):
    """Lambda writes END after the invocation's output; the reply must not overtake lines still in the pipe."""
    for _ in range(5):
        mark = deployed.function().logs.mark()
        outcome = deployed.invoke({"raw_command": "[print('LINE', n) for n in range(20000)]"})
        assert outcome.error is None
        lines = deployed.function().logs.since(mark).splitlines()
        printed = [line for line in lines if line.startswith("LINE ")]
        assert len(printed) == 20000
        assert lines[-2].startswith("END RequestId:") and lines.index(printed[-1]) < len(lines) - 2


def test_stage_settings_module_is_zappas_own_for_the_packaged_stage(tmp_path):
    """Without overrides, the module the tier generates is byte-for-byte the one `zappa package` put in the zip."""
    package.build_zip()
    generated = package.stage_settings_module(package.PACKAGED_STAGE, tmp_path / "settings", {})
    with package.package_lock():
        packed = subprocess.run(["unzip", "-p", str(package.ZIP), "zappa_settings.py"], capture_output=True,
                                check=True).stdout
    assert (generated / "zappa_settings.py").read_bytes() == packed


def test_the_function_sees_the_public_https_origin_under_its_stage(deployed, probe):
    seen = json.loads(probe.get("/environ?tag=a&tag=b&empty=").body)
    assert seen["scheme"] == "https"
    assert seen["host"] == deployed.probe.api.domain
    assert seen["script_name"] == f"/{PROBE_STAGE}"
    assert seen["url"].startswith(f"{deployed.probe.api.base_url}/environ?")
    assert seen["args"] == {"tag": ["a", "b"], "empty": [""]}
    assert 0 < seen["remaining_ms"] <= 5000
    assert seen["cwd"] == str(deployed.code)


def test_two_cookies_in_one_answer_reach_the_client_as_two_cookies(probe):
    answer = probe.get("/cookies")
    assert answer.status == 200
    assert {c.split("=", 1)[0] for c in answer.all("Set-Cookie")} == {"first", "second"}
    assert probe.cookies == {"first": "1", "second": "2"}


def test_binary_bodies_cross_the_front_byte_for_byte_both_ways(probe):
    body = bytes(range(256)) * 64
    answer = probe.request("POST", "/echo", body, {"Content-Type": "application/octet-stream"})
    assert answer.status == 200
    assert answer.body == body


def test_the_code_directory_is_read_only_and_tmp_is_writable(deployed, probe):
    outcomes = json.loads(probe.get("/write").body)
    tmp = [place for place in outcomes if place not in (str(deployed.code), f"{deployed.code}/survey_app")]
    assert outcomes[str(deployed.code)] == "PermissionError"
    assert outcomes[f"{deployed.code}/survey_app"] == "PermissionError"
    assert [outcomes[place] for place in tmp] == ["written"]


def test_a_run_past_the_timeout_is_a_502_and_its_instance_is_replaced(deployed, probe):
    assert probe.get("/bytes/10").status == 200  # a warm instance exists
    started_before = deployed.function(PROBE_STAGE).instances_started
    began = time.monotonic()
    answer = probe.get("/sleep/30.0")
    assert answer.status == 502
    assert json.loads(answer.body) == {"message": "Internal server error"}
    assert 5 <= time.monotonic() - began < 15
    assert "Task timed out after 5.00 seconds" in deployed.logs(PROBE_STAGE)
    assert probe.get("/bytes/10").status == 200
    assert deployed.function(PROBE_STAGE).instances_started == started_before + 1


def test_an_answer_over_6_mb_is_a_502_and_one_just_under_passes(probe):
    assert probe.get(f"/bytes/{RESPONSE_LIMIT - 4096}").status == 200
    answer = probe.get(f"/bytes/{7 * MB}")
    assert answer.status == 502
    assert json.loads(answer.body) == {"message": "Internal server error"}


def test_a_request_over_6_mb_is_refused_with_413_before_the_function_runs(deployed):
    visitor = deployed.client()
    mark = deployed.function().logs.mark()
    answer = visitor.request("POST", "/login", b"x" * (7 * MB), {"Content-Type": "application/octet-stream"})
    assert answer.status == 413
    assert json.loads(answer.body) == {"message": "Request Too Long"}
    assert "START RequestId" not in deployed.function().logs.since(mark)
    too_big_for_api_gateway = visitor.request("POST", "/login", b"x" * (11 * MB))
    assert too_big_for_api_gateway.status == 413


def test_a_path_outside_the_stage_is_api_gateways_403(deployed):
    answer = Client(deployed.front.origin).get("/owner/")
    assert answer.status == 403


def test_scheduled_rule_names_are_the_ones_zappa_gives(deployed):
    """Zappa's own get_scheduled_event_name (from the lean venv that packs the zip) names every rule alike."""
    cases = [(event["function"], event_sources.lambda_name("survey-app", stage))
             for stage in package.stage_names() for event in deployed.stage_config(stage).get("events", [])
             if event.get("expression")]
    script = ("import json, sys; from zappa.core import Zappa; z = object.__new__(Zappa); "
              "print(json.dumps([z.get_scheduled_event_name({}, f, n) for f, n in json.loads(sys.argv[1])]))")
    with package.package_lock():
        zappa = subprocess.run([str(package.ZAPPA.with_name("python")), "-c", script, json.dumps(cases)],
                               capture_output=True, text=True, check=True)
    assert cases
    assert json.loads(zappa.stdout) == [event_sources.scheduled_rule_name(f, n) for f, n in cases]


def test_a_scheduled_event_reaches_its_function_under_the_stage_timeout(deployed):
    outcome = deployed.invoke_scheduled(PROBE_STAGE, "probe_app.tick")
    assert outcome.result["resource"].endswith(":rule/survey-app-probe-probe_app.tick")
    assert 0 < outcome.result["remaining_ms"] <= 5000
    with pytest.raises(LookupError):
        deployed.invoke_scheduled(PROBE_STAGE, "probe_app.not_scheduled")


def test_the_queue_mapping_deletes_batches_that_succeed_and_keeps_a_failed_one(deployed):
    sqs = deployed.aws_client("sqs")
    queue = sqs.create_queue(QueueName=PROBE_QUEUE, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    for number in range(5):
        sqs.send_message(QueueUrl=queue, MessageBody=f"message {number}")
    report = deployed.drain_queue(PROBE_STAGE, queue)
    assert report.deleted == 5 and report.failed_batches == 0
    assert [len(i.result["bodies"]) for i in report.invocations] == [3, 2]
    assert report.invocations[0].result["sources"] == [f"arn:aws:sqs:{deployed.region}:123456789012:{PROBE_QUEUE}"]
    sqs.send_message(QueueUrl=queue, MessageBody="fail")
    failed = deployed.drain_queue(PROBE_STAGE, queue)
    assert failed.deleted == 0 and failed.failed_batches == 1
    waiting = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert waiting["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
