"""Stage 5 — the evaluation: docs/METHOD.md applied to a plan and its actuals.

One computation, shown many ways: :func:`run_evaluation` returns an :class:`Evaluation` with
every table the report needs (results, district ranking, reconciliation, composite score,
metadata); :func:`evaluate` returns just its ``results`` DataFrame (with the metadata in
``results.attrs["meta"]``), as the notebooks and ``reportkit evaluate`` use it.

Results: one row per indicator × district (``district`` = ``plan.city`` for city-wide figures).
Ratios are fractions (0.873), never percent strings; an undefined value is empty (NaN / None),
never 0. Status, grade, international and reason codes are those of METHOD.md and
docs/method-extensions.md; their texts are in the ``status`` locale group (:func:`with_labels`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit.errors import Location, Problem, ReportkitError
from reportkit.files import atomic_write
from reportkit.i18n import t
from reportkit.inputs.actuals import superseded
from reportkit.inputs.catalogue import Indicator, Plan
from reportkit.inputs.method import (
    Method,
    agrees,
    as_method,
    method_problem,
)
from reportkit.vocab import RESULT_COLUMNS, STAGES, TIDY_COLUMNS

_AS_OF = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?\s*$")


# --------------------------------------------------------------------------- time
@dataclass(frozen=True)
class AsOf:
    """The evaluation date: the end of ``year`` (month 12) or the end of ``year-month``."""

    year: int
    month: int = 12

    @property
    def label(self) -> str:
        return str(self.year) if self.month == 12 else f"{self.year}-{self.month:02d}"

    def months_since(self, baseline_year: int) -> int:
        """Months from the end of the baseline year to this date."""
        return 12 * (self.year - baseline_year - 1) + self.month


def parse_as_of(value: AsOf | int | str | None, plan: Plan, stage: str = "midterm",
                method: Method | None = None) -> AsOf:
    """The as_of of a stage (default) or given as YYYY / YYYY-MM; outside the plan → error."""
    if stage not in STAGES:
        raise ReportkitError(method_problem("bad_stage", Location("--stage"), {"value": stage}))
    if value is None or (isinstance(value, str) and not value.strip()):
        m = method or as_method(None)
        if stage == "annual":   # a yearly report is for the year it is asked for, never a default one
            raise ReportkitError(method_problem("annual_needs_year", Location("--year"), {
                "first": plan.first_year, "last": plan.last_year}))
        if stage == "final":
            return AsOf(plan.last_year)
        year = min(plan.first_year + int(m["midterm_year_index"]) - 1, plan.last_year)
        return AsOf(year)
    if isinstance(value, AsOf):
        as_of = value
    else:
        match = _AS_OF.match(str(value))
        if not match or (match.group(2) and not 1 <= int(match.group(2)) <= 12):
            raise ReportkitError(method_problem("bad_as_of", Location("--as-of"), {"value": value}))
        as_of = AsOf(int(match.group(1)), int(match.group(2) or 12))
    if not plan.first_year <= as_of.year <= plan.last_year:
        raise ReportkitError(method_problem("as_of_outside", Location("--as-of"), {
            "value": as_of.label, "first": plan.first_year, "last": plan.last_year}))
    return as_of


# --------------------------------------------------------------------------- actuals
def values_up_to(actuals: pd.DataFrame | None, as_of: AsOf) -> pd.DataFrame | None:
    """The reported rows an evaluation at ``as_of`` may use and publish: years up to as_of's year.

    A mid-term report never uses, shows or offers for download a 2024 or 2025 "actual"
    (METHOD.md, Data rules). For a month as_of the year's own row is its year-to-date figure.
    """
    if actuals is None or len(actuals) == 0 or "year" not in actuals:
        return actuals
    years = pd.to_numeric(actuals["year"], errors="coerce")
    keep = years.isna() | (years <= as_of.year)
    if as_of.month < 12 or "period" in actuals:
        # Year-to-date figures (`period` = "2023-06": January–June 2023) serve only the evaluation
        # at that month, and there they replace the year's full-year figures, which are never
        # read as January–June (docs/method-extensions.md `month_figures`).
        period = _periods(actuals)
        this_year = years == as_of.year
        keep &= (period == "") & ~(this_year & (as_of.month < 12)) | (this_year & (period == as_of.label))
    return actuals[keep].copy()


def _periods(actuals: pd.DataFrame) -> pd.Series:
    """Each row's period: "" for a full-year figure, "YYYY-MM" for a year-to-date one."""
    if "period" not in actuals:
        return pd.Series("", index=actuals.index)
    return actuals["period"].map(_text)


def month_figures_problems(actuals: pd.DataFrame | None, plan: Plan, as_of: AsOf) -> list[Problem]:
    """An evaluation at a month needs the year's year-to-date flows, declared as such (period
    "1-6月"): a full-year flow of that year without one would be read as January–June (8 "ahead"
    becoming 16). One located problem per such row; none for a year-end as_of."""
    if as_of.month == 12 or actuals is None or len(actuals) == 0:
        return []
    kinds = {i.id: i.kind for i in plan.indicators}
    corrected = "replaces" in actuals and "location" in actuals
    frame = actuals[~actuals["location"].isin(superseded(actuals))] if corrected else actuals
    years = pd.to_numeric(frame["year"], errors="coerce")
    period = _periods(frame)
    ytd = {(_text(i), _text(d)) for i, d, y, p in zip(frame["indicator"], frame["district"], years, period,
                                                          strict=True) if y == as_of.year and p == as_of.label}
    problems = []
    for i, r in enumerate(frame.to_dict("records")):
        iid, district = _text(r["indicator"]), _text(r["district"])
        value = r.get("value")
        has_value = value is not None and value == value
        if (kinds.get(iid) == "cumulative" and has_value and years.iloc[i] == as_of.year
                and period.iloc[i] == "" and (iid, district) not in ytd):
            problems.append(method_problem("full_year_at_month", Location(_text(r.get("location")) or "actuals"), {
                "indicator": iid, "district": district, "year": as_of.year, "month": as_of.month,
                "as_of": as_of.label}))
    return problems


