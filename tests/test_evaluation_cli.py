"""`reportkit evaluate` end to end on the default plan and its sample actuals."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from reportkit.cli import main
from reportkit.config import DEFAULT_ACTUALS
from reportkit.inputs.method import STATUS_CODES

pytestmark = pytest.mark.skipif(not DEFAULT_ACTUALS.is_file(), reason="sample actuals not generated")


def test_evaluate_default_plan(tmp_path, capsys, dazhou_plan):
    out = tmp_path / "mid.csv"
    assert main(["--lang", "en", "evaluate", "--out", str(out)]) == 0
    assert "as of 2023 (time elapsed τ = 0.60)" in capsys.readouterr().out
    res = pd.read_csv(out, dtype={"missing_years": str})
    # every catalogue indicator has its city-wide row; every status is a METHOD.md code
    city = res[res["district"] == dazhou_plan.city]
    assert set(city["indicator"]) == {i.id for i in dazhou_plan.indicators}
    assert set(res["status"]) <= set(STATUS_CODES)
    # 老旧小区改造 at the end of 2023, from the plan by hand: annex 2 city row 40389 + 49746 + 42886;
    # T from the main table: 20 万户 = 200,000 households
    old = city.set_index("indicator").loc["old_residential_renovation"]
    assert old["expected"] == 40389 + 49746 + 42886 and old["target"] == 200000
    assert old["completion"] == pytest.approx(old["actual"] / 200000)
    assert old["schedule_ratio"] == pytest.approx(old["actual"] / 133021)
    # 人均住房建筑面积: E = 42.5 + (43 − 42.5) · 0.6 = 42.8
    assert city.set_index("indicator").loc["per_capita_floor_area", "expected"] == pytest.approx(42.8)
    meta = json.loads((tmp_path / "mid-meta.json").read_text(encoding="utf-8"))
    assert meta["as_of"] == "2023" and meta["method"]["status"]["ahead"] == 1.1 and meta["illustrative"] is True
    rec = pd.read_csv(tmp_path / "mid-reconciliation.csv")
    gap = rec[rec["check"] == "plan_target_vs_annex"].set_index("indicator").loc["old_residential_renovation"]
    assert (gap["city_value"], gap["district_sum"]) == (200000, 205987)  # main table vs annex total


def test_evaluate_final_xlsx_with_method(tmp_path, capsys):
    method = tmp_path / "m.yml"
    method.write_text("composite:\n  cap: 1.0\n", encoding="utf-8")
    out = tmp_path / "final.xlsx"
    assert main(["--lang", "zh", "evaluate", "--stage", "final", "--method", str(method), "--out", str(out)]) == 0
    sheets = pd.read_excel(out, sheet_name=None)
    assert sheets["composite"]["composite_score"].max() <= 1.0  # the cap of the user's file
    assert sheets["results"]["grade"].notna().any() and (sheets["results"]["as_of"] == 2025).all()


@pytest.mark.parametrize("args, text", [
    (["--as-of", "2031"], "outside the plan period 2021–2025"),
    (["--as-of", "2023-13"], "not understood"),
    (["--out", "x.txt"], "must end in .csv or .xlsx"),
])
def test_evaluate_user_errors(tmp_path, capsys, args, text):
    if args[0] == "--out":
        args = ["--out", str(tmp_path / "x.txt")]
    assert main(["--lang", "en", "evaluate", *args]) == 1
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err


def test_any_plan_2026_2030_many_districts(tmp_path):
    """A synthetic 2026–2030 plan (20 districts, 8 annexes): actuals equal to the plan give R = 1."""
    from reportkit.evaluation.engine import run_evaluation
    from reportkit.inputs.catalogue import load_plan
    from reportkit.inputs.synthetic import write_plan

    _, cat = write_plan(tmp_path, districts=20, annexes=8, first_year=2026)
    plan = load_plan(cat)
    rows = [{"indicator": i.id, "district": d, "year": y, "value": float(v), "judgement": "", "source": "s",
             "status": "final", "note": "", "replaces": "", "location": f"x: {i.id} {d} {y}", "illustrative": False}
            for i in plan.indicators for d, sched in i.schedule.items() for y, v in sched.items()]
    ev = run_evaluation(plan, pd.DataFrame(rows), "midterm")  # as_of 2028
    assert ev.meta["as_of"] == "2028"
    annex = ev.results[ev.results["indicator"].str.startswith("programme_")]
    assert len(annex) == 8 * 21
    for _, r in annex.iterrows():
        target = r["target"]
        expected = r["expected"]
        # A = E by construction: R = 1 → on track, or achieved when all of T was due by 2028,
        # not scheduled when nothing was due yet, no target when the district has none
        want = ("no_target" if not target else "not_scheduled" if expected == 0
                else "achieved" if expected >= target else "on_track")
        assert r["status"] == want, (r["indicator"], r["district"])
    assert ev.reconciliation["agrees"].dropna().all()
    assert ev.composite["composite_score"].dropna().eq(1.0).all()
    # the two indicators without actuals: no data, never zero
    assert set(ev.results[ev.results["indicator"].isin(["floor_area", "housing_supply"])]["status"]) == {"no_data"}
