"""The report context: plan, actuals and evaluation of one report, as every page reads them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit import __version__
from reportkit import config as cfg
from reportkit.errors import Problem, ReportkitError, report_problem
from reportkit.vocab import ANNUAL_STAGE, LANGS, STAGES


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
    plan_hash: str = ""             # sha256 of the catalogue and plan files: what ``plan`` is made of
    # Progress of the plan's tasks from the form's task sheet (vocab.TASK_PROGRESS_COLUMNS); the
    # task tree itself is ``plan.tasks``.
    task_progress: pd.DataFrame | None = None
    # The annual monitoring report's tables (stage ``annual`` only; reportkit.evaluation.annual).
    annual: Any = None

    @property
    def edition(self) -> str:
        """The edition's name in folders and file names: the stage, with its year for ``annual``."""
        return edition_name(self.stage, self.as_of)

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


def edition_name(stage: str, as_of: str | int) -> str:
    """``midterm``, ``final``, or ``annual-<year>`` (``_build/annual-2022/``, ``…-annual-2022-zh.pdf``)."""
    return f"{stage}-{str(as_of)[:4]}" if stage == ANNUAL_STAGE else stage


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
                 commentary_dir: str = "", pdf_langs: str = "",
                 lap: Callable[[str], None] | None = None) -> ReportContext:
    """The report's data, computed from the input files (empty paths: the defaults).

    Empty paths mean the defaults of :mod:`reportkit.config` (embedded plan, illustrative
    sample actuals, default method). Raises ReportkitError on invalid inputs. ``pdf_langs``
    (comma-separated): the editions whose PDF report the pages link. ``lap(name)`` is called at the end of each
    step (``extract``, ``validate``, ``evaluate``): the build times them.

    Results are kept per process for the same arguments and file contents, so the notebooks
    of one build, run in a few long-lived kernels, compute the evaluation once per kernel.
    Callers must not modify the context (page views are copies).
    """
    if stage not in STAGES:
        raise ReportkitError(report_problem("bad_stage", None, {"stage": stage, "stages": ", ".join(STAGES)}))
    cat_path = _path_or(catalogue_file, cfg.DEFAULT_CATALOGUE)
    plan_path = _path_or(plan_file, _plan_document(cat_path))
    method_path = _path_or(method_file, cfg.DEFAULT_METHOD)
    actuals_path = _path_or(actuals_file, cfg.DEFAULT_ACTUALS)
    if not actuals_file and not actuals_path.exists():
        _make_sample(actuals_path, cat_path)
    paths = {"plan": plan_path, "catalogue": cat_path, "actuals": actuals_path, "method": method_path}
    key = (stage, as_of, bool(method_file), str(Path(commentary_dir).resolve()) if commentary_dir else "",
           pdf_langs, tuple((k, str(p), sha256(p) if p.is_file() else "") for k, p in paths.items()))
    hit = _LOADED.get(key)
    if hit is not None:
        return hit
    ctx = _compute(stage, as_of, paths, bool(method_file), commentary_dir, pdf_langs, lap or (lambda _n: None))
    _LOADED.clear()  # one evaluation per process is all a build or a notebook session needs
    _LOADED[key] = ctx
    return ctx


_LOADED: dict[tuple[Any, ...], ReportContext] = {}
_DOCUMENTS: dict[tuple[str, str], Path] = {}


def latest_reported_year(actuals_file: str = "", method_file: str = "", plan_file: str = "",
                         catalogue_file: str = "") -> str:
    """The latest plan year with a reported value ("" when none): the year an annual page opened
    by hand reports when it is given none. A build always names its year (``--year``)."""
    ctx = load_context(stage="final", actuals_file=actuals_file, method_file=method_file,
                       plan_file=plan_file, catalogue_file=catalogue_file)
    a = ctx.actuals   # a grid: every year of every target, empty where nothing was reported
    reported = a[a["value"].notna() | (a["judgement"].fillna("").astype(str).str.strip() != "")]
    return str(int(reported["year"].max())) if not reported.empty else ""


def _plan_document(cat_path: Path) -> Path:
    """The plan document a catalogue names, read once per catalogue content: every page notebook
    asks, and parsing and checking the catalogue again cost a tenth of a second each time."""
    from reportkit.inputs import catalogue

    key = (str(cat_path), sha256(cat_path)) if cat_path.is_file() else None
    if key is not None and key in _DOCUMENTS:
        return _DOCUMENTS[key]
    document = catalogue.load(cat_path).document   # raises the located errors of a bad catalogue
    if key is not None:
        _DOCUMENTS.clear()
        _DOCUMENTS[key] = document
    return document


