"""Every route not marked public refuses anonymous visitors; the list comes from the URL map, not by hand."""
from survey_app.services import create_owner
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, csrf_token

PUBLIC_BUILTINS = {"static"}
SAMPLE_VALUES = {"token": "abcdefghijkl", "survey_id": "abcdefghijkl", "score": 9, "filename": "app.css",
                 "key_hash": "0" * 64, "kind": "png", "fmt": "csv", "response_id": "abcdefghijkl",
                 "job_id": "abcdefghijkl", "hook_id": "abcdefghijkl", "upload_id": "abcdefghijkl",
                 "key": "branding/abcdefghijkl/0"}


def routes(app):
    """(endpoint, method, url, public) for every rule in the app's URL map."""
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        public = rule.endpoint in PUBLIC_BUILTINS or getattr(view, "is_public", False)
        url = adapter.build(rule.endpoint, {name: SAMPLE_VALUES[name] for name in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url, public


def test_every_owner_route_redirects_anonymous_visitors_to_login(app, client):
    private = [(e, m, u) for e, m, u, public in routes(app) if not public]
    assert len(private) >= 8, "the URL map should hold the owner pages"
    for endpoint, method, url in private:
        response = client.open(url, method=method)
        assert response.status_code in (302, 401), f"{method} {url} ({endpoint}) answered {response.status_code}"
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), f"{method} {url} redirects elsewhere"


def test_public_routes_are_only_the_customer_login_and_asset_pages(app):
    public = {e for e, _, _, is_public in routes(app) if is_public}
    assert public == {"static", "answer.personal", "answer.submit_personal", "answer.open_link", "answer.tell_more",
                      "answer.open_more", "answer.review", "answer.open_review",
                      "answer.unsubscribe", "api.purchases", "api.surveys", "api.responses", "api.cases", "api.summary",
                      "api.list_webhooks", "api.create_webhook", "api.delete_webhook",  # API key, not a session
                      "auth.login", "email_events.sns_message",
                      "webhooks.verify", "webhooks.notification",
                      "auth.home", "auth.forgot", "auth.reset", "auth.join", "auth.second_factor",
                      "dashboard.digest_stop", "dashboard.branding_logo"}


def test_wrong_password_is_refused_and_nothing_opens(client, owner):
    owner.login()
    owner.logout()
    response = owner.attempt(OWNER_EMAIL, "wrong password")
    assert response.status_code == 401 and "Wrong e-mail or password" in response.get_data(as_text=True)
    assert client.get("/owner/").status_code == 302


def test_login_then_logout_closes_the_session(client, owner):
    assert owner.login().status_code == 302
    assert client.get("/owner/").status_code == 200
    assert owner.logout().status_code == 302
    assert client.get("/owner/").status_code == 302


def test_login_refuses_a_foreign_next_url(client, store):
    create_owner(store, OWNER_EMAIL, OWNER_PASSWORD)
    token = csrf_token(client, "/login")
    response = client.post("/login?next=//evil.example/x", data={"csrf_token": token, "email": OWNER_EMAIL,
                                                                 "password": OWNER_PASSWORD})
    assert response.headers["Location"] == "/owner/"


def test_security_headers_are_set(client):
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin"
