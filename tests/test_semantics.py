"""Targets read as the plan means them (issue 12): stocks, bands, limits, growth rates.

Hand-computed on the factory's 2026–2030 test plan (baseline 2025, n = 5); every expected figure
is worked out in the comment next to it.
"""

from __future__ import annotations

import pytest

from evaluation_factory import CITY, empty, frame, ind, make_plan, row
from reportkit.evaluation.engine import evaluate, run_evaluation


# ---- stock: a running total, evaluated as a level against the end-of-Y0 total ------------------
def test_stock_is_a_level_not_a_sum_of_flows():
    plan = make_plan(ind("deposits", "stock", 430, tier="secondary"))
    acts = frame([("deposits", CITY, 2025, 250), ("deposits", CITY, 2026, 290),
                  ("deposits", CITY, 2027, 320), ("deposits", CITY, 2028, 358)])
    r = row(evaluate(plan, acts, "midterm", 2028), "deposits")
    # B = 250 (reported for 2025), τ = 0.6: E = 250 + (430 − 250)·0.6 = 358; A = 358 (the 2028
    # total, not 290 + 320 + 358 = 968); c = 108 / 180 = 0.6; R = 108 / 108 = 1 → on track
    assert (r["baseline"], r["baseline_from"], r["actual"]) == (250, "actuals", 358)
    assert r["expected"] == pytest.approx(358) and r["completion"] == pytest.approx(0.6)
    assert r["schedule_ratio"] == pytest.approx(1.0) and r["status"] == "on_track"
    # Without the end-of-2025 total there is no baseline: no data, never a five-year flow
    r = row(evaluate(plan, frame([("deposits", CITY, 2028, 358)]), "midterm", 2028), "deposits")
    assert (r["status"], r["reason"]) == ("no_data", "baseline_missing") and empty(r["completion"])


def test_stock_final_grade_on_level_completion():
    plan = make_plan(ind("loans", "stock", 7, tier="secondary"))
    # B = 4.1 → T − B = 2.9; A(2030) = 7.2 → c = 3.1 / 2.9 = 1.069 ≥ 1.05 → exceeded
    r = row(evaluate(plan, frame([("loans", CITY, 2025, 4.1), ("loans", CITY, 2030, 7.2)]), "final"), "loans")
    assert r["completion"] == pytest.approx(3.1 / 2.9) and r["grade"] == "exceeded"


# ---- band: T ± 5 % of T by default, held inside, a deviation outside -------------------------------
@pytest.mark.parametrize(("actual", "status"), [
    (85.0, "held"), (89.25, "held"), (80.75, "held"),     # 85 ± 4.25: the edges are inside
    (89.3, "above_band"), (80.7, "below_band"), (95.0, "above_band"),
])
def test_band_default_tolerance(actual, status):
    plan = make_plan(ind("ratio", "band", 85, tier="secondary"))
    r = row(evaluate(plan, frame([("ratio", CITY, 2028, actual)]), "midterm", 2028), "ratio")
    assert (r["band_lower"], r["band_upper"]) == (pytest.approx(80.75), pytest.approx(89.25))
    assert r["status"] == status
    assert empty(r["completion"]) and empty(r["schedule_ratio"]) and empty(r["warning"])


def test_band_grades_warning_and_method_tolerance():
    plan = make_plan(ind("ratio", "band", 85, attribute="binding", tier="secondary"))
    # final: 88 inside → completed (never exceeded); 91 above → not completed, warning (binding)
    r = row(evaluate(plan, frame([("ratio", CITY, 2030, 88)]), "final"), "ratio")
    assert (r["status"], r["grade"], r["warning"]) == ("held", "completed", False)
    r = row(evaluate(plan, frame([("ratio", CITY, 2030, 91)]), "final"), "ratio")
    assert (r["status"], r["grade"], r["warning"]) == ("above_band", "not_completed", True)
    # a method file with a 10 % band: 85 ± 8.5 → 91 is inside
    r = row(evaluate(plan, frame([("ratio", CITY, 2030, 91)]), "final", method={"band": {"relative_tolerance": 0.1}}),
            "ratio")
    assert (r["band_upper"], r["status"]) == (pytest.approx(93.5), "held")


