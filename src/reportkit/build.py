"""Stage 5 — the report: notebooks run per language, one Jupyter Book edition per language.

``reportkit build --stage midterm|final --lang zh,en`` runs, in order:

1. **prepare** — extract the plan, read and validate the actuals (a validation error stops here,
   before anything is written to ``_build/<stage>/``), evaluate, and write the context and the
   download tables into a fresh temporary folder next to ``_build/<stage>/``;
2. **notebooks** — each page notebook of ``notebooks/`` is checked against its ``parameters``
   cell, staged per language (headings rendered from the locales), given its parameters
   (papermill's injected cell) and executed in one of ``--jobs`` long-lived kernels (separate
   processes, reset between notebooks), unless ``_build/.cache`` holds the notebook executed
   from the same inputs (:func:`notebook_key`); outputs are normalised to deterministic text;
3. **site** — one Jupyter Book per language (``execute_notebooks: off``, warnings are errors),
   assembled into ``html/{index.html,zh/,en/,downloads/}``; an edition whose staged sources
   are unchanged is copied from the cache, and so is a PDF whose edition is unchanged;
4. **publish** — the temporary folder replaces ``_build/<stage>/`` in one rename; a failure
   anywhere leaves the last good build untouched.

Later steps (the PDF) plug in after ``site`` through :data:`EXTRA_STEPS`; they find the staged
book sources of each edition in ``<out>/book/<lang>/`` (see :class:`BuildResult`).

Notebooks load their data with :func:`load_context`, which either reads the context the build
wrote (``context_file``) or computes it from the input files, so a notebook opened in Jupyter
from ``notebooks/`` runs as-is with its default parameters.
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from reportkit import __version__
from reportkit import cache as cache_mod
from reportkit import config as cfg
from reportkit.errors import Location, Problem, ReportkitError
from reportkit.files import atomic_write_text
from reportkit.i18n import t

STAGES = ("midterm", "final")
PARAM_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}
# Page notebooks in reading order; "programme" is run once per annex table of the plan.
PAGES = ("summary", "indicators", "programme", "districts", "methodology", "data")
ROOT_PAGE = "summary"  # becomes index.html of each edition
LANG_TAGS = {"zh": "zh_CN", "en": "en"}


# --------------------------------------------------------------------------------------------
# Problems of this stage: their texts live in the ``report`` locale group (report.error.*).
class ReportProblem(Problem):
    """A located problem whose message key is in ``report.error``."""

    def message(self, lang: str = "zh") -> str:
        text = t(f"report.error.{self.key}", lang, **self.params)
        where = self.location.render(lang) if self.location else ""
        label = t(f"errors.severity_{self.severity}", lang)
        return f"{label} {where}: {text}" if where else f"{label} {text}"


# --------------------------------------------------------------------------------------------
# Notebook parameters: `name: type = value  # help` in the cell tagged `parameters`.
@dataclass(frozen=True)
class Parameter:
    name: str
    type: type
    default: Any
    help: str


def _parameters_cell(nb: dict[str, Any]) -> tuple[int, str]:
    for k, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            src = cell["source"]
            return k, "".join(src) if isinstance(src, list) else src
    return -1, ""


def notebook_parameters(path: Path) -> dict[str, Parameter]:
    """The documented parameters of a notebook, read from its ``parameters`` cell.

    Every statement of the cell must be ``name: type = literal  # help`` with a type among
    str/int/float/bool and a default of that type; anything else is a located error.
    """
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    index, source = _parameters_cell(nb)
    if index < 0:
        raise ReportkitError(ReportProblem("nb_no_parameters", Location(str(path))))
    lines = source.splitlines()
    params: dict[str, Parameter] = {}
    problems: list[Problem] = []
    for node in ast.parse(source).body:
        where = Location(str(path), row=f"parameters cell, line {node.lineno}")
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and isinstance(node.annotation, ast.Name) and node.annotation.id in PARAM_TYPES
                and node.value is not None):
            problems.append(ReportProblem("nb_bad_parameter_line", where,
                                          {"line": lines[node.lineno - 1].strip()}))
            continue
        typ = PARAM_TYPES[node.annotation.id]
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            default = None
        line = lines[node.lineno - 1]
        help_text = line.split("#", 1)[1].strip() if "#" in line else ""
        # papermill's own parser gives up on quotes in the comment: keep help texts quote-free
        if not _type_ok(default, typ) or not help_text or "'" in help_text or '"' in help_text:
            problems.append(ReportProblem("nb_bad_parameter_line", where, {"line": line.strip()}))
            continue
        params[node.target.id] = Parameter(node.target.id, typ, default, help_text)
    if problems:
        raise ReportkitError(problems)
    return params


def _type_ok(value: Any, typ: type) -> bool:
    if typ is bool:
        return isinstance(value, bool)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if typ is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, typ)


def check_parameters(path: Path, given: dict[str, Any]) -> dict[str, Any]:
    """Validate ``given`` against a notebook's parameters; unknown or mistyped ones are errors.

    Returns the full parameter set (defaults filled in). papermill itself only warns.
    """
    spec = notebook_parameters(path)
    problems: list[Problem] = []
    for name, value in given.items():
        where = Location(str(path), row=name)
        if name not in spec:
            problems.append(ReportProblem("nb_unknown_parameter", where,
                                          {"name": name, "known": ", ".join(spec)}))
        elif not _type_ok(value, spec[name].type):
            problems.append(ReportProblem("nb_parameter_type", where,
                                          {"name": name, "expected": spec[name].type.__name__,
                                           "value": repr(value)}))
    if problems:
        raise ReportkitError(problems)
    return {**{n: p.default for n, p in spec.items()}, **given}


# --------------------------------------------------------------------------------------------
# The data every page shows.
@dataclass
class ReportContext:
    """Plan, actuals, results and provenance of one evaluation (what the notebooks display)."""

    stage: str
    as_of: str
    plan: Any                       # reportkit.catalogue.Plan
    tables: Any                     # reportkit.plan.PlanTables
    actuals: pd.DataFrame
    results: pd.DataFrame
    evaluation: Any                 # reportkit.evaluation.Evaluation (districts, composite …)
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
        raise ReportkitError(ReportProblem("bad_stage", None, {"stage": stage, "stages": ", ".join(STAGES)}))
    from reportkit import catalogue as catalogue_mod
    from reportkit import plan as plan_mod
    from reportkit.actuals import read_actuals
    from reportkit.evaluation import parse_as_of, run_evaluation
    from reportkit.method import as_method

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
    from reportkit import sample

    sample.write_sample(plan, path)


def _display_path(path: Path) -> str:
    """A path as readers see it: relative to the project when inside it (no home folders)."""
    try:
        return str(Path(path).resolve().relative_to(cfg.PROJ_ROOT))
    except ValueError:
        return Path(path).name


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


def pages_for(annexes: list[int]) -> list[Page]:
    """The book's pages: the fixed chapters plus one chapter per annex table of the plan."""
    out: list[Page] = []
    for name in PAGES:
        if name == "programme":
            out += [Page(f"programme-{a}", "programme", {"annex": int(a)}) for a in annexes]
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
    return t(f"report.pages.{page.notebook}", lang)


