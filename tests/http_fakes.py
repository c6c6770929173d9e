"""A local HTTP server in a thread, for fakes of outside services (WhatsApp Cloud API, webhook receivers)."""
from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextlib.contextmanager
def serving(handler_class):
    """Yields the server's base URL; shuts down and closes the socket (no ResourceWarning) afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class GraphApi(BaseHTTPRequestHandler):
    """A fake of the WhatsApp Cloud API's POST /<phone-number-id>/messages: records every request and answers
    with the documented success shape ({"messaging_product", "contacts", "messages": [{"id": "wamid..."}]}), or with
    the documented error shape when `fail_with` holds an error code (titles from Meta's error-code reference,
    https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)."""

    requests: list = []
    fail_with: int | None = None
    titles = {131026: "Message undeliverable", 131047: "Re-engagement message", 130429: "Rate limit hit"}
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with type(self).lock:
            type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            number = len(type(self).requests)
        if type(self).fail_with:
            code = type(self).fail_with
            payload, status = {"error": {"message": f"(#{code}) {self.titles.get(code, 'refused')}",
                                         "type": "OAuthException", "code": code}}, 400
        else:
            payload, status = {"messaging_product": "whatsapp", "contacts": [{"input": body.get("to"),
                                                                              "wa_id": body.get("to")}],
                               "messages": [{"id": f"wamid.fake{number:06d}"}]}, 200
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def graph_api():
    """Yields (the recording handler class, the API base with its version, as WHATSAPP_API_BASE takes it)."""
    GraphApi.requests, GraphApi.fail_with = [], None
    with serving(GraphApi) as url:
        yield GraphApi, f"{url}/v21.0"