def test_limits_read_as_limits():
    # "控制在2‰内": 1.5 ≤ 2 → held (符合控制要求), never achieved; at the end completed, never exceeded
    plan = make_plan(ind("overdue", "ceiling", 2, tier="secondary"))
    r = row(evaluate(plan, frame([("overdue", CITY, 2028, 1.5)]), "midterm", 2028), "overdue")
    assert r["status"] == "held"
    r = row(evaluate(plan, frame([("overdue", CITY, 2030, 0.5)]), "final"), "overdue")
    assert (r["status"], r["grade"]) == ("held", "completed")


def test_new_statuses_need_attention_and_have_words():
    from reportkit.i18n import t
    from reportkit.vocab import ATTENTION, LIMIT_STATUSES

    assert {"breached", "above_band", "below_band"} <= set(ATTENTION) and "held" not in ATTENTION
    assert t("status.status.held", "zh") == "符合控制要求"
    for code in LIMIT_STATUSES:
        assert t(f"status.status.{code}", "en") and t(f"status.status.{code}", "zh")


def test_band_in_results_contract():
    ev = run_evaluation(make_plan(ind("ratio", "band", 85, tier="secondary")), frame([]), "midterm", 2028)
    r = row(ev.results, "ratio")
    assert (r["status"], r["reason"]) == ("no_data", "no_value") and r["band_lower"] == pytest.approx(80.75)


# ---- what the status is measured against is what the reader sees -----------------------------------
def test_planned_progress_is_the_annex_schedule_share():
    # Annex schedule 100, 300, 300, 200, 100 (T = 1000): by 2028 E = 700 → 计划进度 E/T = 0.70,
    # not τ = 0.60. A = 660 → c = 0.66 (above τ) but R = 660 / 700 = 0.943 < 0.95 → lagging:
    # the table shows 70 % beside 66 %, so the status is readable from the row itself.
    plan = make_plan(ind("rooms", "cumulative", 1000, schedule={CITY: [100, 300, 300, 200, 100]}),
                     ind("cover", "level", 80, baseline=50))
    acts = frame([("rooms", CITY, 2026, 100), ("rooms", CITY, 2027, 280), ("rooms", CITY, 2028, 280),
                  ("cover", CITY, 2028, 68)])
    res = evaluate(plan, acts, "midterm", 2028)
    r = row(res, "rooms")
    assert r["planned_progress"] == pytest.approx(0.7) and r["time_progress"] == pytest.approx(0.6)
    assert r["completion"] == pytest.approx(0.66) and r["status"] == "lagging"
    # a level: (E − B)/(T − B) = τ = 0.6 (E = 50 + 30 · 0.6 = 68); limits have none
    assert row(res, "cover")["planned_progress"] == pytest.approx(0.6)


def test_headline_chart_plots_the_schedule_ratio():
    from types import SimpleNamespace

    from reportkit.inputs.method import as_method
    from reportkit.report.charts import main_completion_figure

    rooms = ind("rooms", "cumulative", 1000, schedule={CITY: [100, 300, 300, 200, 100]})
    rooms.tier = "main"   # a main indicator with an annex schedule (as 老旧小区改造)
    plan = make_plan(rooms)
    ev = run_evaluation(plan, frame([("rooms", CITY, y, v) for y, v in ((2026, 100), (2027, 280), (2028, 280))]),
                        "midterm", 2028)
    ctx = SimpleNamespace(results=ev.results, plan=plan, method=as_method(None), meta=ev.meta, stage="midterm")
    fig = main_completion_figure(ctx, "en")
    # the bar is R = 0.943 (what "lagging" comes from), with E/T = 0.70 in the data table
    assert list(fig.table["Schedule ratio"]) == [pytest.approx(660 / 700)]
    assert list(fig.table["Planned progress (E/T)"]) == [pytest.approx(0.7)]


