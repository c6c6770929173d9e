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
    values = from_environment({"SURVEY_LINK_LIFETIME_DAYS": "14", "SURVEY_SESSION_COOKIE_SECURE": "false",
                               "SURVEY_TABLE_NAME": "shop", "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:8000"})
    assert values == {"LINK_LIFETIME_DAYS": 14, "SESSION_COOKIE_SECURE": False, "TABLE_NAME": "shop",
                      "DYNAMODB_ENDPOINT": "http://localhost:8000"}


def test_malformed_numbers_stop_start_up_with_the_variable_named():
    with pytest.raises(ConfigError, match="SURVEY_LINK_LIFETIME_DAYS"):
        from_environment({"SURVEY_LINK_LIFETIME_DAYS": "two weeks"})


def test_production_cookies_are_secure_httponly_lax(monkeypatch):
    monkeypatch.setenv("SURVEY_SECRET_KEY", "x" * 40)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
