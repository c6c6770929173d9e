"""Lambda's execution model around the unpacked zip: instances (worker processes) that init once and then take
one invocation at a time, the function timeout (the instance is killed), the 6 MB payload limits, logs.

Sources:
- Limits (timeout, 6 MB synchronous request and response payloads):
  https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
  exact byte counts as Lambda reports them: request "limit 6291456 bytes" (RequestEntityTooLargeException),
  response "Exceeded maximum allowed payload size (6291556 bytes)." after which the runtime exits
  (github.com/DataBiosphere/azul/issues/8258, github.com/anomalyco/console/issues/63).
- Environment the runtime sets: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
  (section "Defined runtime environment variables").
- One event per instance at a time, new instances for concurrent requests, a timed-out instance is replaced:
  https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
- Log lines START/END/REPORT: https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REQUEST_LIMIT = 6_291_456
RESPONSE_LIMIT = 6_291_556
INIT_LIMIT_SECONDS = 10  # Lambda's init phase limit for on-demand functions
WORKER = Path(__file__).with_name("lambda_worker.py")
OUTPUT_DONE = "\0invocation-output-done"  # the worker's marker after each event's output (lambda_worker.py)
OUTPUT_DRAIN_SECONDS = 5
ACCOUNT = "123456789012"


class RequestTooLarge(Exception):
    """Lambda refuses the Invoke call itself (HTTP 413 RequestEntityTooLargeException): the function never runs."""


@dataclass(frozen=True)
class FunctionConfig:
    """What Lambda knows about one deployed function: its name, limits, environment and where its code is."""

    name: str
    region: str
    timeout_seconds: int
    memory_mb: int
    sys_path: tuple[str, ...]  # stage settings dir, code dir (/var/task), runtime-provided modules
    code_dir: str
    environment: dict[str, str]
    tmp_root: str
    python: str = sys.executable  # a python3.11 the function's user may run
    run_as: int | None = None  # uid: Lambda never runs a function as root

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{self.name}"


@dataclass
class Invocation:
    """The outcome Lambda's Invoke API reports: a payload, or a function error (FunctionError header)."""

    request_id: str
    payload: bytes | None = None
    error: dict | None = None
    cold: bool = False
    duration_ms: float = 0.0

    @property
    def result(self):
        if self.error:
            raise AssertionError(f"the function failed: {self.error}")
        return json.loads(self.payload)


@dataclass
class Logs:
    """What CloudWatch Logs would hold for the function: every line any instance printed, in order."""

    lines: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, line: str) -> None:
        with self.lock:
            self.lines.append(line)

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.lines)

    def since(self, mark: int) -> str:
        with self.lock:
            return "\n".join(self.lines[mark:])

    def mark(self) -> int:
        with self.lock:
            return len(self.lines)


