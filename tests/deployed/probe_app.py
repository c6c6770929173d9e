"""A tiny WSGI app that the tier runs through the same Zappa handler, Flask and runtime as the real function
(the zip's own copies), to reach what the survey app has no route for: running past the timeout, answering more
than 6 MB, two cookies at once, writing to the code directory. No test-only route is added to the survey app."""
import hashlib
import os
import time

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.get("/cookies")
def cookies():
    response = Response("two cookies")
    response.set_cookie("first", "1", secure=True, httponly=True)
    response.set_cookie("second", "2", secure=True, samesite="Lax")
    return response


@app.get("/sleep/<float:seconds>")
def sleep(seconds: float):
    time.sleep(seconds)
    return "awake"


@app.get("/bytes/<int:count>")
def text_of(count: int):
    return Response("x" * count, mimetype="text/plain")


@app.post("/echo")
def echo():
    """The request body back, byte for byte, as binary."""
    return Response(request.get_data(), mimetype="application/octet-stream")


@app.get("/environ")
def environ():
    event = request.environ.get("lambda.event") or {}
    context = request.environ.get("lambda.context")
    return jsonify(remote_addr=request.remote_addr, scheme=request.scheme, host=request.host,
                   script_name=request.script_root, url=request.url, args=request.args.to_dict(flat=False),
                   source_ip=event.get("requestContext", {}).get("identity", {}).get("sourceIp"),
                   remaining_ms=context.get_remaining_time_in_millis() if context else None,
                   request_id=context.aws_request_id if context else None, cwd=os.getcwd(),
                   body_sha256=hashlib.sha256(request.get_data()).hexdigest())


@app.get("/write")
def write():
    """Where the function may write: only its temporary directory."""
    outcomes = {}
    for place in (os.getcwd(), os.environ["LAMBDA_TASK_ROOT"], os.path.join(os.getcwd(), "survey_app"),
                  os.environ["TMPDIR"]):
        try:
            with open(os.path.join(place, "written-by-the-function"), "w") as handle:
                handle.write("x")
            outcomes[place] = "written"
        except OSError as error:
            outcomes[place] = type(error).__name__
    return jsonify(outcomes)


def tick(event, context):
    """A scheduled entry point: what the rule sent and how much time the context says is left."""
    return {"resource": event["resources"][0], "remaining_ms": context.get_remaining_time_in_millis(),
            "request_id": context.aws_request_id}


def record_batch(event, context):
    """An SQS entry point: fails the whole batch when one body says so, as a real consumer's error would."""
    bodies = [record["body"] for record in event["Records"]]
    if "fail" in bodies:
        raise RuntimeError("a record asked to fail")
    return {"bodies": bodies, "sources": sorted({record["eventSourceARN"] for record in event["Records"]})}
