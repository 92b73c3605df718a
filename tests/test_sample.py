"""The illustrative sample: reproducible, flagged, and showing every status of METHOD.md.

Statuses are recomputed here straight from METHOD.md (not with reportkit.evaluation.engine), so the
sample is checked against the method itself; a second test compares with the engine.
"""

from __future__ import annotations

import math

import pytest

from reportkit.config import DEFAULT_ACTUALS
from reportkit.inputs import catalogue
from reportkit.inputs import plan as plan_tables
from reportkit.inputs.actuals import current, read_actuals
from reportkit.inputs.form import districts_for, workbook_bytes
from reportkit.inputs.sample import SEED, fill, generate, source_text, write_sample
from reportkit.inputs.synthetic import write_plan

STATUSES = {"achieved", "ahead", "on_track", "lagging", "limited", "deteriorating", "not_scheduled", "no_data",
            "held"}
GRADES = {"exceeded", "completed", "basically_completed", "not_completed"}


def _band(r: float) -> str:
    """METHOD.md §5, primary status from the schedule ratio R."""
    if r >= 1.10:
        return "ahead"
    if r >= 0.95:
        return "on_track"
    if r >= 0.60:
        return "lagging"
    if r >= 0:
        return "limited"
    return "deteriorating"


def _grade(c: float, binding: bool) -> str:
    if c >= 1.05:
        return "exceeded"
    if c >= 1.0:
        return "completed"
    if c >= 0.9 and not binding:
        return "basically_completed"
    return "not_completed"


def method_status(plan, vals, ind, district, as_of) -> tuple[str, float | None]:
    """(status, completion) of one indicator × district at the end of year ``as_of``."""
    y0, y1 = plan.baseline_year, plan.last_year
    tau = (as_of - y0) / (y1 - y0)
    years = [y for y in plan.years if y <= as_of]

    def get(iid, y):
        return vals.get((iid, district, y))

    if ind.kind == "cumulative":
        if ind.annex is not None and district != plan.city:
            target = ind.district_targets[district]
        else:
            target = ind.target
        sched = ind.schedule.get(district)
        expected = sum(sched[y] for y in years) if sched else target * tau
        flows = [get(ind.id, y) for y in years]
        if any(f is None or isinstance(f, str) for f in flows):
            return "no_data", None
        actual = sum(flows)
        if not expected:
            return "not_scheduled", None
        c = actual / target
        return ("achieved" if c >= 1 else _band(actual / expected)), c
    if ind.kind in ("ceiling", "floor"):
        a = get(ind.id, as_of)
        if a is None:
            return "no_data", None
        held = a <= ind.target if ind.kind == "ceiling" else a >= ind.target
        return ("held" if held else "breached"), None
    if ind.kind == "band":   # target ± 5 % of the target (method file default), edges inside
        a = get(ind.id, as_of)
        if a is None:
            return "no_data", None
        half = 0.05 * ind.target
        return ("above_band" if a > ind.target + half else "below_band" if a < ind.target - half
                else "held"), None
    if ind.kind == "qualitative":
        j = get(ind.id, as_of)
        if j is None:
            return "no_data", None
        end = as_of == y1
        if not isinstance(j, str):   # a numeric proxy reads as the judgement met / partly
            j = "met" if j >= ind.target else "partly"
        return {"met": "achieved" if end else "on_track", "partly": "lagging", "not_met": "limited"}[j], None
    src = plan.indicator(ind.values_from) if ind.values_from else ind
    base = src.baseline.value if src.baseline else get(src.id, y0)
    a = get(src.id, as_of)
    if base is None or a is None:
        return "no_data", None
    if ind.kind == "growth":
        rate = ind.target / 100
        cagr = (a / base) ** (1 / (as_of - y0)) - 1
        return _band(cagr / rate), cagr / rate
    expected = base + (ind.target - base) * tau
    c = (a - base) / (ind.target - base)
    return ("achieved" if c >= 1 else _band((a - base) / (expected - base))), c


def statuses(plan, table, as_of):
    cur = current(table)
    vals = {}
    for r in cur.itertuples():
        vals[(r.indicator, r.district, r.year)] = r.judgement if r.judgement else (None if math.isnan(r.value) else r.value)
    out = {}
    for ind in plan.indicators:
        for d in districts_for(plan, ind):
            out[(ind.id, d)] = method_status(plan, vals, ind, d, as_of)
    return out


@pytest.fixture(scope="module")
def sample(dazhou_plan):
    return read_actuals(DEFAULT_ACTUALS, dazhou_plan)