class Instance:
    """One execution environment: a worker process that has run init and serves one event at a time."""

    def __init__(self, config: FunctionConfig, logs: Logs, number: int):
        self.config, self.logs, self.number = config, logs, number
        self.stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.tmp = Path(config.tmp_root) / f"instance-{number}-{uuid.uuid4().hex[:6]}"
        self.tmp.mkdir(parents=True)
        if config.run_as is not None:
            os.chown(self.tmp, config.run_as, config.run_as)
        to_worker, self._to_worker = os.pipe()
        self._from_worker, from_worker = os.pipe()
        environment = {**config.environment, "TMPDIR": str(self.tmp), "HOME": str(self.tmp),
                       "AWS_LAMBDA_LOG_STREAM_NAME": self.stream}
        self.process = subprocess.Popen(
            # the worker's source is handed over with -c, as the function's user may not read the checkout
            # (a clone under a 0700 temporary folder): only the deployed folders must be readable to it
            [config.python, "-I", "-S", "-u", "-c", WORKER.read_text(), str(to_worker), str(from_worker),
             *config.sys_path],
            pass_fds=(to_worker, from_worker), cwd=config.code_dir, env=environment,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            user=config.run_as, group=config.run_as, extra_groups=[] if config.run_as is not None else None,
        )
        os.close(to_worker)
        os.close(from_worker)
        self._output_done = threading.Event()
        self._log_thread = threading.Thread(target=self._copy_logs, daemon=True)
        self._log_thread.start()
        self.alive, self.used = True, False
        header, body = self._read_reply(time.monotonic() + INIT_LIMIT_SECONDS)
        if header is None or not header.get("init") == "ok":
            self.kill()
            raise RuntimeError(f"init failed: {body!r}\n{self.logs.text()[-3000:]}")

    def _copy_logs(self) -> None:
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line == OUTPUT_DONE:
                self._output_done.set()
            else:
                self.logs.add(line)

    def invoke(self, payload: bytes, request_id: str) -> Invocation:
        """Runs one event; past the timeout the process is killed and the instance is gone."""
        config = self.config
        deadline_ms = int((time.time() + config.timeout_seconds) * 1000)
        context = {"aws_request_id": request_id, "function_name": config.name, "function_version": "$LATEST",
                   "invoked_function_arn": config.arn, "memory_limit_in_mb": str(config.memory_mb),
                   "log_group_name": f"/aws/lambda/{config.name}", "log_stream_name": self.stream,
                   "deadline_ms": deadline_ms}
        cold, self.used = not self.used, True
        self.logs.add(f"START RequestId: {request_id} Version: $LATEST")
        started = time.monotonic()
        self._output_done.clear()
        frame = b'{"event": ' + payload + b', "context": ' + json.dumps(context).encode() + b"}"
        try:
            self._write_all(len(frame).to_bytes(8, "big") + frame)
        except BrokenPipeError:  # the worker died between invocations: the event meets a dead runtime
            header, body = None, None
        else:
            header, body = self._read_reply(started + config.timeout_seconds)
        duration = (time.monotonic() - started) * 1000
        if header is not None:  # the reply can overtake the handler's last lines, which come on the other pipe
            self._output_done.wait(timeout=OUTPUT_DRAIN_SECONDS)
        invocation = Invocation(request_id, cold=cold, duration_ms=duration)
        if header is None:
            exited = self.process.poll()
            self.kill()
            if exited is None:
                message, kind = f"Task timed out after {config.timeout_seconds:.2f} seconds", "Sandbox.Timedout"
            else:  # e.g. os._exit() or a crash in the handler: the runtime process is gone
                message, kind = f"Runtime exited with error: exit status {exited}", "Runtime.ExitError"
            self.logs.add(f"{time.strftime('%Y-%m-%dT%H:%M:%S')}Z {request_id} {message}")
            invocation.error = {"errorMessage": message, "errorType": kind}
        elif not header.get("ok"):
            invocation.error = json.loads(body)
        elif len(body) > RESPONSE_LIMIT:
            self.kill()  # the runtime cannot post the result and exits
            invocation.error = {"errorMessage": f"Response payload size exceeded maximum allowed payload size "
                                                f"({RESPONSE_LIMIT} bytes).", "errorType": "Function.ResponseSizeTooLarge"}
        else:
            invocation.payload = body
        self.logs.add(f"END RequestId: {request_id}")
        self.logs.add(f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
                      f"Memory Size: {config.memory_mb} MB")
        return invocation

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._to_worker, view):]

    def _read_reply(self, deadline: float):
        """(header dict, body bytes), or (None, None) when the deadline passes or the worker dies first."""
        buffer = bytearray()
        wanted = None
        while wanted is None or len(buffer) < wanted + 8:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_worker], [], [], remaining)[0]:
                return None, None
            chunk = os.read(self._from_worker, 1 << 20)
            if not chunk:
                return None, None
            buffer += chunk
            if wanted is None and len(buffer) >= 8:
                wanted = int.from_bytes(buffer[:8], "big")
        header, _, body = bytes(buffer[8:8 + wanted]).partition(b"\n")
        return json.loads(header), body

    def kill(self) -> None:
        if self.alive:
            self.alive = False
            self.process.kill()
            self.process.wait()
            self._log_thread.join(timeout=5)
            self.process.stdout.close()
            os.close(self._to_worker)
            os.close(self._from_worker)

    def stop(self) -> None:
        """Lambda's shutdown: the runtime's pipe closes, the worker's loop ends."""
        if self.alive:
            self.alive = False
            os.close(self._to_worker)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self._log_thread.join(timeout=5)
            self.process.stdout.close()
            os.close(self._from_worker)


class LambdaFunction:
    """A function with its warm instances: an idle one takes the next event, else a new one cold-starts."""

    def __init__(self, config: FunctionConfig, max_instances: int = 4):
        self.config, self.max_instances = config, max_instances
        self.logs = Logs()
        self._idle: list[Instance] = []
        self._count = 0
        self._started = 0
        self._available = threading.Condition()

    @property
    def instances_started(self) -> int:
        return self._started

    def invoke(self, event: dict) -> Invocation:
        """:raises RequestTooLarge: the serialized event is over Lambda's 6 MB synchronous request limit."""
        payload = json.dumps(event).encode()
        if len(payload) > REQUEST_LIMIT:
            raise RequestTooLarge(f"{len(payload)} byte payload is too large for the RequestResponse invocation "
                                  f"type (limit {REQUEST_LIMIT} bytes)")
        instance = self._acquire()
        try:
            return instance.invoke(payload, str(uuid.uuid4()))
        finally:
            self._release(instance)

    def _acquire(self) -> Instance:
        # Beyond max_instances the event waits for a free instance: this machine's cap, not a Lambda throttle.
        with self._available:
            while not self._idle and self._count >= self.max_instances:
                self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
            self._started += 1
            number = self._started
        try:
            return Instance(self.config, self.logs, number)
        except BaseException:
            with self._available:
                self._count -= 1
                self._available.notify()
            raise

    def _release(self, instance: Instance) -> None:
        with self._available:
            if instance.alive:
                self._idle.append(instance)
            else:
                self._count -= 1
            self._available.notify()

    def close(self) -> None:
        with self._available:
            idle, self._idle = self._idle, []
        for instance in idle:
            instance.stop()
