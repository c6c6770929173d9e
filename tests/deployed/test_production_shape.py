"""The survey app as deployed: the real pages through the front, with production settings."""
from __future__ import annotations

import binascii
import gzip
import re
import struct
import uuid
import zlib

import pytest

from survey_app.services import create_owner
from tests.factories import make_invitation, make_survey

PASSWORD = "correct horse battery"


def logged_in(deployed, next_path: str | None = None):
    """A visitor logged in as a new admin, through the login form, sending the Referer a same-origin page would."""
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    create_owner(deployed.store(), email, PASSWORD, "admin")
    visitor = deployed.client()
    login = "/login" + (f"?next={next_path}" if next_path else "")
    token = visitor.get(login).csrf_token()
    answer = visitor.post(login, {"csrf_token": token, "email": email, "password": PASSWORD},
                          headers={"Referer": f"{deployed.url}{login}"})
    return visitor, answer


def png_chunks(data: bytes):
    """(type, payload) per chunk; :raises AssertionError: a chunk's CRC does not match (a byte changed)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset = 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        payload = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert binascii.crc32(kind + payload) == crc, kind
        yield kind, payload
        offset += 12 + length


def test_pages_link_under_the_stage_path_and_assets_on_the_cdn(deployed):
    visitor = deployed.client()
    redirect = visitor.get("/owner/")
    assert redirect.status == 302
    assert redirect.header("Location").startswith("/production/login?")
    page = visitor.get(redirect.header("Location"))
    assert page.status == 200
    links = re.findall(r'(?:href|action|src)="([^"?][^"]*)"', page.text)
    assert links and all(link.startswith(("/production/", deployed.static_url + "/static/")) for link in links), links


def test_owner_logs_in_through_the_front_with_production_cookies(deployed):
    visitor, answer = logged_in(deployed)
    assert answer.status == 302
    assert answer.header("Location").startswith("/production/owner/")
    cookie = next(c for c in answer.all("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert visitor.get(answer.header("Location")).status == 200


def test_login_from_a_protected_page_returns_to_it_under_the_stage(deployed):
    visitor = deployed.client()
    login_url = visitor.get("/owner/").header("Location")
    next_path = login_url.split("next=", 1)[1]
    _, answer = logged_in(deployed, next_path)
    assert answer.status == 302
    assert answer.header("Location").startswith("/production/owner/")


def test_qr_png_arrives_byte_exact(deployed):
    survey = make_survey(deployed.store())
    visitor, _ = logged_in(deployed)
    answer = visitor.get(f"/owner/surveys/{survey.id}/qr.png")
    assert answer.status == 200
    assert answer.header("Content-Type") == "image/png"
    assert int(answer.header("Content-Length")) == len(answer.body)
    chunks = list(png_chunks(answer.body))
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    zlib.decompress(b"".join(payload for kind, payload in chunks if kind == b"IDAT"))


def test_the_client_address_is_the_tcp_peer_not_a_header_the_client_wrote(deployed):
    visitor = deployed.client()
    token = visitor.get("/login").csrf_token()
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.test"
    answer = visitor.post("/login", {"csrf_token": token, "email": email, "password": "wrong password"},
                          headers={"Referer": f"{deployed.url}/login", "X-Forwarded-For": "203.0.113.9"})
    assert answer.status == 401
    table = deployed.aws_client("dynamodb")
    keys = {item["pk"]["S"] for item in table.scan(TableName=deployed.table_name)["Items"]
            if item["pk"]["S"].startswith("LOGINFAIL-ADDR#")}  # services/login_throttle.py: per-address counter
    assert "LOGINFAIL-ADDR#127.0.0.1" in keys
    assert "LOGINFAIL-ADDR#203.0.113.9" not in keys


def test_answer_page_takes_its_stylesheet_from_the_cdn_origin_as_cloudfront_serves_it(deployed):
    store = deployed.store()
    invitation = make_invitation(store, make_survey(store))
    page = deployed.client().get(f"/s/{invitation.token}")
    assert page.status == 200
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text).group(1)
    assert stylesheet.startswith(deployed.static_url + "/static/")
    assert deployed.static_url in page.header("Content-Security-Policy")
    asset = deployed.client().get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert asset.status == 200
    assert asset.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert asset.header("Content-Type").startswith("text/css")
    assert asset.header("Content-Encoding") == "gzip" and gzip.decompress(asset.body)
