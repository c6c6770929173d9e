"""NPS, CSAT and CES math, including the edge cases a new survey hits on day one."""
import math

import pytest

from survey_app.domain import metrics
from survey_app.domain.models import CES, CSAT, LONG_TEXT, MULTI, NPS, Option, Question, Survey, Text


def survey(*questions):
    return Survey(id="s1", title=Text("t"), intro=Text(), questions=tuple(questions))


NPS_Q = Question("nps", NPS, Text("nps"), True)
CSAT_Q = Question("csat", CSAT, Text("csat"))
CES_Q = Question("ces", CES, Text("ces"))
MULTI_Q = Question("why", MULTI, Text("why"), options=(Option("price", Text("p")), Option("speed", Text("s"))))


def counters_for(*scores):
    return metrics.merge(metrics.response_counters(survey(NPS_Q), {"nps": s}) for s in scores)


@pytest.mark.parametrize("score,expected", [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"),
                                            (9, "promoter"), (10, "promoter")])
def test_categories_follow_the_net_promoter_system(score, expected):
    assert metrics.category(score) == expected


def test_nps_is_promoters_minus_detractors_in_percent():
    result = metrics.nps(counters_for(10, 9, 9, 8, 7, 6, 0, 10, 10, 3))
    assert (result.promoters, result.passives, result.detractors, result.n) == (5, 2, 3, 10)
    assert result.score == pytest.approx(20.0)
    assert result.share(result.promoters) == pytest.approx(50.0)


def test_no_responses_gives_no_score_and_no_margin():
    result = metrics.nps({})
    assert result.n == 0 and result.score is None and result.margin_of_error is None
    assert result.share(0) == 0.0 and result.too_few


def test_all_passives_score_zero():
    assert metrics.nps(counters_for(7, 8, 7, 8)).score == 0.0


def test_all_promoters_score_one_hundred_and_all_detractors_minus_one_hundred():
    assert metrics.nps(counters_for(9, 10, 10)).score == 100.0
    assert metrics.nps(counters_for(0, 3, 6)).score == -100.0


def test_margin_of_error_is_adjusted_wald_and_shrinks_with_more_responses():
    small = metrics.nps(counters_for(*([10] * 5 + [8] * 3 + [2] * 2)))
    # adjusted Wald: n+3, each category +0.75
    p, d = 5.75 / 13, 2.75 / 13
    expected = 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / 13)
    assert small.margin_of_error == pytest.approx(expected)
    large = metrics.nps(counters_for(*([10] * 500 + [8] * 300 + [2] * 200)))
    assert large.margin_of_error < small.margin_of_error
    assert not large.too_few and small.too_few


def test_csat_top_two_box_counts_four_and_five():
    s = survey(CSAT_Q)
    totals = metrics.merge(metrics.response_counters(s, {"csat": v}) for v in (5, 4, 3, 2, 1))
    result = metrics.rating(totals, "csat", CSAT)
    assert result.n == 5 and result.mean == 3.0 and result.top2_pct == pytest.approx(40.0)


def test_ces_mean_and_top_two_box_on_seven_point_scale():
    s = survey(CES_Q)
    totals = metrics.merge(metrics.response_counters(s, {"ces": v}) for v in (7, 6, 5, 1))
    result = metrics.rating(totals, "ces", CES)
    assert result.mean == pytest.approx(4.75) and result.top2_pct == pytest.approx(50.0)


def test_unanswered_rating_has_no_mean():
    assert metrics.rating({}, "csat", CSAT) == metrics.RatingResult(0, None, None)


def test_skipped_optional_questions_add_no_counters():
    counters = metrics.response_counters(survey(NPS_Q, CSAT_Q, Question("c", LONG_TEXT, Text("c"))), {"nps": 9})
    assert counters == {"n": 1, "q#nps#n": 1, "q#nps#sum": 9, "q#nps#v9": 1, "promoter": 1}


def test_multi_choice_shares_are_per_respondent():
    s = survey(MULTI_Q)
    totals = metrics.merge([metrics.response_counters(s, {"why": ["price", "speed"]}),
                            metrics.response_counters(s, {"why": ["price"]})])
    assert metrics.choice_shares(totals, "why", ["price", "speed"]) == {"price": 100.0, "speed": 50.0}


def test_distribution_lists_every_score_even_unused():
    assert metrics.distribution(counters_for(0, 10, 10), "nps", 0, 10) == {
        0: 1, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 0, 9: 0, 10: 2}


def test_weekly_groups_days_by_monday():
    daily = {"2026-11-23": counters_for(10), "2026-11-29": counters_for(0), "2026-11-30": counters_for(9)}
    weeks = metrics.trend(daily, "week")
    assert list(weeks) == ["2026-11-23", "2026-11-30"]
    assert weeks["2026-11-23"].score == 0.0 and weeks["2026-11-30"].score == 100.0