# ---- districts: missing data never improves a rank ---------------------------------------------------
def test_district_with_missing_due_data_ranks_after_complete_ones():
    housing = ind("housing", "cumulative", 1000, schedule={
        CITY: [100, 200, 300, 200, 200], "A": [60, 120, 180, 120, 120], "B": [40, 80, 120, 80, 80],
        "C": [0, 0, 0, 0, 0]})
    rooms = ind("rooms", "cumulative", 50, schedule={
        CITY: [10, 10, 10, 10, 10], "A": [5, 5, 5, 5, 5], "B": [5, 5, 5, 5, 5], "C": [0, 0, 0, 0, 0]})
    acts = frame([
        # A: housing 180 of E = 360 → R = 0.5; rooms 9 of 15 → R = 0.6; score (0.5 + 0.6) / 2 = 0.55
        ("housing", "A", 2026, 60), ("housing", "A", 2027, 60), ("housing", "A", 2028, 60),
        ("rooms", "A", 2026, 3), ("rooms", "A", 2027, 3), ("rooms", "A", 2028, 3),
        # B: housing 2027 not reported (due: 80 planned) → no data; rooms 24 of 15 → R = 1.6 → 1.2
        ("housing", "B", 2026, 40), ("housing", "B", 2028, 120),
        ("rooms", "B", 2026, 8), ("rooms", "B", 2027, 8), ("rooms", "B", 2028, 8),
    ])
    comp = run_evaluation(make_plan(housing, rooms), acts, "midterm", 2028).composite.set_index("district")
    assert comp.loc["A", "composite_score"] == pytest.approx(0.55)
    # B scores 1.2 on the one programme it reported, but its housing task is due and unreported:
    # provisional, ranked after A (never 1st because of what it did not report)
    assert comp.loc["B", "composite_score"] == pytest.approx(1.2) and bool(comp.loc["B", "provisional"])
    assert comp.loc["B", "excluded_because"] == "housing:no_data"
    assert (comp.loc["A", "composite_rank"], comp.loc["B", "composite_rank"]) == (1, 2)
    assert not bool(comp.loc["A", "provisional"]) and comp.loc["A", "indicators_used"] == "housing,rooms"


def test_district_set_is_named_from_the_catalogue_types():
    from reportkit.report.narrative import district_set

    plan = make_plan()
    plan.district_types = {"A": "district", "B": "county", "C": "development_zone"}
    assert district_set(plan, ["A", "B", "C"], "zh") == "2个县（市、区）和1个功能区"
    assert district_set(plan, ["A", "B", "C"], "en") == "2 counties, cities and districts and 1 development zone"
    assert district_set(plan, ["C"], "zh") == "1个功能区"
    plan.district_types = {}   # a catalogue without types: every unit is a county, city or district
    assert district_set(plan, ["A", "B", "C"], "en") == "3 counties, cities and districts"


def test_default_catalogue_names_seven_units_and_two_zones(dazhou_plan):
    from reportkit.report.narrative import district_set

    districts = [d for d in dazhou_plan.districts if d != dazhou_plan.city]
    assert district_set(dazhou_plan, districts, "zh") == "7个县（市、区）和2个功能区"
    assert district_set(dazhou_plan, districts, "en") == "7 counties, cities and districts and 2 development zones"