@dataclass
class _Value:
    value: float | None
    judgement: str | None
    source: str
    status: str
    location: str
    replaced: str  # location of the value this one corrects, or ""


def _text(x: Any) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA else str(x).strip()


def prepare_actuals(actuals: pd.DataFrame | None) -> tuple[dict[tuple[str, str, int], _Value], dict[str, Any]]:
    """Index the tidy actuals by (indicator, district, year), applying corrections.

    A row with ``replaces`` supersedes the row at that location (chains work: each superseded
    row drops out). Two remaining rows for one key are an error naming both locations.
    """
    log: dict[str, Any] = {"corrections": [], "unmatched_corrections": []}
    if actuals is None or len(actuals) == 0:
        return {}, log
    frame = actuals.copy()
    for col in TIDY_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    records = frame[TIDY_COLUMNS].to_dict("records")
    locations = {_text(r["location"]) for r in records}
    replaced = superseded(frame)   # the same rule as the report's tables (inputs.actuals.current)
    for r in records:
        target = _text(r["replaces"])
        if target:
            if target in locations:
                log["corrections"].append({"used": _text(r["location"]), "replaces": target})
            else:
                log["unmatched_corrections"].append({"used": _text(r["location"]), "replaces": target})
    index: dict[tuple[str, str, int], _Value] = {}
    for i, r in enumerate(records):
        loc = _text(r["location"]) or f"row {i + 1}"
        if loc in replaced and _text(r["location"]):
            continue  # superseded by a correction; kept in the data, not used
        value = r["value"]
        value = None if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else float(value)
        judgement = _text(r["judgement"]) or None
        key = (_text(r["indicator"]), _text(r["district"]), int(r["year"]))
        item = _Value(value, judgement, _text(r["source"]), _text(r["status"]) or "final", loc, _text(r["replaces"]))
        if key in index:
            prev = index[key]
            if (prev.value, prev.judgement) == (item.value, item.judgement):
                continue  # the same figure twice (the actuals reader warns): use the first
            raise ReportkitError(method_problem("duplicate_actual", Location(loc), {
                "indicator": key[0], "district": key[1], "year": key[2], "other": index[key].location}))
        index[key] = item
    return index, log


# --------------------------------------------------------------------------- classification
def classify_status(ratio: float, method: Method) -> str:
    """Status band of a defined schedule ratio R (METHOD.md §5, thresholds from the method)."""
    for code in ("ahead", "on_track", "lagging", "limited"):
        if ratio >= method.status(code):
            return code
    return "deteriorating"


def classify_international(ratio: float, method: Method) -> str:
    """Open SDG label of observed / required CAGR (METHOD.md §6)."""
    cut = method["international"]
    for code in ("on_track", "acceleration_needed", "limited_progress"):
        if ratio >= float(cut[code]):
            return code
    return "deterioration"


def classify_grade(completion: float, binding: bool, method: Method) -> str:
    """End-of-term grade on the completion c; binding indicators below `completed` fail."""
    g = method["grades"]
    if completion >= float(g["exceeded"]):
        return "exceeded"
    if completion >= float(g["completed"]):
        return "completed"
    if not binding and completion >= float(g["basically_completed"]):
        return "basically_completed"
    return "not_completed"


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def _acceleration(required: float | None, observed: float | None, direction: float) -> float | None:
    """Required over observed rate, both measured towards the target (``direction`` = its sign).

    As for cumulative indicators (required pace max(T − A, 0)), a target already reached needs
    no more progress: the factor is 0, not negative. Undefined when the value has not moved
    towards the target (no pace to accelerate).
    """
    if required is None or observed is None or direction == 0:
        return None
    towards = observed * direction
    if towards <= 0:
        return None
    return max(required * direction, 0.0) / towards


def _cagr(a: float | None, b: float | None, years: float) -> float | None:
    if a is None or b is None or a <= 0 or b <= 0 or years <= 0:
        return None
    return (a / b) ** (1.0 / years) - 1.0


# --------------------------------------------------------------------------- the engine
@dataclass
class _Ctx:
    plan: Plan
    method: Method
    stage: str
    as_of: AsOf
    index: dict[tuple[str, str, int], _Value]

    @property
    def n(self) -> int:
        return self.plan.last_year - self.plan.baseline_year

    @property
    def months(self) -> int:
        return self.as_of.months_since(self.plan.baseline_year)

    @property
    def tau(self) -> float:
        return self.months / (12 * self.n)

    @property
    def elapsed(self) -> float:
        return self.months / 12

    @property
    def remaining(self) -> float:
        return self.n - self.elapsed

    @property
    def years_to_date(self) -> list[int]:
        return list(range(self.plan.first_year, self.as_of.year + 1))

    def time_of(self, year: int) -> float:
        """Years from the end of Y0 to the date of a value of ``year`` (as_of for its own year)."""
        return self.elapsed if year == self.as_of.year else float(year - self.plan.baseline_year)

    def get(self, indicator: str, district: str, year: int) -> _Value | None:
        return self.index.get((indicator, district, year))


