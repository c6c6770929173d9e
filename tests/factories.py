"""Factories for surveys, invitations and answer-form posts."""
from __future__ import annotations

import re
import time as clock
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from survey_app.domain.models import MULTI, SHORT_TEXT, Option, Question, Survey, Text
from survey_app.services import create_invitation, save_survey, survey_from_template

SUBMISSION_PATTERN = re.compile(r'name="submission" type="hidden" value="([0-9a-f]+)"')
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def make_survey(store, template="post_purchase_nps", default_language="en", extra_questions=()) -> Survey:
    survey = survey_from_template(template, datetime.now(timezone.utc), default_language)
    if extra_questions:
        survey = Survey(id=survey.id, title=survey.title, intro=survey.intro,
                        questions=survey.questions + tuple(extra_questions), default_language=default_language,
                        created_at=survey.created_at)
    return save_survey(store, survey)


def every_type_survey(store) -> Survey:
    """The post-purchase template plus a multi-choice and a short-text question: every question type."""
    return make_survey(store, extra_questions=(
        Question("liked", MULTI, Text("What did you like?", "Apa yang Anda sukai?"),
                 options=(Option("price", Text("Price", "Harga")), Option("speed", Text("Speed", "Kecepatan")))),
        Question("city", SHORT_TEXT, Text("Your city", "Kota Anda")),
    ))


def make_invitation(store, survey, expired=False, **kwargs):
    """An invitation made now, or (expired) 40 days ago: past its lifetime by the expires_at the app reads."""
    now = datetime.now(timezone.utc) - (timedelta(days=40) if expired else timedelta(0))
    defaults = {"customer_name": "Budi", "phone": "+6281234567890",
                "properties": {"product": "Kopi", "store": "Bandung"}}
    return create_invitation(_TtlAhead(store) if expired else store, survey, now=now, **(defaults | kwargs))


class _TtlAhead:
    """The store, except that the invitation it puts keeps its TTL two days ahead of the real clock: AWS may still
    return an item up to two days past its TTL (UpdateTimeToLive, DynamoDB API Reference), while DynamoDB Local
    deletes it at once, so the expired link would vanish mid-test there (tests/ttl_guard.py)."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def put_invitation(self, invitation, expires_epoch: int) -> None:
        self._store.put_invitation(invitation, max(expires_epoch, int(clock.time()) + 2 * 86400))


def answer_page(client, url):
    """GET the answer page and return (page text, hidden fields a browser would post back)."""
    page = client.get(url)
    text = page.get_data(as_text=True)
    hidden = {}
    if (csrf := CSRF_PATTERN.search(text)):
        hidden["csrf_token"] = csrf.group(1)
    if (submission := SUBMISSION_PATTERN.search(text)):
        hidden["submission"] = submission.group(1)
    return page, hidden


def business_yesterday_morning() -> datetime:
    """10:00 in Jakarta on yesterday by the real clock: a closed business day whose items' TTLs are still ahead
    (DynamoDB, Local and AWS alike, deletes items past their TTL, so a fixed past date makes tests flake)."""
    return datetime.combine(datetime.now(ZoneInfo("Asia/Jakarta")).date() - timedelta(days=1), time(3), timezone.utc)