# ---- dates: a report uses and publishes only values up to its evaluation date --------------------
def test_values_after_as_of_are_left_out():
    from reportkit.evaluation.engine import AsOf, values_up_to

    housing = ind("housing", "cumulative", 1000, schedule={CITY: [100, 200, 300, 200, 200],
                                                          "A": [100, 200, 300, 200, 200]})
    acts = frame([("housing", CITY, y, 100) for y in (2026, 2027, 2028, 2029, 2030)]
                 + [("housing", "A", y, 90) for y in (2026, 2027, 2028, 2029, 2030)])
    ev = run_evaluation(make_plan(housing), acts, "midterm", 2028)
    # the 2 × 2 rows of 2029–2030 are left out: the reconciliation covers 2026–2028 only
    rec = ev.reconciliation[ev.reconciliation["check"] == "actual_city_vs_districts"]
    assert sorted(rec["year"]) == [2026, 2027, 2028]
    # what the report publishes (downloads, data page): the same 6 rows, none after 2028
    kept = values_up_to(acts, AsOf(2028))
    assert len(kept) == 6 and kept["year"].max() == 2028
    # a month as_of keeps its own year's year-to-date figures only: full-year 2028 figures are
    # never read as January–June
    assert values_up_to(acts, AsOf(2028, 6))["year"].max() == 2027
    ytd = frame([("housing", CITY, y, 100) for y in (2026, 2027, 2028, 2029)] + [("housing", CITY, 2028, 40)],
                ytd="2028-06")
    ytd.loc[2, "period"] = ""   # the full year 2028 (100) beside January–June (40)
    kept = values_up_to(ytd, AsOf(2028, 6))
    assert list(kept["value"]) == [100, 100, 40]
    # and a year-end evaluation never reads a year-to-date figure as the year's
    assert list(values_up_to(ytd, AsOf(2028))["value"]) == [100, 100, 100]


# ---- numbers: half up from the exact value, counts whole ---------------------------------------------
def test_numbers_round_half_up_and_counts_are_whole():
    from reportkit.report.tables import fmt_num, fmt_pair, fmt_pct, fmt_value, is_count

    # 107.75 % → 107.8 % (binary rounding of 1.0775 × 100 gives 107.7); 2.675 → 2.68; 0.125 → 0.13
    assert (fmt_pct(1.0775, "zh"), fmt_num(2.675, "zh", 2), fmt_num(0.125, "en", 2)) == ("107.8%", "2.68", "0.13")
    assert fmt_num(-0.001, "zh", 2) == "0.00"   # never "-0.00"
    # households and units are counts: 55,279.5 户 → 55,280; 万户 and 万人 are not counts
    assert fmt_value(55279.5, "户", "zh") == "55,280" and fmt_value(33047.5, "套（间）", "zh") == "33,048"
    assert not is_count("万户") and not is_count("万人") and is_count("户（套）")
    assert fmt_value(23.45, "万人", "zh") == "23.5"
    # expected 23.04 and actual 23.01 are never both "23.0": one more decimal separates them
    assert fmt_pair(23.04, 23.01, "万人", "zh") == ("23.04", "23.01")
    assert fmt_pair(23.04, 23.16, "万人", "zh") == ("23.0", "23.2")


# ---- targets equal to their baseline: a level kept is a limit held, never 已提前实现 -----------------
def test_hold_level_reads_as_a_limit_held():
    from reportkit.i18n import t

    # T = B = 50 (level) and a growth target of 0 %: c and R undefined; the level is held or not
    plan = make_plan(ind("keep", "level", 50, baseline=50, attribute="binding"),
                     ind("flat", "growth", 0, baseline=20))
    res = evaluate(plan, frame([("keep", CITY, 2028, 50), ("flat", CITY, 2028, 19.5)]), "midterm", 2028)
    keep, flat = row(res, "keep"), row(res, "flat")
    assert (keep["status"], keep["reason"], keep["warning"]) == ("held", "hold_level", False)   # 50 ≥ 50
    assert (flat["status"], flat["reason"]) == ("breached", "hold_level")                        # 19.5 < 20
    assert empty(keep["completion"]) and empty(keep["schedule_ratio"])
    assert t(f"status.status.{keep['status']}", "zh") == "符合控制要求"   # not 已提前实现
    # end of term: held → completed (never exceeded), breached → not completed, binding warning
    res = evaluate(plan, frame([("keep", CITY, 2030, 58), ("flat", CITY, 2030, 21)]), "final")
    assert (row(res, "keep")["status"], row(res, "keep")["grade"]) == ("held", "completed")
    res = evaluate(plan, frame([("keep", CITY, 2030, 49)]), "final")
    assert (row(res, "keep")["status"], row(res, "keep")["grade"], row(res, "keep")["warning"]) == \
        ("breached", "not_completed", True)


