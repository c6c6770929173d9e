"""The open link's hourly limits charge an answer once, however often its browser sends it again after a 503:
a customer who meets three store errors is not then refused and their answer lost. Distinct answers from one
browser are still each charged. Faults are injected on the store's own client (tests/reliability/test_faults.py):
the answer's transaction failing, and the limit's own write done with its reply lost. The clock is pinned inside
one hour."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from survey_app.i18n import translate
from survey_app.web.answer import open_link
from tests.factories import answer_page, make_survey
from tests.reliability.test_faults import TIMEOUT, faults  # noqa: F401 (the fixture)

PER_BROWSER = 3
ANSWERS = {"q_nps": "9", "q_reason": "Kopinya enak"}
THANKS = translate("thanks_title", "en")
ANSWER_LOST = {"TransactWriteItems": "internal"}  # five in a row: botocore absorbs four, the fifth is a 503
LIMIT_WRITE_REPLY_LOST = {"UpdateItem": TIMEOUT}  # the hit was written every time; only the replies were lost


@pytest.fixture
def open_survey(app, store, monkeypatch):
    app.config.update(OPEN_LINK_MIN_SECONDS=0, OPEN_LINK_LIMIT_PER_BROWSER=PER_BROWSER, OPEN_LINK_LIMIT_PER_HOUR=300)
    # every post inside one hour of the real clock: the limit's counters carry a TTL two hours on, and DynamoDB
    # Local deletes items whose TTL has passed (as AWS does), so counters of a fixed past hour could vanish mid-test
    quarter_past = datetime.now(timezone.utc).replace(minute=15, second=0, microsecond=0)
    monkeypatch.setattr(open_link, "utcnow", lambda: quarter_past)
    return make_survey(store)


def drawn_form(client, survey) -> dict:
    """GET the open link; the fields its form posts back (a new submission id each time it is drawn)."""
    page, hidden = answer_page(client, f"/o/{survey.id}")
    hidden["shown"] = re.search(r'name="shown" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return hidden | {"website": ""} | ANSWERS


def post(client, survey, faults, form, fault=None) -> int:  # noqa: F811 (the fixture's name)
    for operation, kind in (fault or {}).items():
        faults.fail_next(operation, kind, times=5)
    response = client.post(f"/o/{survey.id}", data=form)
    if response.status_code == 200:
        assert THANKS in response.get_data(as_text=True)
    return response.status_code


def counted(store, survey) -> int:
    return sum(day.get("n", 0) for day in store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values())


def test_an_answer_resent_after_four_503s_is_stored_not_refused_by_the_browsers_limit(app, store, open_survey,
                                                                                         faults):  # noqa: F811
    client = app.test_client()
    form = drawn_form(client, open_survey)
    statuses = [post(client, open_survey, faults, form, fault)
                for fault in (ANSWER_LOST, LIMIT_WRITE_REPLY_LOST, ANSWER_LOST, ANSWER_LOST, None)]
    assert statuses == [503, 503, 503, 503, 200]
    assert counted(store, open_survey) == 1 and store.open_refusals(open_survey.id) == {}


def test_distinct_answers_from_one_browser_are_each_charged_and_a_charged_one_may_still_be_resent(
        app, store, open_survey, faults):  # noqa: F811
    client = app.test_client()
    forms = [drawn_form(client, open_survey) for _ in range(PER_BROWSER + 1)]
    assert len({form["submission"] for form in forms}) == PER_BROWSER + 1
    assert [post(client, open_survey, faults, form, ANSWER_LOST) for form in forms[:PER_BROWSER]] == [503] * 3
    assert post(client, open_survey, faults, forms[PER_BROWSER]) == 429
    assert store.open_refusals(open_survey.id) == {"rate_limited": 1}
    assert post(client, open_survey, faults, forms[0]) == 200
    assert counted(store, open_survey) == 1
