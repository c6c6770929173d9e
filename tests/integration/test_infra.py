"""infra/template.yaml: lint-clean, the same table as store.py, a least-privilege Lambda policy, and a stack that
deploys (on moto) into a table the app really runs on."""
from __future__ import annotations

import copy
import importlib.util
import json
import re
import subprocess
import sys

import boto3
import pytest
import yaml
from moto import mock_aws

from survey_app import create_app
from survey_app.store import GSI1, KEY_SCHEMA, TTL_ATTRIBUTE
from survey_app.store.table import STREAM
from tests.conftest import REGION, ROOT, unavailable
from tests.factories import answer_page, make_invitation, make_survey

TEMPLATE = ROOT / "infra" / "template.yaml"
STORE = ROOT / "survey_app" / "store"  # a package, or store.py while it is one module

# moto 5.2 deploys only these of the template's resource types through CloudFormation. It has no CloudFormation
# model for AWS::S3::BucketPolicy, AWS::CloudFront::Distribution, AWS::CloudFront::OriginAccessControl,
# AWS::SES::EmailIdentity, AWS::CloudWatch::Alarm or AWS::SNS::Subscription: it warns "not supported by moto's
# CloudFormation implementation" (an error here, warnings fail the suite) and skips them. So the stack test deploys
# a copy without them, and without the outputs that refer to them; cfn-lint checks those resources instead.
# moto also ignores the table's TimeToLiveSpecification, PointInTimeRecoverySpecification and SSESpecification;
# test_table_in_template_matches_the_store checks those in the template itself.
DEPLOYABLE_ON_MOTO = {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role",
                      "AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::KMS::Key", "AWS::KMS::Alias"}

# What the Lambda may do to the table: every runtime call in the store maps to these IAM actions. A
# TransactWriteItems is authorised per item as the Put/Update/Delete/ConditionCheck it contains: IAM has no
# dynamodb:TransactWriteItems action (cfn-lint W3037 rejects it).
IAM_ACTIONS_OF_CALL = {
    "get_item": {"dynamodb:GetItem"},
    "put_item": {"dynamodb:PutItem"},
    "update_item": {"dynamodb:UpdateItem"},
    "delete_item": {"dynamodb:DeleteItem"},
    "query": {"dynamodb:Query"},
    "batch_write_item": {"dynamodb:BatchWriteItem"},
    "transact_write_items": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"},
    "describe_table": {"dynamodb:DescribeTable"},
    "scan": {"dynamodb:Scan"},
}
# Run by the operator (`survey-app init-db`) with their own credentials, never by the Lambda; on the stack's table
# they are not needed at all.
TABLE_ADMIN_CALLS = {"create_table", "get_waiter", "update_time_to_live", "delete_table"}


@pytest.fixture(scope="module")
def template() -> dict:
    """Plain YAML: the template is in long form (Ref:, Fn::GetAtt:), so no CloudFormation tag loader is needed."""
    return yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))


def resources_of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == resource_type}


