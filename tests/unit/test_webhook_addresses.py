"""Owners' webhook addresses reach only the public internet: literal private, loopback, link-local, CGNAT, multicast
and IPv4-in-IPv6 addresses are refused when added, names are resolved and judged on every delivery (DNS rebinding),
plain http is refused in production; a receiver's check accepts our signature only while it is fresh."""
from __future__ import annotations

import socket

import pytest

from survey_app.channels.webhook import UnsafeUrl, check_url, deliver, public_addresses, signature, verify


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://10.0.0.8/hook", "https://172.16.3.4/", "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/", "https://100.64.0.1/", "https://0.0.0.0/", "https://224.0.0.1/",
    "https://[::1]/", "https://[fe80::1]/", "https://[fc00::5]/", "https://[::ffff:10.0.0.1]/",
    "https://[2002:0a00:0001::1]/", "https://localhost/", "https://api.localhost/", "https://metadata.internal/",
    "https://user:pw@hooks.example.com/", "ftp://hooks.example.com/", "https:///nohost", "https://hooks.example.com:99999/",
])
def test_addresses_inside_any_private_network_are_refused(url):
    with pytest.raises(UnsafeUrl):
        check_url(url, require_https=True)


def test_plain_http_is_refused_where_https_is_required_and_public_https_passes():
    with pytest.raises(UnsafeUrl):
        check_url("http://hooks.example.com/in", require_https=True)
    assert check_url("https://Hooks.Example.com./in?x=1", require_https=True) == ("https", "hooks.example.com", 443)
    assert check_url("https://[2606:4700::1111]:8443/", require_https=True)[2] == 8443


def resolver(*addresses):
    def resolve(host, port, type=0):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port)) for a in addresses]
    return resolve


def test_a_name_is_judged_by_every_address_it_resolves_to():
    assert public_addresses("hooks.example.com", 443, resolver("93.184.216.34")) == ["93.184.216.34"]
    for private in (("10.1.2.3",), ("93.184.216.34", "127.0.0.1"), ("fd00::1",), ("::ffff:192.168.0.1",)):
        with pytest.raises(UnsafeUrl):
            public_addresses("hooks.example.com", 443, resolver(*private))


def test_a_name_that_now_resolves_inside_is_never_connected_to(monkeypatch):
    """DNS rebinding: the name passed when it was added; at delivery it points at the metadata service."""
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("connected to a private address"))
    rebound = lambda host, port: public_addresses(host, port, resolver("169.254.169.254"))  # noqa: E731
    ok, status = deliver("https://hooks.example.com/in", "whsec_x", "response.created", "d1", b"{}",
                         require_https=True, resolve=rebound)
    assert not ok and status.startswith("refused")


def test_a_receiver_accepts_our_signature_only_while_it_is_fresh():
    body = b'{"event": "response.created"}'
    given = signature("whsec_x", "1700000000", body)
    assert verify("whsec_x", "1700000000", body, given, now=1700000100)
    assert not verify("whsec_x", "1700000000", body, given, now=1700000301)  # replayed after the window
    assert not verify("whsec_y", "1700000000", body, given, now=1700000100)
    assert not verify("whsec_x", "1700000001", body, given, now=1700000100)  # timestamp changed