class _Row(dict):
    """One result row under construction, tracking the values it used."""

    def use(self, v: _Value) -> None:
        self.setdefault("_used", []).append(v)


def _latest(ctx: _Ctx, iid: str, district: str, *, numeric: bool = True) -> tuple[_Value | None, int | None]:
    for year in reversed(ctx.years_to_date):
        v = ctx.get(iid, district, year)
        if v is not None and ((v.value is not None) if numeric else (v.judgement is not None)):
            return v, year
    return None, None


def _missing_level_years(ctx: _Ctx, iid: str, district: str) -> list[int]:
    # For a month as_of the current year's value may not exist yet: not missing for a level.
    years = ctx.years_to_date if ctx.as_of.month == 12 else ctx.years_to_date[:-1]
    return [y for y in years if (v := ctx.get(iid, district, y)) is None or v.value is None]


def _baseline(ctx: _Ctx, ind: Indicator, values_id: str, district: str, row: _Row) -> float | None:
    """B: the catalogue's baseline, else the actual reported for the baseline year."""
    source_ind = ctx.plan.indicator(values_id)
    base = source_ind.baseline or ind.baseline
    if base is not None and district == ctx.plan.city:
        row.update(baseline=base.value, baseline_year=base.year, baseline_from="plan")
        return base.value
    v = ctx.get(values_id, district, ctx.plan.baseline_year)
    if v is not None and v.value is not None:
        row.use(v)
        row.update(baseline=v.value, baseline_year=ctx.plan.baseline_year, baseline_from="actuals")
        return v.value
    return None


def _cumulative(ctx: _Ctx, ind: Indicator, district: str, row: _Row) -> None:
    city = ctx.plan.city
    target = ind.target if district == city else ind.district_targets.get(district)
    schedule = ind.schedule.get(district)
    if schedule:
        y, frac = ctx.as_of.year, ctx.as_of.month / 12
        expected = sum(schedule.get(yy, 0.0) for yy in range(ctx.plan.first_year, y)) + schedule.get(y, 0.0) * frac
    elif target is not None:
        expected = target * ctx.tau
    else:
        expected = None
    row.update(target=target, expected=expected)
    # A main-table target whose annex schedules a different city total (老旧小区改造: 200,000 vs
    # 205,987): both are shown, and the plan's larger figure decides whether the work is done
    # (docs/method-extensions.md `plan_inconsistency`).
    annex_total = ind.district_targets.get(city) if district == city and schedule else None
    binding_target = target
    if annex_total is not None and target:
        row["annex_target"] = annex_total
        if not _agrees(target, annex_total, ctx.method):
            binding_target = max(target, annex_total)
    flows, missing = [], []
    for year in ctx.years_to_date:
        v = ctx.get(ind.id, district, year)
        if v is None or v.value is None:
            missing.append(year)
        else:
            row.use(v)
            flows.append(v.value)
    actual = None if missing else float(sum(flows))
    row["missing_years"] = missing
    if missing and flows:
        row["actual_partial"] = float(sum(flows))
    row["actual"] = actual
    row["actual_year"] = ctx.as_of.year if actual is not None else None

    if not target:  # None or 0: nothing planned for the whole period
        row.update(status="no_target", reason="no_target")
        if actual:
            row["unplanned_output"] = actual
        return
    if actual is None:
        row.update(status="not_scheduled" if expected == 0 else "no_data",
                   reason="nothing_planned_yet" if expected == 0 else ("missing_years" if flows else "no_value"))
        return
    completion = actual / target
    ratio = _ratio(actual, expected)
    pace = actual / ctx.elapsed
    row.update(completion=completion, schedule_ratio=ratio, pace_so_far=pace,
               projection=actual + pace * ctx.remaining)
    if row.get("annex_target"):
        row["completion_annex"] = actual / row["annex_target"]
    row["projected_completion"] = row["projection"] / target
    if ctx.remaining > 0:
        # never a required pace of 0 while the plan's larger figure is not reached
        row["required_pace"] = max(binding_target - actual, 0.0) / ctx.remaining
        row["acceleration"] = _ratio(row["required_pace"], pace) if pace > 0 else None
    # "achieved" and the grade on the plan's larger figure: never achieved while the annex still
    # has work due, never 200 % of a target that the plan's own schedule doubles
    _status_from(ctx, ind, row, actual / binding_target, ratio, expected_zero=expected == 0)


