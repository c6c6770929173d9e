"""What a customer's chat reply means for us and why a WhatsApp message failed, in words an owner understands.

Stop words: WhatsApp's Business Messaging Policy asks businesses to honour a request to stop; customers write it in
Indonesian or English, or tap the template's Stop quick-reply button (its payload comes back on the reply).
Failure codes: Meta's "Error codes" page for the Cloud API (developers.facebook.com/docs/whatsapp/cloud-api/support/
error-codes), grouped so the owner sees one line per thing they could do something about.
"""
from __future__ import annotations

import re

STOP_PAYLOAD = "STOP"
STOP_WORDS = {
    "id": ("berhenti", "stop promosi", "jangan kirim lagi", "jangan kirim", "jangan hubungi saya", "hentikan",
           "berhenti berlangganan"),
    "en": ("stop", "unsubscribe", "unsub", "stop all", "stop messages", "do not message me", "don't message me",
           "opt out", "optout"),
}

# code -> group; the group's owner-facing words are translations "wa_fail_<group>" (id, en)
FAILURE_GROUPS = {
    131026: "not_on_whatsapp",  # Message undeliverable: not on WhatsApp, old app, terms not accepted
    131047: "outside_window",  # Re-engagement message: more than 24 hours since the customer last wrote
    131049: "marketing_limit",  # not delivered "to maintain healthy ecosystem engagement" (per-user limit)
    131050: "customer_stopped",  # the customer stopped marketing messages from businesses
    132015: "template_paused",  # Template is paused (low quality)
    132016: "template_paused",  # Template is disabled (paused too often)
    132000: "template_problem",  # number of parameters does not match the template
    132001: "template_problem",  # template does not exist in that language
    132005: "template_problem",  # translated text too long
    132007: "template_problem",  # format character policy violated
    132012: "template_problem",  # parameter format does not match
    130472: "experiment",  # the customer's number is part of Meta's marketing-message experiment
    131056: "rate_limit",  # (business, customer) pair rate limit: too many messages to this number
    130429: "rate_limit",  # Cloud API throughput reached
    131048: "quality_limit",  # spam rate limit: too many earlier messages blocked or reported
    131042: "payment",  # business eligibility payment issue
    131031: "account_blocked",  # business account locked
    368: "account_blocked",  # temporarily blocked for policy violations
}


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def stop_language(kind: str, text: str, reply_id: str) -> str | None:
    """The language of a stop request ("id"/"en"; "" for the button, whose language we do not know), or None."""
    if kind == "button" and reply_id.upper() == STOP_PAYLOAD:
        return ""
    if kind != "text":
        return None
    said = _words(text)
    for language, words in STOP_WORDS.items():
        if said in words:
            return language
    return None


def failure_group(code: int | None) -> str:
    return FAILURE_GROUPS.get(code, "other")


def failure_counts(totals: dict[str, int]) -> list[tuple[str, int]]:
    """Failed WhatsApp messages per group ('wafail#<group>' counters), most frequent first."""
    counts = [(name.split("#", 1)[1], n) for name, n in totals.items() if name.startswith("wafail#") and n]
    return sorted(counts, key=lambda item: (-item[1], item[0]))
