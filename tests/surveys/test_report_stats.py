"""The report's statistics against values worked by hand, and properties every interval keeps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.surveys import report


def test_wilson_matches_the_hand_computed_interval():
    # p = 0.8, n = 10, z = 1.96: centre (0.8 + 0.19208) / 1.38416, half 1.96·√(0.016 + 0.009604) / 1.38416
    got = report.wilson(8, 10)
    assert got.value == 0.8
    assert got.low == pytest.approx(0.49016, abs=1e-5) and got.high == pytest.approx(0.94332, abs=1e-5)
    none = report.wilson(0, 10)  # the interval of no successes still reaches up: 2·0.19208 / 1.38416
    assert (none.value, none.low) == (0.0, 0.0) and none.high == pytest.approx(0.27754, abs=1e-5)
    assert report.wilson(0, 0) is None
    with pytest.raises(ValueError):
        report.wilson(3, 2)


def test_nps_is_promoters_minus_detractors_with_the_smoothed_trinomial_interval():
    got = report.nps(5, 3, 2)  # n 10: NPS 0.3; smoothed shares 6/13 and 3/13
    assert got.value == pytest.approx(0.3)
    half = 1.96 * ((6 / 13 + 3 / 13 - (3 / 13) ** 2) / 10) ** 0.5  # = 0.495478
    assert got.low == pytest.approx(0.3 - half) and got.high == pytest.approx(0.3 + half)
    assert half == pytest.approx(0.495478, abs=1e-6)
    everyone = report.nps(20, 0, 0)  # all promoters: 100, and still an interval below it
    assert everyone.value == 1.0 and everyone.high == 1.0 and everyone.low < 0.95
    assert report.nps(1, 0, 0) == report.Estimate(1.0, None, None)


def test_the_mean_has_a_normal_interval_kept_on_the_scale():
    got = report.mean_interval({1: 1, 5: 3}, 1, 5)  # mean 4, sample variance (9 + 3) / 3 = 4, standard error 1
    assert got.value == 4.0 and got.low == pytest.approx(2.04) and got.high == 5.0


def test_a_five_point_csat_reads_top_2_box_and_the_mean_and_keeps_every_point():
    got = report.figures("csat", "csat", "How?", points=5, scores={1: 2, 2: 1, 3: 1, 4: 3, 5: 3}, min_answers=10)
    assert [(b.value, b.count) for b in got.distribution] == [(1, 2), (2, 1), (3, 1), (4, 3), (5, 3)]
    top, mean = got.measures
    assert (top.name, top.count, top.estimate.value) == ("Top-2-box (4–5)", 6, 0.6)
    assert mean.estimate.value == pytest.approx(3.4)
    assert got.enough and got.answers == 10
    assert not report.figures("csat", "csat", "How?", points=5, scores={5: 9}, min_answers=10).enough
    three = report.figures("csat", "csat", "How?", points=3, scores={1: 1, 3: 3})
    assert three.measures[0].name == "Top box (3)" and three.measures[0].estimate.value == 0.75


def test_nps_ces_expectations_and_reasons():
    nps = report.figures("nps", "nps", "?", scores={10: 3, 9: 2, 8: 2, 7: 1, 3: 1, 0: 1})
    assert [m.name for m in nps.measures][:4] == ["NPS", "Promoters (9–10)", "Passives (7–8)", "Detractors (0–6)"]
    assert nps.measures[0].estimate.value == pytest.approx(0.3) and len(nps.distribution) == 11
    ces = report.figures("ces", "ces", "?", scores={7: 2, 5: 1, 2: 1})
    assert ces.measures[0].estimate.value == pytest.approx(5.25) and ces.measures[1].estimate.value == 0.75
    exp = report.figures("e", "expectations", "?", scores={1: 1, 2: 2, 3: 1})
    assert [(m.name, m.count) for m in exp.measures] == [
        ("Met or exceeded", 3), ("Failed", 1), ("Met", 2), ("Exceeded", 1),
    ]  # fmt: skip
    why = report.figures("why", "reason", "?", options=["Speed", "Kindness"], choices={"Kindness": 3, "Gone": 1})
    assert [(b.value, b.count) for b in why.distribution] == [("Speed", 0), ("Kindness", 3), ("Gone", 1)]
    off = report.figures("csat", "csat", "?", points=3, scores={3: 1, 5: 1})  # 5 from before the scale changed
    assert off.distribution[-1].label == "5 (off the scale)" and off.measures[0].count == 1


@given(st.integers(0, 5000), st.integers(1, 5000))
def test_a_wilson_interval_holds_its_share_within_0_and_1(k, n):
    k = min(k, n)
    got = report.wilson(k, n)
    assert 0.0 <= got.low <= got.value <= got.high <= 1.0


@given(st.integers(0, 3000), st.integers(0, 3000), st.integers(0, 3000))
def test_an_nps_interval_holds_its_score_within_minus_1_and_1(promoters, passives, detractors):
    got = report.nps(promoters, passives, detractors)
    if promoters + passives + detractors < 2:
        return
    assert -1.0 <= got.low <= got.value <= got.high <= 1.0
    assert got.high - got.low > 0  # never a zero-width interval, even when everyone agrees


@given(st.dictionaries(st.integers(1, 7), st.integers(0, 500), min_size=1))
def test_a_mean_interval_holds_its_mean_on_the_scale(counts):
    got = report.mean_interval(counts, 1, 7)
    if sum(counts.values()) < 2:
        return
    assert 1 <= got.low <= got.value <= got.high <= 7