def _status_from(ctx: _Ctx, ind: Indicator, row: _Row, completion: float | None, ratio: float | None,
                 expected_zero: bool) -> None:
    """The first-match status rule of METHOD.md §5 for a defined actual."""
    grade = None
    if ctx.stage == "final" and completion is not None:
        grade = classify_grade(completion, ind.attribute == "binding", ctx.method)
        # At the end of term the grade and the status answer one question (was the target met?)
        # from one test, so they never contradict: achieved ⇔ graded completed or exceeded
        # (docs/method-extensions.md `final_consistency`).
        achieved = grade in ("exceeded", "completed")
    else:
        achieved = completion is not None and completion >= ctx.method.status("achieved")
    if achieved:
        row["status"] = "achieved"
    elif ratio is None and expected_zero:
        row.update(status="not_scheduled", reason="nothing_planned_yet")
        if row.get("actual"):
            row["unplanned_output"] = row["actual"]
    elif ratio is None:
        row.update(status="no_data", reason="undefined")
    else:
        row["status"] = classify_status(ratio, ctx.method)
    if ind.attribute == "binding" and row["status"] not in ("not_scheduled", "no_data", "no_target"):
        # Judged, so True or False (never empty): achieved is not a warning even where R < 1
        # (a main-table target below the annex's schedule lets c reach 1 before R does).
        row["warning"] = (row["status"] != "achieved" and ratio is not None
                          and ratio < float(ctx.method["binding"]["warning_below"]))
    if grade is not None and row["status"] != "no_data":
        row["grade"] = grade


def _hold_level(ctx: _Ctx, ind: Indicator, row: _Row, actual: float, target: float) -> None:
    """Target equal to baseline (or a zero growth rate): a level to keep, read as a floor held or
    breached (docs/method-extensions.md `hold_level`), never "achieved ahead of time"."""
    row["reason"] = "hold_level"
    _held(ctx, ind, row, "held" if actual >= target else "breached")


def _take_latest(ctx: _Ctx, vid: str, district: str, row: _Row) -> tuple[Any, int | None]:
    """The latest year-end value of a level-type series: shown as the actual, gaps named."""
    row["missing_years"] = _missing_level_years(ctx, vid, district)
    v, year = _latest(ctx, vid, district)
    if v is not None:
        row.use(v)
        row.update(actual=v.value, actual_year=year)
    return v, year


def _level(ctx: _Ctx, ind: Indicator, district: str, row: _Row) -> None:
    target = ind.target if district == ctx.plan.city else None
    row["target"] = target
    v, year = _take_latest(ctx, ind.id, district, row)
    if target is None:
        row.update(status="no_target", reason="no_target")
        return
    base = _baseline(ctx, ind, ind.id, district, row)
    if base is None:
        row.update(status="no_data", reason="baseline_missing")
        return
    expected = base + (target - base) * ctx.tau
    row["expected"] = expected
    if v is None:
        row.update(status="no_data", reason="no_value")
        return
    actual = float(v.value)
    t_a = ctx.time_of(year)
    observed = _cagr(actual, base, t_a)
    required = _cagr(target, base, ctx.n)
    row.update(observed_rate=observed, required_rate=required, pace_so_far=observed)
    if observed is not None and required not in (None, 0):
        row["international_ratio"] = observed / required
        row["international_status"] = classify_international(row["international_ratio"], ctx.method)
    if ctx.remaining > 0 and actual > 0 and target > 0:
        row["required_pace"] = (target / actual) ** (1 / ctx.remaining) - 1
        row["acceleration"] = _acceleration(row["required_pace"], observed, math.copysign(1.0, target - base)
                                            if target != base else 0.0)
    if target == base:
        _hold_level(ctx, ind, row, actual, target)
        return
    completion = (actual - base) / (target - base)
    ratio = _ratio(actual - base, expected - base)
    row.update(completion=completion, schedule_ratio=ratio)
    if observed is not None:
        projection = actual * (1 + observed) ** (ctx.n - t_a)
        row.update(projection=projection, projected_completion=(projection - base) / (target - base))
    _status_from(ctx, ind, row, completion, ratio, expected_zero=False)


def _growth(ctx: _Ctx, ind: Indicator, district: str, row: _Row) -> None:
    vid = ind.values_from or ind.id
    rate = ind.target / 100 if ind.target is not None and district == ctx.plan.city else None
    row["target"] = ind.target if rate is not None else None
    row["required_rate"] = rate
    v, year = _take_latest(ctx, vid, district, row)
    if rate is None:
        row.update(status="no_target", reason="no_target")
        return
    base = _baseline(ctx, ind, vid, district, row)
    if base is None:
        row.update(status="no_data", reason="baseline_missing")
        return
    if base <= 0:
        row.update(status="no_data", reason="baseline_not_positive")
        return
    target_value = base * (1 + rate) ** ctx.n
    row.update(target_value=target_value, expected=base * (1 + rate) ** ctx.elapsed)
    if v is None:
        row.update(status="no_data", reason="no_value")
        return
    actual = float(v.value)
    t_a = ctx.time_of(year)
    observed = _cagr(actual, base, t_a)
    row.update(observed_rate=observed, pace_so_far=observed)
    if observed is None:
        row.update(status="no_data", reason="value_not_positive")
        return
    if ctx.remaining > 0:
        row["required_pace"] = (target_value / actual) ** (1 / ctx.remaining) - 1
        row["acceleration"] = _acceleration(row["required_pace"], observed,
                                            math.copysign(1.0, rate) if rate else 0.0)
    if rate == 0:
        _hold_level(ctx, ind, row, actual, base)
        return
    # Completion on the log scale: the share of the planned growth achieved; = 1 exactly when
    # the value the rate implies for Y1 is reached, and ≈ observed / required rate at Y1.
    completion = math.log(actual / base) / math.log(target_value / base)
    ratio = observed / rate
    projection = actual * (1 + observed) ** (ctx.n - t_a)
    row.update(completion=completion, schedule_ratio=ratio, international_ratio=ratio,
               international_status=classify_international(ratio, ctx.method), projection=projection,
               projected_completion=math.log(projection / base) / math.log(target_value / base))
    _status_from(ctx, ind, row, completion, ratio, expected_zero=False)