def _compute(stage: str, as_of: str, paths: dict[str, Path], method_given: bool, commentary_dir: str,
             pdf_langs: str, lap: Callable[[str], None]) -> ReportContext:
    from reportkit.evaluation.engine import parse_as_of, run_evaluation, values_up_to
    from reportkit.inputs.actuals import read_actuals
    from reportkit.inputs.catalogue import open_plan
    from reportkit.inputs.method import as_method

    plan_obj, tables = open_plan(paths["catalogue"], paths["plan"])
    method = as_method(paths["method"] if method_given else None)
    parse_as_of(as_of or None, plan_obj, stage, method)  # a bad date fails before reading data
    lap("extract")
    read = read_actuals(paths["actuals"], plan_obj)
    read.raise_for_problems()  # the validator's located messages; nothing is published
    lap("validate")
    ev = run_evaluation(plan_obj, read.table, stage, as_of or None, method)
    # The report publishes only what it may use: no value of a year after its evaluation date
    # (downloads, sources and the data page count the same rows as the evaluation).
    actuals = values_up_to(read.table, parse_as_of(as_of or None, plan_obj, stage, method))
    com = Path(commentary_dir).resolve() if commentary_dir else None
    from reportkit.report.commentary import check_commentary

    check_commentary(com)   # symlinks out, non-UTF-8 files: located errors before anything runs
    ctx = ReportContext(
        stage=stage, as_of=str(ev.meta["as_of"]), plan=plan_obj, tables=tables,
        actuals=actuals, results=ev.results, evaluation=ev, method=ev.meta["method"],
        method_path=paths["method"], illustrative=read.illustrative,
        inputs={k: sha256(p) for k, p in paths.items()},
        input_paths={k: _display_path(p) for k, p in paths.items()},
        commentary_dir=com, warnings=list(read.warnings),
        pdf_files={lang: pdf_file_name(plan_obj.id, edition_name(stage, ev.meta["as_of"]), lang) for lang in LANGS
                   if lang in pdf_langs.split(",")},
        plan_hash=hashlib.sha256((sha256(paths["catalogue"]) + sha256(paths["plan"])).encode()).hexdigest(),
        task_progress=read.tasks,
        annual=_annual(stage, plan_obj, read.table, ev, method),
    )
    lap("evaluate")
    return ctx


def _annual(stage: str, plan: Any, actuals: pd.DataFrame, ev: Any, method: Any) -> Any:
    """The annual report's tables for stage ``annual``; None for the other stages."""
    if stage != ANNUAL_STAGE:
        return None
    from reportkit.evaluation.annual import annual_report

    return annual_report(plan, actuals, ev, method)


def _make_sample(path: Path, catalogue_path: Path) -> None:
    """Generate the illustrative sample actuals when the default file is absent (fresh clone)."""
    from reportkit.inputs.catalogue import load_plan
    from reportkit.inputs.sample import write_sample

    write_sample(load_plan(catalogue_path), path)


def _display_path(path: Path) -> str:
    """A path as readers see it: relative to the project when inside it (no home folders)."""
    try:
        return str(Path(path).resolve().relative_to(cfg.PROJ_ROOT))
    except ValueError:
        return Path(path).name


# --------------------------------------------------------------------------------------------
# Downloads and the landing page.
DOWNLOADS = ("results", "actuals", "reconciliation", "audit")   # audit: the plan's own tables


def download_names(ctx: ReportContext) -> dict[str, list[str]]:
    """File names of the download tables (under ``html/downloads/``), by table."""
    return {name: [f"{ctx.plan.id}-{edition_name(ctx.stage, ctx.as_of)}-{name}.{ext}" for ext in ("csv", "xlsx")]
            for name in DOWNLOADS}


def _default_commentary() -> Path:
    return cfg.RAW_DIR / "commentary"


def reader_workbook_name(plan_id: str, stage: str, lang: str) -> str:
    """The labelled results workbook for readers of one language (``downloads/``)."""
    return f"{plan_id}-{stage}-results-{lang}.xlsx"


def pdf_file_name(plan_id: str, stage: str, lang: str) -> str:
    """The file name of a PDF report (``<plan>-<stage>-<lang>.pdf``), in ``pdf/`` and ``downloads/``."""
    return f"{plan_id}-{stage}-{lang}.pdf"


def docx_file_name(plan_id: str, stage: str, lang: str) -> str:
    """The file name of a Word edition (``<plan>-<stage>-<lang>.docx``), in ``docx/`` and ``downloads/``.

    Built whenever the PDF is (``pdf_files`` lists the editions of both)."""
    return f"{plan_id}-{stage}-{lang}.docx"
