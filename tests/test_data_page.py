"""What METHOD.md asks the report to show besides the results (issue 12): the reconciliation of
city and district figures, the corrections applied and the baselines taken from actuals, on the
data page (site and PDF) and in the downloads. Hand-made figures."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd

from evaluation_factory import CITY, frame, ind, make_plan
from reportkit.evaluation.engine import run_evaluation
from reportkit.report import tables

PROG = ind("prog", "cumulative", 1000, schedule={"A": [100] * 5, "B": [60] * 5, "C": [40] * 5})
LEVEL = ind("area", "level", 30.0)   # no baseline in the plan: taken from the 2025 value reported


def _ctx():
    rows = [
        ("prog", CITY, 2026, 200), ("prog", "A", 2026, 100), ("prog", "B", 2026, 60), ("prog", "C", 2026, 40),
        ("prog", CITY, 2027, 210), ("prog", "A", 2027, 100), ("prog", "B", 2027, 60),    # C did not report
        ("prog", CITY, 2028, 190), ("prog", "A", 2028, 100), ("prog", "B", 2028, 60), ("prog", "C", 2028, 40),
        ("area", CITY, 2025, 25.0), ("area", CITY, 2028, 27.5),
        # a correction: 2028 B was 60 at t.csv line 11, now 50 (city 190 = 100 + 50 + 40)
        ("prog", "B", 2028, 50, "", "final", "t.csv: line 11", "fixes.csv: line 2"),
    ]
    actuals = frame(rows)
    plan = make_plan(PROG, LEVEL)
    ev = run_evaluation(plan, actuals, "midterm", 2028)
    return SimpleNamespace(plan=plan, results=ev.results, evaluation=ev, meta=ev.meta, actuals=actuals,
                           stage="midterm")


def _cells(table: tables.HtmlTable) -> list[list[str]]:
    return [[re.sub(r"<[^>]+>", "", str(c)) for c in row] for row in table.rows]


def test_the_reconciliation_lists_the_years_that_disagree_and_who_did_not_report():
    t = tables.reconciliation_table(_ctx(), "zh")
    # 2026: 200 = 100 + 60 + 40 agrees; 2027: 210 vs 160 with C missing (not judged);
    # 2028 after the correction: 190 = 100 + 50 + 40 agrees
    assert _cells(t) == [["指标prog", "2027", "210", "160", "50", "丙县", "暂不判定"]]
    assert t.caption == "共核对3个年度，2个一致"
    assert _cells(tables.reconciliation_table(_ctx(), "en"))[0][5:] == ["C County", "not judged"]


def test_corrections_show_the_value_replaced_and_the_value_used_with_their_places():
    assert _cells(tables.corrections_table(_ctx(), "en")) == [["t.csv: line 11", "60", "fixes.csv: line 2", "50"]]


def test_baselines_taken_from_actuals_are_listed():
    rows = _cells(tables.baselines_table(_ctx(), "zh"))
    assert rows == [["指标area", "测试市", "25", "个", "2025"]]


def test_the_downloads_hold_the_reconciliation_and_the_plan_audit(tmp_path):
    from reportkit.publishing.downloads import write_downloads
    from reportkit.report.context import load_context

    ctx = load_context(stage="midterm")
    names = write_downloads(ctx, tmp_path)
    rec = pd.read_csv(tmp_path / names["reconciliation"][0], encoding="utf-8-sig")
    row = rec[(rec["check"] == "actual_city_vs_districts") & (rec["indicator"] == "shantytown_renovation")
              & (rec["year"] == 2023)].iloc[0]
    # the sample's city total for 2023 against the eight districts that reported (开江县 did not)
    assert (row["city_value"], row["district_sum"], row["districts_missing"]) == (2862, 2567, "开江县")
    audit = pd.read_csv(tmp_path / names["audit"][0], encoding="utf-8-sig")
    bad = audit[~audit["passed"]]
    assert list(bad["check"]) == ["main_vs_annex"] and (bad["expected"].iloc[0], bad["found"].iloc[0]) == (200000, 205987)


def test_levels_show_the_growth_needed_the_projection_and_the_international_view():
    # area: baseline 25.0 (2025, from actuals), 27.5 at 2028, target 30.0 at 2030.
    # growth so far (27.5/25)^(1/3) − 1 = 3.228 %; needed (30/27.5)^(1/2) − 1 = 4.447 %;
    # projection 27.5 · 1.1^(2/3) = 29.304 (unit 个: a count, shown whole: 29);
    # completion (29.304 − 25)/(30 − 25) = 86.08 % → 86.1 %
    row = _cells(tables.outlook_table(_ctx(), "zh"))[0]
    assert row[:5] == ["指标area", "4.4%", "3.2%", "29", "个"] and row[5] == "86.1%"
