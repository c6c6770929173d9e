"""Survey app factory: defaults -> SURVEY_* environment -> overrides, then register_* calls."""
from __future__ import annotations

from flask import Flask

from . import config as app_config


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(app_config.DEFAULTS)
    app.config.update(app_config.from_environment())
    app.config.update(overrides or {})
    load_secrets(app)
    app_config.check(app.config)
    register_access_control(app)
    register_extensions(app)
    register_store(app)
    register_i18n(app)
    register_assets(app)
    register_blueprints(app)
    register_errors(app)
    register_security_headers(app)
    register_commands(app)
    return app


def load_secrets(app: Flask) -> None:
    """Secrets from SSM Parameter Store when SURVEY_<NAME>_PARAMETER names one (production on Lambda);
    WhatsApp's token and webhook secrets only where the Cloud API is configured (no reads at a cold start
    that nothing would use)."""
    whatsapp = bool(app.config["WHATSAPP_PHONE_NUMBER_ID"])
    needed = {"SECRET_KEY": True, "WHATSAPP_TOKEN": whatsapp, "ALERT_WEBHOOK_SECRET": bool(app.config["ALERT_WEBHOOK_URL"]),
              "WHATSAPP_APP_SECRET": whatsapp, "WHATSAPP_VERIFY_TOKEN": whatsapp}
    for name, wanted in needed.items():
        parameter = app.config.get(f"{name}_PARAMETER")
        if wanted and not app.config[name] and parameter:
            from .parameters import read_secure_parameter

            app.config[name] = read_secure_parameter(parameter, app.config["AWS_REGION"])


def register_access_control(app: Flask) -> None:
    from .web.access import install

    install(app)


def register_extensions(app: Flask) -> None:
    from .extensions import csrf

    csrf.init_app(app)


def register_store(app: Flask) -> None:
    from .store import Store
    from .store.privacy import suppression_key

    app.extensions["survey_store"] = Store(
        app.config["TABLE_NAME"], app.config["AWS_REGION"], app.config["DYNAMODB_ENDPOINT"],
        fold_inline=app.config["TALLY_FOLDING"] == "inline",
    )
    app.extensions["survey_store"].suppression_key = suppression_key(app.config["SECRET_KEY"])


def register_i18n(app: Flask) -> None:
    from .i18n import install

    install(app)


def register_assets(app: Flask) -> None:
    from .assets import install

    install(app)


def register_blueprints(app: Flask) -> None:
    from .web.answer import bp as answer_bp
    from .web.api import bp as api_bp
    from .web.auth import bp as auth_bp
    from .web.dashboard import bp as dashboard_bp
    from .web.webhooks import bp as webhooks_bp
    from .web.email_events import bp as email_events_bp

    app.register_blueprint(answer_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(email_events_bp)


def register_errors(app: Flask) -> None:
    from .web.errors import install

    install(app)


def register_security_headers(app: Flask) -> None:
    from .web.headers import install

    install(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)