def only(mapping: dict) -> dict:
    assert len(mapping) == 1, f"expected exactly one, found {sorted(mapping)}"
    return next(iter(mapping.values()))


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_template_is_cfn_lint_clean():
    if importlib.util.find_spec("cfnlint") is None:
        unavailable("cfn-lint", "Install it: .venv/bin/python -m pip install cfn-lint.")
    # The CLI itself (its runner), so the template's Metadata cfn-lint config (regions) applies as in `cfn-lint`.
    lint = subprocess.run(
        [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
         "--format", "parseable", "--", str(TEMPLATE)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    findings = (lint.stdout + lint.stderr).strip()
    assert lint.returncode == 0 and not findings, f"cfn-lint exit {lint.returncode}:\n{findings}"


def test_table_in_template_matches_the_store(template):
    table = only(resources_of_type(template, "AWS::DynamoDB::Table"))
    props = table["Properties"]

    assert props["KeySchema"] == KEY_SCHEMA["KeySchema"]
    attributes = {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]}
    assert attributes == {(a["AttributeName"], a["AttributeType"]) for a in KEY_SCHEMA["AttributeDefinitions"]}
    indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in props["GlobalSecondaryIndexes"]}
    assert indexes == {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in KEY_SCHEMA["GlobalSecondaryIndexes"]}
    assert GSI1 in indexes
    assert set(props) & {"LocalSecondaryIndexes", "ProvisionedThroughput"} == set()
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_tables_stream_feeds_the_tally_consumer_as_the_store_expects(template):
    """The stream the consumer reads (new images), a mapping that retries from the first tally not folded and
    parks a batch after its retries, filtered to tally inserts, and the jobs stage routing it to the consumer."""
    table = only(resources_of_type(template, "AWS::DynamoDB::Table"))["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": STREAM["StreamViewType"]}
    mapping = only(resources_of_type(template, "AWS::Lambda::EventSourceMapping"))["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["MaximumRetryAttempts"] >= 1 and "OnFailure" in mapping["DestinationConfig"]
    pattern = json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"])
    assert pattern == {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "TALLY#"}]}}}}
    settings = json.loads((ROOT / "zappa_settings.json").read_text(encoding="utf-8"))
    for stage in ("production_counters", "dev_counters"):
        events = settings[stage]["events"]
        sources = [e for e in events if ":dynamodb:" in e.get("event_source", {}).get("arn", "")]
        assert [e["function"] for e in sources] == ["survey_app.jobs.fold_tallies_event"], stage
        assert sources[0]["event_source"]["batch_size"] == mapping["BatchSize"]
        assert {"function": "survey_app.jobs.fold_overdue_event", "expression": "rate(1 minute)"} in events
    assert mapping["FunctionName"] == {"Ref": "CountersFunctionName"}
    assert not [s for s, c in settings.items() if s not in ("production_counters", "dev_counters")
                and "fold_tallies_event" in json.dumps(c)]  # one consumer per table


def test_throttle_alarm_watches_the_table_and_every_index(template):
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    watched = {
        tuple(sorted((d["Name"], d["Value"] if isinstance(d["Value"], str) else "<table>")
                     for d in query["MetricStat"]["Metric"]["Dimensions"]))
        for alarm in alarms for query in alarm["Properties"].get("Metrics", [])
        if query.get("MetricStat", {}).get("Metric", {}).get("Namespace") == "AWS/DynamoDB"
    }
    indexes = {i["IndexName"] for i in KEY_SCHEMA["GlobalSecondaryIndexes"]}
    assert watched == {(("TableName", "<table>"),)} | {
        (("GlobalSecondaryIndexName", index), ("TableName", "<table>")) for index in indexes}


