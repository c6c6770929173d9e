"""Which theme moves the NPS most: figures checked against values worked out by hand (adjusted-Wald, MeasuringU).

Standard error of one group, in NPS points: n' = n + 3, p = (promoters + 0.75) / n', d = (detractors + 0.75) / n',
SE = 100 * sqrt((p + d - (p - d)^2) / n'). The gap's 95% margin is 1.96 * sqrt(SE_group^2 + SE_rest^2).
"""
from __future__ import annotations

import pytest

from survey_app.domain.impact import impacts, low_rating_counters
from survey_app.domain.models import CES, CSAT, NPS, LONG_TEXT, Question, Survey, Text

# 100 scored responses: 50 promoters, 30 passives, 20 detractors (NPS +30).
SMALL = {"promoter": 50, "passive": 30, "detractor": 20,
         "theme#delivery#promoter": 2, "theme#delivery#passive": 3, "theme#delivery#detractor": 15,
         "theme#price#promoter": 10, "q#csat1#low#passive": 5, "q#csat1#low#detractor": 10}


def test_a_theme_is_compared_with_every_other_scored_response():
    """delivery: 2/3/15 of 20 -> NPS -65; the rest 48/27/5 of 80 -> NPS +53.75; gap -118.75.
    SE delivery: n'=23, p=2.75/23=0.11957, d=15.75/23=0.68478, var=(0.80435-0.31947)/23 -> 14.520 points.
    SE rest: n'=83, p=48.75/83=0.58735, d=5.75/83=0.06928, var=(0.65663-0.26840)/83 -> 6.839 points.
    margin = 1.96 * sqrt(14.520^2 + 6.839^2) = 1.96 * 16.050 = 31.46."""
    delivery = next(i for i in impacts(SMALL, ["delivery"], []) if i.key == "theme#delivery")
    assert (delivery.group.n, delivery.rest.n) == (20, 80)
    assert delivery.group.score == pytest.approx(-65.0)
    assert delivery.rest.score == pytest.approx(53.75)
    assert delivery.points == pytest.approx(-118.75)
    assert delivery.margin == pytest.approx(31.46, abs=0.01)
    assert delivery.share == pytest.approx(0.2)


def test_impacts_come_biggest_impact_times_share_first_and_small_groups_are_flagged():
    """delivery 118.75 x 0.20 = 23.75; the CSAT item rated low: 0/5/10 of 15 -> -66.67 against 50/25/10 of 85 ->
    +47.06, 113.73 x 0.15 = 17.06; price: 10/0/0 -> +100 against 40/30/20 of 90 -> +22.22, 77.78 x 0.10 = 7.78.
    Product was never mentioned: not listed."""
    found = impacts(SMALL, ["product", "delivery", "price"], ["csat1"])
    assert [i.key for i in found] == ["theme#delivery", "q#csat1", "theme#price"]
    assert [round(i.weight, 2) for i in found] == [23.75, 17.06, 7.78]
    assert found[1].points == pytest.approx(-113.73, abs=0.01)
    assert all(i.too_few for i in found)  # each group has fewer than 30 responses


def test_a_gap_beyond_its_margin_is_significant():
    """200 scored: 120/60/20 (NPS +50). service: 20/10/10 of 40 -> +25; rest 100/50/10 of 160 -> +56.25; gap -31.25.
    SE service: n'=43, p=20.75/43=0.48256, d=10.75/43=0.25, var=(0.73256-0.05408)/43 -> 12.561 points.
    SE rest: n'=163, p=100.75/163=0.61810, d=10.75/163=0.06595, var=(0.68405-0.30487)/163 -> 4.823 points.
    margin = 1.96 * sqrt(12.561^2 + 4.823^2) = 1.96 * 13.455 = 26.37 < 31.25."""
    counters = {"promoter": 120, "passive": 60, "detractor": 20,
                "theme#service#promoter": 20, "theme#service#passive": 10, "theme#service#detractor": 10}
    (service,) = impacts(counters, ["service"], [])
    assert service.points == pytest.approx(-31.25)
    assert service.margin == pytest.approx(26.37, abs=0.01)
    assert service.significant and not service.too_few


def test_a_group_that_is_everyone_has_no_rest_to_compare_with():
    (everyone,) = impacts({"promoter": 3, "theme#price#promoter": 3}, ["price"], [])
    assert everyone.points is None and everyone.margin is None and not everyone.significant


def survey() -> Survey:
    return Survey(id="s", title=Text("t", "t"), intro=Text(), questions=(
        Question("nps", NPS, Text("n", "n")), Question("csat1", CSAT, Text("c", "c")),
        Question("ces1", CES, Text("e", "e")), Question("why", LONG_TEXT, Text("w", "w"))))


def test_low_ratings_are_counted_below_the_top_two_boxes_by_nps_category():
    assert low_rating_counters(survey(), {"nps": 3, "csat1": 3, "ces1": 6, "why": "x"}, 3) == {
        "q#csat1#low#detractor": 1}
    assert low_rating_counters(survey(), {"nps": 9, "csat1": 4, "ces1": 5}, 9) == {"q#ces1#low#promoter": 1}
    assert low_rating_counters(survey(), {"csat1": 1}, None) == {}  # no NPS score: nothing to compare