# ---- end of term on data that stop early: provisional grades, status and grade agree --------------
def test_final_grade_on_early_data_is_provisional():
    from reportkit.report.tables import grade_text

    plan = make_plan(ind("cover", "level", 80, baseline=50), ind("loans", "cumulative", 500))
    acts = frame([("cover", CITY, 2028, 71), ("loans", CITY, 2026, 100), ("loans", CITY, 2027, 100),
                  ("loans", CITY, 2028, 110), ("loans", CITY, 2029, 100), ("loans", CITY, 2030, 100)])
    res = evaluate(plan, acts, "final")
    # cover: latest value 2028 (71), as_of 2030: E = T = 80, c = R = 21 / 30 = 0.7 → lagging (0.6 ≤ R < 0.95), not
    # completed — on data to 2028: provisional (暂评)
    cover = row(res, "cover")
    assert (cover["actual_year"], cover["completion"]) == (2028, pytest.approx(0.7))
    assert (cover["status"], cover["grade"], cover["grade_provisional"]) == ("lagging", "not_completed", True)
    assert grade_text(cover, "zh") == "未完成（截至2028年数据，暂评）"
    assert grade_text(cover, "en") == "not completed (provisional: data to 2028)"
    # loans: every year to 2030 reported, A = 510 ≥ 500 → c = 1.02 → completed, not provisional
    loans = row(res, "loans")
    assert (loans["status"], loans["grade"], loans["grade_provisional"]) == ("achieved", "completed", False)
    assert grade_text(loans, "zh") == "完成"
    # an end-of-term evaluation run at 2028: every grade is provisional; A = 310 of 500 → c = 0.62
    # (not completed, on data to 2028) while R = 310 / 300 = 1.033 (on track at 2028)
    r = row(evaluate(plan, acts, "final", 2028), "loans")
    assert (r["grade"], r["grade_provisional"], r["status"]) == ("not_completed", True, "on_track")
    # an end-of-term evaluation at a month: the date named is the month
    r = row(evaluate(plan, frame([("cover", CITY, 2030, 75)], ytd="2030-06"), "final", "2030-06"), "cover")
    assert grade_text(r, "zh") == "未完成（截至2030年6月数据，暂评）"
    assert grade_text(r, "en") == "not completed (provisional: data to June 2030)"
    # no grade at mid-term: the flag is empty, not False
    assert empty(row(evaluate(plan, acts, "midterm", 2028), "cover")["grade_provisional"])


@pytest.mark.parametrize(("method", "a2030", "status", "grade"), [
    # grades.completed 0.95 below status.achieved 1.00: A = 490 of 500 → c = 0.98 → completed, so
    # achieved (before: on track, R = 0.98, beside "completed")
    ({"grades": {"exceeded": 1.05, "completed": 0.95, "basically_completed": 0.9}}, 90, "achieved", "completed"),
    # grades.completed 1.05 above status.achieved: A = 510 → c = 1.02 → basically completed, so not
    # achieved (before: achieved beside "basically completed"); R = 510 / 500 = 1.02 → on track
    ({"grades": {"exceeded": 1.10, "completed": 1.05, "basically_completed": 0.9}}, 110, "on_track",
     "basically_completed"),
    # status.achieved 1.20 above grades.exceeded 1.05: A = 560 → c = 1.12 → exceeded, so achieved
    # (before: ahead, R = 1.12, beside "exceeded")
    ({"status": {"achieved": 1.2}}, 160, "achieved", "exceeded"),
])
def test_final_status_and_grade_never_contradict(method, a2030, status, grade):
    plan = make_plan(ind("loans", "cumulative", 500))
    acts = frame([("loans", CITY, y, 100) for y in (2026, 2027, 2028, 2029)] + [("loans", CITY, 2030, a2030)])
    r = row(evaluate(plan, acts, "final", method=method), "loans")
    assert (r["status"], r["grade"]) == (status, grade)
    assert (r["status"] == "achieved") == (r["grade"] in ("completed", "exceeded"))