def markdown_text(text: str) -> str:
    """Plain text safe inside Markdown: every ASCII punctuation mark backslash-escaped.

    Titles come from the plan and its catalogue (input data): without this, ``<img onerror>``
    in an indicator name would reach the page as live HTML through MyST, and ``*`` as emphasis.
    """
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def stage_notebook(ctx: ReportContext, page: Page, lang: str, dest: Path) -> None:
    """Copy a page notebook for one language: markdown cells rendered as jinja2 templates.

    Markdown cells may use ``{{ t('report.key') }}`` and ``{{ title }}``; code cells get the
    ``remove-input`` tag (the site shows outputs only), the parameters cell ``remove-cell``.
    """
    import jinja2

    nb = json.loads(page.source.read_text(encoding="utf-8"))
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    variables = {"t": lambda key, **kw: t(key, lang, **kw), "title": markdown_text(page_title(ctx, page, lang)),
                 "lang": lang}
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if cell["cell_type"] == "markdown":
            cell["source"] = env.from_string(src).render(**variables)
        elif cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            for tag in (("remove-cell",) if "parameters" in tags else ("remove-input",)):
                if tag not in tags:
                    tags.append(tag)
    nb.setdefault("metadata", {})["language_info"] = {"name": "python"}
    nb["metadata"]["reportkit"] = {"page": page.name, "lang": lang}
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# Notebook execution: a few long-lived kernels, each running many notebooks (see TOOLCHAIN.md:
# a fresh kernel per notebook spent 0.6 s starting and 0.5 s importing, every time).
RUNNER_VERSION = "2"  # part of every notebook's cache key: bump when execution/normalising changes
_WARM_UP = ("import reportkit.build, reportkit.charts, reportkit.narrative, reportkit.tables\n"
            "import vl_convert as _vlc\n"
            "_vlc.vegalite_to_svg({'mark': 'point', 'data': {'values': [{'x': 1}]},"
            " 'encoding': {'x': {'field': 'x', 'type': 'quantitative'}}})\n"
            "del _vlc")


def _reset_code(folder: str) -> str:
    """Run silently before each notebook: an empty namespace, counts from 1, its own folder.

    Imported modules stay loaded (that is the point); their state must not depend on what ran
    before: the build checks it by comparing builds (tests/test_determinism.py).
    """
    return ("get_ipython().run_line_magic('reset', '-f')\n"
            f"import os as _os\n_os.chdir({folder!r})\ndel _os\n"
            "get_ipython().execution_count = 1")


@dataclass
class NotebookJob:
    """One notebook to execute: staged source, output file, parameters."""

    source: Path
    dest: Path
    params: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.dest.parent.name}/{self.dest.name}"


async def _silent(kc: Any, code: str, timeout: float = 120) -> None:
    msg_id = kc.execute(code, silent=True, store_history=False)
    while True:
        reply = await kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if reply["content"].get("status") != "ok":
        raise RuntimeError("\n".join(reply["content"].get("traceback", [])[-5:])
                           or reply["content"].get("evalue", "kernel error"))


