"""Stage 3c — illustrative actuals for a plan that has no public ones (``reportkit sample-actuals``).

The generator fills the real template (so template → workbook → reader is exercised) with
seeded, plausible numbers designed to show every status of METHOD.md at mid-term and a spread of
end-of-term grades. Nothing here knows the default plan: profiles are dealt to (indicator,
district) units in catalogue order, so any plan gets the same variety.

How values are made (``mid`` = third plan year, τ its time progress):

* each unit gets a *profile*, dealt in turn: ahead, on_track, lagging, limited, achieved. The
  profile fixes the schedule ratio R at ``mid`` (drawn inside its METHOD.md band, away from the
  cut-offs) and the completion c at the last year (exceeded / completed / basically / not);
* the first level indicator is given ``deteriorating`` (moves away from its target); ceilings and
  floors hold their limit (held); a band stays inside until ``mid`` and, for a profile that ends
  short, leaves it by the end; districts with nothing planned report 0 (not_scheduled);
* cumulative: the flows to ``mid`` sum to R × E, spread like the plan's schedule (or evenly);
  level and stock: straight line from the baseline (stock: a running total, baseline 60 % of the
  target) to B + R·(E − B); growth: the CAGR is R × the rate;
  qualitative: a numeric proxy in the first year, then judgements (the one at ``mid`` follows R);
* deliberate gaps: one city-wide cumulative indicator and one annex district have one empty
  year (no_data); one value is marked preliminary; one value is entered too low and corrected
  on the corrections sheet (``replaces``).

Every source cell says 示例数据，非官方统计 / Illustrative data, not official statistics.

Task progress (plans with a task chapter): progress codes are dealt to the tasks and items in
plan order (:data:`TASK_DEAL`, mostly on track or completed, some lagging or not started, one
dropped with its reason), and every :data:`TASK_UNREPORTED`-th is left blank (not reported).
Evidence and reasons say 示例 / illustrative, every note says the illustrative words of the
values' sources; the date is the middle of the mid-term year.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from reportkit.i18n import t
from reportkit.inputs.catalogue import Indicator, Plan
from reportkit.inputs.form import (
    TASK_KEYS,
    atomic_write_bytes,
    build_workbook,
    districts_for,
    inputs,
    is_percent,
    reported_tasks,
    workbook_bytes,
    years_for,
)
from reportkit.vocab import TASK_PROGRESS_ZH

SEED = 14
PROFILES = ("ahead", "on_track", "lagging", "limited", "achieved")
# Schedule ratio R at mid-term, inside each METHOD.md band with a margin from the cut-offs.
MID_R = {"ahead": (1.15, 1.35), "on_track": (0.98, 1.06), "lagging": (0.68, 0.88),
         "limited": (0.2, 0.5), "deteriorating": (-0.6, -0.2)}
# Completion c at the end of the period: exceeded / completed / basically / not completed.
END_C = {"ahead": (1.07, 1.15), "on_track": (1.005, 1.04), "lagging": (0.92, 0.98),
         "limited": (0.55, 0.8), "achieved": (1.08, 1.2), "deteriorating": (0.5, 0.8)}
JUDGEMENT_AT_MID = {"ahead": "met", "on_track": "达到", "achieved": "met", "lagging": "部分达到",
                    "limited": "not_met", "deteriorating": "not_met"}


# Progress dealt to the plan's tasks and items in order; the 11th reported one is dropped.
TASK_DEAL = ("on_track", "completed", "on_track", "lagging", "on_track", "completed", "not_started",
             "on_track", "completed", "lagging")
TASK_DROPPED_AT = 10
TASK_UNREPORTED = 13


@dataclass
class Value:
    indicator: str
    district: str
    year: int
    value: float | str | None
    status: str = "final"


def source_text() -> str:
    return f"{t('actuals.illustrative_source', 'zh')} / {t('actuals.illustrative_source', 'en')}"


def mid_year(plan: Plan) -> int:
    return min(plan.first_year + 2, plan.last_year)


def _decimals(scale: float) -> int:
    scale = abs(scale)
    return 0 if scale >= 100 else 1 if scale >= 10 else 2 if scale >= 1 else 3


def _spread(total: float, weights: list[float], decimals: int) -> list[float]:
    """Split ``total`` along ``weights``, rounded, the last part taking the rounding rest."""
    if not weights:
        return []
    s = sum(weights)
    weights = weights if s > 0 else [1.0] * len(weights)
    s = sum(weights)
    parts = [round(total * w / s, decimals) for w in weights]
    parts[-1] = round(total - sum(parts[:-1]), decimals)
    return [max(p, 0.0) for p in parts]


def _cumulative(plan: Plan, ind: Indicator, district: str, profile: str, rng: random.Random) -> dict[int, float]:
    years, mid = plan.years, mid_year(plan)
    tau = (mid - plan.baseline_year) / (plan.last_year - plan.baseline_year)
    sched = ind.schedule.get(district)
    if sched is not None:
        total = ind.district_targets.get(district, 0.0)
        plan_w = [sched.get(y, 0.0) for y in years]
        expected = sum(sched.get(y, 0.0) for y in years if y <= mid)
        decimals = 0 if all(float(v).is_integer() for v in plan_w) else 1
    else:
        total = float(ind.target or 0)
        plan_w = [1.0] * len(years)
        expected = total * tau
        decimals = _decimals(total / len(years))
    if total == 0:
        return dict.fromkeys(years, 0.0)
    noisy = [w * rng.uniform(0.85, 1.15) for w in plan_w]
    pre = [k for k, y in enumerate(years) if y <= mid]
    post = [k for k, y in enumerate(years) if y > mid]
    if profile == "achieved":
        a_mid = total * rng.uniform(1.02, 1.08)
    elif expected == 0:
        a_mid = 0.0
    else:
        a_mid = expected * rng.uniform(*MID_R[profile])
    a_end = max(total * rng.uniform(*END_C[profile]), a_mid + (0.02 * total if post else 0))
    flows = _spread(a_mid, [noisy[k] for k in pre], decimals)
    flows += _spread(a_end - sum(flows), [noisy[k] for k in post], decimals)
    return dict(zip(years, flows, strict=True))


def _level(plan: Plan, ind: Indicator, profile: str, rng: random.Random) -> dict[int, float]:
    """A level or a stock: a straight line from the baseline; a stock (a running total since the
    fund began) starts at 60 % of its end target, a plain level at 90 %."""
    mid, y0, y1 = mid_year(plan), plan.baseline_year, plan.last_year
    tau = (mid - y0) / (y1 - y0)
    target = float(ind.target)
    share = 0.6 if ind.kind == "stock" else 0.9
    base = ind.baseline.value if ind.baseline else round(target * share, _decimals(target) + 1)
    gap = target - base
    if profile == "achieved":
        a_mid = base + gap * rng.uniform(1.02, 1.08)
    else:
        a_mid = base + gap * tau * rng.uniform(*MID_R[profile])
    a_end = base + gap * rng.uniform(*END_C[profile])
    cap = 100.0 if is_percent(ind) else float("inf")
    decimals = _decimals(gap) + 1
    out = {}
    for y in years_for(plan, ind):
        if y <= mid:
            v = base + (a_mid - base) * (y - y0) / (mid - y0)
        else:
            v = a_mid + (a_end - a_mid) * (y - mid) / (y1 - mid)
        out[y] = round(min(v, cap), decimals)
    return out


def _band(plan: Plan, ind: Indicator, profile: str, rng: random.Random) -> dict[int, float]:
    """A band ("about 85 %"): inside ±2 % of the target up to ``mid``, then, for the profiles
    that end short (lagging, limited), drifting above the band to show a deviation at the end.
    Draws two numbers, as a level does, so the rest of the sample stays the same."""
    target = float(ind.target)
    inside = target * (1 + rng.uniform(-0.02, 0.02))
    drift = rng.uniform(0.08, 0.12) if profile in ("lagging", "limited") else rng.uniform(-0.01, 0.01)
    mid, y1 = mid_year(plan), plan.last_year
    out = {}
    for y in years_for(plan, ind):
        v = inside if y <= mid else inside + target * drift * (y - mid) / (y1 - mid)
        out[y] = round(v, 1)
    return out


def _growth(plan: Plan, ind: Indicator, profile: str, rng: random.Random) -> dict[int, float]:
    mid, y0, y1 = mid_year(plan), plan.baseline_year, plan.last_year
    rate = float(ind.target) / 100
    g_mid = rate * rng.uniform(*MID_R["ahead" if profile == "achieved" else profile])
    g_end = rate * rng.uniform(*END_C[profile])
    v0 = ind.baseline.value if ind.baseline else 1000.0
    v_mid = v0 * (1 + g_mid) ** (mid - y0)
    v_end = v0 * (1 + g_end) ** (y1 - y0)
    out = {}
    for y in years_for(plan, ind):
        if y <= mid:
            v = v0 * (1 + g_mid) ** (y - y0)
        else:
            v = v_mid * (v_end / v_mid) ** ((y - mid) / (y1 - mid))
        out[y] = round(v, 1)
    return out


def generate(plan: Plan, seed: int = SEED) -> tuple[list[Value], dict]:
    """The sample values, and what was planted: profiles, gaps, the preliminary and the correction."""
    rng = random.Random(seed)
    mid = mid_year(plan)
    values: list[Value] = []
    profiles: dict[tuple[str, str], str] = {}
    deal = 0
    deteriorating_done = False
    for ind in inputs(plan):
        for d in districts_for(plan, ind):
            if ind.annex is not None and d == plan.city:
                continue
            if ind.kind in ("ceiling", "floor"):
                profile = "achieved"
            elif ind.kind == "level" and not deteriorating_done and ind.annex is None:
                profile, deteriorating_done = "deteriorating", True
            else:
                profile, deal = PROFILES[deal % len(PROFILES)], deal + 1
            profiles[(ind.id, d)] = profile
            if ind.kind == "cumulative":
                series: dict[int, float | str] = _cumulative(plan, ind, d, profile, rng)
            elif ind.kind in ("level", "stock"):
                series = _level(plan, ind, profile, rng)
                if ind.kind == "stock":
                    # Stocks were once read as five-year flows, whose series took one draw per
                    # year more: the same draws are taken, so the sample values of the indicators
                    # after a stock stay what they were.
                    for _ in plan.years:
                        rng.random()
            elif ind.kind == "band":
                series = _band(plan, ind, profile, rng)
            elif ind.kind == "growth":
                series = _growth(plan, ind, profile, rng)
            elif ind.kind == "ceiling":
                series = {y: round(float(ind.target) * rng.uniform(0.5, 0.8), 2) for y in years_for(plan, ind)}
            elif ind.kind == "floor":
                series = {y: float(ind.target) for y in years_for(plan, ind)}
            else:  # qualitative: a numeric proxy first, then the evaluator's judgement
                proxy = float((ind.proxy or {}).get("target", 100))
                series = {y: ("met" if y < mid else JUDGEMENT_AT_MID[profile] if y == mid else "达到")
                          for y in years_for(plan, ind)}
                series[plan.first_year] = proxy
            values += [Value(ind.id, d, y, v) for y, v in series.items()]
        if ind.annex is not None:   # the optional city row: the sum of the districts
            for y in plan.years:
                parts = [v.value for v in values if v.indicator == ind.id and v.year == y and v.district != plan.city]
                values.append(Value(ind.id, plan.city, y, float(sum(parts))))
    planted = _plant(plan, values, mid)
    planted["profiles"] = profiles
    return values, planted


def _plant(plan: Plan, values: list[Value], mid: int) -> dict:
    """Blank two values (no_data), mark one preliminary, and set up one correction."""
    by = {(v.indicator, v.district, v.year): v for v in values}
    # running totals too: a stock's gap is listed as a missing year while its latest value counts
    citywide = [i for i in inputs(plan) if i.annex is None and i.kind in ("cumulative", "stock")]
    annexed = [i for i in inputs(plan) if i.annex is not None]
    planted: dict = {"missing": [], "preliminary": None, "correction": None}
    if citywide:
        v = by[(citywide[-1].id, plan.city, mid - 1)]
        v.value = None
        planted["missing"].append((v.indicator, v.district, v.year))
        p = by[(citywide[0].id, plan.city, plan.last_year)]
        p.status = "preliminary"
        planted["preliminary"] = (p.indicator, p.district, p.year)
    if annexed:
        for ind in reversed(annexed):   # the last district with something planned at mid-term
            busy = [d for d in districts_for(plan, ind) if d != plan.city and ind.schedule[d].get(mid, 0) > 0]
            if busy:
                v = by[(ind.id, busy[-1], mid)]
                v.value = None
                planted["missing"].append((v.indicator, v.district, v.year))
                break
        ind = annexed[0]
        year = plan.first_year + 1
        busy = [d for d in districts_for(plan, ind) if d != plan.city and (by[(ind.id, d, year)].value or 0) >= 10]
        if busy:
            planted["correction"] = (ind.id, busy[0], year)
    return planted


def _cells(wb: Workbook) -> tuple[dict, dict]:
    """Where each (indicator, district, year) goes: value cell, and its row's source/status cells."""
    from reportkit.inputs.form import both

    label = both("actuals.indicator_id")
    where, meta = {}, {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(min_row=1, max_row=min(ws.max_row, 30)))
        key_r = next((r[0].row for r in rows if r[0].value in ("district", "indicator")), None)
        if key_r is None:
            continue
        keys = {c.value: c.column for c in ws[key_r] if c.value}
        if "replaces" in keys:
            meta["corrections"] = (ws, key_r, keys)
            continue
        if keys.get("district") == 1:
            ind_id = next(r[1].value for r in rows if r[0].value == label)
            for r in range(key_r + 1, ws.max_row + 1):
                d = ws.cell(r, 1).value
                for k, c in keys.items():
                    if str(k).startswith("value:"):
                        where[(ind_id, d, int(k.split(":")[1]))] = (ws, r, c, keys)
        else:
            for r in range(key_r + 1, ws.max_row + 1):
                ind_id, d, y = (ws.cell(r, keys[k]).value for k in ("indicator", "district", "year"))
                if ind_id:
                    where[(ind_id, d, int(y))] = (ws, r, keys["value"], keys)
    return where, meta


