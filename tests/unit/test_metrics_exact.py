"""The metrics checked value by value (every counter name, every figure to the decimal), so that a changed
boundary, name or constant fails here rather than passing as "roughly right"."""
from __future__ import annotations

import math
from datetime import date

import pytest

from survey_app.domain import metrics
from survey_app.domain.models import CES, CSAT, NPS, SINGLE, SHORT_TEXT, MULTI, Option, Question, Survey, Text

SURVEY = Survey(id="s1", title=Text("t"), intro=Text(), questions=(
    Question("nps", NPS, Text("nps"), True), Question("csat", CSAT, Text("csat")), Question("ces", CES, Text("ces")),
    Question("visit", SINGLE, Text("v"), options=(Option("yes", Text("y")), Option("no", Text("n")))),
    Question("why", MULTI, Text("w"), options=(Option("price", Text("p")), Option("speed", Text("s")))),
    Question("city", SHORT_TEXT, Text("c")),
))


def test_one_response_adds_exactly_these_counters():
    answers = {"nps": 9, "csat": 4, "ces": 6, "visit": "yes", "why": ["price", "speed"], "city": "Makassar"}
    assert metrics.response_counters(SURVEY, answers) == {
        "n": 1, "q#nps#n": 1, "q#nps#sum": 9, "q#nps#v9": 1, "promoter": 1,
        "q#csat#n": 1, "q#csat#sum": 4, "q#csat#v4": 1, "q#csat#top2": 1,
        "q#ces#n": 1, "q#ces#sum": 6, "q#ces#v6": 1, "q#ces#top2": 1,
        "q#visit#n": 1, "q#visit#o#yes": 1, "q#why#n": 1, "q#why#o#price": 1, "q#why#o#speed": 1,
        "q#city#n": 1,  # a text answer: counted as answered (drop-off), its words go to the comment counters
    }


@pytest.mark.parametrize("csat, ces, top2", [(3, 5, set()), (4, 5, {"csat"}), (3, 6, {"ces"}), (5, 7, {"csat", "ces"})])
def test_top_two_box_starts_at_four_for_csat_and_six_for_ces(csat, ces, top2):
    counters = metrics.response_counters(SURVEY, {"nps": 0, "csat": csat, "ces": ces})
    assert {q for q in ("csat", "ces") if counters.get(f"q#{q}#top2") == 1} == top2
    assert counters["detractor"] == 1 and "q#nps#top2" not in counters


@pytest.mark.parametrize("blank", [None, "", []])
def test_a_blank_answer_adds_nothing_but_the_response(blank):
    assert metrics.response_counters(SURVEY, {"nps": 7, "csat": blank, "why": blank, "visit": blank}) == {
        "n": 1, "q#nps#n": 1, "q#nps#sum": 7, "q#nps#v7": 1, "passive": 1}


def test_a_single_choice_given_as_a_string_counts_that_option():
    assert metrics.response_counters(SURVEY, {"nps": 1, "visit": "no"})["q#visit#o#no"] == 1


def test_comment_counters_name_theme_sentiment_and_category():
    assert metrics.comment_counters(["delivery", "price"], "negative", 3) == {
        "sentiment#negative": 1, "theme#delivery#n": 1, "theme#delivery#detractor": 1,
        "theme#price#n": 1, "theme#price#detractor": 1}
    assert metrics.comment_counters(["delivery"], "", None) == {"theme#delivery#n": 1}
    assert metrics.comment_counters([], "positive", 10) == {"sentiment#positive": 1}


def test_response_part_leaves_out_invitation_events_only():
    counters = {"n": 2, "inv#email#sent": 3, "promoter": 1, "q#inv#n": 1}
    assert metrics.response_part(counters) == {"n": 2, "promoter": 1, "q#inv#n": 1}


def test_merge_adds_numbers_given_as_strings_or_floats():
    assert metrics.merge([{"n": 1, "promoter": 1}, {"n": "2", "detractor": 1.0}]) == {
        "n": 3, "promoter": 1, "detractor": 1}


def test_adjusted_wald_margin_to_the_decimal():
    result = metrics.NpsResult(n=10, promoters=5, passives=2, detractors=3)
    n_adj, p, d = 13, 5.75 / 13, 3.75 / 13
    assert result.standard_error == pytest.approx(100 * math.sqrt((p + d - (p - d) ** 2) / n_adj), rel=1e-12)
    assert result.margin_of_error == pytest.approx(1.96 * result.standard_error, rel=1e-12)
    assert result.share(3) == pytest.approx(30.0) and result.score == pytest.approx(20.0)


