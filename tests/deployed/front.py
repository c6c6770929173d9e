"""The browser-reachable front: a local HTTP server that plays API Gateway (apigateway.py) for one stage.

The browser can only reach http://localhost:PORT, but the function must believe it is served at
https://<apiId>.execute-api.<region>.amazonaws.com/<stage>, as in production (Zappa sets SCRIPT_NAME=/<stage> only
when the Host contains amazonaws.com, and Flask-WTF compares the Referer with the Host on https requests). So:
- in: Host becomes the API's domain; X-Forwarded-Proto https, X-Forwarded-Port 443 and X-Forwarded-For as API
  Gateway sets them; Origin and Referer that name the front's origin are rewritten to the API's origin;
- out: an absolute Location on the API's origin is rewritten to the front's origin.
Everything else passes as is: cookies (Secure ones too: Chromium treats http://localhost as a secure context),
bodies, status codes. Absolute public links inside pages stay public; `browser_url()` maps them.
"""
from __future__ import annotations

import concurrent.futures
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.deployed.apigateway import INTEGRATION_TIMEOUT_SECONDS, PAYLOAD_LIMIT, Answer, Api, gateway_error, proxy_answer, request_event
from tests.deployed.lambda_runtime import LambdaFunction, RequestTooLarge

REWRITTEN_IN = ("origin", "referer")


class Front:
    """Serves one API stage on http://localhost:<port>/<stage> in a background thread."""

    def __init__(self, api: Api, function: LambdaFunction):
        self.api, self.function = api, function
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="apigw")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self.origin = f"http://localhost:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{self.origin}/{self.api.stage}"

    def browser_url(self, public_url: str) -> str:
        """A public URL (https://<api domain>/<stage>/...) as the browser reaches it here."""
        return public_url.replace(self.api.origin, self.origin, 1) if public_url.startswith(self.api.origin) else public_url

    def public_url(self, browser_url: str) -> str:
        return browser_url.replace(self.origin, self.api.origin, 1) if browser_url.startswith(self.origin) else browser_url

    def answer(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, peer: str) -> Answer:
        """One request through API Gateway and the function, as a client would see the result."""
        raw_path, _, raw_query = target.partition("?")
        prefix = f"/{self.api.stage}"
        if raw_path != prefix and not raw_path.startswith(prefix + "/"):
            return gateway_error(403, "Forbidden", "MissingAuthenticationTokenException")
        if len(body) > PAYLOAD_LIMIT:
            return Answer(413, [("Content-Type", "text; charset=utf-8")],
                          f"HTTP content length exceeded {PAYLOAD_LIMIT} bytes.".encode())
        headers = [(name, self.public_url(value) if name.lower() in REWRITTEN_IN else value) for name, value in headers]
        event = request_event(self.api, method, raw_path[len(prefix):] or "/", raw_query, headers, body, peer)
        future = self._pool.submit(self.function.invoke, event)
        try:
            invocation = future.result(timeout=INTEGRATION_TIMEOUT_SECONDS)
        except concurrent.futures.TimeoutError:
            return gateway_error(504, "Endpoint request timed out")
        except RequestTooLarge:
            return gateway_error(413, "Request Too Long", "BadRequestException")
        if invocation.error:
            return gateway_error(502, "Internal server error")
        answer = proxy_answer(invocation.result)
        headers = [(name, self.browser_url(value) if name.lower() == "location" else value)
                   for name, value in answer.headers]
        return Answer(answer.status, headers, answer.body)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _handler_class(front: Front):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            answer = front.answer(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
            pass

    return Handler
