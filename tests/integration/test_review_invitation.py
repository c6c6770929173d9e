"""The thank-you page invites every customer, whatever their score, to review the shop in public (Google forbids
"review gating"); per-store review pages through a property; clicks counted for the dashboard."""
import re
from dataclasses import replace

import pytest

from survey_app.domain.models import DefinitionError
from survey_app.services import create_invitation, save_survey
from tests.conftest import csrf_token
from tests.factories import make_survey

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
GOOGLE = "https://g.page/r/toko-kopi/review"


def answer(client, token, score):
    page = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, f"/s/{token}"), "q_nps": str(score),
            "survey": re.search(r'name="survey" type="hidden" value="([^"]+)"', page).group(1),
            "submission": re.search(r'name="submission" type="hidden" value="([0-9a-f]{32})"', page).group(1)}
    return client.post(f"/s/{token}?lang=en", data=data).get_data(as_text=True)


@MOTO
@pytest.mark.parametrize(("score", "wording"), [(2, "Your honest review helps other customers too."),
                                               (7, "Your honest review helps other customers too."),
                                               (10, "Would you tell others in a public review?")])
def test_every_customer_is_shown_the_review_link_whatever_their_score(client, store, score, wording):
    survey = save_survey(store, replace(make_survey(store), review_url=GOOGLE))
    invitation = create_invitation(store, survey, customer_name="Ani", phone="+6281234567890")
    thanks = answer(client, invitation.token, score)
    assert wording in thanks and f'href="/s/{invitation.token}/review"' in thanks


@MOTO
def test_following_the_link_counts_a_click_and_lands_on_the_stores_own_review_page(client, owner, store):
    solo = "https://maps.app.goo.gl/solo"
    survey = save_survey(store, replace(make_survey(store), review_url=GOOGLE, review_property="store",
                                        review_urls={"Solo": solo}))
    in_solo = create_invitation(store, survey, customer_name="Ani", phone="+6281234567890",
                                properties={"store": "Solo"})
    elsewhere = create_invitation(store, survey, customer_name="Budi", phone="+6281234567891",
                                  properties={"store": "Medan"})
    for invitation in (in_solo, elsewhere):
        answer(client, invitation.token, 9)
    assert client.get(f"/s/{in_solo.token}/review").headers["Location"] == solo
    assert client.get(f"/s/{elsewhere.token}/review").headers["Location"] == GOOGLE
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}?lang=en").get_data(as_text=True)
    assert re.search(r'id="review-clicks">Review link followed: 2<', page)


@MOTO
def test_no_review_page_means_no_link_and_no_redirect(client, store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Ani", phone="+6281234567890")
    assert "/review" not in answer(client, invitation.token, 10)
    assert client.get(f"/s/{invitation.token}/review").status_code == 404


@MOTO
def test_review_links_must_be_https_and_per_store_links_need_their_property(store):
    survey = make_survey(store)
    with pytest.raises(DefinitionError, match="https"):
        save_survey(store, replace(survey, review_url="http://g.page/x"))
    with pytest.raises(DefinitionError, match="property"):
        save_survey(store, replace(survey, review_urls={"Solo": GOOGLE}))


@MOTO
def test_the_editor_sets_the_review_pages(client, owner, store):
    from tests.integration.test_owner_pages import edit_form

    survey = make_survey(store)
    owner.login()
    data = edit_form(client, survey.id) | {"review_url": GOOGLE, "review_property": "store",
                                           "review_urls": "Solo | https://maps.app.goo.gl/solo\nbroken line"}
    assert client.post(f"/owner/surveys/{survey.id}/edit", data=data).status_code == 302
    saved = store.get_survey(survey.id)
    assert (saved.review_url, saved.review_property, saved.review_urls) == (
        GOOGLE, "store", {"Solo": "https://maps.app.goo.gl/solo"})
    again = edit_form(client, survey.id)
    assert again["review_urls"].strip() == "Solo | https://maps.app.goo.gl/solo"
