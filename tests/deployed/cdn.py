"""The second origin: the site `make site` builds (scripts/build_site.py), served as CloudFront in front of the
S3 bucket would serve it.

- Cache-Control per object: the metadata the upload step sets, from the build's manifest
  (site/dist.cache-control.json beside the folder; docs/deploy.md).
- Content-Type by extension, as `aws s3 sync` guesses it.
- Compression: CloudFront gzips text types between 1,000 and 10,000,000 bytes when the viewer sends
  Accept-Encoding: gzip: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html
- A missing key through an origin access control answers 403 AccessDenied (S3 hides which keys exist):
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html ("Permissions")
"""
from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")
ACCESS_DENIED = b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'


class Cdn:
    """Serves a built site folder on http://localhost:<port> in a background thread."""

    def __init__(self, site: Path, cache_control: dict[str, str]):
        self.site, self.cache_control = site.resolve(), cache_control
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self.origin = f"http://localhost:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @classmethod
    def for_build(cls, out: Path) -> "Cdn":
        manifest = out.parent / f"{out.name}.cache-control.json"
        return cls(out, json.loads(manifest.read_text(encoding="utf-8")))

    def object(self, path: str) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        """(status, headers, body, compressible) for a GET of `path` (URL path, query ignored)."""
        key = path.split("?", 1)[0].lstrip("/") or "index.html"
        file = (self.site / key).resolve()
        if key not in self.cache_control or not file.is_file() or self.site not in file.parents:
            return 403, [("Content-Type", "application/xml")], ACCESS_DENIED, False
        body = file.read_bytes()
        content_type = mimetypes.guess_type(key)[0] or "binary/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        headers = [("Content-Type", content_type), ("Cache-Control", self.cache_control[key]),
                   ("ETag", f'"{hashlib.md5(body).hexdigest()}"'), ("Accept-Ranges", "bytes"),
                   ("X-Cache", "Hit from cloudfront")]
        compressible = content_type.startswith(COMPRESSIBLE) and 1000 <= len(body) <= 10_000_000
        return 200, headers, body, compressible

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _handler_class(cdn: Cdn):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, headers, body, compressible = cdn.object(self.path)
            if compressible and "gzip" in (self.headers.get("Accept-Encoding") or ""):
                body = gzip.compress(body, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
            pass

    return Handler