async def _run_one(km: Any, kc: Any, job: NotebookJob) -> str | None:
    """Execute one notebook in a running kernel; writes ``job.dest``; returns an error or None."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from papermill.parameterize import parameterize_notebook

    nb = nbformat.read(job.source, as_version=4)
    nb.metadata["papermill"] = {}
    nb = parameterize_notebook(nb, job.params, kernel_name="python3", language="python")
    await _silent(kc, _reset_code(str(job.dest.parent)))
    client = NotebookClient(nb, km=km, kernel_name="python3", record_timing=False,
                            timeout=600, allow_errors=False)
    client.kc = kc  # the worker's running kernel, not a new one
    client.reset_execution_trackers()
    try:
        for index, cell in enumerate(nb.cells):
            await client.async_execute_cell(cell, index)
    except CellExecutionError as exc:
        msg = str(exc).strip().splitlines()
        return "\n".join(msg[-12:])
    except Exception as exc:  # a dead kernel, a timeout: reported with the notebook's name
        return f"{type(exc).__name__}: {exc}"
    atomic_write_text(job.dest, normalised_notebook(nb))
    return None


def normalised_notebook(nb: Any) -> str:
    """The executed notebook as deterministic text: what varies between runs is taken out.

    Execution counts numbered 1, 2, … (a reused kernel counts on); no timing or papermill run
    metadata; the injected-parameters cell hidden in the site and given a fixed id (nbformat
    makes random ones); vega's per-process gradient/clip ids in SVG outputs renumbered per SVG;
    keys sorted.
    """
    from reportkit.pdf import _stable_svg_ids

    nb = json.loads(json.dumps(nb))  # plain dicts/lists
    count = 0
    for k, cell in enumerate(nb.get("cells", [])):
        meta = cell.setdefault("metadata", {})
        for key in ("execution", "papermill", "ExecuteTime"):
            meta.pop(key, None)
        tags = meta.get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = "injected-parameters"
            if "remove-cell" not in tags:
                tags.append("remove-cell")
        cell.setdefault("id", f"cell-{k}")
        if cell.get("cell_type") != "code":
            continue
        ran = cell.get("execution_count") is not None
        if ran:
            count += 1
            cell["execution_count"] = count
        for out in cell.get("outputs", []):
            if out.get("output_type") == "execute_result":
                out["execution_count"] = count if ran else None
            data = out.get("data", {})
            if "image/svg+xml" in data:
                svg = data["image/svg+xml"]
                data["image/svg+xml"] = _stable_svg_ids("".join(svg) if isinstance(svg, list) else svg)
    meta = nb.setdefault("metadata", {})
    params = meta.get("papermill", {}).get("parameters")
    meta.pop("papermill", None)
    meta.pop("widgets", None)
    if params is not None:
        meta["papermill"] = {"parameters": params}  # what the page was run with (no times)
    return json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


async def _kernel_worker(queue: Any, root: str, report: Callable[[NotebookJob, float, str | None], None],
                         log_file: Path) -> None:
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name="python3")
    # The kernel's own chatter (TCP notices) goes to a log next to the work files.
    with open(log_file, "ab") as err:
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        # No IPython history: two kernels sharing its SQLite file print "ERROR! Session/line
        # number was not unique" into whichever cell runs then.
        await km.start_kernel(cwd=root, env=env, stderr=err, stdout=err,
                              extra_arguments=["--HistoryManager.enabled=False"])
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=120)
        await _silent(kc, _WARM_UP)
        while not queue.empty():
            job = queue.get_nowait()
            start = time.monotonic()
            error = await _run_one(km, kc, job)
            report(job, time.monotonic() - start, error)
            if error and not await km.is_alive():
                await km.restart_kernel(now=True)
                await kc.wait_for_ready(timeout=120)
                await _silent(kc, _WARM_UP)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


def run_notebooks(jobs: list[NotebookJob], n_jobs: int, log: Callable[[str], None] = print,
                  work: Path | None = None) -> None:
    """Execute notebooks in ``n_jobs`` kernels (separate processes), each reused across notebooks.

    Prints one progress line per notebook (``[done/total] lang/page.ipynb seconds, left,
    elapsed``); raises ReportkitError naming every notebook that failed.
    """
    import asyncio

    if not jobs:
        return
    for job in jobs:
        job.dest.parent.mkdir(parents=True, exist_ok=True)
    work = work or jobs[0].source.parent
    failures: list[Problem] = []
    done = 0
    start = time.monotonic()

    def report(job: NotebookJob, seconds: float, error: str | None) -> None:
        nonlocal done
        done += 1
        log(f"  [{done}/{len(jobs)}] {job.label} {seconds:.1f}s"
            f" ({len(jobs) - done} left, {time.monotonic() - start:.0f}s)")
        if error:
            failures.append(ReportProblem("nb_failed", Location(job.label), {"error": error}))

    async def main() -> None:
        queue: asyncio.Queue[NotebookJob] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        n = max(1, min(n_jobs, len(jobs)))
        await asyncio.gather(*(_kernel_worker(queue, str(jobs[0].dest.parent.parent), report,
                                              work / f"kernel-{i}.log") for i in range(n)))

    _run_async(main)
    if failures:
        raise ReportkitError(failures)
    log(f"  {len(jobs)} notebooks in {time.monotonic() - start:.1f}s")


def _run_async(main: Callable[[], Any]) -> None:
    """asyncio.run, also when called from a running loop (e.g. inside Jupyter): in a thread."""
    import asyncio

    try:
        asyncio.get_running_loop()
        running = True
    except RuntimeError:
        running = False
    if not running:
        asyncio.run(main())
        return
    import threading

    box: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the caller's thread
            box.append(exc)

    th = threading.Thread(target=target)
    th.start()
    th.join()
    if box:
        raise box[0]


# --------------------------------------------------------------------------------------------
# Editions.
def _load_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def edition_config(ctx: ReportContext, lang: str, langs: list[str]) -> dict[str, Any]:
    """The Jupyter Book configuration of one edition, from the top-level ``_config.yml``."""
    conf = _load_yaml(cfg.PROJ_ROOT / "_config.yml")
    stage_label = t(f"report.stage.{ctx.stage}", lang)
    # The theme puts title and author into the page as HTML: escape what came from the plan.
    conf["title"] = html.escape(t("report.site_title", lang, plan=ctx.plan.name[lang], stage=stage_label),
                                quote=False)
    conf["author"] = html.escape(ctx.plan.region[lang], quote=False)
    sphinx = conf.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["language"] = LANG_TAGS[lang]
    others = [x for x in langs if x != lang]
    sphinx.setdefault("html_context", {}).update({
        "rk_lang": lang,
        "rk_other_lang": others[0] if others else "",
        "rk_other_label": t("report.switch_to", others[0]) if others else "",
        "rk_other_title": t("report.switch_title", others[0]) if others else "",
    })
    theme = sphinx.setdefault("html_theme_options", {})
    if ctx.illustrative:
        theme["announcement"] = (
            '<span class="rk-illustrative" lang="{l}">{text}</span>'.format(
                l=lang, text=t("report.banner.illustrative", lang)))
    # Footer: what made the page and for which date — not "author: <region>", which would name
    # the city as the evaluation's author. (Jupyter Book's html.extra_footer does not reach the theme.)
    theme["footer_content_items"] = ["extra-footer.html"]
    theme["extra_footer"] = html.escape(t("report.footer", lang, version=ctx.version, as_of=ctx.as_of,
                                          stage=stage_label), quote=False)
    return conf


def edition_toc(annexes: list[int]) -> dict[str, Any]:
    """The edition's table of contents: the top-level ``_toc.yml`` with ``programme`` expanded."""
    toc = _load_yaml(cfg.PROJ_ROOT / "_toc.yml")

    def expand(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for e in entries:
            if e.get("file") == "programme":
                out += [{"file": f"programme-{a}"} for a in annexes]
            else:
                out.append(e)
        return out

    for part in toc.get("parts", []):
        part["chapters"] = expand(part.get("chapters", []))
    if "chapters" in toc:
        toc["chapters"] = expand(toc["chapters"])
    return toc


def _write_yaml(data: dict[str, Any], path: Path) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def prepare_edition_sources(ctx: ReportContext, lang: str, langs: list[str], book_dir: Path) -> None:
    """Shared book sources (static CSS, templates), the vega bundle and the edition's YAML."""
    from reportkit import charts

    for sub in ("_static", "_templates", "_ext"):
        src = cfg.BOOK_DIR / sub
        if src.is_dir():
            shutil.copytree(src, book_dir / sub, dirs_exist_ok=True)
    (book_dir / "_static").mkdir(parents=True, exist_ok=True)
    (book_dir / "_static" / charts.BUNDLE_NAME).write_text(_cached_bundle(), encoding="utf-8")
    _write_yaml(edition_config(ctx, lang, langs), book_dir / "_config.yml")
    _write_yaml(edition_toc(ctx.annexes), book_dir / "_toc.yml")


def _cached_bundle() -> str:
    """The wrapped vega bundle, cached under _build/ (vl-convert takes ~1.5 s to produce it)."""
    import vl_convert as vlc

    from reportkit import charts

    cache = cfg.BUILD_DIR / ".cache" / f"vega-bundle-{vlc.__version__}.js"
    if cache.is_file():
        return cache.read_text(encoding="utf-8")
    text = charts.javascript_bundle()
    cache.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cache, text)
    return text


