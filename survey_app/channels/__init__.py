"""Sending channels behind one interface and a registry, after Redash's `redash/destinations/__init__.py`: a base
class whose `configuration_schema()` names the settings a channel needs and whose `enabled()` says whether it can
run here, one `send(message) -> provider message id`, a `register()` each channel module calls, and a lookup by
type that builds a channel from configuration. A failed send raises ChannelError with a reason the caller records,
never an exception into a customer's request. Adding SMS is one new module listed in CHANNEL_MODULES."""
from __future__ import annotations

import importlib
from typing import Mapping

# Each module calls register() for its channel class when imported; imported only when channels are built, so
# the answer path and the cold start never load boto3's SES client or urllib's HTTP machinery for them.
CHANNEL_MODULES = ("survey_app.channels.email_ses", "survey_app.channels.whatsapp")


class ChannelError(Exception):
    """A send that did not go out; `str(error)` is the reason shown to the owner."""


class DeliveryUnknown(ChannelError):
    """The request reached the provider but its answer was lost (a read timeout, a dropped connection): the
    message may be out, so it is never re-sent automatically."""


class Channel:
    """One way of reaching someone. Subclasses set `type`, describe their settings and implement `send`."""

    type = ""

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, object]) -> "Channel":
        """The channel built from its settings (the names its schema lists)."""
        raise NotImplementedError

    @classmethod
    def configuration_schema(cls) -> dict:
        """JSON-schema-like: {"properties": {SETTING: {"type", "title"}}, "required": [SETTING, ...]}."""
        return {"properties": {}, "required": []}

    @classmethod
    def enabled(cls) -> bool:
        """Whether this channel can run in this deployment at all (its libraries are importable...)."""
        return True

    def send(self, message) -> str:
        """Render `message` (plain data from domain/conversation.py or messages.EmailContent) in this channel's
        protocol and hand it over; returns the provider's message id.

        :raises ChannelError: not sent, with the reason (DeliveryUnknown: maybe sent, answer lost).
        """
        raise NotImplementedError


channels: dict[str, type[Channel]] = {}


def register(channel_class: type[Channel]) -> type[Channel]:
    """Called by each channel module for its class; a channel that cannot run here is left out."""
    if channel_class.enabled():
        channels[channel_class.type] = channel_class
    return channel_class


def _import_channel_modules() -> None:
    for module in CHANNEL_MODULES:
        importlib.import_module(module)


def configuration_of(channel_class: type[Channel], config: Mapping) -> dict | None:
    """The channel's settings from the app's configuration, or None when a required one is empty."""
    schema = channel_class.configuration_schema()
    values = {name: config.get(name) for name in schema["properties"]}
    if any(not values.get(name) for name in schema["required"]):
        return None
    return values


def build_channel(channel_type: str, config: Mapping) -> Channel | None:
    """The channel of that type built from configuration; None when unknown or not configured here."""
    _import_channel_modules()
    channel_class = channels.get(channel_type)
    configuration = configuration_of(channel_class, config) if channel_class else None
    return None if configuration is None else channel_class.from_configuration(configuration)


def build_channels(config: Mapping) -> dict[str, Channel]:
    """Every registered channel this deployment has configured, by type."""
    _import_channel_modules()
    built = {channel_type: build_channel(channel_type, config) for channel_type in channels}
    return {channel_type: channel for channel_type, channel in built.items() if channel is not None}