def fill(plan: Plan, values: list[Value], planted: dict) -> Workbook:
    """The template workbook with the sample values, sources, one preliminary and one correction."""
    wb = build_workbook(plan)
    where, meta = _cells(wb)
    src = source_text()
    for v in values:
        ws, r, c, keys = where[(v.indicator, v.district, v.year)]
        correct = (v.indicator, v.district, v.year) == planted["correction"]
        ws.cell(r, c, round(v.value * 0.9) if correct else v.value)   # entered too low, fixed below
        if v.value is not None:
            ws.cell(r, keys["source"], src)
            if ws.cell(r, keys["status"]).value != "preliminary":
                ws.cell(r, keys["status"], v.status)
    if planted["correction"] and "corrections" in meta:
        ind_id, d, y = planted["correction"]
        ws, r, c, _ = where[planted["correction"]]
        value = next(v.value for v in values if (v.indicator, v.district, v.year) == planted["correction"])
        cws, key_r, keys = meta["corrections"]
        row = {"indicator": ind_id, "district": d, "year": y, "value": value, "source": src,
               "status": "final", "note": t("actuals.correction_note", "zh") + " / " + t("actuals.correction_note", "en"),
               "replaces": f"{ws.title}!{ws.cell(r, c).coordinate}"}
        for k, val in row.items():
            cws.cell(key_r + 1, keys[k], val)
    _fill_tasks(wb, plan)
    return wb