def _limit(ctx: _Ctx, ind: Indicator, row: _Row, kind: str, limit: float, actual: float) -> None:
    """A ceiling or floor is a limit to keep: held (符合控制要求) or breached, never "achieved"."""
    holds = actual <= limit if kind == "ceiling" else actual >= limit
    _held(ctx, ind, row, "held" if holds else "breached")


def _held(ctx: _Ctx, ind: Indicator, row: _Row, status: str) -> None:
    """Status, warning and grade of a limit (docs/method-extensions.md `limits`)."""
    holds = status == "held"
    row["status"] = status
    if ind.attribute == "binding":
        row["warning"] = not holds
    if ctx.stage == "final":
        # A limit cannot be exceeded: held is completed, any deviation not completed.
        row["grade"] = "completed" if holds else "not_completed"


def band_limits(target: float, method: Method) -> tuple[float, float]:
    """The band target ± relative_tolerance × |target| (method file ``band``)."""
    half = float(method["band"]["relative_tolerance"]) * abs(target)
    return target - half, target + half


def _band(ctx: _Ctx, ind: Indicator, district: str, row: _Row) -> None:
    """"控制在85%左右": held inside the band, a deviation above or below it (a risk)."""
    target = ind.target if district == ctx.plan.city else None
    row["target"] = target
    v, _year = _take_latest(ctx, ind.id, district, row)
    if target is None:
        row.update(status="no_target", reason="no_target")
        return
    lower, upper = band_limits(target, ctx.method)
    row.update(band_lower=lower, band_upper=upper)
    if v is None:
        row.update(status="no_data", reason="no_value")
        return
    actual = float(v.value)
    # A value on the edge is inside: compared with a margin far below any reported precision,
    # so that 89.25 is held for 85 ± 4.25 whatever the binary rounding of 85 × 0.05.
    eps = 1e-9 * max(1.0, abs(target))
    status = "above_band" if actual > upper + eps else "below_band" if actual < lower - eps else "held"
    _held(ctx, ind, row, status)


def _ceiling_floor(ctx: _Ctx, ind: Indicator, district: str, row: _Row) -> None:
    target = ind.target if district == ctx.plan.city else None
    row["target"] = target
    v, year = _take_latest(ctx, ind.id, district, row)
    if target is None:
        row.update(status="no_target", reason="no_target")
    elif v is None:
        row.update(status="no_data", reason="no_value")
    else:
        _limit(ctx, ind, row, ind.kind, target, float(v.value))


def _judged(ctx: _Ctx, ind: Indicator, row: _Row, judgement: str) -> None:
    """Status, warning and grade of a qualitative indicator from a judgement (met/partly/not_met)."""
    q = ctx.method["qualitative"]
    row["status"] = q["met_final"] if (judgement == "met" and ctx.stage == "final") else q[judgement]
    if ind.attribute == "binding":
        row["warning"] = judgement != "met"
    if ctx.stage == "final":
        row["grade"] = {"met": "completed", "not_met": "not_completed"}.get(
            judgement, "not_completed" if ind.attribute == "binding" else "basically_completed")


def _qualitative(ctx: _Ctx, ind: Indicator, district: str, row: _Row) -> None:
    proxy = ind.proxy or {}
    target = float(proxy["target"]) if proxy.get("target") is not None else ind.target
    row["target"] = target if district == ctx.plan.city else None
    j, jyear = _latest(ctx, ind.id, district, numeric=False)
    v, year = _latest(ctx, ind.id, district)
    q = ctx.method["qualitative"]
    judged = j is not None and j.judgement in q
    if judged and v is not None and year != jyear:
        # The judgement decides and actual_year is its year: a proxy value of another year is
        # not shown as if it were that year's figure.
        v = None
    if v is not None:
        row.use(v)
        row.update(actual=v.value, actual_year=year)
    if judged:
        if j is not v:
            row.use(j)
        row.update(judgement=j.judgement, judged_on="judgement", actual_year=jyear)
        _judged(ctx, ind, row, j.judgement)
    elif v is not None and row["target"] is not None and proxy:
        # The proxy stands in for the judgement, so the same situation gets the same words: a
        # limit that holds reads as "met", one that does not as "partly met" (never a second
        # label such as 已提前实现 beside a "met" judgement).
        kind, limit = str(proxy.get("kind", "floor")), float(row["target"])
        holds = float(v.value) <= limit if kind == "ceiling" else float(v.value) >= limit
        row["judged_on"] = "value"
        _judged(ctx, ind, row, "met" if holds else "partly")
    else:
        row.update(status="no_data", reason="no_value")


# A stock (a running total since a fund or programme began) is a level: its year-end value
# against the end-of-Y0 total, never a sum of yearly flows (docs/method-extensions.md `stock`).
_KIND = {"cumulative": _cumulative, "level": _level, "stock": _level, "growth": _growth,
         "ceiling": _ceiling_floor, "floor": _ceiling_floor, "band": _band, "qualitative": _qualitative}


