"""The WhatsApp templates this app sends, as plain ChatTemplate values; docs/whatsapp-templates.md describes each
one for registration in WhatsApp Manager, and a test keeps the two in agreement (names, parameters, buttons)."""
from __future__ import annotations

from dataclasses import dataclass

from ..domain.chat_rules import STOP_PAYLOAD
from ..domain.conversation import ChatTemplate


@dataclass(frozen=True)
class TemplateSpec:
    """What WhatsApp Manager must hold under `name`: how many body parameters, whether a URL button takes a
    dynamic suffix, which quick-reply payloads follow it."""

    name: str
    body_parameters: tuple[str, ...]  # what each {{n}} is, in order
    url_suffix: str = ""  # what the URL button's {{1}} is; empty: no URL button
    quick_replies: tuple[str, ...] = ()


TEMPLATES = {
    "invitation": TemplateSpec("survey_invitation", ("customer name",), "invitation token", (STOP_PAYLOAD,)),
    # the same with "reply with a number from 0 to 10" in its body: replies are read as scores (chat_answers.py)
    "invitation_number": TemplateSpec("survey_invitation_number", ("customer name",), "invitation token",
                                      (STOP_PAYLOAD,)),
    "reminder": TemplateSpec("survey_reminder", ("customer name",), "invitation token", (STOP_PAYLOAD,)),
    "reminder_number": TemplateSpec("survey_reminder_number", ("customer name",), "invitation token",
                                    (STOP_PAYLOAD,)),  # the reminder of a chat survey: it asks for a number too
    "case_alert": TemplateSpec("case_alert", ("case summary, at most 60 characters",),
                               "<survey id>/cases/<response id>"),
    "case_reply": TemplateSpec("case_reply", ("customer name", "business name"), "", (STOP_PAYLOAD,)),
    "digest": TemplateSpec("nps_digest", ("period", "each survey's NPS, change, new detractors, overdue cases"), ""),
}


def invitation_template(name: str, phone: str, language: str, customer_name: str, token: str) -> ChatTemplate:
    """The invitation or the reminder (same parameters, registered under their own names)."""
    return ChatTemplate(to=phone, name=name, language=language, body_parameters=(customer_name,),
                        url_button_suffix=token, quick_reply_payloads=(STOP_PAYLOAD,))


def case_alert_template(name: str, to: str, language: str, summary: str, case_path: str) -> ChatTemplate:
    return ChatTemplate(to=to, name=name, language=language, body_parameters=(summary[:60],),
                        url_button_suffix=case_path)


def case_reply_template(name: str, phone: str, language: str, customer_name: str, business: str) -> ChatTemplate:
    """Outside the 24-hour window the owner cannot write freely: this asks the customer to reply, which opens it."""
    return ChatTemplate(to=phone, name=name, language=language, body_parameters=(customer_name, business),
                        quick_reply_payloads=(STOP_PAYLOAD,))


def digest_template(name: str, to: str, language: str, period: str, summary: str) -> ChatTemplate:
    """A teammate's NPS summary (services/digest.py): business-initiated, so a template even inside a window."""
    return ChatTemplate(to=to, name=name, language=language, body_parameters=(period, summary))
