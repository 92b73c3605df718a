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

import errno
import json
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit import config as cfg
from reportkit.errors import Location, ReportkitError, report_problem
from reportkit.i18n import t
from reportkit.publishing import cache as cache_mod
from reportkit.publishing.book import (
    _write_yaml,
    build_editions,
    landing_page,
    prepare_edition_sources,
)
from reportkit.publishing.downloads import write_downloads
from reportkit.publishing.notebooks import (
    RUNNER_VERSION,
    NotebookJob,
    check_parameters,
    run_notebooks,
    stage_notebook,
)
from reportkit.report.context import ReportContext, _default_commentary, load_context
from reportkit.report.pages import Page, pages_for
from reportkit.vocab import LANGS, STAGES


# --------------------------------------------------------------------------------------------
# The whole build.
@dataclass
class BuildOptions:
    stage: str = "midterm"
    langs: list[str] = field(default_factory=lambda: list(LANGS))
    actuals: Path | None = None
    as_of: str = ""
    method: Path | None = None
    plan: Path | None = None
    catalogue: Path | None = None
    commentary: Path | None = None
    jobs: int = 2
    out_root: Path = cfg.BUILD_DIR
    msg_lang: str = "en"      # language of progress messages (the CLI's --lang)
    pdf: bool = True          # also typeset one PDF per edition (reportkit.publishing.pdf)
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
    from reportkit.publishing import publish

    opts = _checked_options(opts)
    if not publish.held(opts.out_root, opts.stage):
        with publish.build_guard(opts.out_root, opts.stage, opts.msg_lang, EXTRA_STEPS):
            return build(opts, log)
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
    for warning in ctx.warnings:   # printed by every build, and listed on the data page
        log(warning.message(opts.msg_lang))
    if opts.pdf:  # the pages link the PDFs the last step will write into downloads/
        from reportkit.publishing.pdf import pdf_name

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
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):   # disk full: the last good site is kept
            where = Location(str(getattr(exc, "filename", None) or root))
            raise ReportkitError(report_problem("disk_full", where, {"out": str(root / opts.stage)})) from None
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if opts.cache:
        store.prune()
    log(t("report.log.done", opts.msg_lang, path=str(final / "html" / "index.html"),
          seconds=f"{sum(seconds.values()):.1f}"))
    return BuildResult(final, ctx, pages, seconds, stats)


def _checked_options(opts: BuildOptions) -> BuildOptions:
    """Options as the build uses them: languages normalised (``EN``, `` zh ``, blank items dropped)
    and checked, the output root made absolute (a relative ``--out`` is against the current folder)."""
    from dataclasses import replace

    if opts.stage not in STAGES:
        raise ReportkitError(report_problem("bad_stage", None, {"stage": opts.stage, "stages": ", ".join(STAGES)}))
    raw = opts.langs.split(",") if isinstance(opts.langs, str) else list(opts.langs or [])
    langs = list(dict.fromkeys(str(x).strip().lower() for x in raw if x is not None and str(x).strip()))
    bad = [x for x in langs if x not in LANGS]
    if bad or not langs:
        shown = ",".join(bad) if bad else (",".join(str(x) for x in raw) or '""')
        raise ReportkitError(report_problem("bad_lang", None, {"value": shown, "langs": ", ".join(LANGS)}))
    return replace(opts, langs=langs, out_root=Path(os.path.abspath(Path(opts.out_root).expanduser())))


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
    """reportkit.publishing.pdf.build_step for the editions whose PDF is not cached; returns how many ran.

    A PDF is keyed by its edition's HTML and executed notebooks (chart SVGs), the cover, the
    report date (SOURCE_DATE_EPOCH) and reportkit's source and tools.
    """
    from reportkit.publishing import pdf

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
    p.add_argument("--lang", dest="langs", default=",".join(LANGS),
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


