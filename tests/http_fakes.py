"""A local HTTP server in a thread, for fakes of outside services (WhatsApp Cloud API, webhook receivers)."""
from __future__ import annotations

import contextlib
import threading
from http.server import ThreadingHTTPServer


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