def _districts_for(ctx: _Ctx, ind: Indicator) -> list[str]:
    """City first, then the plan's districts for this indicator, then any others reported."""
    ids = {ind.id, ind.values_from} - {None}
    reported = {d for (i, d, _y) in ctx.index if i in ids}
    wanted = {ctx.plan.city} | set(ind.schedule) | reported
    order = [d for d in ctx.plan.districts if d in wanted]
    return order + sorted(wanted - set(order))


def _label(plan: Plan, district: str, lang: str) -> str:
    return plan.districts.get(district, {}).get(lang, district)


def _grade_provisional(ctx: _Ctx, row: _Row) -> bool | None:
    """An end-of-term grade resting on data that stop before the plan's last year (as_of before
    the end of Y1, or a latest value of an earlier year) is provisional (暂评, "on data to 2023").
    Empty where there is no grade (docs/method-extensions.md `final_provisional`)."""
    if row.get("grade") is None:
        return None
    year = row.get("actual_year")
    return bool(ctx.as_of.year < ctx.plan.last_year or ctx.as_of.month < 12
                or (year is not None and int(year) < ctx.plan.last_year))


def _planned_progress(row: _Row) -> float | None:
    """计划进度: the share of the target due by as_of, the benchmark the status is measured
    against — E/T for cumulative indicators (the annex schedule's share, e.g. 63.75 %), the
    straight-line share (E − B)/(T − B) = τ for levels and stocks; none for growth rates (judged
    on observed against target rate), limits and judgements (held or not)."""
    kind, e, t_, b = row.get("kind"), row.get("expected"), row.get("target"), row.get("baseline")
    if kind == "cumulative" and e is not None and t_:
        return e / t_
    if kind in ("level", "stock") and e is not None and t_ is not None and b is not None and t_ != b:
        return (e - b) / (t_ - b)
    return None


def _finish(row: _Row) -> dict[str, Any]:
    row["planned_progress"] = _planned_progress(row)
    used: list[_Value] = row.pop("_used", [])
    if row.get("warning") is not None:
        row["warning"] = bool(row["warning"])  # a plain bool, not numpy's
    statuses = {u.status for u in used}
    row["value_status"] = ("preliminary" if "preliminary" in statuses else "final") if used else None
    sources = list(dict.fromkeys(u.source for u in used if u.source))
    row["sources"] = "; ".join(sources) or None
    fixes = [f"{u.replaced} → {u.location}" for u in used if u.replaced]
    row["corrections"] = "; ".join(fixes) or None
    row["missing_years"] = ",".join(str(y) for y in row.get("missing_years") or []) or None
    return row


def _rank(results: pd.DataFrame, city: str) -> pd.Series:
    """Rank districts by R within each annex indicator (1 = best; ties share the rank)."""
    rank = pd.Series(float("nan"), index=results.index)
    mask = results["has_schedule"] & (results["district"] != city) & results["schedule_ratio"].notna()
    for _, grp in results[mask].groupby("indicator"):
        rank.loc[grp.index] = grp["schedule_ratio"].rank(ascending=False, method="min")
    return rank


def _composite(results: pd.DataFrame, plan: Plan, method: Method) -> pd.DataFrame:
    """Mean of min(R, cap) over each district's annex indicators with a target (weighted).

    Missing data never improves a rank (METHOD.md, Districts): a district with an indicator due
    (E > 0) and no value is ``provisional`` and ranks after every district with complete data;
    the indicators scored and left out are listed, each left-out one with its status (why).
    """
    cap = float(method["composite"]["cap"])
    rows = []
    annex = results[results["has_schedule"] & (results["district"] != plan.city)]
    for district in [d for d in plan.districts if d in set(annex["district"])]:
        grp = annex[(annex["district"] == district) & (annex["target"].fillna(0) > 0)]
        used = grp[grp["schedule_ratio"].notna()]
        left = grp[grp["schedule_ratio"].isna()]
        weights = [method.weight(i) for i in used["indicator"]]
        total = sum(weights)
        score = (sum(w * min(r, cap) for w, r in zip(weights, used["schedule_ratio"], strict=True)) / total
                 if total > 0 else None)
        rows.append({
            "district": district, "district_zh": _label(plan, district, "zh"),
            "district_en": _label(plan, district, "en"), "composite_score": score,
            "indicators_used": ",".join(used["indicator"]) or None,
            "indicators_excluded": ",".join(left["indicator"]) or None,
            "excluded_because": ",".join(f"{i}:{s}" for i, s in zip(left["indicator"], left["status"], strict=True))
            or None,
            # due and not reported (no_data with something expected): the score is incomplete
            "provisional": bool(((left["status"] == "no_data") & (left["expected"].fillna(0) > 0)).any()),
            "weights": ",".join(f"{i}:{w:g}" for i, w in zip(used["indicator"], weights, strict=True)) or None,
            "cap": cap,
        })
    out = pd.DataFrame(rows, columns=["district", "district_zh", "district_en", "composite_score",
                                      "indicators_used", "indicators_excluded", "excluded_because",
                                      "provisional", "weights", "cap"])
    out["composite_score"] = out["composite_score"].astype(float)
    out["provisional"] = out["provisional"].astype(bool)
    # complete districts first (1 = best, ties share the rank), provisional ones after them
    complete = out["composite_score"].where(~out["provisional"]).rank(ascending=False, method="min")
    later = out["composite_score"].where(out["provisional"]).rank(ascending=False, method="min")
    n_complete = int(complete.notna().sum())
    out["composite_rank"] = complete.fillna(later + n_complete).astype("Int64")
    return out


