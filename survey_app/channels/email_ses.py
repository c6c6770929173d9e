"""E-mail through Amazon SES: multipart HTML + text, with one-click List-Unsubscribe (RFC 8058)."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from ..messages import EmailContent
from . import Channel, ChannelError, DeliveryUnknown, register


class SesEmail(Channel):
    type = "email"

    def __init__(self, sender: str, region: str, configuration_set: str | None = None):
        self.sender, self.region, self.configuration_set = sender, region, configuration_set
        self._client = None

    @classmethod
    def configuration_schema(cls) -> dict:
        return {"properties": {"SES_SENDER": {"type": "string", "title": "From address (a verified SES identity)"},
                               "SES_REGION": {"type": "string", "title": "SES region, when not the app's"},
                               "AWS_REGION": {"type": "string", "title": "The app's region"},
                               "SES_CONFIGURATION_SET": {"type": "string", "title": "Configuration set (events)"}},
                "required": ["SES_SENDER", "AWS_REGION"]}

    @classmethod
    def from_configuration(cls, configuration) -> "SesEmail":
        return cls(configuration["SES_SENDER"], configuration.get("SES_REGION") or configuration["AWS_REGION"],
                   configuration.get("SES_CONFIGURATION_SET") or None)

    @property
    def client(self):
        if self._client is None:
            # One attempt: botocore would repeat a send whose reply was lost, and SES has no idempotency key;
            # the sender retries refusals itself, later, and never a send that may have gone out.
            self._client = boto3.client("ses", region_name=self.region, config=Config(
                retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=10))
        return self._client

    def build(self, content: EmailContent) -> bytes:
        message = EmailMessage()
        message["Subject"] = content.subject
        message["From"] = self.sender
        message["To"] = content.to
        message["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[-1].rstrip(">"))
        if content.unsubscribe_url:  # only where it works: an owner's alert has nothing to unsubscribe from
            message["List-Unsubscribe"] = f"<{content.unsubscribe_url}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        return message.as_bytes()

    def send(self, content: EmailContent) -> str:
        """:raises ChannelError: SES refused or could not be reached (DeliveryUnknown: its answer was lost)."""
        extra = {"ConfigurationSetName": self.configuration_set} if self.configuration_set else {}
        try:
            result = self.client.send_raw_email(Source=self.sender, Destinations=[content.to],
                                                RawMessage={"Data": self.build(content)}, **extra)
        except ClientError as error:
            raise ChannelError(f"SES: {error.response['Error'].get('Message', error)}") from error
        except ReadTimeoutError as error:
            raise DeliveryUnknown(f"SES did not answer in time: {error}") from error
        except BotoCoreError as error:
            raise ChannelError(f"SES unreachable: {error}") from error
        return result["MessageId"]


register(SesEmail)
