"""Configuration: typed SURVEY_* parsing, and no production start-up without a secret."""
import pytest

from survey_app import create_app
from survey_app.config import ConfigError, from_environment


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SURVEY_SECRET_KEY", raising=False)
    monkeypatch.delenv("SURVEY_ENV", raising=False)
    with pytest.raises(ConfigError, match="SURVEY_SECRET_KEY"):
        create_app()


def test_environment_values_are_parsed_to_the_default_type():
    values = from_environment({"SURVEY_DASHBOARD_DAYS": "14", "SURVEY_SESSION_COOKIE_SECURE": "false",
                               "SURVEY_TABLE_NAME": "shop", "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:8000"})
    assert values == {"DASHBOARD_DAYS": 14, "SESSION_COOKIE_SECURE": False, "TABLE_NAME": "shop",
                      "DYNAMODB_ENDPOINT": "http://localhost:8000"}


def test_malformed_numbers_stop_start_up_with_the_variable_named():
    with pytest.raises(ConfigError, match="SURVEY_DASHBOARD_DAYS"):
        from_environment({"SURVEY_DASHBOARD_DAYS": "two weeks"})


PUBLIC = "https://abc123.execute-api.ap-southeast-3.amazonaws.com/production"


@pytest.fixture
def production(monkeypatch):
    """A production environment that starts: a secret and a public address."""
    monkeypatch.delenv("SURVEY_ENV", raising=False)
    monkeypatch.setenv("SURVEY_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("SURVEY_PUBLIC_URL", PUBLIC)
    return monkeypatch


def test_production_cookies_are_secure_httponly_lax(production):
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secret_key_is_read_from_ssm_when_a_parameter_is_named(production):
    monkeypatch = production
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("ssm", region_name="ap-southeast-3").put_parameter(
            Name="/survey-app/test/secret-key", Value="from-ssm-" + "x" * 40, Type="SecureString")
        monkeypatch.setenv("SURVEY_SECRET_KEY_PARAMETER", "/survey-app/test/secret-key")
        monkeypatch.delenv("SURVEY_SECRET_KEY", raising=False)
        assert create_app().config["SECRET_KEY"].startswith("from-ssm-")


def test_a_missing_ssm_parameter_stops_start_up_with_its_name(production):
    monkeypatch = production
    from moto import mock_aws

    with mock_aws():
        monkeypatch.setenv("SURVEY_SECRET_KEY_PARAMETER", "/survey-app/test/missing")
        monkeypatch.delenv("SURVEY_SECRET_KEY", raising=False)
        with pytest.raises(ConfigError, match="/survey-app/test/missing"):
            create_app()


@pytest.mark.parametrize("url", ["", "http://127.0.0.1:5000", "http://localhost:8000/production", "not a url"])
def test_production_refuses_a_missing_or_local_public_url_naming_the_setting(production, url):
    production.setenv("SURVEY_PUBLIC_URL", url)
    with pytest.raises(ConfigError, match="SURVEY_PUBLIC_URL"):
        create_app()


def test_production_refuses_an_alert_webhook_without_its_secret(production):
    production.setenv("SURVEY_ALERT_WEBHOOK_URL", "https://hooks.example.test/nps")
    with pytest.raises(ConfigError, match="SURVEY_ALERT_WEBHOOK_SECRET_PARAMETER"):
        create_app()


def test_production_starts_with_a_public_url_and_a_signed_webhook(production):
    production.setenv("SURVEY_ALERT_WEBHOOK_URL", "https://hooks.example.test/nps")
    production.setenv("SURVEY_ALERT_WEBHOOK_SECRET", "s" * 32)
    assert create_app().config["PUBLIC_URL"] == PUBLIC


def test_development_defaults_to_a_local_public_url():
    assert create_app({"ENV": "test"}).config["PUBLIC_URL"] == "http://127.0.0.1:5000"
