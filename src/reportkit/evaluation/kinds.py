"""How each kind of target is read (METHOD.md and docs/method-extensions.md): cumulative flows,
levels and stocks, growth rates, ceilings, floors and bands, qualitative judgements; the status,
grade and international classifications they share. One function per kind, in ``KIND``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from reportkit.evaluation.checks import (  # noqa: E402 — re-exported: engine.X keeps working
    _Value,
    agrees_within,
)
from reportkit.evaluation.period import AsOf
from reportkit.inputs.catalogue import Indicator, Plan
from reportkit.inputs.method import (
    Method,
)


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
        if not agrees_within(target, annex_total, ctx.method):
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


def _city_target(ctx: _Ctx, ind: Indicator, district: str, row: _Row) -> tuple[float | None, Any, int | None]:
    """(target, latest value, its year) of a level-type indicator whose target is the city's
    alone; a district row, or a city without target, is marked no_target (target None)."""
    target = ind.target if district == ctx.plan.city else None
    row["target"] = target
    v, year = _take_latest(ctx, ind.id, district, row)
    if target is None:
        row.update(status="no_target", reason="no_target")
    return target, v, year


def _level(ctx: _Ctx, ind: Indicator, district: str, row: _Row) -> None:
    target, v, year = _city_target(ctx, ind, district, row)
    if target is None:
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
    target, v, _year = _city_target(ctx, ind, district, row)
    if target is None:
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
    target, v, _year = _city_target(ctx, ind, district, row)
    if target is None:
        return
    if v is None:
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
