"""The checks of METHOD.md in one place: which reported values an evaluation may use (up to its
date; year-to-date figures for a month), the corrections rule, and the reconciliation of the
city's figures with the districts' sums (one tolerance, from the method file)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportkit.errors import Location, Problem, ReportkitError
from reportkit.evaluation.period import AsOf
from reportkit.inputs.actuals import superseded
from reportkit.inputs.catalogue import Plan
from reportkit.inputs.method import (
    Method,
    agrees,
    method_problem,
)
from reportkit.vocab import TIDY_COLUMNS


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


# --------------------------------------------------------------------------- reconciliation
def agrees_within(city: float, total: float, method: Method) -> bool:
    """The one reconciliation rule (inputs.method.agrees, the method file's tolerance)."""
    return agrees(city, total, method)


def reconcile(ctx: Any) -> pd.DataFrame:
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
                                 districts_missing=None, agrees=agrees_within(city_v, total, ctx.method)))
            if ind.main_row and ind.target is not None:
                annex_total = ind.district_targets.get(plan.city)
                if annex_total is not None:
                    rows.append(dict(check="plan_target_vs_annex", indicator=ind.id, year=None,
                                     city_value=ind.target, district_sum=annex_total,
                                     difference=ind.target - annex_total, districts_reported=None,
                                     districts_missing=None, agrees=agrees_within(ind.target, annex_total, ctx.method)))
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
                             agrees=None if missing else agrees_within(cv.value, total, ctx.method)))
    cols = ["check", "indicator", "year", "city_value", "district_sum", "difference", "districts_reported",
            "districts_missing", "agrees"]
    out = pd.DataFrame(rows, columns=cols)
    out["year"] = out["year"].astype("Int64")
    out["districts_reported"] = out["districts_reported"].astype("Int64")
    return out
