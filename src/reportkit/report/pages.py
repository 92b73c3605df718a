"""The pages of every edition: names, source notebooks, titles."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit import config as cfg
from reportkit.i18n import t
from reportkit.report.context import ReportContext, latest_reported_year, load_context
from reportkit.vocab import ANNUAL_STAGE

# Page notebooks in reading order; "programme" is run once per annex table of the plan, each a
# section of the "programmes" chapter (专项任务（附表）推进情况; _toc.yml nests them).
PAGES = ("summary", "indicators", "programmes", "programme", "tasks", "districts", "problems", "recommendations",
         "methodology", "data")


# The annual monitoring report's pages (stage ``annual``): the year in brief, the programmes'
# year against the annex plan, the districts' year, the indicators reported and what changed;
# then the same method and data chapters as the other reports.
ANNUAL_PAGES = ("annual_summary", "annual_programmes", "annual_districts", "annual_indicators",
                "methodology", "data")

ROOT_PAGE = "summary"  # becomes index.html of each edition
# Pages printed as appendices of the report (附件: method, data checks, sources and fingerprints).
APPENDIX_PAGES = ("methodology", "data")
ANNUAL_ROOT_PAGE = "annual_summary"


# --------------------------------------------------------------------------------------------
# Pages.
@dataclass(frozen=True)
class Page:
    """One page of every edition: its file name, source notebook and extra parameters."""

    name: str
    notebook: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> Path:
        return cfg.NOTEBOOKS_DIR / f"{self.notebook}.ipynb"


def programme_page(annex: int) -> str:
    """The page (file name without suffix) of the programme of annex table ``annex``."""
    return f"programme-{int(annex)}"


def programme_href(annex: int) -> str:
    """The link from one page of an edition to the programme page of annex table ``annex``."""
    return f"{programme_page(annex)}.html"


def pages_for(annexes: list[int], tasks: bool = True, stage: str = "") -> list[Page]:
    """The book's pages: the fixed chapters plus the programmes chapter with one section page per
    annex table of the plan (a plan without annex tables has neither: no empty chapter); the
    key tasks chapter only when the plan has a task chapter (``tasks``). Stage ``annual``: the
    annual report's pages (:data:`ANNUAL_PAGES`; page files named with hyphens)."""
    if stage == ANNUAL_STAGE:
        return [Page("index" if name == ANNUAL_ROOT_PAGE else name.replace("_", "-"), name) for name in ANNUAL_PAGES]
    out: list[Page] = []
    for name in PAGES:
        if name == "tasks" and not tasks:
            continue
        if name == "programmes" and not annexes:
            continue
        if name == "programme":
            out += [Page(programme_page(a), "programme", {"annex": int(a)}) for a in annexes]
        else:
            out.append(Page("index" if name == ROOT_PAGE else name, name))
    return out


def page_title(ctx: ReportContext, page: Page, lang: str) -> str:
    """The heading of a page in ``lang`` (programme chapters: the catalogue's indicator name)."""
    if page.notebook == "programme":
        ind = ctx.annex_indicator(page.params["annex"])
        if ind is not None:
            return ind.label(lang)
        return t("report.pages.programme_fallback", lang, annex=page.params["annex"])
    if page.notebook == "programmes":
        return t("report.programmes.title", lang)
    return t(f"report.pages.{page.notebook}", lang)


def markdown_text(text: str) -> str:
    """Plain text safe inside Markdown: every ASCII punctuation mark backslash-escaped.

    Titles come from the plan and its catalogue (input data): without this, ``<img onerror>``
    in an indicator name would reach the page as live HTML through MyST, and ``*`` as emphasis.
    """
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


# --------------------------------------------------------------------------------------------
# What each page reads. A page notebook receives the view of its page, never the whole context:
# the view holds only what the page shows (other fields are None, so reading them fails loudly),
# and the build keys the executed page by the view's fingerprint. A changed value therefore
# re-runs only the pages that show it.
def _narrow(ev: Any, **frames: Any) -> Any:
    """A copy of the engine's Evaluation with some tables replaced (None: not read)."""
    return replace(ev, **frames)


