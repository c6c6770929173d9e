"""Serve one WSGI app in its own process: `wsgi_server.py module:attribute port`.

A separate process keeps the load generator's Python off the server's GIL; werkzeug's threaded server is the
same for the app and its baseline, and request logging is off so the terminal is not what gets measured.
"""
import importlib
import logging
import sys

from werkzeug.serving import make_server

if __name__ == "__main__":
    target, port = sys.argv[1], int(sys.argv[2])
    module, attribute = target.split(":")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = getattr(importlib.import_module(module), attribute)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()
