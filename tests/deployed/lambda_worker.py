"""One emulated Lambda instance: imports Zappa's `handler` from the unpacked zip (init), then runs one event at a
time for the front, as Lambda's runtime loop does. Standard library only: it runs under `python -I -S`.

Frames on both pipes: 8-byte big-endian length, then JSON. The parent owns every limit (timeout, payload sizes);
this side only builds the `context` object and reports what the handler returned or raised.
Context shape: https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
Error shape (errorMessage, errorType, stackTrace): https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html
After each event a marker line goes to stdout before the reply, so the parent can write END only once every line
the handler printed has been copied into the logs, as Lambda's END follows the invocation's output.
"""
import json
import os
import sys
import time
import traceback

OUTPUT_DONE = "\0invocation-output-done"  # keep in step with lambda_runtime.OUTPUT_DONE


class LambdaContext:
    """The attributes and the one method that Lambda's Python runtime gives a handler."""

    def __init__(self, fields: dict):
        self.aws_request_id = fields["aws_request_id"]
        self.function_name = fields["function_name"]
        self.function_version = fields["function_version"]
        self.invoked_function_arn = fields["invoked_function_arn"]
        self.memory_limit_in_mb = fields["memory_limit_in_mb"]
        self.log_group_name = fields["log_group_name"]
        self.log_stream_name = fields["log_stream_name"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = fields["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def read_frame(pipe):
    header = pipe.read(8)
    if len(header) < 8:
        return None
    return pipe.read(int.from_bytes(header, "big"))


def write_frame(pipe, payload: bytes) -> None:
    pipe.write(len(payload).to_bytes(8, "big") + payload)
    pipe.flush()


def error_payload(error: BaseException) -> bytes:
    return json.dumps({"errorMessage": str(error), "errorType": type(error).__name__,
                       "stackTrace": traceback.format_tb(error.__traceback__)}).encode()


def main() -> None:
    inbox, outbox = os.fdopen(int(sys.argv[1]), "rb"), os.fdopen(int(sys.argv[2]), "wb")
    sys.path[:0] = sys.argv[3:]  # stage settings, the unpacked zip (/var/task), the runtime's own boto3 & co.
    try:
        import handler  # Lambda's init phase: the module named by _HANDLER=handler.lambda_handler
    except BaseException as error:  # an init error is reported, then the instance dies as on Lambda
        write_frame(outbox, json.dumps({"init": "error"}).encode() + b"\n" + error_payload(error))
        raise
    write_frame(outbox, json.dumps({"init": "ok"}).encode() + b"\n")
    while (frame := read_frame(inbox)) is not None:
        request = json.loads(frame)
        try:
            result = handler.lambda_handler(request["event"], LambdaContext(request["context"]))
            reply = b'{"ok": true}\n' + json.dumps(result).encode()
        except Exception as error:
            traceback.print_exc()
            reply = b'{"ok": false}\n' + error_payload(error)
        print(OUTPUT_DONE, flush=True)
        write_frame(outbox, reply)


if __name__ == "__main__":
    main()
