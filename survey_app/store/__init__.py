"""The only code that talks to DynamoDB: one table, generic pk/sk keys, items mapped to dataclasses.

Access patterns are written down in docs/data-model.md; keep the two in step.
"""
from .accounts import AccountItems
from .cases import CaseItems
from .contacts import ContactIndexItems
from .digests import DigestItems
from .chats import ChatItems
from .invitations import InvitationItems
from .jobs import JobItems
from .mappings import MappingItems
from .messages import MessageItems
from .open_links import OpenLinkItems
from .privacy import PrivacyItems
from .reads import ReadItems
from .responses import ResponseItems, segment_sk
from .suppressions import SuppressionItems
from .surveys import SurveyItems
from .survey_deletion import SurveyDeletionItems
from .table import GSI1, GSI2, KEY_SCHEMA, TTL_ATTRIBUTE
from .team_log import TeamLogItems
from .two_factor import TwoFactorItems
from .themes import ThemeItems
from .webhooks import WebhookItems


class Store(SurveyItems, InvitationItems, ResponseItems, CaseItems, AccountItems, PrivacyItems, JobItems,
            OpenLinkItems, SuppressionItems, ChatItems, MessageItems, ContactIndexItems, WebhookItems,
            MappingItems, ThemeItems, ReadItems, DigestItems, SurveyDeletionItems, TeamLogItems,
            TwoFactorItems):
    """One table's items, grouped by entity; built lazily, shared by warm Lambda invocations."""


__all__ = ["Store", "KEY_SCHEMA", "GSI1", "GSI2", "TTL_ATTRIBUTE", "segment_sk"]
