"""The method file: thresholds, cut-offs, weights of docs/METHOD.md, loaded and checked.

The default file is ``src/reportkit/method.yml``; a plan may override any key with its own file
(``reportkit evaluate --method PATH``). :func:`method_table` renders the threshold table of the
methodology chapter from the values actually used, so the chapter cannot drift from the code.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from reportkit.config import DEFAULT_METHOD
from reportkit.errors import Location, Problem, ReportkitError
from reportkit.i18n import t
from reportkit.inputs.schema import check_method
from reportkit.vocab import GRADE_CODES, INTERNATIONAL_CODES, JUDGEMENTS, STATUS_CODES, STATUS_RANK

# Extensions of METHOD.md decided in docs/method-extensions.md (text in locales method.yml).
EXTENSIONS: tuple[str, ...] = (
    "no_target", "annex_target", "baseline", "month_as_of", "month_figures", "level_latest", "hold_level", "growth", "ceiling_floor",
    "qualitative", "precedence", "warning", "grades_other_kinds", "final_stage", "final_provisional", "final_consistency", "pace",
    "composite", "reconciliation", "corrections", "international", "findings", "stock", "limits", "growth_display", "plan_inconsistency", "planned_progress", "district_types", "values_up_to", "numbers",
)

# Rules of one stage only (docs/method-extensions.md): shown in that stage's report, so the
# mid-term and end-of-term methodology chapters stay as they are.
STAGE_EXTENSIONS: dict[str, tuple[str, ...]] = {"annual": ("annual",)}


def method_problem(key: str, location: Location | None = None, params: dict[str, Any] | None = None) -> Problem:
    """A located problem whose message lives in the ``method`` locale group (``method.errors.*``)."""
    return Problem(key, location, params or {}, group="method.errors")


@dataclass
class Method:
    """The values of one method file (defaults merged with a user's overrides)."""

    values: dict[str, Any]
    source: Path
    overrides: Path | None = None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def status(self, code: str) -> float:
        return float(self.values["status"][code])

    def weight(self, indicator_id: str) -> float:
        c = self.values["composite"]
        return float((c.get("weights") or {}).get(indicator_id, c["default_weight"]))

    def as_dict(self) -> dict[str, Any]:
        """The values used, for the evaluation's metadata."""
        return copy.deepcopy(self.values)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ReportkitError(Problem("file_not_found", params={"path": str(path)}))
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ReportkitError(method_problem("not_yaml", Location(str(path)), {"reason": str(exc)})) from None
    if not isinstance(data, dict):
        raise ReportkitError(method_problem("not_mapping", Location(str(path))))
    return check_method(text, path)   # unknown keys and types, located by line


def _merge(base: dict[str, Any], over: dict[str, Any], path: Path, prefix: str = "") -> dict[str, Any]:
    """``over`` laid on ``base``; an unknown key is an error (a typo must not pass silently)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            raise ReportkitError(method_problem("unknown_key", Location(str(path), row=dotted), {"name": dotted}))
        # `weights` is an open mapping (indicator ids), everything else mirrors the defaults.
        if isinstance(base[key], dict) and key != "weights":
            if not isinstance(value, dict):
                raise ReportkitError(method_problem("not_mapping", Location(str(path), row=dotted)))
            out[key] = _merge(base[key], value, path, f"{dotted}.")
        else:
            out[key] = value
    return out


def _number(values: dict[str, Any], dotted: str, path: Path) -> float:
    node: Any = values
    for part in dotted.split("."):
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        raise ReportkitError(method_problem("not_number", Location(str(path), row=dotted),
                                           {"name": dotted, "value": node}))
    return float(node)


def _validate(values: dict[str, Any], path: Path) -> None:
    """Thresholds must be numbers in a consistent order; codes must be known."""
    def order(*keys: str) -> None:
        nums = [_number(values, k, path) for k in keys]
        if any(a <= b for a, b in zip(nums, nums[1:], strict=False)):
            raise ReportkitError(method_problem("bad_order", Location(str(path), row=keys[0].split(".")[0]),
                                               {"keys": " > ".join(keys)}))

    order("status.ahead", "status.on_track", "status.lagging", "status.limited")
    order("international.on_track", "international.acceleration_needed", "international.limited_progress")
    order("grades.exceeded", "grades.completed", "grades.basically_completed")
    for key in ("status.achieved", "binding.warning_below", "composite.cap", "composite.default_weight"):
        if _number(values, key, path) <= 0:
            raise ReportkitError(method_problem("not_positive", Location(str(path), row=key), {"name": key}))
    for key in ("reconciliation.relative_tolerance", "band.relative_tolerance"):
        if _number(values, key, path) < 0:
            raise ReportkitError(method_problem("not_positive", Location(str(path), row=key), {"name": key}))
    weights = values["composite"].get("weights") or {}
    if not isinstance(weights, dict):
        raise ReportkitError(method_problem("not_mapping", Location(str(path), row="composite.weights")))
    for iid in weights:
        w = _number(values, f"composite.weights.{iid}", path)
        if w < 0:
            raise ReportkitError(method_problem("not_positive", Location(str(path), row=f"composite.weights.{iid}"),
                                               {"name": f"composite.weights.{iid}"}))
    for judgement in (*JUDGEMENTS, "met_final"):
        code = values["qualitative"].get(judgement)
        if code not in STATUS_RANK:
            raise ReportkitError(method_problem("bad_code", Location(str(path), row=f"qualitative.{judgement}"),
                                               {"name": f"qualitative.{judgement}", "value": code}))
    idx = values["midterm_year_index"]
    if isinstance(idx, bool) or not isinstance(idx, int) or idx < 1:
        raise ReportkitError(method_problem("not_positive", Location(str(path), row="midterm_year_index"),
                                           {"name": "midterm_year_index"}))


@cache
def _default_values() -> dict[str, Any]:
    return _read_yaml(DEFAULT_METHOD)


def _defaults() -> dict[str, Any]:
    """The default method file's values (read once; a fresh copy each time, callers may edit it)."""
    return copy.deepcopy(_default_values())


def load_method(path: Path | str | None = None) -> Method:
    """The default method, with the keys of ``path`` (if given) laid over it, validated."""
    defaults = _defaults()
    values = defaults
    over_path = None
    if path is not None:
        over_path = Path(path)
        values = _merge(defaults, _read_yaml(over_path), over_path)
    _validate(values, over_path or DEFAULT_METHOD)
    return Method(values=values, source=DEFAULT_METHOD, overrides=over_path)


def as_method(method: Method | Path | str | dict[str, Any] | None) -> Method:
    """Accept a Method, a path, a mapping of overrides (tests, notebooks) or None (defaults)."""
    if isinstance(method, Method):
        return method
    if isinstance(method, dict):
        defaults = _defaults()
        values = _merge(defaults, method, Path("<dict>"))
        _validate(values, Path("<dict>"))
        return Method(values=values, source=DEFAULT_METHOD)
    return load_method(method)


def agrees(city: float, total: float, method: Method | None = None) -> bool:
    """The one reconciliation rule: |city − total| ≤ relative_tolerance × |city| (method file
    ``reconciliation``; the default method's when none is given), up to float rounding (1e-9).

    Used for the plan's own tables (city rows, main-table targets against annex totals), the
    actuals reader's warning and the evaluation's reconciliation table alike.
    """
    values = method.values if method is not None else _default_values()
    tol = float(values["reconciliation"]["relative_tolerance"])
    return math.isclose(city, total, rel_tol=max(tol, 1e-9), abs_tol=1e-9)


def fmt_threshold(value: float) -> str:
    """A threshold as METHOD.md writes it: two decimals, more only when the file has more."""
    return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"


def method_table(method: Method | Path | str | dict[str, Any] | None, lang: str) -> pd.DataFrame:
    """The methodology chapter's table of rules and thresholds, generated from the method file."""
    m = as_method(method)
    v = m.values
    f = {
        **{f"s_{k}": fmt_threshold(float(x)) for k, x in v["status"].items()},
        **{f"i_{k}": fmt_threshold(float(x)) for k, x in v["international"].items()},
        **{f"g_{k}": fmt_threshold(float(x)) for k, x in v["grades"].items()},
        "warning_below": fmt_threshold(float(v["binding"]["warning_below"])),
        "cap": fmt_threshold(float(v["composite"]["cap"])),
        "tolerance": f"{float(v['reconciliation']['relative_tolerance']):g}",
        "band_tolerance": f"{float(v['band']['relative_tolerance']) * 100:g}",
    }
    rows: list[tuple[str, str, str, str]] = []
    for code in STATUS_CODES:
        rows.append(("status", code, t(f"status.status.{code}", lang), t(f"method.rule.status.{code}", lang, **f)))
    rows.append(("warning", "warning", t("status.warning.flag", lang), t("method.rule.warning", lang, **f)))
    for judgement in JUDGEMENTS:
        rows.append(("qualitative", judgement, t(f"status.judgement.{judgement}", lang),
                     t("method.rule.qualitative", lang, status=t(f"status.status.{v['qualitative'][judgement]}", lang))))
    rows.append(("qualitative", "met_final", t("status.judgement.met", lang),
                 t("method.rule.qualitative_final", lang, status=t(f"status.status.{v['qualitative']['met_final']}", lang))))
    for code in INTERNATIONAL_CODES:
        rows.append(("international", code, t(f"status.international.{code}", lang),
                     t(f"method.rule.international.{code}", lang, **f)))
    for code in GRADE_CODES:
        rows.append(("grade", code, t(f"status.grade.{code}", lang), t(f"method.rule.grade.{code}", lang, **f)))
    weights = v["composite"].get("weights") or {}
    wtext = (", ".join(f"{k}: {float(w):g}" for k, w in weights.items())
             if weights else t("method.rule.equal_weights", lang))
    rows.append(("composite", "composite", t("method.table.composite", lang),
                 t("method.rule.composite", lang, weights=wtext,
                   default=f"{float(v['composite']['default_weight']):g}", **f)))
    rows.append(("reconciliation", "reconciliation", t("method.table.reconciliation", lang),
                 t("method.rule.reconciliation", lang, **f)))
    rows.append(("band", "band", t("status.kind.band", lang), t("method.rule.band", lang, **f)))
    frame = pd.DataFrame(rows, columns=["section", "code", "label", "rule"])
    frame["section"] = [t(f"method.table.section.{s}", lang) for s in frame["section"]]
    return frame.rename(columns={c: t(f"method.table.columns.{c}", lang) for c in frame.columns})


def method_extensions(lang: str, stage: str = "") -> pd.DataFrame:
    """The decisions where METHOD.md is silent (docs/method-extensions.md), in one language;
    with ``stage``, also that stage's own rules (:data:`STAGE_EXTENSIONS`)."""
    codes = EXTENSIONS + STAGE_EXTENSIONS.get(stage, ())
    return pd.DataFrame(
        [(e, t(f"method.extensions.{e}.title", lang), t(f"method.extensions.{e}.text", lang)) for e in codes],
        columns=[t(f"method.table.columns.{c}", lang) for c in ("code", "label", "rule")],
    )