def test_summary_says_which_grades_are_provisional():
    from reportkit.report.narrative import _provisional

    plan = make_plan(ind("cover", "level", 80, baseline=50), ind("share", "level", 60, baseline=40),
                     ind("loans", "cumulative", 500))
    acts = frame([("cover", CITY, 2028, 71), ("share", CITY, 2029, 55)]
                 + [("loans", CITY, y, 100) for y in (2026, 2027, 2028, 2029, 2030)])
    res = evaluate(plan, acts, "final")
    # cover (data to 2028) and share (to 2029) are provisional; the earliest date is named
    assert _provisional(res, "zh") == "其中2项截至2028年数据，为暂评"
    assert _provisional(res, "en") == "2 of them provisional, on data to 2028"
    assert _provisional(res[res["indicator"] == "loans"], "zh") == ""


# ---- an evaluation at a month needs year-to-date figures, declared as such -----------------------
def test_month_as_of_never_reads_full_year_figures_as_year_to_date():
    from reportkit.errors import ReportkitError

    plan = make_plan(ind("loans", "cumulative", 1000), ind("cover", "level", 80, baseline=50))
    full = [("loans", CITY, 2026, 100), ("loans", CITY, 2027, 200), ("loans", CITY, 2028, 300),
            ("cover", CITY, 2028, 70)]
    # at 2028-06, E = 1000 · 30/60 = 500. Reading the full-year 2028 flow (300) as January–June
    # would give A = 600, R = 1.2 "ahead": the build stops instead, naming the row (line 4)
    with pytest.raises(ReportkitError) as err:
        evaluate(plan, frame(full), "midterm", "2028-06")
    (problem,) = err.value.problems
    assert problem.key == "full_year_at_month" and problem.location.render() == "t.csv: line 4"
    assert "2028年1—6月的累计数" in problem.message("zh") and "统计期间" in problem.message("zh")
    assert "the first 6 months of 2028" in problem.message("en") and "t.csv: line 4" in problem.message("en")
    # with the year-to-date figure declared (period "2028-06", i.e. 1-6月: 120) beside the full
    # year: A = 100 + 200 + 120 = 420, R = 420 / 500 = 0.84 → lagging; the full year is not used
    ytd = frame(full + [("loans", CITY, 2028, 120), ("cover", CITY, 2028, 66)], ytd="2028-06")
    ytd.loc[[2, 3], "period"] = ""
    res = evaluate(plan, ytd, "midterm", "2028-06")
    loans, cover = row(res, "loans"), row(res, "cover")
    assert loans["actual"] == pytest.approx(420) and loans["schedule_ratio"] == pytest.approx(0.84)
    assert loans["status"] == "lagging"
    # the level's June value (66, not the year-end 70): E = 50 + 30 · 0.5 = 65, R = 16 / 15
    assert cover["actual"] == 66 and cover["schedule_ratio"] == pytest.approx(16 / 15)
    # the same file evaluated at the year end reads the full-year figures: A = 600 of E = 600
    r = row(evaluate(plan, ytd, "midterm", 2028), "loans")
    assert r["actual"] == pytest.approx(600) and r["schedule_ratio"] == pytest.approx(1.0)
    # nothing reported for 2028 at all: not an error, the sum is incomplete (no data, 2028 named)
    r = row(evaluate(plan, frame(full[:2]), "midterm", "2028-06"), "loans")
    assert (r["status"], r["missing_years"]) == ("no_data", "2028")


