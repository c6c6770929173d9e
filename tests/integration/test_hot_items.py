"""The property-name set is folded with the tallies (no answer writes it), and a name it lacks is found and
restored by reconcile."""
from __future__ import annotations

from survey_app.services import create_invitation, reconcile, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey


def answer(store, survey, score, **properties):
    invitation = create_invitation(store, survey, customer_name="Rina", email="r@example.com",
                                   properties=properties)
    submit_response(store, survey, {"nps": score}, language="id", submission_id=new_submission_id(),
                    invitation=invitation)


def test_the_property_names_of_answers_are_folded_into_the_set_the_dashboard_offers(store):
    survey = make_survey(store)
    answer(store, survey, 9, store_name="Bandung")
    answer(store, survey, 7, store_name="Bandung", product="Kopi")
    assert set(store.segment_properties(survey.id)) >= {"store_name", "product"}


def test_reconcile_reports_and_restores_a_property_name_the_set_lacks(store):
    survey = make_survey(store)
    answer(store, survey, 2, store_name="Medan")
    assert "store_name" in store.segment_properties(survey.id)
    store.client.delete_item(TableName=store.table_name, Key={"pk": {"S": f"AGG#{survey.id}"}, "sk": {"S": "PROPS"}})
    drift = reconcile(store, survey)
    assert drift.items["PROPS"]["store_name"] == (0, 1)
    reconcile(store, survey, fix=True)
    assert reconcile(store, survey).clean and "store_name" in store.segment_properties(survey.id)
