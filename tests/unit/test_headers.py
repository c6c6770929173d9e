"""The Content-Security-Policy follows the configuration: the CDN's origin where assets come from it, no wider."""
from survey_app import create_app
from survey_app.web.client import client_address


def policy(static_url: str) -> dict[str, list[str]]:
    app = create_app({"ENV": "test", "STATIC_URL": static_url})
    header = app.test_client().get("/login").headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def test_without_a_cdn_assets_come_only_from_our_own_origin():
    csp = policy("")
    for directive in ("script-src", "style-src", "img-src", "font-src"):
        assert not [source for source in csp[directive] if source.startswith("http")], directive


def test_a_cdn_origin_is_allowed_for_scripts_styles_images_and_fonts_only():
    csp = policy("https://d1234.cloudfront.net/assets/")
    for directive in ("script-src", "style-src", "img-src", "font-src"):
        assert "https://d1234.cloudfront.net" in csp[directive], directive
    assert csp["default-src"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert "https://d1234.cloudfront.net/assets/" not in " ".join(sum(csp.values(), []))


def test_form_posts_carry_a_same_origin_referrer_that_https_csrf_checks_need():
    app = create_app({"ENV": "test"})
    assert app.test_client().get("/login").headers["Referrer-Policy"] == "same-origin"


def test_the_client_address_is_api_gateways_source_ip_not_a_forwarded_header():
    app = create_app({"ENV": "test"})
    event = {"requestContext": {"identity": {"sourceIp": "203.0.113.9"}}}
    with app.test_request_context("/", headers={"X-Forwarded-For": "6.6.6.6"},
                                  environ_base={"REMOTE_ADDR": "6.6.6.6", "lambda.event": event}):
        assert client_address() == "203.0.113.9"
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.1"}):
        assert client_address() == "192.0.2.1"
