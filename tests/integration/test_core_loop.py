"""The core loop through the Flask test client: link -> open -> submit -> dashboard, on moto and DynamoDB Local."""
import re
from datetime import datetime, timedelta, timezone

from survey_app.domain.metrics import nps
from survey_app.web.answer import open_link
from survey_app.web.answer.forms import new_submission_id
from tests.factories import answer_page, every_type_survey, make_invitation, make_survey


def dashboard_numbers(client, survey_id):
    text = client.get(f"/owner/surveys/{survey_id}").get_data(as_text=True)
    count = int(re.search(r'id="response-count">(\d+)<', text).group(1))
    score = re.search(r'id="nps-value">([^<]+)<', text).group(1)
    return count, score, text


def test_answer_then_dashboard_shows_it_exactly_once(client, store, owner):
    survey = make_survey(store)
    invitation = make_invitation(store, survey)
    owner.login()
    assert dashboard_numbers(client, survey.id)[:2] == (0, "–")

    page, hidden = answer_page(client, f"/s/{invitation.token}")
    assert page.status_code == 200 and "Budi" in page.get_data(as_text=True)
    done = client.post(f"/s/{invitation.token}", data=hidden | {"q_nps": "10", "q_reason": "Kopinya enak!",
                                                               "q_csat_product": "5"})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)

    count, score, text = dashboard_numbers(client, survey.id)
    assert (count, score) == (1, "+100")
    assert "Kopinya enak!" in text and "store: Bandung" in text
    totals = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    assert sum(c["n"] for c in totals.values()) == 1


def test_second_submit_of_same_link_is_counted_once(client, store, owner):
    survey = make_survey(store)
    invitation = make_invitation(store, survey)
    _, first = answer_page(client, f"/s/{invitation.token}")
    assert client.post(f"/s/{invitation.token}", data=first | {"q_nps": "9"}).status_code == 200

    again = client.get(f"/s/{invitation.token}")
    assert "Already answered" in again.get_data(as_text=True)
    other = dict(first, submission=new_submission_id())
    second = client.post(f"/s/{invitation.token}", data=other | {"q_nps": "0"})
    assert second.status_code == 409 and "Already answered" in second.get_data(as_text=True)

    owner.login()
    assert dashboard_numbers(client, survey.id)[:2] == (1, "+100")


def test_resent_post_of_the_same_submission_says_thanks_without_counting_twice(client, store):
    survey = make_survey(store)
    invitation = make_invitation(store, survey)
    _, hidden = answer_page(client, f"/s/{invitation.token}")
    for _ in range(2):  # a refresh of the thank-you page resends the same form
        response = client.post(f"/s/{invitation.token}", data=hidden | {"q_nps": "6"})
        assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    totals = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    assert nps(next(iter(totals.values()))).detractors == 1
    assert len(list(store.iter_responses(survey.id))) == 1


def test_score_link_preselects_but_never_records(client, store):
    survey = make_survey(store)
    invitation = make_invitation(store, survey)
    page = client.get(f"/s/{invitation.token}/7").get_data(as_text=True)
    assert re.search(r'value="7"[^>]*checked|checked[^>]*value="7"', page)
    assert store.get_invitation(invitation.token).answered_at == ""
    assert list(store.iter_responses(survey.id)) == []