def _summary(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    # pdf_files stay: the first screen links the edition's PDF
    return replace(ctx, actuals=None, tables=None, inputs={}, input_paths={}, commentary_dir=None,
                   warnings=[], evaluation=_narrow(ctx.evaluation, districts=None, reconciliation=None))


def _indicators(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    return replace(ctx, actuals=None, tables=None, inputs={}, input_paths={}, warnings=[], pdf_files={},
                   evaluation=_narrow(ctx.evaluation, districts=None, reconciliation=None, composite=None))


def _programme(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    ind = ctx.annex_indicator(int(params["annex"]))
    ids = {ind.id} if ind is not None else set()
    results = ctx.results[ctx.results["indicator"].isin(ids)]
    return replace(ctx, results=results, actuals=ctx.actuals[ctx.actuals["indicator"].isin(ids)],
                   tables=None, inputs={}, input_paths={}, warnings=[], pdf_files={},
                   evaluation=_narrow(ctx.evaluation, results=results, districts=None, reconciliation=None,
                                      composite=None))


def _programmes(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    """The programmes chapter's opening page: the annex tables (which programmes there are) and
    the city rows of their indicators; no district values."""
    ids = {i.id for a in ctx.annexes if (i := ctx.annex_indicator(a)) is not None}
    r = ctx.results
    results = r[r["indicator"].isin(ids) & (r["district"] == ctx.plan.city)]
    return replace(ctx, results=results, actuals=None, inputs={}, input_paths={}, commentary_dir=None,
                   warnings=[], pdf_files={},
                   evaluation=_narrow(ctx.evaluation, results=results, districts=None, reconciliation=None,
                                      composite=None))


def _districts(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    return replace(ctx, actuals=None, tables=None, inputs={}, input_paths={}, warnings=[], pdf_files={},
                   evaluation=_narrow(ctx.evaluation, districts=None, reconciliation=None))


def _findings(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    # Drafted from the results and the reconciliation (report.findings); the evaluators' own
    # section text comes from the commentary folder.
    return replace(ctx, actuals=None, tables=None, inputs={}, input_paths={}, warnings=[], pdf_files={},
                   evaluation=_narrow(ctx.evaluation, districts=None, composite=None))


def _methodology(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    return replace(ctx, results=None, actuals=None, tables=None, inputs={}, input_paths={},
                   commentary_dir=None, warnings=[], pdf_files={},
                   evaluation=_narrow(ctx.evaluation, results=None, districts=None, reconciliation=None,
                                      composite=None))


def _tasks(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    """The plan (its task tree) and the reported task progress; no indicator values."""
    return replace(ctx, results=None, actuals=None, tables=None, inputs={}, input_paths={},
                   commentary_dir=None, warnings=[], pdf_files={},
                   evaluation=_narrow(ctx.evaluation, results=None, districts=None, reconciliation=None,
                                      composite=None))


def _annual(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    """The annual pages: the year's tables and the results they summarise; no actuals or plan tables."""
    return replace(ctx, actuals=None, tables=None, inputs={}, input_paths={}, commentary_dir=None, warnings=[],
                   pdf_files={}, evaluation=_narrow(ctx.evaluation, districts=None, reconciliation=None,
                                                    composite=None))


def _data(ctx: ReportContext, params: dict[str, Any]) -> ReportContext:
    # The results stay for the baselines taken from actuals; the reconciliation is shown here.
    return replace(ctx, commentary_dir=None,
                   evaluation=_narrow(ctx.evaluation, districts=None, composite=None))


VIEWS: dict[str, Callable[[ReportContext, dict[str, Any]], ReportContext]] = {
    "summary": _summary, "indicators": _indicators, "programmes": _programmes, "programme": _programme,
    "tasks": _tasks, "districts": _districts, "problems": _findings, "recommendations": _findings,
    "methodology": _methodology, "data": _data,
    "annual_summary": _annual, "annual_programmes": _annual, "annual_districts": _annual,
    "annual_indicators": _annual,
}
# The pages that show task progress (the drafted findings name lagging tasks): every other view
# drops it, so a changed progress report re-runs only these.
TASK_PAGES = ("tasks", "problems", "recommendations")


def page_view(ctx: ReportContext, notebook: str, **params: Any) -> ReportContext:
    """What the page of ``notebook`` (with its own ``params``, e.g. ``annex``) reads."""
    view = VIEWS[notebook](ctx, params)
    return view if notebook in TASK_PAGES else replace(view, task_progress=None)


def page_context(notebook: str, *, stage: str = "midterm", as_of: str = "", actuals_file: str = "",
                 method_file: str = "", plan_file: str = "", catalogue_file: str = "",
                 commentary_dir: str = "", pdf_langs: str = "", **params: Any) -> ReportContext:
    """The view of one page, computed from the input files: what a page notebook calls.
    An annual page given no year reports the latest year with reported values."""
    if stage == ANNUAL_STAGE and not str(as_of).strip():
        as_of = latest_reported_year(actuals_file=actuals_file, method_file=method_file,
                                     plan_file=plan_file, catalogue_file=catalogue_file)
    ctx = load_context(stage=stage, as_of=as_of, actuals_file=actuals_file, method_file=method_file,
                       plan_file=plan_file, catalogue_file=catalogue_file, commentary_dir=commentary_dir,
                       pdf_langs=pdf_langs)
    return page_view(ctx, notebook, **params)


def fingerprint(view: ReportContext) -> str:
    """A hash of everything a page view holds: equal fingerprints, equal pages.

    Tables are hashed as CSV text (floats written exactly, so equal text means equal values),
    small values as sorted JSON; the plan itself by its catalogue and plan files' hashes, and
    the commentary folder by its files' contents when the view shows commentary.
    """
    h = hashlib.sha256()

    def feed(label: str, value: Any) -> None:
        h.update(f"\n[{label}]\n".encode())
        if value is None:
            h.update(b"None")
        elif isinstance(value, pd.DataFrame):
            h.update(value.to_csv(index=True, lineterminator="\n").encode())
            h.update(repr(list(value.dtypes.astype(str))).encode())
        else:
            h.update(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode())

    ev = view.evaluation
    feed("head", [view.stage, view.as_of, view.version, bool(view.illustrative), str(view.method_path)])
    feed("plan", [view.plan.id, view.plan_hash])
    feed("method", view.method)
    feed("meta", ev.meta)
    for name in ("results", "actuals", "task_progress"):
        feed(name, getattr(view, name))
    for name in ("results", "districts", "reconciliation", "composite"):
        feed(f"evaluation.{name}", getattr(ev, name))
    tables = view.tables
    for name in ("annex_targets", "main_indicators", "plan_audit"):
        feed(f"tables.{name}", getattr(tables, name) if tables is not None else None)
    feed("inputs", [view.inputs, view.input_paths, view.pdf_files])
    feed("warnings", [w.message("zh") + "\n" + w.message("en") for w in view.warnings])
    feed("commentary", _tree_hash(view.commentary_dir) if view.commentary_dir else None)
    if view.annual is not None:   # the annual report's tables (absent from the other stages' keys)
        for name in ("programmes", "changes", "reported"):
            feed(f"annual.{name}", getattr(view.annual, name))
    return h.hexdigest()


def _tree_hash(root: Path) -> str:
    """The contents of every file under ``root`` with their relative paths."""
    h = hashlib.sha256()
    root = Path(root)
    if root.is_dir():
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()
