"""The owner's home: every survey's NPS with its margin and change, a weekly trend line, this week's responses,
open and overdue cases, and the business-wide NPS, read from aggregates and the open cases' index only."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from survey_app.domain.models import RESOLVED
from survey_app.services import create_invitation, submit_response
from survey_app.services.home import PERIOD_DAYS, home, sparkline
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey

# this week's Wednesday in Jakarta by the real clock: the cases' invitations carry their expiry (30 days on) as a
# TTL, and DynamoDB Local deletes items whose TTL has passed (AWS too), so a fixed past Wednesday would rot
JAKARTA_TODAY = datetime.now(ZoneInfo("Asia/Jakarta")).date()
TODAY = JAKARTA_TODAY - timedelta(days=(JAKARTA_TODAY.weekday() - 2) % 7)
NOW = datetime.combine(TODAY, time(5), timezone.utc)  # a Wednesday, 12:00 in Jakarta


def count_day(store, survey, days_ago: int, promoters=0, passives=0, detractors=0):
    """A day's aggregate as the answer transaction folds it: n plus one NPS category per response."""
    day = (TODAY - timedelta(days=days_ago)).isoformat()
    store.add_counters(survey.id, f"DAY#{day}", {"n": promoters + passives + detractors, "promoter": promoters,
                                                  "passive": passives, "detractor": detractors})


def open_case(store, survey, answered_at: datetime):
    invitation = create_invitation(store, survey, customer_name="Rina", phone="+6281234567890", now=answered_at)
    submit_response(store, survey, {"nps": 3}, language="id", submission_id=new_submission_id(),
                    invitation=invitation, now=answered_at)
    return invitation


def test_each_survey_shows_its_period_nps_change_this_week_and_cases(store):
    survey = make_survey(store)
    count_day(store, survey, 0, promoters=6, detractors=1)       # this week (Wednesday)
    count_day(store, survey, 3, promoters=4, passives=2)         # last week's Sunday
    count_day(store, survey, PERIOD_DAYS + 2, detractors=8, promoters=2)  # the previous period
    count_day(store, survey, 2 * PERIOD_DAYS + 1, promoters=50)  # before both periods: not read
    open_case(store, survey, NOW - timedelta(hours=72))          # due 48 h after: overdue
    open_case(store, survey, NOW - timedelta(hours=1))           # still in time
    result = home(store, "Asia/Jakarta", now=NOW)
    [glance] = result.glances
    # the two cases' own answers (score 3) are detractors of the period too
    assert (glance.nps.n, glance.nps.promoters, glance.nps.detractors) == (15, 10, 3)
    assert glance.this_week == 7 + 1  # today's seven and the newer case's answer (the older one was on Sunday)
    assert (glance.open_cases, glance.overdue_cases) == (2, 1)
    assert glance.change is not None and glance.change.points == pytest.approx(100 * 7 / 15 - (-60))
    assert glance.change.significant
    assert len(glance.weekly) == 9 and glance.weekly[-1] is not None and glance.weekly[0] is None


def test_the_open_counts_leave_resolved_cases_out(store):
    survey = make_survey(store)
    invitation = open_case(store, survey, NOW - timedelta(hours=72))
    case = store.get_case(survey.id, invitation.token)
    assert store.save_case(case, replace(case, status=RESOLVED, resolved_at=NOW.isoformat()))
    assert home(store, "Asia/Jakarta", now=NOW).glances[0].open_cases == 0


def test_a_small_change_is_called_noise_and_the_business_nps_pools_every_survey(store):
    first, second = make_survey(store), make_survey(store)
    count_day(store, first, 1, promoters=6, detractors=4)
    count_day(store, first, PERIOD_DAYS + 1, promoters=5, detractors=5)
    count_day(store, second, 1, promoters=10)
    result = home(store, "Asia/Jakarta", now=NOW)
    by_id = {g.survey.id: g for g in result.glances}
    assert not by_id[first.id].change.significant
    assert by_id[second.id].change is None  # nothing to compare with
    assert (result.business.n, result.business.promoters, result.business.detractors) == (20, 16, 4)


def test_the_sparkline_draws_weeks_on_a_fixed_scale_and_skips_empty_weeks():
    assert sparkline((100.0, None, -100.0), width=100, height=20) == "0.0,0.0 100.0,20.0"
    assert sparkline((0.0,)) == ""


def test_the_home_page_shows_numbers_in_the_viewers_language(client, owner, store):
    survey = make_survey(store)
    today = datetime.now(timezone.utc).date()
    store.add_counters(survey.id, f"DAY#{today.isoformat()}", {"n": 1500, "promoter": 1000, "passive": 300,
                                                                "detractor": 200})
    owner.login()
    english = client.get("/owner/?lang=en").get_data(as_text=True)
    assert re.search(r'class="value this-week">1,500<', english)
    assert "Business-wide NPS" in english and "<polyline" in english
    indonesian = client.get("/owner/?lang=id").get_data(as_text=True)
    assert re.search(r'class="value this-week">1.500<', indonesian)
    assert "NPS seluruh bisnis" in indonesian and "Kasus terbuka" in indonesian
    assert re.search(r'id="business-nps">\+53<', indonesian)


def test_the_home_page_needs_a_login(client):
    assert client.get("/owner/").status_code in (302, 303)
