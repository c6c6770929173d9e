"""Writes to shared aggregate items survive a transaction holding them, and the property-name list is not one
more item that every answer's transaction contends for."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from survey_app.services import create_invitation, reconcile, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey


def conflict(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "TransactionConflictException",
                                  "Message": "Transaction is ongoing for the item"}}, operation)


def answer(store, survey, score, **properties):
    invitation = create_invitation(store, survey, customer_name="Rina", email="r@example.com",
                                   properties=properties)
    submit_response(store, survey, {"nps": score}, language="id", submission_id=new_submission_id(),
                    invitation=invitation)


def test_a_counter_update_refused_by_a_transaction_in_flight_is_retried_not_lost(store, monkeypatch):
    survey = make_survey(store)
    real, refusals = store.client.update_item, []

    def held_twice(**kwargs):
        if len(refusals) < 2:
            refusals.append(kwargs["Key"])
            raise conflict("UpdateItem")
        return real(**kwargs)

    monkeypatch.setattr(store.client, "update_item", held_twice)
    store.add_day_counters(survey.id, "2026-12-01", {"inv#email#sent": 1})
    assert len(refusals) == 2
    assert store.daily_counters(survey.id, "2026-12-01", "2026-12-01")["2026-12-01"]["inv#email#sent"] == 1


def test_answers_write_the_property_list_only_when_a_name_is_new(store, monkeypatch):
    survey = make_survey(store)
    transactions = []
    real = store.client.transact_write_items
    monkeypatch.setattr(store.client, "transact_write_items",
                        lambda **kwargs: transactions.append(kwargs["TransactItems"]) or real(**kwargs))
    property_writes = []
    real_update = store.client.update_item
    monkeypatch.setattr(store.client, "update_item",
                        lambda **kwargs: property_writes.append(kwargs["Key"]["sk"]["S"]) or real_update(**kwargs))
    for score in (9, 3, 10):
        answer(store, survey, score, store_name="Bandung")
    answer(store, survey, 7, store_name="Bandung", product="Kopi")
    answered = [t for t in transactions if any("RESP#" in str(item) for item in t)]
    assert answered and not [t for t in answered if "PROPS" in str(t)]
    assert property_writes.count("PROPS") == 2  # the first answer, then the one with a new name
    assert set(store.segment_properties(survey.id)) >= {"store_name", "product"}


def test_reconcile_reports_and_restores_a_property_name_whose_write_failed(store, monkeypatch):
    survey = make_survey(store)
    real_update = store.client.update_item

    def properties_down(**kwargs):
        if kwargs["Key"]["sk"]["S"] == "PROPS":
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "UpdateItem")
        return real_update(**kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(store.client, "update_item", properties_down)
        answer(store, survey, 2, store_name="Medan")  # the answer itself is recorded
    assert "store_name" not in store.segment_properties(survey.id)
    drift = reconcile(store, survey)
    assert drift.items["PROPS"]["store_name"] == (0, 1)
    reconcile(store, survey, fix=True)
    store.__dict__.pop("_known_properties", None)
    assert reconcile(store, survey).clean and "store_name" in store.segment_properties(survey.id)


@pytest.fixture(autouse=True)
def _fresh_property_cache(store):
    store.__dict__.pop("_known_properties", None)