def _jupyter_book() -> list[str]:
    exe = Path(sys.executable).parent / "jupyter-book"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyter_book.cli.main"]


def _build_edition(args: tuple[str, str, str]) -> tuple[str, int, str]:
    book_dir, out_dir, lang = args
    cmd = _jupyter_book() + ["build", book_dir, "--config", str(Path(book_dir) / "_config.yml"),
                             "--toc", str(Path(book_dir) / "_toc.yml"), "--path-output", out_dir,
                             "--all", "-W", "-n", "--keep-going", "-q"]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=book_dir)
    return lang, proc.returncode, (proc.stdout + proc.stderr)


def build_editions(book_dirs: dict[str, Path], work: Path, n_jobs: int,
                   log: Callable[[str], None] = print) -> dict[str, Path]:
    """Run Jupyter Book once per edition (in parallel); returns lang → built html folder."""
    jobs = [(str(d), str(work / "jb" / lang), lang) for lang, d in book_dirs.items()]
    start = time.monotonic()
    if n_jobs > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs))) as pool:
            results = list(pool.map(_build_edition, jobs))
    else:
        results = [_build_edition(j) for j in jobs]
    problems = [ReportProblem("book_failed", Location(f"book/{lang}"), {"log": _tail(out)})
                for lang, rc, out in results if rc != 0]
    if problems:
        raise ReportkitError(problems)
    log(f"  {len(jobs)} editions in {time.monotonic() - start:.1f}s")
    return {lang: work / "jb" / lang / "_build" / "html" for lang in book_dirs}


