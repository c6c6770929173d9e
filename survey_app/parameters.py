"""Secrets from AWS SSM Parameter Store, read once per cold start, never written in any settings file."""
from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .config import ConfigError


def read_secure_parameter(name: str, region: str) -> str:
    """:raises ConfigError: start-up stops with the parameter named, rather than running without a secret."""
    client = boto3.client("ssm", region_name=region,
                          config=Config(retries={"mode": "standard"}, connect_timeout=3, read_timeout=5))
    try:
        return client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except (ClientError, BotoCoreError) as error:
        raise ConfigError(f"cannot read SSM parameter {name}: {error}") from error