def test_missing_required_answer_keeps_what_was_typed(client, store):
    survey = make_survey(store)
    invitation = make_invitation(store, survey)
    _, hidden = answer_page(client, f"/s/{invitation.token}")
    response = client.post(f"/s/{invitation.token}", data=hidden | {"q_reason": "Pengiriman lambat <b>sekali</b>"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please answer this question." in text
    assert "Pengiriman lambat &lt;b&gt;sekali&lt;/b&gt;" in text
    assert list(store.iter_responses(survey.id)) == []


def test_out_of_range_score_is_refused_clearly(client, store):
    survey = make_survey(store)
    invitation = make_invitation(store, survey)
    _, hidden = answer_page(client, f"/s/{invitation.token}")
    response = client.post(f"/s/{invitation.token}", data=hidden | {"q_nps": "11"})
    assert response.status_code == 400 and "Please pick one of the options." in response.get_data(as_text=True)


def test_every_question_type_is_stored(client, store):
    survey = every_type_survey(store)
    invitation = make_invitation(store, survey)
    _, hidden = answer_page(client, f"/s/{invitation.token}")
    data = hidden | {"q_nps": "8", "q_reason": "ok", "q_csat_product": "4", "q_csat_delivery": "2",
                     "q_liked": ["price", "speed"], "q_city": "Bandung"}
    assert client.post(f"/s/{invitation.token}", data=data).status_code == 200
    (response,) = store.iter_responses(survey.id)
    assert response.answers == {"nps": 8, "reason": "ok", "csat_product": 4, "csat_delivery": 2,
                                "liked": ["price", "speed"], "city": "Bandung"}


def test_text_over_the_limit_is_refused_with_the_limit_stated(client, store):
    survey = make_survey(store)
    invitation = make_invitation(store, survey)
    _, hidden = answer_page(client, f"/s/{invitation.token}")
    response = client.post(f"/s/{invitation.token}", data=hidden | {"q_nps": "9", "q_reason": "x" * 2001})
    assert response.status_code == 400 and "under 2000 characters" in response.get_data(as_text=True)


def test_unknown_token_is_404_and_expired_is_410(client, store, monkeypatch):
    survey = make_survey(store)
    # expired by the app's clock, pinned a second past the link's life, not by the real one: the invitation's TTL
    # is its expiry, and DynamoDB Local deletes items whose TTL has passed (AWS within days), which would be a 404
    expired = make_invitation(store, survey)
    past_its_life = datetime.fromisoformat(expired.expires_at) + timedelta(seconds=1)
    monkeypatch.setattr("survey_app.services.invitations.utcnow", lambda: past_its_life)
    assert client.get("/s/doesNotExist1").status_code == 404
    assert client.post("/s/doesNotExist1", data={"q_nps": "9"}).status_code == 404
    gone = client.get(f"/s/{expired.token}", headers={"Accept-Language": "en"})
    assert gone.status_code == 410 and "This link has expired" in gone.get_data(as_text=True)
    assert "kedaluwarsa" in client.get(f"/s/{expired.token}").get_data(as_text=True)
    assert client.post(f"/s/{expired.token}", data={"q_nps": "9"}).status_code == 410
    assert client.get("/o/noSuchSurvey").status_code == 404


def test_post_without_csrf_token_is_refused_and_keeps_answers(client, store):
    survey = make_survey(store)
    invitation = make_invitation(store, survey)
    response = client.post(f"/s/{invitation.token}", data={"q_nps": "9", "q_reason": "mantap"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "press send again" in text and "mantap" in text
    assert list(store.iter_responses(survey.id)) == []


def test_open_link_takes_one_response_per_browser(app, client, store):
    survey = make_survey(store)
    _, hidden = answer_page(client, f"/o/{survey.id}")
    assert client.post(f"/o/{survey.id}", data=hidden | {"q_nps": "10"}).status_code == 200
    again = client.post(f"/o/{survey.id}", data=hidden | {"q_nps": "10"})
    assert "Already answered" in again.get_data(as_text=True)
    assert "Already answered" in client.get(f"/o/{survey.id}").get_data(as_text=True)
    other_browser = app.test_client()
    _, hidden = answer_page(other_browser, f"/o/{survey.id}")
    assert other_browser.post(f"/o/{survey.id}", data=hidden | {"q_nps": "3"}).status_code == 200
    totals = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    result = nps(next(iter(totals.values())))
    assert (result.n, result.promoters, result.detractors) == (2, 1, 1)


def test_open_link_answers_are_rate_limited_per_address(app, store, monkeypatch):
    """Three browsers from one address within one hour (the clock pinned at its last second), a limit of 2."""
    # the real clock's hour: the limit's counters carry a TTL two hours on, and DynamoDB Local deletes items whose
    # TTL has passed (as AWS does), so counters written in a fixed past hour could vanish mid-test
    last_second = datetime.now(timezone.utc).replace(minute=59, second=59, microsecond=0)
    monkeypatch.setattr(open_link, "utcnow", lambda: last_second)
    app.config["OPEN_LINK_LIMIT_PER_HOUR"] = 2
    survey = make_survey(store)
    statuses, refused = [], None
    for _ in range(3):
        browser = app.test_client()
        _, hidden = answer_page(browser, f"/o/{survey.id}")
        statuses.append(browser.post(f"/o/{survey.id}", data=hidden | {"q_nps": "9"}).status_code)
        refused = (browser, hidden)
    assert statuses == [200, 200, 429]
    totals = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    assert sum(c["n"] for c in totals.values()) == 2
    monkeypatch.setattr(open_link, "utcnow", lambda: last_second + timedelta(seconds=1))
    browser, hidden = refused
    assert browser.post(f"/o/{survey.id}", data=hidden | {"q_nps": "9"}).status_code == 200  # the next hour


def test_language_follows_link_then_browser_then_survey_default_and_switches(client, store):
    survey = make_survey(store, default_language="id")
    english_customer = make_invitation(store, survey, language="en")
    unknown = make_invitation(store, survey, language="")
    assert "How likely" in client.get(f"/s/{english_customer.token}").get_data(as_text=True)
    assert "Seberapa besar" in client.get(f"/s/{unknown.token}").get_data(as_text=True)
    browser_en = client.get(f"/s/{unknown.token}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "How likely" in browser_en.get_data(as_text=True)
    switched = client.get(f"/s/{english_customer.token}?lang=id").get_data(as_text=True)
    assert "Seberapa besar" in switched and 'href="?lang=en"' in switched


def test_answer_page_shows_eleven_tap_targets_and_needs_no_script(client, store):
    survey = make_survey(store)
    invitation = make_invitation(store, survey)
    text = client.get(f"/s/{invitation.token}").get_data(as_text=True)
    assert len(re.findall(r'name="q_nps" [^>]*type="radio"', text)) == 11
    assert "<script src" not in text and '<button type="submit">' in text  # a plain form: scripts only help