def _tail(text: str, n: int = 25) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[-n:])


# --------------------------------------------------------------------------------------------
# Downloads and the landing page.
DOWNLOADS = ("results", "actuals")


def write_downloads(ctx: ReportContext, folder: Path) -> dict[str, list[str]]:
    """Results and actuals as CSV and xlsx (reportkit.export: injection-safe, deterministic)."""
    from reportkit import export

    folder.mkdir(parents=True, exist_ok=True)
    names = download_names(ctx)
    for name, frame in (("results", ctx.results), ("actuals", ctx.actuals)):
        csv_name, xlsx_name = names[name]
        export.write_csv(_plain(frame), folder / csv_name)
        export.write_xlsx({name: _plain(frame)}, folder / xlsx_name)
        _pin_xlsx_modified(folder / xlsx_name)
    return names


_MODIFIED_RE = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_CREATED_RE = re.compile(rb"<dcterms:created[^>]*>([^<]*)</dcterms:created>")


def _pin_xlsx_modified(path: Path) -> None:
    """The workbook's "modified" date set to its fixed "created" date.

    openpyxl stamps the clock into docProps/core.xml on save, whatever ``properties.modified``
    says, so two builds a second apart gave different bytes. Members keep their order, names
    and fixed zip timestamps; written atomically.
    """
    import zipfile

    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    out = []
    for info, data in members:
        if info.filename == "docProps/core.xml":
            created, modified = _CREATED_RE.search(data), _MODIFIED_RE.search(data)
            if created and modified:
                data = (data[:modified.start()] + modified.group(1) + created.group(1)
                        + modified.group(2) + data[modified.end():])
        out.append((info, data))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info, data in out:
                zout.writestr(info, data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and other objects as text, so CSV/xlsx cells are plain values."""
    out = frame.copy()
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, list | tuple | set | dict)).any():
            out[c] = out[c].map(lambda v: ", ".join(map(str, v)) if isinstance(v, list | tuple | set)
                                else (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v))
    return out


def landing_page(ctx: ReportContext, langs: list[str]) -> str:
    """``html/index.html``: pick a language (static, no script from elsewhere)."""
    from markupsafe import Markup

    items = Markup("").join(
        Markup('<li><a href="{l}/index.html" hreflang="{l}" lang="{l}">{title}</a></li>').format(
            l=lang, title=t("report.site_title", lang, plan=ctx.plan.name[lang],
                            stage=t(f"report.stage.{ctx.stage}", lang)))
        for lang in langs)
    banner = Markup("").join(
        Markup('<p class="rk-illustrative" lang="{}">{}</p>').format(lang, t("report.banner.illustrative", lang))
        for lang in langs) if ctx.illustrative else ""
    pdfs = getattr(ctx, "pdf_files", {})
    if pdfs:
        items += Markup("").join(
            Markup('<li><a href="downloads/{f}" hreflang="{l}" lang="{l}">{label} ({name})</a></li>').format(
                f=pdfs[lang], l=lang, label=t("report.data.pdf", lang), name=t("report.switch_to", lang))
            for lang in langs if lang in pdfs)
    title = " / ".join(t("report.choose_language", lang) for lang in langs)
    return str(Markup(
        '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title}</title><style>body{{font-family:'Noto Sans CJK SC',sans-serif;max-width:40rem;"
        "margin:4rem auto;padding:0 1rem;line-height:1.6}}a{{font-size:1.2rem}}"
        ".rk-illustrative{{background:#fff3cd;border:1px solid #e0b400;padding:.4rem .8rem}}</style>"
        "</head><body><h1>{title}</h1>{banner}<ul>{items}</ul></body></html>\n"
    ).format(lang=langs[0], title=title, banner=banner, items=items))


# --------------------------------------------------------------------------------------------
# The whole build.
@dataclass
class BuildOptions:
    stage: str = "midterm"
    langs: list[str] = field(default_factory=lambda: list(cfg.LANGS))
    actuals: Path | None = None
    as_of: str = ""
    method: Path | None = None
    plan: Path | None = None
    catalogue: Path | None = None
    commentary: Path | None = None
    jobs: int = 2
    out_root: Path = cfg.BUILD_DIR
    msg_lang: str = "en"      # language of progress messages (the CLI's --lang)
    pdf: bool = True          # also typeset one PDF per edition (reportkit.pdf)
    cache: bool = True        # reuse executed notebooks, editions and PDFs whose inputs are unchanged
    cache_dir: Path | None = None  # default: _build/.cache
    on_stage: Callable[[str], None] | None = None  # called after each stage (benchmark probes)


@dataclass
class BuildResult:
    """Where a finished build is: ``out/html``, ``out/book/<lang>`` (sources), ``out/data``."""

    out: Path
    context: ReportContext
    pages: list[Page]
    seconds: dict[str, float]   # per stage: extract, validate, evaluate, notebooks, site, pdf, …
    stats: dict[str, int] = field(default_factory=dict)  # notebooks/editions/PDFs run vs cached

    @property
    def html(self) -> Path:
        return self.out / "html"


# Steps that later stages add (e.g. the PDF): called with (staging folder, context, pages,
# options) after the site is assembled and before the staging folder is published.
EXTRA_STEPS: list[Callable[[Path, ReportContext, list[Page], BuildOptions], None]] = []


def build(opts: BuildOptions, log: Callable[[str], None] = print) -> BuildResult:
    """Build one stage's site; replaces ``<out_root>/<stage>/`` only when everything succeeded."""
    from reportkit import (
        publish,  # one build per stage and folder; leftovers cleaned; pages checked
    )

    if not publish.held(opts.out_root, opts.stage):
        with publish.build_guard(opts.out_root, opts.stage, opts.msg_lang, EXTRA_STEPS):
            return build(opts, log)
    if opts.stage not in STAGES:
        raise ReportkitError(ReportProblem("bad_stage", None, {"stage": opts.stage, "stages": ", ".join(STAGES)}))
    bad = [x for x in opts.langs if x not in cfg.LANGS]
    if bad or not opts.langs:
        raise ReportkitError(ReportProblem("bad_lang", None, {"lang": ",".join(bad), "langs": ", ".join(cfg.LANGS)}))
    seconds: dict[str, float] = {}
    stats: dict[str, int] = {"notebooks_run": 0, "notebooks_cached": 0, "editions_built": 0,
                             "editions_cached": 0, "pdfs_built": 0, "pdfs_cached": 0}
    store = cache_mod.Cache(opts.cache_dir, enabled=opts.cache)
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        seconds[name] = round(now - clock, 2)
        clock = now
        if opts.on_stage is not None:
            opts.on_stage(name)

    # 1. prepare: everything that can fail on user input happens before any output is written.
    log(t("report.log.prepare", opts.msg_lang))
    ctx = load_context(stage=opts.stage, as_of=opts.as_of,
                       actuals_file=str(opts.actuals or ""), method_file=str(opts.method or ""),
                       plan_file=str(opts.plan or ""), catalogue_file=str(opts.catalogue or ""),
                       commentary_dir=str(opts.commentary or _default_commentary()), lap=lap)
    if opts.pdf:  # the pages link the PDFs the last step will write into downloads/
        from reportkit.pdf import pdf_name

        ctx.pdf_files = {lang: pdf_name(ctx.plan.id, ctx.stage, lang) for lang in opts.langs}
    pages = pages_for(ctx.annexes)
    page_params = {}
    for page in pages:  # parameters are checked before anything runs
        page_params[page.name] = check_parameters(page.source, _page_parameters(page, opts, "zh"))

    root = Path(opts.out_root)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{opts.stage}-", dir=root))
    try:
        data_dir = staging / "data"
        data_dir.mkdir()
        context_file = data_dir / "context.pkl"
        with open(context_file, "wb") as fh:
            _CanonicalPickler(fh, protocol=4).dump(_canonical_frames(ctx))
        # 2. notebooks, per language; each keyed by everything it reads (see notebook_key)
        common = notebook_inputs_hash(ctx)
        jobs: list[NotebookJob] = []
        keys: dict[Path, str] = {}
        for lang in opts.langs:
            for page in pages:
                staged = staging / "work" / "notebooks" / lang / f"{page.name}.ipynb"
                stage_notebook(ctx, page, lang, staged)
                # Relative to the executed notebook's folder (the kernel's cwd, and nbval's): the
                # path stays valid after the staging folder is renamed into place.
                params = _page_parameters(page, opts, lang) | {"context_file": "../../data/context.pkl"}
                dest = staging / "book" / lang / f"{page.name}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                key = notebook_key(staged, params, lang, common)
                hit = store.get("notebooks", key, ".ipynb")
                if hit is not None:
                    shutil.copyfile(hit, dest)
                    stats["notebooks_cached"] += 1
                else:
                    jobs.append(NotebookJob(staged, dest, params))
                    keys[dest] = key
        if jobs:
            log(t("report.log.notebooks", opts.msg_lang, n=len(jobs), jobs=min(opts.jobs, len(jobs))))
            run_notebooks(jobs, opts.jobs, log, work=staging / "work")
            for job in jobs:
                store.put_file("notebooks", keys[job.dest], job.dest, ".ipynb")
        stats["notebooks_run"] = len(jobs)
        lap("notebooks")
        # 3. site: an edition is rebuilt only when its staged sources changed
        log(t("report.log.site", opts.msg_lang))
        book_dirs = {lang: staging / "book" / lang for lang in opts.langs}
        html = staging / "html"
        html.mkdir()
        todo: dict[str, Path] = {}
        edition_keys: dict[str, str] = {}
        for lang, d in book_dirs.items():
            prepare_edition_sources(ctx, lang, opts.langs, d)
            edition_keys[lang] = cache_mod.hash_bytes(
                "edition", RUNNER_VERSION, lang, cache_mod.tree_hash(d), cache_mod.code_fingerprint(),
                cache_mod.toolchain_fingerprint())
            hit = store.get("editions", edition_keys[lang])
            if hit is not None:
                shutil.copytree(hit, html / lang)
                stats["editions_cached"] += 1
            else:
                todo[lang] = d
        if todo:
            built = build_editions(todo, staging / "work", opts.jobs, log)
            for lang, folder in built.items():
                shutil.copytree(folder, html / lang)
                for junk in (".buildinfo", ".doctrees"):
                    p = html / lang / junk
                    if p.is_dir():
                        shutil.rmtree(p)
                    else:
                        p.unlink(missing_ok=True)
                store.put_dir("editions", edition_keys[lang], html / lang)
        stats["editions_built"] = len(todo)
        write_downloads(ctx, html / "downloads")
        (html / "index.html").write_text(landing_page(ctx, opts.langs), encoding="utf-8")
        (html / ".nojekyll").write_text("", encoding="utf-8")
        shutil.rmtree(staging / "work")
        _write_yaml({"stage": ctx.stage, "as_of": ctx.as_of, "langs": opts.langs,
                     "pages": [p.name for p in pages], "illustrative": ctx.illustrative,
                     "inputs": ctx.inputs, "reportkit": ctx.version}, staging / "build.yml")
        lap("site")
        if opts.pdf:
            log(t("report.log.pdf", opts.msg_lang))
            built_pdfs = _pdf_step(staging, ctx, pages, opts, store)
            stats["pdfs_built"] = built_pdfs
            stats["pdfs_cached"] = len(opts.langs) - built_pdfs
            lap("pdf")
        for step in EXTRA_STEPS:
            step(staging, ctx, pages, opts)
        lap("extra")
        final = _publish(staging, root / opts.stage)
        lap("publish")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if opts.cache:
        store.prune()
    log(t("report.log.done", opts.msg_lang, path=str(final / "html" / "index.html"),
          seconds=f"{sum(seconds.values()):.1f}"))
    return BuildResult(final, ctx, pages, seconds, stats)


def notebook_inputs_hash(ctx: ReportContext) -> str:
    """What every page notebook reads besides its own source and parameters.

    The context's *content* (plan, tables, actuals, results, method values, input
    fingerprints — hashed value by value, not as pickle bytes), the evaluators' commentary
    files, reportkit's own source (code, locales, templates, default method) and the tool
    versions. Every page reads the whole context, so a changed actual re-runs every page:
    narrower keys would need each page to be given only the part it reads.
    """
    return cache_mod.hash_bytes(
        "notebook-inputs", RUNNER_VERSION, cache_mod.content_hash(ctx),
        cache_mod.tree_hash(ctx.commentary_dir) if ctx.commentary_dir else "no commentary",
        cache_mod.code_fingerprint(), cache_mod.toolchain_fingerprint())


def notebook_key(staged: Path, params: dict[str, Any], lang: str, common: str) -> str:
    """The cache key of one executed notebook: its staged source (markdown already rendered in
    ``lang``), its parameters, its language and :func:`notebook_inputs_hash`."""
    return cache_mod.hash_bytes("notebook", staged.read_bytes(),
                                json.dumps(params, sort_keys=True, ensure_ascii=False), lang, common)


def _pdf_step(staging: Path, ctx: ReportContext, pages: list[Page], opts: BuildOptions,
              store: cache_mod.Cache) -> int:
    """reportkit.pdf.build_step for the editions whose PDF is not cached; returns how many ran.

    A PDF is keyed by its edition's HTML and executed notebooks (chart SVGs), the cover, the
    report date (SOURCE_DATE_EPOCH) and reportkit's source and tools.
    """
    from reportkit import pdf

    date = pdf.report_date(opts)
    missing: list[str] = []
    keys: dict[str, str] = {}
    (staging / "pdf").mkdir(exist_ok=True)
    downloads = staging / "html" / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    for lang in opts.langs:
        name = pdf.pdf_name(ctx.plan.id, ctx.stage, lang)
        cover = {"title": ctx.plan.name[lang], "stage": ctx.stage, "as_of": ctx.as_of, "date": date,
                 "illustrative": bool(ctx.illustrative)}
        keys[lang] = cache_mod.hash_bytes(
            "pdf", name, json.dumps(cover, sort_keys=True, ensure_ascii=False),
            os.environ.get("SOURCE_DATE_EPOCH", ""), cache_mod.tree_hash(staging / "html" / lang),
            cache_mod.tree_hash(staging / "book" / lang), cache_mod.code_fingerprint(),
            cache_mod.toolchain_fingerprint())
        hit = store.get("pdf", keys[lang], ".pdf")
        if hit is None:
            missing.append(lang)
            continue
        for dest in (staging / "pdf" / name, downloads / name):
            shutil.copyfile(hit, dest)
    if missing:
        from dataclasses import replace

        pdf.build_step(staging, ctx, pages, replace(opts, langs=missing))
        for lang in missing:
            store.put_file("pdf", keys[lang], staging / "pdf" / pdf.pdf_name(ctx.plan.id, ctx.stage, lang), ".pdf")
    return len(missing)


def _default_commentary() -> Path:
    return cfg.RAW_DIR / "commentary"


def _page_parameters(page: Page, opts: BuildOptions, lang: str) -> dict[str, Any]:
    """The parameters a page notebook gets (ids and absolute paths only; no Chinese text)."""
    params: dict[str, Any] = {"stage": opts.stage, "lang": lang, "as_of": opts.as_of}
    for name, value in (("actuals_file", opts.actuals), ("method_file", opts.method),
                        ("plan_file", opts.plan), ("catalogue_file", opts.catalogue),
                        ("commentary_dir", opts.commentary or _default_commentary())):
        params[name] = str(Path(value).resolve()) if value else ""
    return params | page.params


def _readable(root: Path) -> None:
    """World-readable files and folders: temp files are created 0600, a web server needs 0644."""
    os.chmod(root, 0o755)
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(folder, d), 0o755)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o644)