@pytest.mark.parametrize("n, few", [(29, True), (30, False)])
def test_fewer_than_thirty_responses_are_too_few(n, few):
    assert metrics.NpsResult(n=n, promoters=n, passives=0, detractors=0).too_few is few


def test_nps_reads_counters_given_as_strings():
    result = metrics.nps({"promoter": "4", "passive": "1", "detractor": "5"})
    assert result == metrics.NpsResult(n=10, promoters=4, passives=1, detractors=5)
    assert metrics.nps({"promoter": 2}) == metrics.NpsResult(n=2, promoters=2, passives=0, detractors=0)


def test_rating_mean_and_top_two_box_exactly():
    counters = {"q#csat#n": 4, "q#csat#sum": "14", "q#csat#top2": 3}
    assert metrics.rating(counters, "csat", CSAT) == metrics.RatingResult(4, 3.5, 75.0)
    assert metrics.rating({"q#nps#n": 2, "q#nps#sum": 17}, "nps", NPS) == metrics.RatingResult(2, 8.5, None)
    assert metrics.rating({"q#ces#n": 2, "q#ces#sum": 13}, "ces", CES) == metrics.RatingResult(2, 6.5, 0.0)
    assert metrics.rating({}, "csat", CSAT) == metrics.RatingResult(0, None, None)


def test_distribution_reads_every_point_of_the_scale():
    assert metrics.distribution({"q#csat#v1": 2, "q#csat#v5": "3"}, "csat", 1, 5) == {1: 2, 2: 0, 3: 0, 4: 0, 5: 3}


def test_choice_shares_exactly():
    counters = {"q#why#n": 4, "q#why#o#price": 3, "q#why#o#speed": "1"}
    assert metrics.choice_shares(counters, "why", ["price", "speed", "other"]) == {
        "price": 75.0, "speed": 25.0, "other": 0.0}
    assert metrics.choice_shares({}, "why", ["price"]) == {"price": 0.0}


def test_a_change_is_significant_only_beyond_its_margin():
    assert metrics.Change(points=5.0, margin=4.9).significant
    assert not metrics.Change(points=-4.9, margin=5.0).significant
    assert metrics.Change(points=-5.1, margin=5.0).significant
    assert not metrics.Change(points=5.0, margin=5.0).significant


def test_compare_two_periods_exactly():
    now = metrics.NpsResult(n=100, promoters=60, passives=20, detractors=20)
    before = metrics.NpsResult(n=50, promoters=10, passives=20, detractors=20)
    change = metrics.compare(now, before)
    assert change.points == pytest.approx(60.0)
    assert change.margin == pytest.approx(1.96 * math.hypot(now.standard_error, before.standard_error), rel=1e-12)
    empty = metrics.NpsResult(0, 0, 0, 0)
    assert metrics.compare(now, empty) is None and metrics.compare(empty, before) is None


def test_buckets_start_on_monday_or_the_first_of_the_month():
    assert metrics.week_start(date(2026, 11, 29)) == date(2026, 11, 23)  # a Sunday
    assert metrics.bucket_start(date(2026, 11, 29), "month") == date(2026, 11, 1)
    assert metrics.bucket_start(date(2026, 11, 29), "week") == date(2026, 11, 23)


def test_monthly_trend_merges_days_of_a_month():
    daily = {"2026-11-30": {"promoter": 1}, "2026-11-02": {"detractor": 1}, "2026-12-01": {"passive": 2}}
    assert metrics.trend(daily, by="month") == {
        "2026-11-01": metrics.NpsResult(2, 1, 0, 1), "2026-12-01": metrics.NpsResult(2, 0, 2, 0)}
    assert list(metrics.trend(daily)) == ["2026-11-02", "2026-11-30"]  # both Mondays


def test_theme_results_give_mentions_and_the_nps_of_who_mentioned_them():
    counters = {"theme#delivery#n": 3, "theme#delivery#promoter": 1, "theme#delivery#detractor": "2",
                "theme#price#n": 0}
    assert metrics.theme_results(counters, ["delivery", "price", "staff"]) == {
        "delivery": (3, metrics.NpsResult(n=3, promoters=1, passives=0, detractors=2))}


def test_without_respondents_option_and_rating_figures_are_zero_not_guessed():
    assert metrics.choice_shares({"q#why#o#price": 2}, "why", ["price"]) == {"price": 0.0}
    assert metrics.rating({"q#csat#n": 2}, "csat", CSAT) == metrics.RatingResult(2, 0.0, 0.0)


def test_theme_results_count_passives_too():
    counters = {"theme#staff#n": 2, "theme#staff#passive": 1, "theme#staff#promoter": 1}
    assert metrics.theme_results(counters, ["staff"]) == {"staff": (2, metrics.NpsResult(2, 1, 1, 0))}