def task_progress(plan: Plan) -> dict[str, str]:
    """The progress code the sample reports for each task and item (absent: not reported)."""
    out: dict[str, str] = {}
    dealt = 0
    for k, task_id in enumerate(reported_tasks(plan), start=1):
        if k % TASK_UNREPORTED == 0:
            continue
        out[task_id] = "dropped" if dealt == TASK_DROPPED_AT else TASK_DEAL[dealt % len(TASK_DEAL)]
        dealt += 1
    return out


def _both(key: str) -> str:
    return f"{t(key, 'zh')} / {t(key, 'en')}"


def _fill_tasks(wb: Workbook, plan: Plan) -> None:
    """Write the sample's task progress into the template's task sheet."""
    import datetime as dt

    progress = task_progress(plan)
    if not progress:
        return
    ws = next(ws for ws in wb.worksheets if ws.cell(4, 1).value == "task")
    keys = {ws.cell(4, c).value: c for c in range(1, len(TASK_KEYS) + 1)}
    as_of = dt.datetime(mid_year(plan), 6, 30)
    for r in range(5, ws.max_row + 1):
        code = progress.get(str(ws.cell(r, 1).value))
        if code is None:
            continue
        ws.cell(r, keys["progress"], TASK_PROGRESS_ZH[code])
        if code in ("completed", "lagging", "on_track"):
            ws.cell(r, keys["evidence"], _both(f"actuals.sample_evidence_{code}"))
        if code == "dropped":
            ws.cell(r, keys["reason"], _both("actuals.sample_reason"))
        ws.cell(r, keys["as_of"], as_of)
        ws.cell(r, keys["note"], source_text())


def write_sample(plan: Plan, out: Path, seed: int = SEED) -> tuple[Path, int]:
    """Generate, fill and write the sample workbook atomically; returns (path, values written)."""
    values, planted = generate(plan, seed)
    path = atomic_write_bytes(workbook_bytes(fill(plan, values, planted)), out)
    return path, sum(v.value is not None for v in values)
