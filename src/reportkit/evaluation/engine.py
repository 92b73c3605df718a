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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit.errors import Location, ReportkitError
from reportkit.evaluation.checks import (  # noqa: F401 — re-exported: engine.X keeps working
    _Value,
    month_figures_problems,
    prepare_actuals,
    reconcile,
    values_up_to,
)
from reportkit.evaluation.districts import _composite, _rank
from reportkit.evaluation.kinds import (  # noqa: F401 — the kinds' rules, re-exported
    _KIND,
    _Ctx,
    _Row,
    band_limits,
    classify_grade,
    classify_international,
    classify_status,
)
from reportkit.evaluation.period import AsOf, parse_as_of  # noqa: F401 — re-exported
from reportkit.files import atomic_write
from reportkit.i18n import t
from reportkit.inputs.catalogue import Indicator, Plan
from reportkit.inputs.method import (
    Method,
    as_method,
    method_problem,
)
from reportkit.vocab import RESULT_COLUMNS


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
                      reconcile(ctx), composite, meta)


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