@pytest.mark.parametrize(("text", "months"), [
    ("", 12), ("全年", 12), ("1-12月", 12), ("1-6月", 6), ("1—6月", 6), ("１－６月", 6), ("6月", 6),
    ("1-6", 6), ("ytd-06", 6), ("YTD 6", 6), ("Jan–Jun", 6), ("January-June", 6), ("1至9月", 9),
    ("上半年", 0), ("13月", 0), ("2-6月", 0),
])
def test_period_words(text, months):
    from reportkit.inputs.actuals import parse_period

    assert parse_period(text) == months


def test_year_to_date_rows_from_the_form(tmp_path, dazhou_plan):
    from reportkit.inputs.actuals import read_actuals
    from reportkit.inputs.form import CORRECTION_KEYS, CSV_COLUMNS

    assert CSV_COLUMNS[-1] == "period" and CORRECTION_KEYS[-1] == "period"
    csv = tmp_path / "a.csv"
    csv.write_text(
        "indicator,district,year,value,source,period\n"
        "old_residential_renovation,达州市,2023,42000,统计局,\n"
        "old_residential_renovation,达州市,2023,20000,统计局,1-6月\n"
        "old_residential_renovation,达州市,2022,40000,统计局,上半年\n", encoding="utf-8")
    read = read_actuals(csv, dazhou_plan)
    # the full year and January–June of 2023 are two figures, not a conflict; "上半年" is refused
    assert [(p.key, p.location.line) for p in read.problems] == [("bad_period", 4)]
    t = read.table
    rows = t[(t["year"] == 2023) & (t["district"] == "达州市") & t["value"].notna()].sort_values("value")
    assert list(rows["period"]) == ["2023-06", ""] and list(rows["value"]) == [20000, 42000]
    # a file of full-year figures gives the table it always gave: no period column
    csv.write_text("indicator,district,year,value,source\nold_residential_renovation,达州市,2023,42000,统计局\n",
                   encoding="utf-8")
    assert "period" not in read_actuals(csv, dazhou_plan).table.columns


def test_year_to_date_row_on_the_workbook_fixes_sheet(tmp_path, dazhou_plan):
    import io

    from openpyxl import load_workbook

    from reportkit.evaluation.engine import run_evaluation
    from reportkit.inputs.actuals import read_actuals
    from reportkit.inputs.form import build_workbook, workbook_bytes

    wb = load_workbook(io.BytesIO(workbook_bytes(build_workbook(dazhou_plan))))
    ws = wb["更正 Fixes"]
    assert [c.value for c in ws[4]][-1] == "period"     # the key row names the period column
    assert ws.cell(3, 9).value == "统计期间（全年留空） / Period (blank: full year)"
    for r, (year, value, period) in enumerate(((2021, 30000, None), (2022, 40000, None), (2023, 20000, "1-6月"),
                                               (2023, 45000, None)), start=5):
        for c, v in enumerate(("old_residential_renovation", "达州市", year, value, "统计局", None, None, None,
                               period), start=1):
            ws.cell(r, c, v)
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    read = read_actuals(path, dazhou_plan)
    assert not read.problems
    table = read.table
    # the 2023 rows: F7 January–June (20000), F8 the full year (45000)
    got = table[(table["year"] == 2023) & table["value"].notna()].set_index("value")["period"]
    assert got.to_dict() == {20000.0: "2023-06", 45000.0: ""}
    # at 2023-06 the January–June figure is used: A = 30000 + 40000 + 20000 = 90000 (as in the
    # hand-computed test_dazhou_month_as_of_annex_target_and_missing_year); at 2023 the full year
    city = run_evaluation(dazhou_plan, table, "midterm", "2023-06").results
    r = city[(city["indicator"] == "old_residential_renovation") & (city["district"] == "达州市")].iloc[0]
    assert r["actual"] == pytest.approx(90000)
    year_end = run_evaluation(dazhou_plan, table, "midterm", 2023).results
    r = year_end[(year_end["indicator"] == "old_residential_renovation") & (year_end["district"] == "达州市")].iloc[0]
    assert r["actual"] == pytest.approx(115000)