def test_committed_sample_is_what_the_generator_makes(dazhou_plan):
    values, planted = generate(dazhou_plan, SEED)
    assert DEFAULT_ACTUALS.read_bytes() == workbook_bytes(fill(dazhou_plan, values, planted))


def test_sample_reads_clean_and_is_flagged_illustrative(sample):
    assert sample.problems == [] and sample.warnings == []
    valued = sample.table[sample.table.value.notna() | (sample.table.judgement != "")]
    assert len(valued) > 200
    assert valued.illustrative.all() and sample.illustrative
    assert (valued.source == source_text()).all()
    assert "示例数据，非官方统计" in source_text() and "Illustrative data, not official statistics" in source_text()


def test_sample_has_a_preliminary_value_a_correction_and_gaps(sample):
    t = sample.table
    assert (t.status == "preliminary").sum() == 1
    fixes = t[t.replaces != ""]
    assert len(fixes) == 1
    fix = fixes.iloc[0]
    old = t[t.location == fix.replaces].iloc[0]
    assert (old.indicator, old.district, old.year) == (fix.indicator, fix.district, fix.year)
    assert old.value < fix.value          # the correction raises a value reported too low
    assert len(sample.missing) == 2
    gaps = t[t.value.isna() & (t.judgement == "")]
    assert len(gaps) == 2 and (gaps.location != "").all()


def test_every_status_at_mid_term_and_every_grade_at_end(dazhou_plan, sample):
    mid = statuses(dazhou_plan, sample.table, 2023)
    assert {s for s, _ in mid.values()} == STATUSES
    end = statuses(dazhou_plan, sample.table, 2025)
    grades = {_grade(c, dazhou_plan.indicator(i).attribute == "binding")
              for (i, _), (s, c) in end.items() if c is not None and s != "no_data"
              and dazhou_plan.indicator(i).kind in ("cumulative", "level", "stock")}
    assert grades == GRADES


def test_engine_agrees_with_the_method(dazhou_plan, sample):
    """Cross-check with reportkit.evaluation.engine: statuses equal, except that the engine calls a
    district with nothing planned in the whole period `no_target` (METHOD: E = 0 → not_scheduled)."""
    evaluation = pytest.importorskip("reportkit.evaluation.engine")
    res = evaluation.evaluate(dazhou_plan, sample.table, "midterm", 2023)
    mine = statuses(dazhou_plan, sample.table, 2023)
    for r in res.itertuples():
        ours = mine[(r.indicator, r.district)][0]
        theirs = "not_scheduled" if r.status == "no_target" else r.status
        assert theirs == ours, (r.indicator, r.district, r.status, ours)


def test_sample_for_another_plan(tmp_path):
    plan_path, cat_path = write_plan(tmp_path, districts=6, annexes=3, first_year=2026)
    plan = catalogue.load(cat_path, plan_tables.extract(plan_path))
    path, n = write_sample(plan, tmp_path / "s.xlsx", seed=3)
    result = read_actuals(path, plan)
    assert result.problems == [] and result.illustrative
    # 3 annexes × (city + 6 districts) × 5 years + 2 city-wide indicators × 5 years, less 2 gaps
    assert n == 3 * 7 * 5 + 2 * 5 - 2
    got = {s for s, _ in statuses(plan, result.table, 2028).values()}
    assert {"ahead", "on_track", "lagging", "limited", "achieved", "no_data"} <= got


def test_sample_task_progress(dazhou_plan, sample):
    """Every progress code, a few tasks left unreported, all of it marked illustrative."""
    from reportkit.inputs.form import reported_tasks
    from reportkit.vocab import TASK_PROGRESS

    tasks = sample.tasks
    assert set(tasks["progress"]) == set(TASK_PROGRESS)
    # 67 tasks and items; every 13th left blank (5): missing, not "not started".
    assert len(reported_tasks(dazhou_plan)) == 67 and len(tasks) == 62
    assert (tasks["progress"] == "dropped").sum() == 1
    assert (tasks.loc[tasks["progress"] == "dropped", "reason"] != "").all()
    assert (tasks.loc[tasks["progress"] == "completed", "evidence"] != "").all()
    assert tasks["illustrative"].all() and (tasks["as_of"] == "2023-06-30").all()


def test_sample_for_a_plan_without_tasks_has_none(tmp_path):
    plan_path, cat_path = write_plan(tmp_path, districts=3, annexes=2)
    plan = catalogue.load(cat_path, plan_tables.extract(plan_path))
    path, _ = write_sample(plan, tmp_path / "s.xlsx")
    assert read_actuals(path, plan).tasks.empty
