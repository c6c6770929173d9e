"""The SNS subscriber's two HTTPS calls (web/email_events/sns_http.py): only to SNS hosts, never via a redirect."""
from http.server import BaseHTTPRequestHandler

import pytest

from survey_app.web.email_events import sns_http
from tests.http_fakes import serving


class Redirecting(BaseHTTPRequestHandler):
    paths: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).paths.append(self.path)
        if self.path == "/cert.pem":
            self.send_response(302)
            self.send_header("Location", "/elsewhere.pem")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"body")

    def log_message(self, *args):
        pass


def test_a_redirect_is_never_followed():
    Redirecting.paths = []
    with serving(Redirecting) as url:
        assert sns_http.fetch(f"{url}/plain") == b"body"
        with pytest.raises(sns_http.Unreachable):
            sns_http.fetch(f"{url}/cert.pem")
    assert Redirecting.paths == ["/plain", "/cert.pem"]


@pytest.mark.parametrize("url", ["http://sns.us-east-1.amazonaws.com/x.pem", "https://example.com/x.pem"])
def test_nothing_but_an_sns_host_is_asked(url, monkeypatch):
    monkeypatch.setattr(sns_http, "fetch", lambda url: pytest.fail(f"fetched {url}"))
    with pytest.raises(ValueError):
        sns_http.certificate(url)
    with pytest.raises(ValueError):
        sns_http.confirm_subscription(url)


def test_an_unreachable_host_is_reported_as_such():
    with pytest.raises(sns_http.Unreachable):
        sns_http.fetch("https://127.0.0.1:9/x.pem")
