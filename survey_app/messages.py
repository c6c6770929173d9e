"""What customers receive: the e-mail (HTML and text, a tappable 0-10 scale) and the WhatsApp text."""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template

from .domain.models import Invitation, Survey
from .i18n import translate


@dataclass(frozen=True)
class EmailContent:
    to: str
    subject: str
    html: str
    text: str
    unsubscribe_url: str = ""  # a customer's one-click opt-out; empty (owner alerts): no List-Unsubscribe header


def links(base_url: str, invitation: Invitation) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {"answer": f"{base}/s/{invitation.token}", "unsubscribe": f"{base}/u/{invitation.token}"}


def _greeting_name(invitation: Invitation, lang: str) -> str:
    return invitation.customer_name or ("Kak" if lang == "id" else "there")


def whatsapp_text(invitation: Invitation, link: str, lang: str, reminder: bool = False) -> str:
    key = "wa_reminder" if reminder else "wa_invitation"
    return translate(key, lang, name=_greeting_name(invitation, lang), link=link)


def email_content(invitation: Invitation, survey: Survey, *, base_url: str, business_name: str, lang: str,
                  reminder: bool = False) -> EmailContent:
    urls = links(base_url, invitation)
    scale = [(score, f"{urls['answer']}/{score}") for score in range(11)] if survey.nps_question else []
    context = dict(invitation=invitation, survey=survey, lang=lang, business=business_name, urls=urls, scale=scale,
                   name=_greeting_name(invitation, lang), reminder=reminder,
                   question=survey.nps_question.label.get(lang) if survey.nps_question else survey.title.get(lang))
    subject_key = "email_reminder_subject" if reminder else "email_subject"
    return EmailContent(
        to=invitation.email, subject=translate(subject_key, lang, business=business_name),
        html=render_template("messages/invitation.html", **context),
        text=render_template("messages/invitation.txt", **context), unsubscribe_url=urls["unsubscribe"],
    )
