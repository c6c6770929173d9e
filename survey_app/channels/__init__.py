"""Sending channels behind one small interface and a registry; a failed send raises ChannelError with a
reason the sender records on the invitation, never an exception into a customer's request."""
from __future__ import annotations

from typing import Mapping


class ChannelError(Exception):
    """A send that did not go out; `str(error)` is the reason shown to the owner."""


class DeliveryUnknown(ChannelError):
    """The request reached the provider but its answer was lost (a read timeout, a dropped connection): the
    message may be out, so it is never re-sent automatically."""


def build_channels(config: Mapping) -> dict[str, object]:
    """Only the channels this deployment has configured: e-mail needs a sender, WhatsApp an API token."""
    channels: dict[str, object] = {}
    if config.get("SES_SENDER"):
        from .email_ses import SesEmail

        channels["email"] = SesEmail(config["SES_SENDER"], config.get("SES_REGION") or config["AWS_REGION"],
                                     config.get("SES_CONFIGURATION_SET") or None)
    if config.get("WHATSAPP_PHONE_NUMBER_ID") and config.get("WHATSAPP_TOKEN"):
        from .whatsapp import WhatsAppCloud

        channels["whatsapp"] = WhatsAppCloud(
            api_base=config["WHATSAPP_API_BASE"], phone_number_id=config["WHATSAPP_PHONE_NUMBER_ID"],
            access_token=config["WHATSAPP_TOKEN"], template=config["WHATSAPP_TEMPLATE"],
        )
    return channels