def _agrees(city: float, total: float, method: Method) -> bool:
    return agrees(city, total, method)


def _reconcile(ctx: _Ctx) -> pd.DataFrame:
    """District sums vs the city figure: in the plan's schedules and in the reported actuals."""
    plan, rows = ctx.plan, []
    for ind in plan.indicators:
        if ind.kind != "cumulative":
            continue
        districts = [d for d in ind.schedule if d != plan.city]
        if ind.schedule.get(plan.city) and districts:
            for year in plan.years:
                city_v = ind.schedule[plan.city].get(year, 0.0)
                total = sum(ind.schedule[d].get(year, 0.0) for d in districts)
                rows.append(dict(check="plan_city_vs_districts", indicator=ind.id, year=year, city_value=city_v,
                                 district_sum=total, difference=city_v - total, districts_reported=len(districts),
                                 districts_missing=None, agrees=_agrees(city_v, total, ctx.method)))
            if ind.main_row and ind.target is not None:
                annex_total = ind.district_targets.get(plan.city)
                if annex_total is not None:
                    rows.append(dict(check="plan_target_vs_annex", indicator=ind.id, year=None,
                                     city_value=ind.target, district_sum=annex_total,
                                     difference=ind.target - annex_total, districts_reported=None,
                                     districts_missing=None, agrees=_agrees(ind.target, annex_total, ctx.method)))
        reported = sorted({d for (i, d, _y) in ctx.index if i == ind.id and d != plan.city})
        expected = districts or reported
        for year in plan.years:
            cv = ctx.get(ind.id, plan.city, year)
            vals = {d: v.value for d in expected if (v := ctx.get(ind.id, d, year)) is not None and v.value is not None}
            if cv is None or cv.value is None or not vals:
                continue
            total = float(sum(vals.values()))
            missing = [d for d in expected if d not in vals]
            rows.append(dict(check="actual_city_vs_districts", indicator=ind.id, year=year, city_value=cv.value,
                             district_sum=total, difference=cv.value - total, districts_reported=len(vals),
                             districts_missing=",".join(missing) or None,
                             agrees=None if missing else _agrees(cv.value, total, ctx.method)))
    cols = ["check", "indicator", "year", "city_value", "district_sum", "difference", "districts_reported",
            "districts_missing", "agrees"]
    out = pd.DataFrame(rows, columns=cols)
    out["year"] = out["year"].astype("Int64")
    out["districts_reported"] = out["districts_reported"].astype("Int64")
    return out


