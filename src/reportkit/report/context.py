"""The report context: plan, actuals and evaluation of one report, as every page reads them."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit import __version__
from reportkit import config as cfg
from reportkit.errors import Problem, ReportkitError, report_problem
from reportkit.vocab import STAGES


# --------------------------------------------------------------------------------------------
# The data every page shows.
@dataclass
class ReportContext:
    """Plan, actuals, results and provenance of one evaluation (what the notebooks display)."""

    stage: str
    as_of: str
    plan: Any                       # reportkit.inputs.catalogue.Plan
    tables: Any                     # reportkit.inputs.plan.PlanTables
    actuals: pd.DataFrame
    results: pd.DataFrame
    evaluation: Any                 # reportkit.evaluation.engine.Evaluation (districts, composite …)
    method: dict[str, Any]
    method_path: Path
    illustrative: bool
    inputs: dict[str, str] = field(default_factory=dict)   # label → sha256
    input_paths: dict[str, str] = field(default_factory=dict)
    commentary_dir: Path | None = None
    version: str = __version__
    warnings: list[Problem] = field(default_factory=list)  # the validator's warnings
    pdf_files: dict[str, str] = field(default_factory=dict)  # lang → PDF file name in downloads/

    @property
    def meta(self) -> dict[str, Any]:
        """The engine's metadata: as_of, time_progress, method values used …"""
        return self.evaluation.meta

    @property
    def annexes(self) -> list[int]:
        return sorted(int(a) for a in self.tables.annex_targets["annex"].unique())

    def annex_indicator(self, annex: int):
        """The catalogue indicator measured by an annex table (None when the catalogue has none)."""
        return next((i for i in self.plan.indicators if i.annex == annex), None)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _path_or(value: str | Path | None, default: Path) -> Path:
    return Path(value).resolve() if value not in (None, "") else default


def load_context(stage: str = "midterm", as_of: str = "", actuals_file: str = "",
                 method_file: str = "", plan_file: str = "", catalogue_file: str = "",
                 commentary_dir: str = "", context_file: str = "",
                 lap: Callable[[str], None] | None = None) -> ReportContext:
    """The report's data: read from ``context_file`` if given, else computed from the inputs.

    Empty paths mean the defaults of :mod:`reportkit.config` (embedded plan, illustrative
    sample actuals, default method). Raises ReportkitError on invalid inputs. ``lap(name)`` is
    called at the end of each step (``extract``, ``validate``, ``evaluate``): the build times them.
    """
    lap = lap or (lambda _name: None)
    if context_file:
        with open(context_file, "rb") as fh:
            return pickle.load(fh)
    if stage not in STAGES:
        raise ReportkitError(report_problem("bad_stage", None, {"stage": stage, "stages": ", ".join(STAGES)}))
    from reportkit.evaluation.engine import parse_as_of, run_evaluation
    from reportkit.inputs import catalogue as catalogue_mod
    from reportkit.inputs import plan as plan_mod
    from reportkit.inputs.actuals import read_actuals
    from reportkit.inputs.method import as_method

    cat_path = _path_or(catalogue_file, cfg.DEFAULT_CATALOGUE)
    plan_obj = catalogue_mod.load(cat_path)
    plan_path = _path_or(plan_file, plan_obj.document)
    tables = plan_mod.extract(plan_path)
    catalogue_mod.resolve(plan_obj, tables)
    method_path = _path_or(method_file, cfg.DEFAULT_METHOD)
    method = as_method(method_path if method_file else None)
    parse_as_of(as_of or None, plan_obj, stage, method)  # a bad date fails before reading data
    actuals_path = _path_or(actuals_file, cfg.DEFAULT_ACTUALS)
    if not actuals_file and not actuals_path.exists():
        _make_sample(actuals_path, plan_obj)
    lap("extract")
    read = read_actuals(actuals_path, plan_obj)
    read.raise_for_problems()  # the validator's located messages; nothing is published
    lap("validate")
    ev = run_evaluation(plan_obj, read.table, stage, as_of or None, method)
    inputs = {"plan": plan_path, "catalogue": cat_path, "actuals": actuals_path, "method": method_path}
    com = Path(commentary_dir).resolve() if commentary_dir else None
    from reportkit.report.narrative import check_commentary

    check_commentary(com)   # symlinks out, non-UTF-8 files: located errors before anything runs
    ctx = ReportContext(
        stage=stage, as_of=str(ev.meta["as_of"]), plan=plan_obj, tables=tables,
        actuals=read.table, results=ev.results, evaluation=ev, method=ev.meta["method"],
        method_path=method_path, illustrative=read.illustrative,
        inputs={k: sha256(p) for k, p in inputs.items()},
        input_paths={k: _display_path(p) for k, p in inputs.items()},
        commentary_dir=com, warnings=list(read.warnings),
    )
    lap("evaluate")
    return ctx


def _make_sample(path: Path, plan: Any) -> None:
    """Generate the illustrative sample actuals when the default file is absent (fresh clone)."""
    from reportkit.inputs import sample

    sample.write_sample(plan, path)


def _display_path(path: Path) -> str:
    """A path as readers see it: relative to the project when inside it (no home folders)."""
    try:
        return str(Path(path).resolve().relative_to(cfg.PROJ_ROOT))
    except ValueError:
        return Path(path).name


# --------------------------------------------------------------------------------------------
# Downloads and the landing page.
DOWNLOADS = ("results", "actuals")


def download_names(ctx: ReportContext) -> dict[str, list[str]]:
    """File names of the download tables (under ``html/downloads/``), by table."""
    return {name: [f"{ctx.plan.id}-{ctx.stage}-{name}.{ext}" for ext in ("csv", "xlsx")]
            for name in DOWNLOADS}


def _default_commentary() -> Path:
    return cfg.RAW_DIR / "commentary"
