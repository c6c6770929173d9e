"""Defaults and typed SURVEY_* environment parsing; production never runs on a default secret."""
from __future__ import annotations

import os
from urllib.parse import urlsplit

DEFAULTS = {
    "ENV": "production",
    "SECRET_KEY": None,
    "SECRET_KEY_PARAMETER": "",
    "TABLE_NAME": "survey-app-production",
    "AWS_REGION": "ap-southeast-3",
    "DYNAMODB_ENDPOINT": None,
    "TALLY_FOLDING": "",  # "stream": the jobs function folds tallies from the table's stream; "inline": each write
    # folds its own (no consumer: the demo on moto). Default: stream in production, inline in dev and test.
    "STATIC_URL": "",
    "TIMEZONE": "Asia/Jakarta",
    "DASHBOARD_DAYS": 90,
    "PUBLIC_URL": "",  # where customers' links point: required in production
    "BUSINESS_NAME": "Our shop",
    "COUNTRY_CODE": "62",
    "SES_SENDER": "",
    "SES_REGION": "",
    "SES_CONFIGURATION_SET": "",
    "SES_EVENTS_TOPIC_ARN": "",  # the SNS topic of the configuration set's bounces and complaints
    "SNS_MAX_BYTES": 512 * 1024,  # one SNS post: a 256 KB message, JSON-escaped in its envelope
    "WHATSAPP_API_BASE": "https://graph.facebook.com/v21.0",
    "WHATSAPP_PHONE_NUMBER_ID": "",
    "WHATSAPP_TOKEN": "",
    "WHATSAPP_TOKEN_PARAMETER": "",
    "WHATSAPP_TEMPLATE": "survey_invitation",
    "WHATSAPP_REMINDER_TEMPLATE": "survey_reminder",
    "WHATSAPP_REPLY_TEMPLATE": "case_reply",  # the owner's reply outside the 24-hour window
    "WHATSAPP_VERIFY_TOKEN": "",  # the webhook's GET handshake (Meta App Dashboard > WhatsApp > Configuration)
    "WHATSAPP_VERIFY_TOKEN_PARAMETER": "",
    "WHATSAPP_APP_SECRET": "",  # signs every webhook POST (X-Hub-Signature-256)
    "WHATSAPP_APP_SECRET_PARAMETER": "",
    "WHATSAPP_WEBHOOK_MAX_BYTES": 3 * 1024 * 1024,  # Meta's notifications can be up to 3 MB
    "OPEN_LINK_LIMIT_PER_HOUR": 300,  # open-link answers per survey and address (IPv6: /64): a shop behind CGNAT
    "OPEN_LINK_LIMIT_PER_BROWSER": 3,  # per survey and browser token, per hour
    "OPEN_LINK_MIN_SECONDS": 2,  # between drawing the open-link form and its post: bots post at once
    "SEND_BATCH": 100,
    "SEND_CONCURRENCY": 8,  # sends in flight per run: WhatsApp answers in ~0.3 s, so one at a time caps at ~12k/h
    "WHATSAPP_SEND_RATE": 80,  # messages/s: the Cloud API's default throughput per business phone number
    "SES_SEND_RATE": 14,  # messages/s: set to the account's SES maximum send rate
    "JOB_MARGIN_SECONDS": 30,  # a job claims no new work once less than this is left of its Lambda timeout
    "JOB_DEFAULT_SECONDS": 240,  # a job's budget where no Lambda context gives one (the CLI)
    "CASE_DUE_HOURS": 48,
    "OWNER_LANGUAGE": "id",
    "ALERT_EMAILS": "",
    "ALERT_WHATSAPP_TO": "",
    "ALERT_WHATSAPP_TEMPLATE": "case_alert",
    "ALERT_WEBHOOK_URL": "",
    "ALERT_WEBHOOK_SECRET": "",
    "ALERT_WEBHOOK_SECRET_PARAMETER": "",
    "WEB_IMPORT_MAX_ROWS": 1000,  # one request must finish within API Gateway's 29 s: bigger files use the CLI/API
    "WEB_IMPORT_MAX_BYTES": 512 * 1024,
    "JOBS_QUEUE_URL": "",  # SQS queue of owner jobs (exports, erasures, big imports); empty: they run in process
    "EXPORTS_BUCKET": "",  # S3 bucket for exports run as jobs and uploads waiting for one; empty: exports stream
    "BRANDING_BUCKET": "",  # logos, uploaded by presigned POST under branding/ (production: the site bucket)
    "BRANDING_URL": "",  # where the bucket's keys are served (the CloudFront origin); empty: served by the app
    "EXPORT_INLINE_MAX_ROWS": 5000,  # a survey with more responses exports by a job to S3 (Lambda: 6 MB, 15 s)
    "WEB_IMPORT_INLINE_MAX_ROWS": 200,  # a web upload with more rows is imported by a job
    "EXPORT_PART_BYTES": 8 * 1024 * 1024,  # S3 multipart part of an export job (S3's minimum is 5 MB)
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "WTF_CSRF_TIME_LIMIT": 24 * 3600,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,  # an owner's session ends after this many seconds idle
    "PASSWORD_RESET_ANSWER_MS": 1000,  # every reset request answers after this long, account or not
    "TOTP_KEY_ID": "",  # KMS key (ARN or alias) sealing two-factor secrets at rest; empty: kept plain (dev, tests)
}
DEV_ENVS = ("dev", "test")
PREFIX = "SURVEY_"


