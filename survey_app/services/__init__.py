"""Use cases shared by web views and CLI commands; neither holds business logic of its own."""
from .alerts import Alerter, send_alerts
from .cases import CaseBoard, ask_again, case_board, contact_links, update_case
from .accounts import api_key_grant, authenticate, create_api_key, create_owner, revoke_api_key
from .common import local_day, new_token, utcnow
from .dashboard import Summary, survey_summary
from .invitations import (ImportReport, LinkExpired, Purchase, PurchaseError, create_invitation, failures,
                          import_purchases, invitation_for_purchase, mark_sent, open_invitation,
                          opt_out, parse_purchase, retry_failed, send_list, whatsapp_share_link)
from .privacy import Erasure, erasure_contacts
from .reconcile import Drift, reconcile
from .responses import PastAnswer, amend_response, counters_for, import_history, submit_response, unanswered_questions
from .sending import Sender, send_due
from .surveys import save_survey, survey_from_template

__all__ = [
    "Alerter", "send_alerts", "CaseBoard", "ask_again", "case_board", "contact_links", "update_case",
    "api_key_grant", "authenticate", "create_api_key", "create_owner", "revoke_api_key", "local_day", "new_token",
    "utcnow", "Summary", "survey_summary", "ImportReport", "LinkExpired", "Purchase", "PurchaseError",
    "create_invitation", "failures", "import_purchases", "invitation_for_purchase", "mark_sent",
    "open_invitation", "opt_out", "parse_purchase", "retry_failed", "send_list", "whatsapp_share_link",
    "Erasure", "erasure_contacts", "Drift", "reconcile", "PastAnswer", "amend_response", "counters_for", "import_history", "submit_response", "unanswered_questions", "Sender",
    "send_due", "save_survey", "survey_from_template",
]
