"""The annual monitoring report (年度监测报告) of one plan year: docs/method-extensions.md `annual`.

Three tables, computed from the same tidy actuals and the same rules as the evaluation:

* **programmes** — per annex indicator (programme) and district: the year's actual against the
  annex's plan for that year (annual completion = actual_y / planned_y), with the cumulative
  progress to date of the interim evaluation at the end of the year;
* **changes** — per indicator and district: status and completion at the end of the year
  against the end of the previous year (what the previous annual report showed);
* **reported** — per indicator: whether the city and how many districts reported the year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportkit.evaluation.engine import (
    AsOf,
    Evaluation,
    prepare_actuals,
    run_evaluation,
    values_up_to,
)
from reportkit.vocab import ANNUAL_COLUMNS, CHANGE_COLUMNS, REPORTED_COLUMNS


@dataclass
class AnnualReport:
    """The year's tables (see the module docstring); ``previous`` is None in the plan's first year."""

    year: int
    programmes: pd.DataFrame
    changes: pd.DataFrame
    reported: pd.DataFrame
    previous_year: int | None


def annual_status(planned: float | None, actual: float | None) -> str:
    """The year's status of one programme in one district (docs/method-extensions.md `annual`).

    No plan for the year → ``no_plan``; nothing planned (0) and nothing done → ``not_scheduled``;
    nothing planned but work done → ``unplanned``; no value → ``no_data`` (never zero);
    actual ≥ planned → ``met``; else ``short``.
    """
    if planned is None:
        return "no_plan"
    if actual is None:
        return "not_scheduled" if planned == 0 else "no_data"
    if planned == 0:
        return "unplanned" if actual > 0 else "not_scheduled"
    return "met" if actual >= planned else "short"


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _programmes(plan: Any, ev: Evaluation, index: dict, year: int) -> pd.DataFrame:
    results = ev.results.set_index(["indicator", "district"])
    rows = []
    for ind in plan.indicators:
        if not ind.schedule or ind.annex is None:
            continue
        for district, schedule in ind.schedule.items():
            planned = schedule.get(year)
            v = index.get((ind.id, district, year))
            actual = v.value if v is not None else None
            res = results.loc[(ind.id, district)] if (ind.id, district) in results.index else None
            rows.append({
                "indicator": ind.id, "indicator_zh": ind.name["zh"], "indicator_en": ind.name["en"],
                "annex": int(ind.annex), "district": district,
                "district_zh": plan.districts.get(district, {}).get("zh", district),
                "district_en": plan.districts.get(district, {}).get("en", district),
                "is_city": district == plan.city, "unit_zh": ind.unit["zh"], "unit_en": ind.unit["en"],
                "year": year, "planned": planned, "actual": actual,
                "annual_completion": actual / planned if planned and actual is not None else None,
                "annual_status": annual_status(planned, actual),
                "planned_to_date": _num(res["expected"]) if res is not None else None,
                "actual_to_date": _num(res["actual"]) if res is not None else None,
                "completion": _num(res["completion"]) if res is not None else None,
                "schedule_ratio": _num(res["schedule_ratio"]) if res is not None else None,
                "status": res["status"] if res is not None else None,
            })
    order = {d: k for k, d in enumerate(plan.districts)}
    frame = pd.DataFrame(rows, columns=ANNUAL_COLUMNS)
    frame["_o"] = frame["district"].map(lambda d: order.get(d, len(order)))
    return frame.sort_values(["annex", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)


def changes_between(now: pd.DataFrame, before: pd.DataFrame | None) -> pd.DataFrame:
    """Status and completion of each indicator × district now against the previous report.

    ``completion_change`` is in completion units (0.12 = 12 percentage points); missing on either
    side → missing (never a change from or to zero). Without a previous report (the plan's first
    year) every previous value is missing and nothing counts as changed.
    """
    keys = ["indicator", "district"]
    left = now[keys + ["indicator_zh", "indicator_en", "district_zh", "district_en", "is_city",
                       "status", "completion"]]
    if before is None:
        right = pd.DataFrame(columns=keys + ["previous_status", "previous_completion"])
    else:
        right = before[keys + ["status", "completion"]].rename(
            columns={"status": "previous_status", "completion": "previous_completion"})
    out = left.merge(right, on=keys, how="left")
    comp = pd.to_numeric(out["completion"], errors="coerce")
    prev = pd.to_numeric(out["previous_completion"], errors="coerce")
    out["completion"], out["previous_completion"] = comp, prev
    out["completion_change"] = comp - prev
    out["status_changed"] = out["previous_status"].notna() & (out["previous_status"] != out["status"])
    return out[CHANGE_COLUMNS].reset_index(drop=True)


def _seen(index: dict, ids: set[str], district: str, year: int) -> bool:
    """Whether a value or a judgement was reported for ``district`` and ``year`` (after corrections)."""
    return any((v := index.get((i, district, year))) is not None
               and (v.value is not None or v.judgement is not None) for i in ids)


def _reported(plan: Any, ev: Evaluation, index: dict, year: int) -> pd.DataFrame:
    rows = []
    for ind in plan.indicators:
        ids = {ind.id, ind.values_from} - {None}
        districts = [d for d in ev.results.loc[ev.results["indicator"] == ind.id, "district"] if d != plan.city]
        missing = [d for d in districts if not _seen(index, ids, d, year)]
        rows.append({"indicator": ind.id, "indicator_zh": ind.name["zh"], "indicator_en": ind.name["en"],
                     "tier": ind.tier, "city_reported": _seen(index, ids, plan.city, year),
                     "districts_reported": len(districts) - len(missing), "districts_expected": len(districts),
                     "missing_districts": missing})
    return pd.DataFrame(rows, columns=REPORTED_COLUMNS)


def annual_report(plan: Any, actuals: pd.DataFrame | None, ev: Evaluation, method: Any = None) -> AnnualReport:
    """The annual report of the year ``ev`` was evaluated at (``ev``: the interim evaluation at the
    end of that year); the previous year's evaluation is run here, with the same method."""
    year = int(str(ev.meta["as_of"])[:4])
    index, _log = prepare_actuals(values_up_to(actuals, AsOf(year)))
    previous = year - 1 if year - 1 >= plan.first_year else None
    before = run_evaluation(plan, actuals, "annual", AsOf(previous), method).results if previous else None
    return AnnualReport(year=year, programmes=_programmes(plan, ev, index, year),
                        changes=changes_between(ev.results, before),
                        reported=_reported(plan, ev, index, year), previous_year=previous)
