"""The evaluation engine against figures worked out by hand from docs/METHOD.md.

The test plan is deliberately not Dazhou: a 2026–2030 plan (baseline 2025, n = 5 years) for a
city "Testcity" with districts A, B, C. Every expected figure below is computed in the comment
or the expression next to it from the plan and the actuals of the test, never copied from output.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evaluation_factory import CITY, YEARS, empty, frame, ind, make_plan, row
from reportkit.errors import ReportkitError
from reportkit.evaluation.engine import (
    RESULT_COLUMNS,
    AsOf,
    evaluate,
    parse_as_of,
    run_evaluation,
    with_labels,
    write_evaluation,
)

# ---- the annex (cumulative with a district schedule) ---------------------------------------------
ANNEX = ind("housing", "cumulative", 1000, schedule={
    CITY: [100, 200, 300, 200, 200],   # T = 1000
    "A": [60, 120, 180, 120, 120],     # T = 600
    "B": [40, 80, 120, 80, 80],        # T = 400
    "C": [0, 0, 0, 0, 0],              # no target
})
ANNEX2 = ind("rooms", "cumulative", 50, schedule={
    CITY: [10, 10, 10, 10, 10], "A": [5, 5, 5, 5, 5], "B": [5, 5, 5, 5, 5], "C": [0, 0, 0, 0, 0]})
ANNEX_ACTUALS = [
    ("housing", CITY, 2026, 120), ("housing", CITY, 2027, 210), ("housing", CITY, 2028, 330),
    ("housing", "A", 2026, 60), ("housing", "A", 2027, 100), ("housing", "A", 2028, 210),
    ("housing", "B", 2026, 40), ("housing", "B", 2027, None), ("housing", "B", 2028, 120),
    ("housing", "C", 2026, 0), ("housing", "C", 2027, 5), ("housing", "C", 2028, 0),
    ("rooms", CITY, 2026, 13), ("rooms", CITY, 2027, 13), ("rooms", CITY, 2028, 13),
    ("rooms", "A", 2026, 8), ("rooms", "A", 2027, 8), ("rooms", "A", 2028, 8),
    ("rooms", "B", 2026, 3), ("rooms", "B", 2027, 3), ("rooms", "B", 2028, 3),
    ("rooms", "C", 2026, 0), ("rooms", "C", 2027, 0), ("rooms", "C", 2028, 0),
]


@pytest.fixture(scope="module")
def annex_eval():
    return run_evaluation(make_plan(ANNEX, ANNEX2), frame(ANNEX_ACTUALS), "midterm", 2028)


def test_time_progress_year_and_month():
    plan = make_plan(ANNEX)
    # τ = months since end of 2025 / 60: 2028 → 36/60; 2028-06 → 30/60; 2026-01 → 1/60
    for as_of, tau in ((2028, 0.6), ("2028-06", 0.5), ("2026-01", 1 / 60), ("2030", 1.0)):
        assert evaluate(plan, frame([]), "midterm", as_of)["time_progress"].iloc[0] == pytest.approx(tau)


def test_annex_city_row_year_as_of(annex_eval):
    r = row(annex_eval.results, "housing")
    assert r["expected"] == pytest.approx(100 + 200 + 300)       # E = 600
    assert r["actual"] == pytest.approx(120 + 210 + 330)         # A = 660
    assert r["completion"] == pytest.approx(660 / 1000)          # c = 0.66
    assert r["schedule_ratio"] == pytest.approx(660 / 600)       # R = 1.10 exactly: ahead (≥ 1.10)
    assert r["status"] == "ahead"
    assert r["pace_so_far"] == pytest.approx(660 / 3)            # 220 a year
    assert r["required_pace"] == pytest.approx((1000 - 660) / 2)  # 170 a year for 2029–2030
    assert r["acceleration"] == pytest.approx(170 / 220)
    assert r["projection"] == pytest.approx(660 + 220 * 2)       # 1100
    assert r["projected_completion"] == pytest.approx(1.1)
    assert empty(r["grade"]) and empty(r["warning"]) and empty(r["missing_years"])
    assert r["sources"] == "src-housing" and r["value_status"] == "final"


def test_annex_districts(annex_eval):
    res = annex_eval.results
    a = row(res, "housing", "A")
    assert (a["expected"], a["actual"]) == (60 + 120 + 180, 60 + 100 + 210)  # E = 360, A = 370
    assert a["schedule_ratio"] == pytest.approx(370 / 360) and a["status"] == "on_track"  # 1.028
    assert a["completion"] == pytest.approx(370 / 600)
    b = row(res, "housing", "B")  # 2027 missing: incomplete, never filled with 0
    assert b["status"] == "no_data" and b["missing_years"] == "2027" and b["reason"] == "missing_years"
    assert empty(b["actual"]) and b["actual_partial"] == 40 + 120 and empty(b["completion"])
    c = row(res, "housing", "C")  # nothing planned in the whole period, 5 reported in 2027
    assert c["status"] == "no_target" and c["unplanned_output"] == 5 and empty(c["completion"])
    # rooms: A: R = 24 / 15 = 1.6, c = 24 / 25 = 0.96 (ahead); B: R = 9 / 15 = 0.60 exactly (lagging, ≥ 0.60)
    assert row(res, "rooms", "A")["status"] == "ahead"
    assert row(res, "rooms", "A")["schedule_ratio"] == pytest.approx(1.6)
    assert row(res, "rooms", "B")["schedule_ratio"] == pytest.approx(0.6)
    assert row(res, "rooms", "B")["status"] == "lagging"
    assert row(res, "rooms")["schedule_ratio"] == pytest.approx(39 / 30)


def test_district_ranking(annex_eval):
    res = annex_eval.results
    assert row(res, "housing", "A")["district_rank"] == 1       # only A has an R for housing
    assert empty(row(res, "housing", "B")["district_rank"])     # no data: not ranked
    assert empty(row(res, "housing", CITY)["district_rank"])    # the city is not a district
    assert row(res, "rooms", "A")["district_rank"] == 1         # 1.6 > 0.6
    assert row(res, "rooms", "B")["district_rank"] == 2
    d = annex_eval.districts
    assert set(d["indicator"]) == {"housing", "rooms"}
    assert list(d[d["indicator"] == "rooms"]["district"])[:2] == ["A", "B"]


def test_composite_score(annex_eval):
    comp = annex_eval.composite.set_index("district")
    # A: mean(min(370/360, 1.2), min(1.6, 1.2)) = (1.027778 + 1.2) / 2
    assert comp.loc["A", "composite_score"] == pytest.approx((370 / 360 + 1.2) / 2)
    # B: housing has no R (excluded, named); rooms 0.6
    assert comp.loc["B", "composite_score"] == pytest.approx(0.6)
    assert comp.loc["B", "indicators_excluded"] == "housing"
    assert empty(comp.loc["C", "composite_score"])  # no indicator with a target
    assert comp.loc["A", "composite_rank"] == 1 and comp.loc["B", "composite_rank"] == 2
    assert CITY not in comp.index


def test_composite_weights_and_cap_from_method():
    ev = run_evaluation(make_plan(ANNEX, ANNEX2), frame(ANNEX_ACTUALS), "midterm", 2028,
                        method={"composite": {"cap": 1.5, "weights": {"rooms": 3}}})
    comp = ev.composite.set_index("district")
    # A: (1 · 370/360 + 3 · min(1.6, 1.5)) / (1 + 3)
    assert comp.loc["A", "composite_score"] == pytest.approx((370 / 360 + 3 * 1.5) / 4)
    assert comp.loc["A", "weights"] == "housing:1,rooms:3"
    assert ev.meta["method"]["composite"]["cap"] == 1.5


def test_reconciliation(annex_eval):
    rec = annex_eval.reconciliation
    act = rec[(rec["check"] == "actual_city_vs_districts") & (rec["indicator"] == "housing")].set_index("year")
    # 2026: 120 vs 60 + 40 + 0 = 100 → disagree by 20
    assert act.loc[2026, "district_sum"] == 100 and act.loc[2026, "difference"] == 20
    assert act.loc[2026, "agrees"] is False or act.loc[2026, "agrees"] == False  # noqa: E712
    # 2027: B missing → open, B named
    assert act.loc[2027, "districts_missing"] == "B" and empty(act.loc[2027, "agrees"])
    # 2028: 330 vs 210 + 120 + 0 → agrees
    assert act.loc[2028, "agrees"] == True  # noqa: E712
    plan_rows = rec[(rec["check"] == "plan_city_vs_districts") & (rec["indicator"] == "housing")]
    assert len(plan_rows) == 5 and plan_rows["agrees"].all()  # 100 = 60 + 40 + 0, …


def test_reconciliation_main_target_vs_annex():
    # a main-table target (T = 900) that differs from the annex city total (1000)
    housing = ind("housing", "cumulative", 900, schedule={CITY: [100, 200, 300, 200, 200], "A": [100, 200, 300, 200, 200]})
    housing.main_row = "住房"
    ev = run_evaluation(make_plan(housing), frame([("housing", CITY, 2026, 100)]), "midterm", 2026)
    chk = ev.reconciliation[ev.reconciliation["check"] == "plan_target_vs_annex"].iloc[0]
    assert (chk["city_value"], chk["district_sum"], chk["difference"]) == (900, 1000, -100)
    assert chk["agrees"] == False  # noqa: E712
    # T comes from the main table, E from the annex: c = 100 / 900, R = 100 / 100
    r = row(ev.results, "housing")
    assert r["completion"] == pytest.approx(100 / 900) and r["schedule_ratio"] == pytest.approx(1.0)


def test_month_as_of_cumulative():
    # the 2028 figure is declared year-to-date (period 1-6月 → "2028-06")
    ev = evaluate(make_plan(ANNEX), frame(ANNEX_ACTUALS, ytd="2028-06"), "midterm", "2028-06")
    r = row(ev, "housing")
    # E = 100 + 200 + 300 · 6/12 = 450; the 2028 value is read as the figure to June: A = 660
    assert r["expected"] == pytest.approx(450) and r["actual"] == pytest.approx(660)
    assert r["schedule_ratio"] == pytest.approx(660 / 450) and r["status"] == "ahead"
    assert r["as_of"] == "2028-06"
    # pace: 660 over 2.5 years = 264 a year; required (1000 − 660) / 2.5 = 136
    assert r["pace_so_far"] == pytest.approx(264) and r["required_pace"] == pytest.approx(136)
    # without a 2028 value the sum to June 2028 is incomplete
    ev2 = evaluate(make_plan(ANNEX), frame([a for a in ANNEX_ACTUALS if a[2] != 2028]), "midterm", "2028-06")
    assert row(ev2, "housing")["status"] == "no_data" and row(ev2, "housing")["missing_years"] == "2028"


def test_cumulative_without_schedule_binding_warning():
    plan = make_plan(ind("loans", "cumulative", 500, attribute="binding"))
    acts = frame([("loans", CITY, 2026, 80), ("loans", CITY, 2027, 90), ("loans", CITY, 2028, 100)])
    r = row(evaluate(plan, acts, "midterm", 2028), "loans")
    # E = T · τ = 500 · 0.6 = 300; A = 270; R = 0.9 → lagging; binding and R < 1 → warning
    assert r["expected"] == pytest.approx(300) and r["schedule_ratio"] == pytest.approx(0.9)
    assert r["status"] == "lagging" and r["warning"] is True and r["completion"] == pytest.approx(0.54)
    # at 2028-06: E = 500 · 0.5 = 250, R = 270 / 250 = 1.08 → on track, no warning
    acts = frame([("loans", CITY, 2026, 80), ("loans", CITY, 2027, 90), ("loans", CITY, 2028, 100)], ytd="2028-06")
    r = row(evaluate(plan, acts, "midterm", "2028-06"), "loans")
    assert r["schedule_ratio"] == pytest.approx(1.08) and r["status"] == "on_track" and r["warning"] is False


@pytest.mark.parametrize("flows, status", [
    # E = 500 · 0.6 = 300 at 2028; R = A / 300
    ((100, 100, 140), "ahead"),          # 340 / 300 = 1.133
    ((100, 100, 100), "on_track"),       # 1.00
    ((95, 95, 95), "on_track"),          # 285 / 300 = 0.95 exactly: on_track (0.95 ≤ R)
    ((95, 95, 94), "lagging"),           # 284 / 300 = 0.9467
    ((60, 60, 60), "lagging"),           # 0.60 exactly
    ((50, 50, 50), "limited"),           # 0.50
    ((0, 0, 0), "limited"),              # 0.00 exactly: limited (0 ≤ R)
    ((50, -100, 0), "deteriorating"),    # −50 / 300 < 0
    ((200, 200, 200), "achieved"),       # c = 600 / 500 ≥ 1
])
def test_status_bands_cumulative(flows, status):
    plan = make_plan(ind("x", "cumulative", 500))
    r = row(evaluate(plan, frame([("x", CITY, y, f) for y, f in zip(YEARS, flows, strict=False)]), "midterm", 2028), "x")
    assert r["schedule_ratio"] == pytest.approx(sum(flows) / 300)
    assert r["status"] == status


def test_not_scheduled_and_unplanned_output():
    plan = make_plan(ind("late", "cumulative", 300, schedule={CITY: [0, 0, 100, 100, 100], "A": [0, 0, 100, 100, 100]}))
    # as_of 2027: nothing planned yet (E = 0); the city reports nothing, A reports 20 in 2027
    acts = frame([("late", "A", 2026, 0), ("late", "A", 2027, 20)])
    res = evaluate(plan, acts, "midterm", 2027)
    city, a = row(res, "late"), row(res, "late", "A")
    assert city["status"] == "not_scheduled" and city["expected"] == 0 and city["missing_years"] == "2026,2027"
    assert a["status"] == "not_scheduled" and a["unplanned_output"] == 20 and empty(a["schedule_ratio"])
    assert a["completion"] == pytest.approx(20 / 300)


def test_target_already_reached():
    plan = make_plan(ind("x", "cumulative", 500))
    r = row(evaluate(plan, frame([("x", CITY, 2026, 300), ("x", CITY, 2027, 250)]), "midterm", 2027), "x")
    # c = 550 / 500 = 1.1 → achieved; nothing more is required
    assert r["status"] == "achieved" and r["completion"] == pytest.approx(1.1)
    assert r["required_pace"] == 0 and r["acceleration"] == 0


# ---- levels -------------------------------------------------------------------------------------
LEVEL = ind("cover", "level", 75, baseline=40)


@pytest.mark.parametrize("actual, status", [
    (54.5, "lagging"),        # R = 14.5 / 21 = 0.690
    (47.0, "limited"),        # R = 7 / 21 = 0.333
    (38.0, "deteriorating"),  # moving away: R = −2 / 21 < 0
    (64.0, "ahead"),          # R = 24 / 21 = 1.143
    (61.0, "on_track"),       # R = 21 / 21 = 1
    (76.0, "achieved"),       # c = 36 / 35 ≥ 1
])
def test_level_bands(actual, status):
    r = row(evaluate(make_plan(LEVEL), frame([("cover", CITY, 2028, actual)]), "midterm", 2028), "cover")
    # E = B + (T − B) τ = 40 + 35 · 0.6 = 61
    assert r["expected"] == pytest.approx(61)
    assert r["schedule_ratio"] == pytest.approx((actual - 40) / 21)
    assert r["completion"] == pytest.approx((actual - 40) / 35)
    assert r["status"] == status


def test_level_international_pace_projection():
    r = row(evaluate(make_plan(LEVEL), frame([("cover", CITY, 2028, 54.5)]), "midterm", 2028), "cover")
    observed = (54.5 / 40) ** (1 / 3) - 1     # 0.10861
    required = (75 / 40) ** (1 / 5) - 1       # 0.13397
    assert r["observed_rate"] == pytest.approx(observed) and r["required_rate"] == pytest.approx(required)
    assert r["international_ratio"] == pytest.approx(observed / required)  # 0.811
    assert r["international_status"] == "acceleration_needed"               # 0.60 ≤ 0.811 < 0.95
    assert r["required_pace"] == pytest.approx((75 / 54.5) ** (1 / 2) - 1)  # 0.1731 a year for 2 years
    assert r["projection"] == pytest.approx(54.5 * (1 + observed) ** 2)    # 66.98
    assert r["projected_completion"] == pytest.approx((54.5 * (1 + observed) ** 2 - 40) / 35)
    assert r["baseline_from"] == "plan" and r["baseline"] == 40


def test_level_month_as_of_uses_value_date():
    r = row(evaluate(make_plan(LEVEL), frame([("cover", CITY, 2028, 54.5)], ytd="2028-06"), "midterm", "2028-06"),
            "cover")
    # τ = 0.5: E = 40 + 35 · 0.5 = 57.5; R = 14.5 / 17.5; the value is at June 2028, 2.5 years in
    assert r["expected"] == pytest.approx(57.5) and r["schedule_ratio"] == pytest.approx(14.5 / 17.5)
    assert r["observed_rate"] == pytest.approx((54.5 / 40) ** (1 / 2.5) - 1)


def test_level_baseline_from_actuals_and_latest_value():
    plan = make_plan(ind("members", "level", 24))
    acts = frame([("members", CITY, 2025, 20), ("members", CITY, 2027, 22), ("members", CITY, 2028, None)])
    r = row(evaluate(plan, acts, "midterm", 2028), "members")
    # B = 20 (reported for 2025); latest value 22 (2027); E = 20 + 4 · 0.6 = 22.4; R = 2 / 2.4
    assert (r["baseline"], r["baseline_from"], r["baseline_year"]) == (20, "actuals", 2025)
    assert r["actual"] == 22 and r["actual_year"] == 2027 and r["missing_years"] == "2026,2028"
    assert r["schedule_ratio"] == pytest.approx(2 / 2.4) and r["status"] == "lagging"
    assert r["observed_rate"] == pytest.approx((22 / 20) ** (1 / 2) - 1)  # two years from 2025 to 2027
    # without the 2025 value there is no baseline: no data, and why
    r = row(evaluate(plan, frame([("members", CITY, 2027, 22)]), "midterm", 2028), "members")
    assert r["status"] == "no_data" and r["reason"] == "baseline_missing" and empty(r["completion"])


def test_baseline_equal_to_target():
    plan = make_plan(ind("keep", "level", 50, baseline=50))
    # a level kept, read as a limit held or breached (issue 12), never 已提前实现
    for actual, status in ((50.0, "held"), (52.0, "held"), (48.0, "breached")):
        r = row(evaluate(plan, frame([("keep", CITY, 2028, actual)]), "final", 2028), "keep")
        assert r["status"] == status and r["reason"] == "hold_level"
        assert empty(r["completion"]) and empty(r["schedule_ratio"])
        assert r["grade"] == ("completed" if actual >= 50 else "not_completed")


# ---- ceilings, floors, growth, qualitative ------------------------------------------------------
def test_ceiling_and_floor():
    plan = make_plan(ind("overdue", "ceiling", 2, attribute="binding"), ind("share", "floor", 90))
    res = evaluate(plan, frame([("overdue", CITY, 2028, 2.5), ("share", CITY, 2028, 95)]), "midterm", 2028)
    assert row(res, "overdue")["status"] == "breached" and row(res, "overdue")["warning"] is True  # 2.5 > 2
    assert row(res, "share")["status"] == "held" and empty(row(res, "share")["warning"])           # 95 ≥ 90
    res = evaluate(plan, frame([("overdue", CITY, 2030, 2.0), ("share", CITY, 2030, 89)]), "final")
    assert row(res, "overdue")["status"] == "held" and row(res, "overdue")["grade"] == "completed"  # 2 ≤ 2
    assert row(res, "share")["grade"] == "not_completed"                                            # 89 < 90
    assert empty(row(res, "share")["completion"])


def test_growth_own_values():
    plan = make_plan(ind("area", "growth", 7))
    r = row(evaluate(plan, frame([("area", CITY, 2025, 100), ("area", CITY, 2028, 118)]), "midterm", 2028), "area")
    observed = 1.18 ** (1 / 3) - 1            # 0.05672 a year since 2025
    assert r["observed_rate"] == pytest.approx(observed) and r["required_rate"] == pytest.approx(0.07)
    assert r["schedule_ratio"] == pytest.approx(observed / 0.07) and r["status"] == "lagging"  # 0.810
    assert r["international_status"] == "acceleration_needed"
    assert r["target_value"] == pytest.approx(100 * 1.07 ** 5)   # 140.26
    assert r["expected"] == pytest.approx(100 * 1.07 ** 3)       # 122.50
    assert r["completion"] == pytest.approx(math.log(1.18) / (5 * math.log(1.07)))  # 0.489
    assert r["target"] == 7


def test_growth_values_from_achieved():
    plan = make_plan(ind("members", "level", 24), ind("members_growth", "growth", 1.8, values_from="members"))
    acts = frame([("members", CITY, 2025, 20), ("members", CITY, 2027, 22)])
    r = row(evaluate(plan, acts, "midterm", 2028), "members_growth")
    # B = 20, A = 22 two years later: CAGR = √1.1 − 1 = 0.04881; R = 0.04881 / 0.018 = 2.71
    assert r["schedule_ratio"] == pytest.approx(((22 / 20) ** 0.5 - 1) / 0.018)
    # T* = 20 · 1.018⁵ = 21.87 < 22: the growth planned for the period is already there
    assert r["completion"] == pytest.approx(math.log(1.1) / (5 * math.log(1.018)))  # 1.068
    assert r["status"] == "achieved"


def test_qualitative_judgement_and_proxy():
    q = ind("cover_all", "qualitative", 100, attribute="binding", proxy={"kind": "floor", "target": 100})
    plan = make_plan(q)
    # judgement wins over the numeric proxy
    r = row(evaluate(plan, frame([("cover_all", CITY, 2027, None, "partly"), ("cover_all", CITY, 2028, 98)]),
                     "midterm", 2028), "cover_all")
    assert r["status"] == "lagging" and r["judged_on"] == "judgement" and r["warning"] is True
    # proxy alone reads as the judgement it stands for: 98 < 100 → partly met → lagging;
    # 100 → met → on track at mid-term (the same words as a "met" judgement, never 已提前实现)
    r = row(evaluate(plan, frame([("cover_all", CITY, 2028, 98)]), "midterm", 2028), "cover_all")
    assert (r["status"], r["judged_on"], r["warning"]) == ("lagging", "value", True)
    r = row(evaluate(plan, frame([("cover_all", CITY, 2028, 100)]), "midterm", 2028), "cover_all")
    assert r["status"] == "on_track" and r["warning"] is False
    r = row(evaluate(plan, frame([("cover_all", CITY, 2030, 100)]), "final"), "cover_all")
    assert (r["status"], r["grade"]) == ("achieved", "completed")
    # met → on track at mid-term, achieved and completed at the end of term; not met → limited
    r = row(evaluate(plan, frame([("cover_all", CITY, 2028, None, "met")]), "midterm", 2028), "cover_all")
    assert r["status"] == "on_track"
    r = row(evaluate(plan, frame([("cover_all", CITY, 2030, None, "met")]), "final"), "cover_all")
    assert (r["status"], r["grade"]) == ("achieved", "completed")
    r = row(evaluate(plan, frame([("cover_all", CITY, 2030, None, "not_met")]), "final"), "cover_all")
    assert (r["status"], r["grade"]) == ("limited", "not_completed")
    r = row(evaluate(plan, frame([]), "final"), "cover_all")
    assert r["status"] == "no_data" and empty(r["grade"])


def test_qualitative_partly_grade_depends_on_attribute():
    for attribute, grade in (("anticipatory", "basically_completed"), ("binding", "not_completed")):
        plan = make_plan(ind("q", "qualitative", None, attribute=attribute))
        r = row(evaluate(plan, frame([("q", CITY, 2030, None, "partly")]), "final"), "q")
        assert r["grade"] == grade


# ---- end-of-term grades -------------------------------------------------------------------------
@pytest.mark.parametrize("total, attribute, grade", [
    (530, "anticipatory", "exceeded"),            # c = 1.06 ≥ 1.05
    (525, "anticipatory", "exceeded"),            # c = 1.05 exactly
    (510, "anticipatory", "completed"),           # 1.00 ≤ 1.02 < 1.05
    (500, "binding", "completed"),                # c = 1.00 exactly
    (460, "anticipatory", "basically_completed"),  # 0.92
    (450, "anticipatory", "basically_completed"),  # 0.90 exactly
    (460, "binding", "not_completed"),            # binding below 1.00
    (400, "anticipatory", "not_completed"),       # 0.80
])
def test_final_grades(total, attribute, grade):
    plan = make_plan(ind("x", "cumulative", 500, attribute=attribute))
    flows = [100, 100, 100, 100, total - 400]
    r = row(evaluate(plan, frame([("x", CITY, y, f) for y, f in zip(YEARS, flows, strict=True)]), "final"), "x")
    assert r["as_of"] == "2030" and r["completion"] == pytest.approx(total / 500)
    assert r["grade"] == grade
    assert empty(r["required_pace"])  # nothing remains at the last year
    assert r["projection"] == pytest.approx(total)


def test_level_final_grade():
    r = row(evaluate(make_plan(LEVEL), frame([("cover", CITY, 2030, 72)]), "final"), "cover")
    # c = (72 − 40) / 35 = 0.914 → basically completed (anticipatory)
    assert r["completion"] == pytest.approx(32 / 35) and r["grade"] == "basically_completed"
    assert r["status"] == "lagging"  # R = c at τ = 1: 0.914


def test_no_grade_at_midterm():
    r = row(evaluate(make_plan(LEVEL), frame([("cover", CITY, 2028, 76)]), "midterm", 2028), "cover")
    assert empty(r["grade"])


# ---- corrections, dates, contracts --------------------------------------------------------------
def test_correction_is_used_and_recorded():
    plan = make_plan(ind("x", "cumulative", 500))
    acts = frame([("x", CITY, 2026, 100, "", "preliminary", "", "w.xlsx: x!C5"),
                  ("x", CITY, 2026, 130, "", "final", "w.xlsx: x!C5", "w.xlsx: x!C9")])
    ev = run_evaluation(plan, acts, "midterm", 2026)
    r = row(ev.results, "x")
    assert r["actual"] == 130 and r["value_status"] == "final"
    assert r["corrections"] == "w.xlsx: x!C5 → w.xlsx: x!C9"
    assert ev.meta["corrections"] == [{"used": "w.xlsx: x!C9", "replaces": "w.xlsx: x!C5"}]


def test_preliminary_value_is_flagged():
    plan = make_plan(ind("x", "cumulative", 500))
    r = row(evaluate(plan, frame([("x", CITY, 2026, 100, "", "preliminary")]), "midterm", 2026), "x")
    assert r["value_status"] == "preliminary"


def test_conflicting_duplicate_is_an_error():
    plan = make_plan(ind("x", "cumulative", 500))
    with pytest.raises(ReportkitError) as err:
        evaluate(plan, frame([("x", CITY, 2026, 100), ("x", CITY, 2026, 120)]), "midterm", 2026)
    assert "t.csv: line 3" in err.value.render("en") and "t.csv: line 2" in err.value.render("zh")
    # the same figure twice is not a conflict
    assert row(evaluate(plan, frame([("x", CITY, 2026, 100), ("x", CITY, 2026, 100)]), "midterm", 2026), "x")["actual"] == 100


def test_as_of_defaults_and_errors():
    plan = make_plan(LEVEL)
    assert parse_as_of(None, plan, "midterm") == AsOf(2028)   # third year of 2026–2030
    assert parse_as_of(None, plan, "final") == AsOf(2030)
    assert parse_as_of("2027-03", plan) == AsOf(2027, 3)
    assert parse_as_of("2027-12", plan).label == "2027"
    for bad in ("2025", "2031", 2031, "2030-13", "June 2028", "2028-00"):
        with pytest.raises(ReportkitError) as err:
            parse_as_of(bad, plan)
        for lang in ("zh", "en"):
            assert err.value.render(lang)
    with pytest.raises(ReportkitError, match="2026–2030"):
        evaluate(plan, frame([]), "midterm", 2031)
    with pytest.raises(ReportkitError):
        evaluate(plan, frame([]), "annual")


def test_result_contract(annex_eval):
    res = annex_eval.results
    assert list(res.columns) == RESULT_COLUMNS
    issue_columns = ["indicator", "indicator_zh", "indicator_en", "district", "kind", "attribute", "as_of",
                     "time_progress", "baseline", "target", "expected", "actual", "completion",
                     "schedule_ratio", "status", "warning", "grade", "required_pace", "pace_so_far",
                     "projection", "projected_completion", "missing_years", "international_status", "sources"]
    assert set(issue_columns) <= set(res.columns)
    # one row per indicator × district, names from the catalogue
    assert not res.duplicated(["indicator", "district"]).any()
    assert row(res, "housing", "A")["district_zh"] == "甲区" and row(res, "housing")["indicator_en"] == "Indicator housing"
    assert annex_eval.meta["time_progress"] == pytest.approx(0.6) and annex_eval.meta["as_of"] == "2028"
    assert evaluate(make_plan(LEVEL), frame([]), "midterm", "2027-03").attrs["meta"]["time_progress"] == pytest.approx(15 / 60)


def test_labels_in_both_languages(annex_eval):
    for lang in ("zh", "en"):
        lab = with_labels(annex_eval.results, lang)
        assert lab["status_label"].notna().all() and lab["kind_label"].notna().all()
    assert row(with_labels(annex_eval.results, "zh"), "housing")["status_label"] == "快于预期"
    assert row(with_labels(annex_eval.results, "en"), "housing")["status_label"] == "ahead of schedule"


def test_write_csv_and_xlsx(tmp_path, annex_eval):
    written = write_evaluation(annex_eval, tmp_path / "ev.csv")
    names = sorted(p.name for p in written)
    assert names == ["ev-composite.csv", "ev-districts.csv", "ev-meta.json", "ev-reconciliation.csv", "ev.csv"]
    text = (tmp_path / "ev.csv").read_text(encoding="utf-8")
    assert "nan" not in text.lower().replace("nanjing", "")  # undefined is empty, never "nan"
    back = pd.read_csv(tmp_path / "ev.csv")
    b = back[(back["indicator"] == "housing") & (back["district"] == "B")].iloc[0]
    assert math.isnan(b["completion"]) and b["status"] == "no_data"  # empty cell, not 0
    write_evaluation(annex_eval, tmp_path / "ev.xlsx")
    sheets = pd.read_excel(tmp_path / "ev.xlsx", sheet_name=None)
    assert set(sheets) == {"results", "districts", "reconciliation", "composite", "meta"}
    with pytest.raises(ReportkitError):
        write_evaluation(annex_eval, tmp_path / "ev.txt")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files left