_INT_COLUMNS = ("baseline_year", "actual_year", "district_rank")
_FLOAT_COLUMNS = ("time_progress", "planned_progress", "baseline", "target", "annex_target", "completion_annex", "target_value",
                  "band_lower", "band_upper", "expected", "actual", "actual_partial",
                  "completion", "schedule_ratio", "required_pace", "pace_so_far", "acceleration", "projection",
                  "projected_completion", "observed_rate", "required_rate", "international_ratio",
                  "unplanned_output")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as numbers (years and ranks as nullable ints); undefined stays empty, never 0."""
    for col in _FLOAT_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="raise").astype(float)
    for col in _INT_COLUMNS:
        frame[col] = pd.to_numeric(frame[col]).round().astype("Int64")
    # True / False / None (undefined): plain Python values, whatever pandas would infer
    for col in ("warning", "grade_provisional"):
        frame[col] = pd.Series([None if w is None or w != w else bool(w) for w in frame[col]],
                               index=frame.index, dtype=object)
    for col in frame.columns:
        if frame[col].dtype == object:  # None, never the text "nan"
            frame[col] = frame[col].where(frame[col].notna(), None)
    return frame


@dataclass
class Evaluation:
    """Everything one evaluation computes (see the module docstring)."""

    results: pd.DataFrame
    districts: pd.DataFrame
    reconciliation: pd.DataFrame
    composite: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def run_evaluation(plan: Plan, actuals: pd.DataFrame | None, stage: str = "midterm",
                   as_of: AsOf | int | str | None = None,
                   method: Method | Path | str | dict[str, Any] | None = None) -> Evaluation:
    """Evaluate ``plan`` against tidy ``actuals`` at ``as_of`` (default: the stage's year)."""
    m = as_method(method)
    when = parse_as_of(as_of, plan, stage, m)
    problems = month_figures_problems(actuals, plan, when)
    if problems:
        raise ReportkitError(problems)
    actuals = values_up_to(actuals, when)
    index, log = prepare_actuals(actuals)
    ctx = _Ctx(plan, m, stage, when, index)
    rows = []
    for ind in plan.indicators:
        unit = ind.unit
        value_unit = ind.reported_unit
        if ind.values_from:
            value_unit = plan.indicator(ind.values_from).reported_unit
        for district in _districts_for(ctx, ind):
            row = _Row(
                indicator=ind.id, indicator_zh=ind.name["zh"], indicator_en=ind.name["en"],
                district=district, district_zh=_label(plan, district, "zh"), district_en=_label(plan, district, "en"),
                is_city=district == plan.city, tier=ind.tier, kind=ind.kind, attribute=ind.attribute,
                unit_zh=unit["zh"], unit_en=unit["en"], value_unit_zh=value_unit["zh"], value_unit_en=value_unit["en"],
                stage=stage, as_of=when.label, time_progress=ctx.tau, has_schedule=bool(ind.schedule),
            )
            _KIND[ind.kind](ctx, ind, district, row)
            row["grade_provisional"] = _grade_provisional(ctx, row)
            rows.append(_finish(row))
    results = pd.DataFrame(rows)
    for col in RESULT_COLUMNS:
        if col not in results.columns:
            results[col] = None
    results["district_rank"] = _rank(results, plan.city)
    composite = _composite(results, plan, m)
    scheduled = results["has_schedule"].to_numpy()
    results = _typed(results[RESULT_COLUMNS].copy())
    # The district tables of METHOD.md: annex indicators only, best R first within each.
    districts = results[scheduled].sort_values(["indicator", "district_rank"], na_position="last", kind="stable")
    meta = {
        "plan": plan.id, "stage": stage, "as_of": when.label, "time_progress": ctx.tau,
        "months_elapsed": ctx.months, "period": [plan.first_year, plan.last_year],
        "baseline_year": plan.baseline_year, "method": m.as_dict(),
        "method_file": str(m.overrides) if m.overrides else str(m.source),
        "corrections": log["corrections"], "unmatched_corrections": log["unmatched_corrections"],
        "unknown_indicators": sorted({i for (i, _d, _y) in index} - {x.id for x in plan.indicators}),
        "illustrative": bool(actuals is not None and "illustrative" in actuals
                             and actuals["illustrative"].fillna(False).astype(bool).any()),
    }
    results.attrs["meta"] = meta
    return Evaluation(results.reset_index(drop=True), districts.reset_index(drop=True),
                      _reconcile(ctx), composite, meta)


def evaluate(plan: Plan, actuals: pd.DataFrame | None, stage: str = "midterm",
             as_of: AsOf | int | str | None = None,
             method: Method | Path | str | dict[str, Any] | None = None) -> pd.DataFrame:
    """The results table of :func:`run_evaluation` (metadata in ``.attrs["meta"]``)."""
    return run_evaluation(plan, actuals, stage, as_of, method).results


# --------------------------------------------------------------------------- presentation
def with_labels(results: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``results`` plus reader-facing label columns (``*_label``) in ``lang``."""
    out = results.copy()

    def lab(group: str, col: str) -> list[str | None]:
        return [t(f"status.{group}.{v}", lang) if v is not None and v == v else None for v in out[col]]

    out["indicator_label"] = out[f"indicator_{lang}"]
    out["district_label"] = out[f"district_{lang}"]
    for group, col in (("status", "status"), ("grade", "grade"), ("international", "international_status"),
                       ("kind", "kind"), ("attribute", "attribute"), ("reason", "reason"),
                       ("value_status", "value_status"), ("judgement", "judgement")):
        out[f"{col}_label"] = lab(group, col)
    out["warning_label"] = [t("status.warning.flag", lang) if w is True else None for w in out["warning"]]
    return out


def write_evaluation(ev: Evaluation, path: Path) -> list[Path]:
    """Write the tables: one .xlsx with a sheet each, or CSVs (``name.csv`` + ``name-<table>.csv``
    and ``name-meta.json``). Every file is moved into place only once completely written."""
    path = Path(path)
    tables = {"results": ev.results, "districts": ev.districts, "reconciliation": ev.reconciliation,
              "composite": ev.composite}
    meta_json = json.dumps(ev.meta, ensure_ascii=False, indent=2, default=str)
    if path.suffix.lower() == ".xlsx":
        def write_xlsx(tmp: Path) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                for name, frame in tables.items():
                    frame.to_excel(xw, sheet_name=name, index=False)
                pd.DataFrame({"key": ["meta"], "value": [meta_json]}).to_excel(xw, sheet_name="meta", index=False)
        atomic_write(path, write_xlsx)
        return [path]
    if path.suffix.lower() != ".csv":
        raise ReportkitError(method_problem("bad_out", Location(str(path)), {"path": str(path)}))
    written = []
    for name, frame in tables.items():
        target = path if name == "results" else path.with_name(f"{path.stem}-{name}.csv")
        atomic_write(target, lambda tmp, f=frame: f.to_csv(tmp, index=False, lineterminator="\n"))
        written.append(target)
    meta_path = path.with_name(f"{path.stem}-meta.json")
    atomic_write(meta_path, lambda tmp: tmp.write_text(meta_json + "\n", encoding="utf-8"))
    return [*written, meta_path]


def evaluate_files(actuals: Path | str, *, stage: str = "midterm", as_of: str | None = None,
                   method: Path | str | None = None, catalogue: Path | str | None = None,
                   lang: str = "zh") -> tuple[Evaluation, list[Any]]:
    """Evaluate from files: the catalogue's plan, a filled form or tidy CSV, a method file.

    A bad date fails before the actuals are read; invalid actuals raise ReportkitError with
    every located problem. Returns the evaluation and the reader's warnings.
    """
    from reportkit.inputs.actuals import read_actuals
    from reportkit.inputs.catalogue import load_plan

    plan = load_plan(catalogue)
    m = as_method(method)
    parse_as_of(as_of, plan, stage, m)
    read = read_actuals(actuals, plan, lang)
    read.raise_for_problems()
    return run_evaluation(plan, read.table, stage, as_of, m), list(read.warnings)

