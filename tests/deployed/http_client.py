"""A small HTTP client for the front that keeps cookies as a browser on http://localhost does (Secure ones too),
never follows redirects on its own, and sends only the headers it is given (no Referer unless asked)."""
from __future__ import annotations

import http.client
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def csrf_token(self) -> str:
        match = CSRF_PATTERN.search(self.text)
        assert match, f"no CSRF token on {self.url} ({self.status})"
        return match.group(1)


class Client:
    """One visitor: a cookie jar and a base URL (the front's stage URL)."""

    def __init__(self, base_url: str, timeout: float = 60):
        self.base_url, self.timeout = base_url.rstrip("/") + "/", timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, body: bytes = b"", headers: dict | None = None) -> Response:
        absolute = urljoin(self.base_url, url.lstrip("/")) if not url.startswith("http") else url
        parts = urlsplit(absolute)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body or None,
                               headers=sent)
            raw = connection.getresponse()
            response = Response(raw.status, raw.getheaders(), raw.read(), absolute)
        finally:
            connection.close()
        for cookie in response.all("Set-Cookie"):
            self._remember(cookie)
        return response

    def _remember(self, cookie: str) -> None:
        name, _, rest = cookie.partition("=")
        value, *attributes = rest.split(";")
        expired = any(a.strip().lower() in ("max-age=0",) or a.strip().lower().startswith("expires=thu, 01 jan 1970")
                      for a in attributes)
        if expired:
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = value.strip()

    def get(self, url: str, headers: dict | None = None) -> Response:
        return self.request("GET", url, headers=headers)

    def post(self, url: str, data: dict | None = None, headers: dict | None = None) -> Response:
        body = urlencode(data or {}, doseq=True).encode()
        return self.request("POST", url, body, {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