_MASKED_DTYPES = (pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype, pd.UInt8Dtype,
                  pd.UInt16Dtype, pd.UInt32Dtype, pd.UInt64Dtype, pd.Float32Dtype, pd.Float64Dtype,
                  pd.BooleanDtype)


class _CanonicalPickler(pickle.Pickler):
    """Pickles masked dtypes by name: their instances cache attributes (``itemsize``) once a
    process has asked for them, and pickle would carry that history into the bytes."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _MASKED_DTYPES):
            return pd.api.types.pandas_dtype, (obj.name,)
        return NotImplemented


def _canonical_frames(obj: Any, _memo: dict[int, Any] | None = None) -> Any:
    """Replace every DataFrame inside ``obj`` by a canonical copy, in place, and return ``obj``.

    Equal frames can pickle to different bytes: a masked array (Int64) keeps whatever value
    happened to sit under each missing entry. Those values are set to 0 in the copy, so the
    published context is byte-identical however the frames were computed. A frame reached
    twice is replaced by the same copy both times (pickle keeps the sharing).
    """
    memo: dict[int, Any] = {} if _memo is None else _memo
    if id(obj) in memo:
        return memo[id(obj)]
    memo[id(obj)] = obj  # provisional: cycles end here
    if isinstance(obj, pd.Series):
        out: Any = _canonical_frames(obj.to_frame(), memo).iloc[:, 0].rename(obj.name)
    elif isinstance(obj, pd.DataFrame):
        out = obj.copy(deep=True)
        masked = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)
        for i in range(out.shape[1]):
            arr = out.iloc[:, i].array
            if isinstance(arr, masked) and arr._mask.any():
                data = arr._data.copy()
                data[arr._mask] = 0
                out.isetitem(i, type(arr)(data, arr._mask.copy()))
    else:
        out = obj
        if isinstance(obj, dict):
            for k, v in list(obj.items()):
                obj[k] = _canonical_frames(v, memo)
        elif isinstance(obj, list):
            for n, v in enumerate(obj):
                obj[n] = _canonical_frames(v, memo)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            for k, v in list(vars(obj).items()):
                new = _canonical_frames(v, memo)
                if new is not v:
                    object.__setattr__(obj, k, new)
    memo[id(obj)] = out
    return out


def _publish(staging: Path, final: Path) -> Path:
    """Swap the staging folder into place; the previous build is removed only afterwards."""
    _readable(staging)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}-old-{os.getpid()}")
        os.replace(final, old)
    try:
        os.replace(staging, final)
    except BaseException:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final


# --------------------------------------------------------------------------------------------
# CLI
def register(sub) -> None:
    """Add ``reportkit build`` to the CLI."""
    p = sub.add_parser("build", help="build the evaluation report site (both languages)")
    p.add_argument("--stage", choices=STAGES, default="midterm", help="midterm or final")
    p.add_argument("--lang", dest="langs", default=",".join(cfg.LANGS),
                   help="editions to build, comma-separated (default: zh,en)")
    p.add_argument("--actuals", type=Path, default=None, help="actuals workbook or CSV (default: sample)")
    p.add_argument("--as-of", default="", help="evaluation date YYYY or YYYY-MM (default: the stage's)")
    p.add_argument("--method", type=Path, default=None, help="method file (default: built-in)")
    p.add_argument("--plan", type=Path, default=None, help="plan text export (default: the catalogue's)")
    p.add_argument("--catalogue", type=Path, default=None, help="indicator catalogue")
    p.add_argument("--commentary", type=Path, default=None,
                   help="evaluators' commentary folder (default: data/raw/commentary)")
    p.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel (processes)")
    p.add_argument("--out", type=Path, default=cfg.BUILD_DIR, help="output root (default: _build)")
    p.add_argument("--no-pdf", dest="pdf", action="store_false", help="build the site only, no PDF")
    p.add_argument("--no-cache", dest="cache", action="store_false",
                   help="run every notebook, edition and PDF again (ignore and do not fill _build/.cache)")
    p.set_defaults(func=_cli_build)


def _cli_build(args) -> int:
    langs = [x.strip() for x in str(args.langs).split(",") if x.strip()]
    opts = BuildOptions(stage=args.stage, langs=langs, actuals=args.actuals, as_of=args.as_of,
                        method=args.method, plan=args.plan, catalogue=args.catalogue,
                        commentary=args.commentary, jobs=max(1, args.jobs), out_root=args.out,
                        msg_lang=args.lang, pdf=args.pdf, cache=args.cache)
    build(opts, log=print)
    return 0


def download_names(ctx: ReportContext) -> dict[str, list[str]]:
    """File names of the download tables (under ``html/downloads/``), by table."""
    return {name: [f"{ctx.plan.id}-{ctx.stage}-{name}.{ext}" for ext in ("csv", "xlsx")]
            for name in DOWNLOADS}