def test_lambda_policy_is_least_privilege(template):
    statements = as_list(only(resources_of_type(template, "AWS::IAM::ManagedPolicy"))
                         ["Properties"]["PolicyDocument"]["Statement"])
    actions = [a for s in statements for a in as_list(s["Action"])]

    assert all(s["Effect"] == "Allow" and "NotAction" not in s and "NotResource" not in s for s in statements)
    assert not [a for a in actions if "*" in a], "wildcard actions"
    scanning = [s for s in statements if "dynamodb:Scan" in as_list(s["Action"])]  # a survey's deletion alone
    assert [(s["Sid"], s["Action"], s["Resource"]) for s in scanning] == [
        ("SurveyDeletionScan", "dynamodb:Scan", {"Fn::GetAtt": ["Table", "Arn"]})]
    assert [p.name for p in STORE.rglob("*.py") if '"scan"' in p.read_text(encoding="utf-8")] == ["survey_deletion.py"]
    for statement in statements:
        services = {a.split(":")[0] for a in as_list(statement["Action"])}
        if services & {"dynamodb", "ses", "ssm"}:
            for resource in as_list(statement["Resource"]):
                arn = resource.get("Fn::Sub", "") if isinstance(resource, dict) else resource
                assert resource != "*" and "*" not in arn.removesuffix("/*"), f"{services}: broad resource {resource}"

    by_sid = {s["Sid"]: s for s in statements}
    table = by_sid["TableReadWrite"]
    assert table["Resource"] == [{"Fn::GetAtt": ["Table", "Arn"]}, {"Fn::Sub": "${Table.Arn}/index/*"}]
    assert set(as_list(by_sid["SendAsTheConfiguredSender"]["Action"])) == {"ses:SendEmail", "ses:SendRawEmail"}
    identity, configuration_set = (r["Fn::Sub"] for r in by_sid["SendAsTheConfiguredSender"]["Resource"])
    assert identity.endswith(":identity/${SenderEmail}")
    assert configuration_set.endswith(":configuration-set/survey-app-${Stage}")
    ssm = by_sid["ReadThisStagesSecrets"]
    assert set(as_list(ssm["Action"])) == {"ssm:GetParameter", "ssm:GetParameters"}
    assert ssm["Resource"]["Fn::Sub"].endswith(":parameter/survey-app/${Stage}/*")
    kms = {s["Sid"]: s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))}
    assert {sid: as_list(s["Action"]) for sid, s in kms.items()} == {
        "DecryptThisStagesSecretsThroughSsm": ["kms:Decrypt"], "SealTwoFactorSecrets": ["kms:Encrypt", "kms:Decrypt"]}
    assert kms["DecryptThisStagesSecretsThroughSsm"]["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}
    assert kms["SealTwoFactorSecrets"]["Resource"] == {"Fn::GetAtt": ["TotpKey", "Arn"]}
    invoke = by_sid["InvokedByItsApi"]
    assert all(r["Fn::Sub"].split(":function:")[1] in ("${LambdaFunctionName}", "${LambdaFunctionName}:*")
               for r in invoke["Resource"])


def test_ses_bounces_and_complaints_reach_the_apps_sns_endpoint(template):
    """Configuration set -> event destination (bounce, complaint, delivery) -> topic -> HTTPS subscription to the
    route the app serves; the outputs name the two settings the app needs."""
    resources = template["Resources"]
    configuration_set = only(resources_of_type(template, "AWS::SES::ConfigurationSet"))["Properties"]
    destination = only(resources_of_type(template, "AWS::SES::ConfigurationSetEventDestination"))["Properties"]
    (configuration_set_name,) = [n for n, r in resources.items() if r["Type"] == "AWS::SES::ConfigurationSet"]
    assert destination["ConfigurationSetName"] == {"Ref": configuration_set_name}
    events = destination["EventDestination"]
    assert events["Enabled"] is True and {"bounce", "complaint"} <= set(events["MatchingEventTypes"])
    topic_name = events["SnsDestination"]["TopicARN"]["Ref"]
    assert resources[topic_name]["Type"] == "AWS::SNS::Topic"
    assert resources[topic_name]["Properties"]["SignatureVersion"] in ("1", "2")
    subscriptions = [r for r in resources_of_type(template, "AWS::SNS::Subscription").values()
                     if r["Properties"]["TopicArn"] == {"Ref": topic_name}]
    (subscription,) = subscriptions
    assert subscription["Properties"]["Protocol"] == "https"
    path = subscription["Properties"]["Endpoint"]["Fn::Sub"].removeprefix("${PublicUrl}")
    app = create_app({"ENV": "test", "TABLE_NAME": "unused"})
    assert path in {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert template["Outputs"]["EmailEventsTopicArn"]["Value"] == {"Ref": topic_name}
    assert template["Outputs"]["EmailConfigurationSetName"]["Value"] == {"Ref": configuration_set_name}
    assert configuration_set["Name"] == {"Fn::Sub": "survey-app-${Stage}"}


def test_lambda_role_carries_only_the_policy(template):
    """Zappa runs as this role ("manage_roles": false); API Gateway assumes it too (Zappa's integration credentials)."""
    role = only(resources_of_type(template, "AWS::IAM::Role"))["Properties"]
    policy_name = only({n: n for n in resources_of_type(template, "AWS::IAM::ManagedPolicy")})
    assert role["ManagedPolicyArns"] == [{"Ref": policy_name}] and "Policies" not in role
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert (trust["Effect"], trust["Action"]) == ("Allow", "sts:AssumeRole")
    assert set(trust["Principal"]["Service"]) == {"lambda.amazonaws.com", "apigateway.amazonaws.com"}


def test_lambda_policy_allows_every_call_the_store_makes(template):
    """A new store call (a Scan, a BatchGetItem) must be a deliberate change to the policy, not an AccessDenied."""
    files = sorted(STORE.rglob("*.py")) if STORE.is_dir() else [STORE.with_suffix(".py")]
    source = "\n".join(path.read_text(encoding="utf-8") for path in files)
    calls = set(re.findall(r'_call\(\s*"(\w+)"', source)) | set(re.findall(r"self\.client\.(\w+)\(", source))
    runtime_calls = calls - TABLE_ADMIN_CALLS
    assert runtime_calls <= set(IAM_ACTIONS_OF_CALL), f"map these store calls to IAM actions: {runtime_calls}"
    policy = only(resources_of_type(template, "AWS::IAM::ManagedPolicy"))["Properties"]["PolicyDocument"]
    allowed = {a for s in as_list(policy["Statement"]) for a in as_list(s["Action"])}
    needed = set().union(*(IAM_ACTIONS_OF_CALL[c] for c in runtime_calls))
    assert needed <= allowed, f"the Lambda policy lacks {needed - allowed}"


def references(node) -> set[str]:
    """Logical ids and parameters a template fragment refers to (Ref, Fn::GetAtt, ${...} in Fn::Sub)."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!][^}]*)\}", text)}
            found |= references(value)
    elif isinstance(node, list):
        for value in node:
            found |= references(value)
    return found


def deployable_on_moto(template: dict) -> dict:
    """The template without what moto cannot create (see DEPLOYABLE_ON_MOTO) and the outputs that refer to it."""
    copy_ = copy.deepcopy(template)
    kept = {name: r for name, r in copy_["Resources"].items() if r["Type"] in DEPLOYABLE_ON_MOTO}
    known = set(kept) | set(copy_["Parameters"])
    for name, resource in kept.items():
        missing = {r for r in references(resource) if not r.startswith("AWS::")} - known
        assert not missing, f"{name} refers to resources moto cannot create: {missing}"
    copy_["Resources"] = kept
    copy_["Outputs"] = {
        name: output for name, output in copy_["Outputs"].items()
        if {r for r in references(output) if not r.startswith("AWS::")} <= known
    }
    return copy_


def test_stack_deploys_into_moto_and_the_app_runs_on_its_table(template):
    try:
        import moto.cloudformation.parsing  # noqa: F401  (its extras: cfn-lint, openapi-spec-validator, ...)
    except ImportError as error:
        unavailable("moto's CloudFormation engine", f"Install moto[cloudformation] ({error}).")
    body = deployable_on_moto(template)
    assert {"Table", "LambdaPolicy", "LambdaRole"} <= set(body["Resources"]) and "TableName" in body["Outputs"]
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(
            StackName="survey-app-production", TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_NAMED_IAM"],
            Parameters=[{"ParameterKey": "SenderEmail", "ParameterValue": "survey@example.test"},
                        {"ParameterKey": "AlarmEmail", "ParameterValue": "ops@example.test"}],
        )
        stack = cloudformation.describe_stacks(StackName="survey-app-production")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        name = outputs["TableName"]

        role = boto3.client("iam", region_name=REGION).get_role(RoleName=outputs["LambdaRoleName"])["Role"]
        assert role["Arn"] == outputs["LambdaRoleArn"]
        described = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=name)["Table"]
        assert described["TableArn"] == outputs["TableArn"]
        assert described["KeySchema"] == KEY_SCHEMA["KeySchema"]
        assert {i["IndexName"]: i["KeySchema"] for i in described["GlobalSecondaryIndexes"]} == {
            i["IndexName"]: i["KeySchema"] for i in KEY_SCHEMA["GlobalSecondaryIndexes"]}
        assert described["DeletionProtectionEnabled"] is True

        app = create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": name, "AWS_REGION": REGION,
                          "DYNAMODB_ENDPOINT": None})
        store = app.extensions["survey_store"]
        assert store.table_name == name
        survey = make_survey(store)
        invitation = make_invitation(store, survey)
        client = app.test_client()
        page, hidden = answer_page(client, f"/s/{invitation.token}")
        assert page.status_code == 200
        done = client.post(f"/s/{invitation.token}", data=hidden | {"q_nps": "9"})
        text = done.get_data(as_text=True)
        assert done.status_code == 200 and ("Thank you" in text or "Terima kasih" in text)
        totals = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
        assert sum(day["n"] for day in totals.values()) == 1