class ConfigError(RuntimeError):
    """Start-up refused: a required setting is missing or malformed."""


def from_environment(environ=os.environ) -> dict:
    """SURVEY_<NAME> overrides DEFAULTS[NAME], parsed to the default's type."""
    values = {}
    for name, default in DEFAULTS.items():
        raw = environ.get(PREFIX + name)
        if raw is None:
            continue
        values[name] = _parse(name, raw, default)
    if "DYNAMODB_ENDPOINT" not in values and environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        values["DYNAMODB_ENDPOINT"] = environ["AWS_ENDPOINT_URL_DYNAMODB"]
    return values


def _parse(name: str, raw: str, default):
    if isinstance(default, bool):
        if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise ConfigError(f"{PREFIX}{name} must be true or false, not {raw!r}")
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name} must be a whole number, not {raw!r}") from None
    return raw


def check(config) -> None:
    """:raises ConfigError: outside dev/test, a missing SECRET_KEY stops start-up (one key for all Lambdas)."""
    if config.get("ENV") not in DEV_ENVS and not config.get("SECRET_KEY"):
        raise ConfigError(
            "SURVEY_SECRET_KEY is not set. Set one long random value shared by every instance "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if config.get("ENV") not in DEV_ENVS:
        _check_production_urls(config)
    if config.get("ENV") in DEV_ENVS and not config.get("PUBLIC_URL"):
        config["PUBLIC_URL"] = "http://127.0.0.1:5000"
    if config.get("ENV") in DEV_ENVS and not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = "dev-only-not-secret"
    if config.get("ENV") in DEV_ENVS:
        config["SESSION_COOKIE_SECURE"] = False
    if not config.get("TALLY_FOLDING"):
        config["TALLY_FOLDING"] = "inline" if config.get("ENV") in DEV_ENVS else "stream"
    if config["TALLY_FOLDING"] not in ("inline", "stream"):
        raise ConfigError(f"SURVEY_TALLY_FOLDING must be inline or stream, not {config['TALLY_FOLDING']!r}")
    if config.get("ENV") == "test":  # tests post at machine speed; the bot tests pin a clock and set their own
        config["OPEN_LINK_MIN_SECONDS"] = 0


LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")


def _check_production_urls(config) -> None:
    """Links in messages and alerts must reach customers and owners; a webhook must be signed."""
    public = urlsplit(config.get("PUBLIC_URL") or "")
    if public.scheme not in ("http", "https") or not public.hostname:
        raise ConfigError("SURVEY_PUBLIC_URL is not set: set it to the address customers open, e.g. "
                          "https://<api-id>.execute-api.<region>.amazonaws.com/production or your own domain.")
    if public.hostname in LOCAL_HOSTS or public.hostname.endswith(".localhost"):
        raise ConfigError(f"SURVEY_PUBLIC_URL is {config['PUBLIC_URL']!r}, a local address: customers' links "
                          "would not open. Set it to the deployed address.")
    if config.get("ALERT_WEBHOOK_URL") and not config.get("ALERT_WEBHOOK_SECRET"):
        raise ConfigError("SURVEY_ALERT_WEBHOOK_URL is set without its secret: set "
                          "SURVEY_ALERT_WEBHOOK_SECRET_PARAMETER (SSM) so receivers can verify the signature.")
