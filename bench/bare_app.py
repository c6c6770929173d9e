"""The answer page's bare cost: Flask plus the same DynamoDB calls with boto3 directly, and nothing else.

No forms, templates, CSRF, sessions or store layer: what is left is the floor any implementation pays, so
answer_latency.py reports the real app as a ratio to this one, served the same way beside it.
GET: GetItem invitation + GetItem survey, and on a link's first open the app's "opened" write (one
TransactWriteItems: the invitation's state and the day's opened counter). POST: the same two reads, then one
TransactWriteItems of the same six items the app writes for a personal link with two properties.
"""
import os
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import boto3
from boto3.dynamodb.types import TypeSerializer
from botocore.config import Config
from flask import Flask, request

TABLE = os.environ["SURVEY_TABLE_NAME"]
client = boto3.client("dynamodb", region_name=os.environ["AWS_DEFAULT_REGION"],
                      endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
                      config=Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=5))
app = Flask(__name__)
dynamo = TypeSerializer().serialize


def _read(token: str) -> dict:
    key = {"pk": {"S": f"INV#{token}"}, "sk": {"S": "INV"}}
    invitation = client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
    survey_key = {"pk": {"S": "SURVEYS"}, "sk": {"S": "SURVEY#" + invitation["survey_id"]["S"]}}
    client.get_item(TableName=TABLE, Key=survey_key, ConsistentRead=True)
    return invitation


def _counters(form) -> dict:
    counters = {"n": 1}
    for name, value in form.items():
        if name.startswith("q_") and value.isdigit():
            q, v = name[2:], int(value)
            counters |= {f"q#{q}#n": 1, f"q#{q}#sum": v, f"q#{q}#v{v}": 1} | ({f"q#{q}#top2": 1} if v >= 4 else {})
    nps = int(form["q_nps"])
    counters["promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"] = 1
    return counters


def _add(pk: str, sk: str, counters: dict) -> dict:
    return {"Update": {"TableName": TABLE, "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
                       "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters))),
                       "ExpressionAttributeNames": {f"#c{i}": name for i, name in enumerate(counters)},
                       "ExpressionAttributeValues": {f":c{i}": {"N": str(v)} for i, v in enumerate(counters.values())}}}


@app.get("/s/<token>")
def page(token):
    invitation = _read(token)
    if "opened_at" not in invitation and "answered_at" not in invitation:
        now = datetime.now(timezone.utc).isoformat()
        day = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
        try:
            client.transact_write_items(TransactItems=[
                {"Update": {"TableName": TABLE, "Key": {"pk": {"S": f"INV#{token}"}, "sk": {"S": "INV"}},
                            "UpdateExpression": "SET opened_at = :at", "ConditionExpression": "attribute_not_exists(opened_at)",
                            "ExpressionAttributeValues": {":at": {"S": now}}}},
                _add(f"AGG#{invitation['survey_id']['S']}", f"DAY#{day}", {"inv#manual#opened": 1})])
        except client.exceptions.TransactionCanceledException:
            pass  # opened meanwhile: the app counts it once too
    return "<!doctype html><form method=post><button>Send</button></form>"


@app.post("/s/<token>")
def submit(token):
    invitation, form, now = _read(token), request.form, datetime.now(timezone.utc).isoformat()
    survey_id, properties = invitation["survey_id"]["S"], {k: v["S"] for k, v in invitation["properties"]["M"].items()}
    day = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    answers = {k[2:]: int(v) if v.isdigit() else v for k, v in form.items() if k.startswith("q_") and v}
    response = {"pk": f"RESP#{survey_id}", "sk": token, "answers": answers, "submitted_at": now, "day": day,
                "language": "id", "properties": properties, "submission_id": form["submission"]}
    comment = {"pk": f"CMT#{survey_id}", "sk": f"{now}#{token}", "texts": {"reason": form["q_reason"]},
               "score": int(form["q_nps"]), "properties": properties}
    items = [
        {"Update": {"TableName": TABLE, "Key": {"pk": {"S": f"INV#{token}"}, "sk": {"S": "INV"}},
                    "UpdateExpression": "SET answered_at = :at, submission_id = :sub",
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(answered_at)",
                    "ExpressionAttributeValues": {":at": {"S": now}, ":sub": {"S": form["submission"]}}}},
        {"Put": {"TableName": TABLE, "Item": {k: dynamo(v) for k, v in response.items()},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": TABLE, "Item": {k: dynamo(v) for k, v in comment.items()}}},
    ] + [_add(f"AGG#{survey_id}", sk, _counters(form)) for sk in
         [f"DAY#{day}"] + [f"SEG#{p}#{day}#{v}" for p, v in sorted(properties.items())]]
    client.transact_write_items(TransactItems=items, ClientRequestToken=form["submission"])
    return "<!doctype html><p>Thank you</p>"
