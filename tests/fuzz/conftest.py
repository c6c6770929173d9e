"""Fuzz fixtures: one app per test function on moto, with two surveys and invitations whose customers'
names must never leak onto another customer's page."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import pytest

from survey_app.domain.models import MULTI, SHORT_TEXT, SINGLE, Option, Question, Survey, Text
from survey_app.store import Store
from tests.conftest import REGION
from tests.factories import make_invitation, make_survey


def every_question_type(store) -> Survey:
    """The post-purchase template (NPS required, a comment, two optional CSAT) plus optional multiple choice,
    single choice and short text: every question type, required and optional."""
    return make_survey(store, extra_questions=(
        Question("liked", MULTI, Text("What did you like?", "Apa yang Anda sukai?"),
                 options=(Option("price", Text("Price", "Harga")), Option("speed", Text("Speed", "Kecepatan")))),
        Question("visit", SINGLE, Text("First visit?", "Kunjungan pertama?"),
                 options=(Option("yes", Text("Yes", "Ya")), Option("no", Text("No", "Tidak")))),
        Question("city", SHORT_TEXT, Text("Your city", "Kota Anda")),
    ))


def unique_name(first: str) -> str:
    """A customer name no generated input can produce by chance, and that HTML-escaping leaves unchanged."""
    return f"{first} Q{uuid.uuid4().hex[:10]}"


@dataclass
class Site:
    survey: Survey          # every question type
    other_survey: Survey    # another survey: its id is a real open link, its customers are strangers
    alice: object           # an open invitation of `survey`
    bob: object             # another customer of `survey`: his name must never show on anyone else's page
    carol: object           # a customer of `other_survey`
    expired: object         # an invitation of `survey` past its lifetime

    @property
    def tokens(self) -> set[str]:
        return {i.token for i in (self.alice, self.bob, self.carol, self.expired)}

    @property
    def names(self) -> dict[str, str]:
        """token -> customer name."""
        return {i.token: i.customer_name for i in (self.alice, self.bob, self.carol, self.expired)}

    @property
    def store(self) -> Store:
        """The table the app uses right now (see `isolated`)."""
        return self.app.extensions["survey_store"]

    def new_invitation(self, **kwargs):
        return make_invitation(self.store, self.survey, customer_name=unique_name("Alice"), **kwargs)

    @contextmanager
    def isolated(self):
        """A fresh table, holding only the surveys, invitations and owners above, for one hypothesis example.

        Why: moto deep-copies the whole table for every item of every transaction, so a table that grows with
        each example makes a 100-example test quadratic (a minute instead of seconds). Same app, same surveys.
        """
        shared = self.store
        store = Store(f"fuzz-{uuid.uuid4().hex[:12]}", REGION, shared.endpoint_url)
        store.create_table()
        for survey in (self.survey, self.other_survey):
            store.put_survey(survey)
        for invitation in (self.alice, self.bob, self.carol, self.expired):
            expires = datetime.fromisoformat(invitation.expires_at)
            store.put_invitation(invitation, expires_epoch=int(expires.timestamp()))
        for owner in shared.list_owners():  # a session is checked against its owner on every request
            store.put_owner(owner)
        self.app.extensions["survey_store"] = store
        try:
            yield store
        finally:
            self.app.extensions["survey_store"] = shared
            store.client.delete_table(TableName=store.table_name)


@pytest.fixture
def site(app, store) -> Site:
    survey, other = every_question_type(store), make_survey(store, template="post_purchase_nps")
    site = Site(
        survey=survey, other_survey=other,
        alice=make_invitation(store, survey, customer_name=unique_name("Alice"), email="alice@example.com"),
        bob=make_invitation(store, survey, customer_name=unique_name("Bob"), email="bob@example.com"),
        carol=make_invitation(store, other, customer_name=unique_name("Carol"), phone="+6281111111111"),
        expired=make_invitation(store, survey, expired=True, customer_name=unique_name("Erin")),
    )
    site.app = app
    return site
