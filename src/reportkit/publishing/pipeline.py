"""The build: an explicit list of steps from the input files to the published site and PDFs.

``reportkit build --stage midterm|final --lang zh,en`` (:func:`build`) takes the stage's build
lock, then runs :data:`STEPS` in order, each reading and writing what its entry declares:

1. **prepare** — extract the plan, read and validate the actuals, evaluate (a validation error
   stops here, before anything is written); the context lives in memory only;
2. **notebooks** — each page notebook is checked against its ``parameters`` cell, staged per
   language and executed with the input files as parameters (the notebook computes its page's
   view itself), unless ``_build/.cache`` holds it executed from the same *page view* (what the
   page shows), source, parameters, code and tools: a changed value re-runs only the pages
   that show it;
3. **site** — one Jupyter Book per language, the downloads and the landing page; an edition
   whose staged sources are unchanged comes from the cache;
4. **pdf** — one PDF per edition, re-typeset only when its edition changed;
5. **docx** — one Word file per edition (the PDF's content, for editing), written with the PDFs
   (``--pdf/--no-pdf`` switches both) and cached the same way;
6. **check** — the staged pages are checked for markup that came from the inputs;
7. **publish** — the staging folder replaces ``<out>/<stage>/`` in one rename; a failure or
   an interruption anywhere leaves the last good build untouched.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reportkit import config as cfg
from reportkit.errors import Location, Problem, ReportkitError, report_problem
from reportkit.i18n import t
from reportkit.publishing import cache as cache_mod
from reportkit.publishing import publish
from reportkit.publishing.book import (
    _write_yaml,
    build_editions,
    landing_page,
    page_numbers,
    prepare_edition_sources,
    report_toc,
)
from reportkit.publishing.downloads import write_downloads
from reportkit.publishing.notebooks import (
    RUNNER_VERSION,
    NotebookJob,
    check_parameters,
    run_notebooks,
    stage_notebook,
)
from reportkit.report.context import ReportContext, docx_file_name, edition_name, load_context
from reportkit.report.pages import Page, fingerprint, page_view, pages_for
from reportkit.report.tasks import has_tasks
from reportkit.vocab import ANNUAL_STAGE, LANGS, STAGES


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
    pdf: bool = True          # also typeset one PDF and write one Word file per edition (publishing.pdf, .docx)
    cache: bool = True        # reuse executed notebooks, editions and PDFs whose inputs are unchanged
    cache_dir: Path | None = None  # default: _build/.cache
    on_stage: Callable[[str], None] | None = None  # called after each step (benchmark probes)
    issuer: dict[str, str] | None = None   # 编制单位 by language (evaluation.yml issuing_body): cover, PDF author
    report_date: str | None = None         # the report's date (evaluation.yml): cover and PDF dates
    report_number: str | None = None       # 文号 (evaluation.yml report_number): cover
    year: int | None = None                # stage ``annual``: the plan year reported (its as_of)

    @property
    def folder(self) -> str:
        """The stage's folder under ``out_root``: ``midterm``, ``final``, ``annual-<year>``."""
        return edition_name(self.stage, self.year if self.stage == ANNUAL_STAGE else "")


@dataclass
class BuildResult:
    """Where a finished build is: ``out/html``, ``out/book/<lang>`` (sources), ``out/pdf``."""

    out: Path
    context: ReportContext
    pages: list[Page]
    seconds: dict[str, float]   # per step: extract, validate, evaluate, notebooks, site, pdf, check, publish
    stats: dict[str, int] = field(default_factory=dict)  # notebooks/editions/PDFs run vs cached

    @property
    def html(self) -> Path:
        return self.out / "html"


@dataclass
class Run:
    """What the steps of one build share: options, the staging folder, the cache, the context."""

    opts: BuildOptions
    staging: Path | None
    store: cache_mod.Cache
    log: Callable[[str], None]
    lap: Callable[[str], None]
    ctx: ReportContext | None = None
    pages: list[Page] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("notebooks_run", "notebooks_cached", "editions_built", "editions_cached", "pdfs_built", "pdfs_cached",
         "docx_built", "docx_cached"), 0))


@dataclass(frozen=True)
class Step:
    """One step of the build: what it reads, what it writes (in the staging folder), its function."""

    name: str
    reads: str
    writes: str
    run: Callable[[Run], None]
    staged: bool = True   # writes into the staging folder (made after the input-only steps)


def _prepare(run: Run) -> None:
    opts = run.opts
    run.log(t("report.log.prepare", opts.msg_lang))
    run.ctx = load_context(lap=run.lap, **_inputs(opts, pdf_langs=",".join(opts.langs) if opts.pdf else ""))
    for warning in run.ctx.warnings:   # printed by every build, and listed on the data page
        run.log(warning.message(opts.msg_lang))
    run.pages = pages_for(run.ctx.annexes, tasks=has_tasks(run.ctx), stage=run.ctx.stage)
    for page in run.pages:  # parameters are checked before anything runs
        check_parameters(page.source, _page_parameters(page, opts, "zh"))


def _notebooks(run: Run) -> None:
    opts, ctx, staging = run.opts, run.ctx, run.staging
    jobs: list[NotebookJob] = []
    keys: dict[Path, str] = {}
    shared = cache_mod.hash_bytes("notebook-code", RUNNER_VERSION, cache_mod.code_fingerprint(),
                                  cache_mod.toolchain_fingerprint())
    views = {page.name: fingerprint(page_view(ctx, page.notebook, **page.params)) for page in run.pages}
    toc = report_toc(ctx)
    for lang in opts.langs:
        numbers = page_numbers(toc, lang)   # the printed report's chapter numbers, in the titles
        for page in run.pages:
            staged = staging / "work" / "notebooks" / lang / f"{page.name}.ipynb"
            stage_notebook(ctx, page, lang, staged, numbers.get(page.name, ""))
            params = _page_parameters(page, opts, lang)
            dest = staging / "book" / lang / f"{page.name}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            key = notebook_key(staged, params, lang, cache_mod.hash_bytes(shared, views[page.name]))
            hit = run.store.get("notebooks", key, ".ipynb")
            if hit is not None:
                shutil.copyfile(hit, dest)
                run.stats["notebooks_cached"] += 1
            else:
                jobs.append(NotebookJob(staged, dest, params))
                keys[dest] = key
    if jobs:
        run.log(t("report.log.notebooks", opts.msg_lang, n=len(jobs), jobs=min(opts.jobs, len(jobs))))
        # each notebook is cached as soon as it ran: a build killed part-way leaves the next
        # one only the notebooks that had not finished
        run_notebooks(jobs, opts.jobs, run.log, work=staging / "work",
                      done=lambda job: run.store.put_file("notebooks", keys[job.dest], job.dest, ".ipynb"))
    run.stats["notebooks_run"] = len(jobs)


def _site(run: Run) -> None:
    opts, ctx, staging = run.opts, run.ctx, run.staging
    run.log(t("report.log.site", opts.msg_lang))
    html = staging / "html"
    html.mkdir()
    todo: dict[str, Path] = {}
    keys: dict[str, str] = {}
    for lang in opts.langs:
        book_dir = staging / "book" / lang
        prepare_edition_sources(ctx, lang, opts.langs, book_dir)
        keys[lang] = cache_mod.hash_bytes("edition", RUNNER_VERSION, lang, cache_mod.tree_hash(book_dir),
                                          cache_mod.code_fingerprint(), cache_mod.toolchain_fingerprint())
        hit = run.store.get("editions", keys[lang])
        if hit is not None:
            shutil.copytree(hit, html / lang)
            run.stats["editions_cached"] += 1
        else:
            todo[lang] = book_dir
    if todo:
        # Sphinx keeps its environment between builds of the same output folder and stage, in the
        # cache: a changed value re-reads only the pages that changed. (--no-cache: from scratch.)
        # Its folder is keyed by the edition's table of contents and configuration too, so a page
        # that left the book never lingers in the output (Sphinx does not delete what it wrote).
        def place(lang: str) -> str:
            # ... and by reportkit's code and tools: an environment another version left is never reused
            return cache_mod.hash_bytes("sphinx", str(Path(opts.out_root).resolve()), ctx.edition, lang,
                                        cache_mod.code_fingerprint(), cache_mod.toolchain_fingerprint(),
                                        *((todo[lang] / f).read_bytes() for f in ("_toc.yml", "_config.yml")))[:24]
        kept = {lang: run.store.path("sphinx", place(lang)) for lang in todo} if opts.cache else None
        for lang, folder in build_editions(todo, staging / "work", opts.jobs, run.log, kept).items():
            shutil.copytree(folder, html / lang, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
            run.store.put_dir("editions", keys[lang], html / lang)
    run.stats["editions_built"] = len(todo)
    write_downloads(ctx, html / "downloads")
    (html / "index.html").write_text(landing_page(ctx, opts.langs), encoding="utf-8")
    (html / ".nojekyll").write_text("", encoding="utf-8")
    shutil.rmtree(staging / "work", ignore_errors=True)
    _write_yaml({"stage": ctx.stage, "as_of": ctx.as_of, "langs": opts.langs,
                 "pages": [p.name for p in run.pages], "illustrative": ctx.illustrative,
                 "inputs": ctx.inputs, "reportkit": ctx.version}, staging / "build.yml")


def _pdf(run: Run) -> None:
    """One PDF per edition, keyed by the edition's HTML and executed notebooks (chart SVGs), the
    cover, the report date (SOURCE_DATE_EPOCH) and reportkit's source and tools."""
    opts, ctx, staging = run.opts, run.ctx, run.staging
    if not opts.pdf:
        return
    from reportkit.publishing import pdf

    run.log(t("report.log.pdf", opts.msg_lang))
    missing: list[str] = []
    keys: dict[str, str] = {}
    (staging / "pdf").mkdir(exist_ok=True)
    downloads = staging / "html" / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    for lang in opts.langs:
        name = pdf.pdf_name(ctx.plan.id, ctx.edition, lang)
        keys[lang] = _edition_key("pdf", name, pdf.edition_cover(ctx, lang, opts), staging, lang)
        hit = run.store.get("pdf", keys[lang], ".pdf")
        if hit is None:
            missing.append(lang)
            continue
        for dest in (staging / "pdf" / name, downloads / name):
            shutil.copyfile(hit, dest)
    if missing:
        pdf.typeset_editions(staging, ctx, replace(opts, langs=missing))
        for lang in missing:
            run.store.put_file("pdf", keys[lang], staging / "pdf" / pdf.pdf_name(ctx.plan.id, ctx.edition, lang), ".pdf")
    run.stats["pdfs_built"] = len(missing)
    # the landing page names each PDF's size, known now
    sizes = {lang: (staging / "pdf" / pdf.pdf_name(ctx.plan.id, ctx.edition, lang)).stat().st_size
             for lang in opts.langs if (staging / "pdf" / pdf.pdf_name(ctx.plan.id, ctx.edition, lang)).is_file()}
    (staging / "html" / "index.html").write_text(landing_page(ctx, opts.langs, sizes), encoding="utf-8")
    run.stats["pdfs_cached"] = len(opts.langs) - len(missing) if opts.pdf else 0


def _edition_key(kind: str, name: str, cover: dict[str, Any], staging: Path, lang: str) -> str:
    """The cache key of a printed edition: its file name, cover, SOURCE_DATE_EPOCH, the edition's
    HTML and executed notebooks (chart SVGs), reportkit's source and the tool versions."""
    return cache_mod.hash_bytes(
        kind, name, json.dumps(cover, sort_keys=True, ensure_ascii=False),
        os.environ.get("SOURCE_DATE_EPOCH", ""), cache_mod.tree_hash(staging / "html" / lang),
        cache_mod.tree_hash(staging / "book" / lang), cache_mod.code_fingerprint(),
        cache_mod.toolchain_fingerprint())


def _docx(run: Run) -> None:
    """One Word file per edition, cached like the PDF (same inputs, same key parts). Made when the
    PDFs are: the two are one report in two formats, and builds without PDFs (most tests) stay fast."""
    opts, ctx, staging = run.opts, run.ctx, run.staging
    if not opts.pdf:
        return
    from reportkit.publishing import docx, pdf

    run.log(t("report.log.docx", opts.msg_lang))
    (staging / "docx").mkdir(exist_ok=True)
    downloads = staging / "html" / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    missing: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    for lang in opts.langs:
        name = docx_file_name(ctx.plan.id, ctx.edition, lang)
        cover = pdf.edition_cover(ctx, lang, opts)
        keys[lang] = _edition_key("docx", name, cover, staging, lang)
        hit = run.store.get("docx", keys[lang], ".docx")
        if hit is None:
            missing[lang] = cover
            continue
        for dest in (staging / "docx" / name, downloads / name):
            shutil.copyfile(hit, dest)
    if missing:
        docx.write_editions(staging, ctx, opts, missing, run.store.root / "png" if run.store.enabled else None)
        for lang in missing:
            run.store.put_file("docx", keys[lang], staging / "docx" / docx_file_name(ctx.plan.id, ctx.edition, lang),
                               ".docx")
    shutil.rmtree(staging / "work", ignore_errors=True)   # the print HTML the PDF step left
    run.stats["docx_built"] = len(missing)
    run.stats["docx_cached"] = len(opts.langs) - len(missing)


def _check(run: Run) -> None:
    run.log(t("report.log.check", run.opts.msg_lang))
    publish.check_site(run.staging, known_clean=run.store.root / "checked" if run.store.enabled else None,
                       salt=cache_mod.code_fingerprint())


# The build, top to bottom. Each step reads only what an earlier step wrote (or the inputs).
STEPS: tuple[Step, ...] = (
    Step("prepare", "plan, catalogue, method and actuals files", "the context (in memory)", _prepare,
         staged=False),
    Step("notebooks", "notebooks/*.ipynb, each page's view of the context",
         "book/<lang>/<page>.ipynb (executed)", _notebooks),
    Step("site", "book/<lang>/, _config.yml, _toc.yml, book/ (theme files)",
         "html/<lang>/, html/downloads/, html/index.html, build.yml", _site),
    Step("pdf", "html/<lang>/, book/<lang>/ (chart SVGs)",
         "pdf/*.pdf, html/downloads/*.pdf, work/print/<lang>.html (print HTML, for the Word step)", _pdf),
    Step("docx", "work/print/<lang>.html, or html/<lang>/ and book/<lang>/ when the PDF came from the cache",
         "docx/*.docx, html/downloads/*.docx", _docx),
    Step("check", "html/**/*.html", "nothing (refuses markup injected by the inputs)", _check),
)


def build(opts: BuildOptions, log: Callable[[str], None] = print) -> BuildResult:
    """Build one stage's site and PDFs; replaces ``<out_root>/<stage>/`` only when all steps succeeded."""
    opts = _checked_options(opts)
    seconds: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        seconds[name] = round(now - clock, 2)
        clock = now
        if opts.on_stage is not None:
            opts.on_stage(name)

    root = Path(opts.out_root)
    with publish.build_lock(root, opts.folder, opts.msg_lang), publish.interruptible() as seen:
        run = Run(opts, None, cache_mod.Cache(opts.cache_dir, enabled=opts.cache), log, lap)
        try:
            for step in STEPS:
                if step.staged and run.staging is None:  # nothing is written before the inputs passed
                    run.staging = Path(tempfile.mkdtemp(prefix=f".{opts.folder}-", dir=root))
                step.run(run)
                if step.name != "prepare":  # prepare laps extract / validate / evaluate itself
                    lap(step.name)
            final = _publish(run.staging, root / opts.folder)
            lap("publish")
        except OSError as exc:
            _discard(run.staging)
            publish.reraise_interruption(seen)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):   # disk full: the last good site is kept
                where = Location(str(getattr(exc, "filename", None) or root))
                raise ReportkitError(report_problem("disk_full", where, {"out": str(root / opts.folder)})) from None
            raise
        except BaseException:
            _discard(run.staging)
            publish.reraise_interruption(seen)
            raise
    if opts.cache:
        run.store.prune()
    log(t("report.log.made", opts.msg_lang, **run.stats))
    log(t("report.log.done", opts.msg_lang, path=str(final / "html" / "index.html"),
          seconds=f"{sum(seconds.values()):.1f}"))
    return BuildResult(final, run.ctx, run.pages, seconds, run.stats)


def _checked_options(opts: BuildOptions) -> BuildOptions:
    """Options as the build uses them: languages normalised (``EN``, `` zh ``, blank items dropped)
    and checked, the output root made absolute (a relative ``--out`` is against the current folder)."""
    if opts.stage not in STAGES:
        raise ReportkitError(report_problem("bad_stage", None, {"stage": opts.stage, "stages": ", ".join(STAGES)}))
    raw = opts.langs.split(",") if isinstance(opts.langs, str) else list(opts.langs or [])
    langs = list(dict.fromkeys(str(x).strip().lower() for x in raw if x is not None and str(x).strip()))
    bad = [x for x in langs if x not in LANGS]
    if bad or not langs:
        shown = ",".join(bad) if bad else (",".join(str(x) for x in raw) or '""')
        raise ReportkitError(report_problem("bad_lang", None, {"value": shown, "langs": ", ".join(LANGS)}))
    # The commentary belongs to the plan: by default the folder its catalogue names (none when
    # it names none), never the default plan's. An English edition needs every English name.
    from reportkit.inputs.catalogue import load as load_catalogue

    plan = load_catalogue(opts.catalogue or cfg.DEFAULT_CATALOGUE)
    opts = _annual_year(opts, plan)
    if opts.actuals is None and plan.source.resolve() != cfg.DEFAULT_CATALOGUE.resolve():
        # the illustrative sample belongs to the default plan: another plan's actuals are needed
        raise ReportkitError(Problem("no_actuals_flag", Location(str(plan.source)), group="project"))
    if "en" in langs and plan.missing_en:
        raise ReportkitError([replace(p, severity="error") for p in plan.missing_en]
                             + [Problem("english_needed", None, {"n": len(plan.missing_en)}, group="schema")])
    commentary = opts.commentary if opts.commentary is not None else plan.commentary
    return replace(opts, langs=langs, out_root=Path(os.path.abspath(Path(opts.out_root).expanduser())),
                   commentary=commentary)


def _annual_year(opts: BuildOptions, plan: Any) -> BuildOptions:
    """Stage ``annual`` needs ``--year`` inside the plan period; it is the report's as_of (the end
    of that year). The other stages take no year."""
    if opts.stage != ANNUAL_STAGE:
        if opts.year is not None:
            raise ReportkitError(report_problem("year_not_annual", Location("--year"), {"stage": opts.stage}))
        return opts
    if opts.year is None:
        raise ReportkitError(report_problem("annual_needs_year", Location("--year"), {
            "first": plan.first_year, "last": plan.last_year}))
    if not plan.first_year <= int(opts.year) <= plan.last_year:
        raise ReportkitError(report_problem("annual_year_outside", Location("--year"), {
            "year": opts.year, "first": plan.first_year, "last": plan.last_year}))
    return replace(opts, year=int(opts.year), as_of=str(int(opts.year)))


def notebook_key(staged: Path, params: dict[str, Any], lang: str, reads: str) -> str:
    """The cache key of one executed notebook: its staged source (markdown already rendered in
    ``lang``), its parameters, its language and ``reads`` — the hash of its page's view of the
    context, reportkit's source and the tool versions (see :func:`_notebooks`)."""
    return cache_mod.hash_bytes("notebook", staged.read_bytes(),
                                json.dumps(params, sort_keys=True, ensure_ascii=False), lang, reads)


def _inputs(opts: BuildOptions, pdf_langs: str = "") -> dict[str, Any]:
    """The input files and choices of a build, as :func:`load_context` and the notebooks take them."""
    def path(value: Path | None) -> str:
        return str(Path(value).resolve()) if value else ""

    return {"stage": opts.stage, "as_of": opts.as_of, "actuals_file": path(opts.actuals),
            "method_file": path(opts.method), "plan_file": path(opts.plan),
            "catalogue_file": path(opts.catalogue),
            "commentary_dir": path(opts.commentary), "pdf_langs": pdf_langs}


def _page_parameters(page: Page, opts: BuildOptions, lang: str) -> dict[str, Any]:
    """The parameters a page notebook gets (ids and absolute paths only; no Chinese text)."""
    pdf_langs = ",".join(opts.langs) if opts.pdf else ""
    return _inputs(opts, pdf_langs) | {"lang": lang} | page.params


def _discard(staging: Path | None) -> None:
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)


def _readable(root: Path) -> None:
    """World-readable files and folders: temp files are created 0600, a web server needs 0644."""
    os.chmod(root, 0o755)
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(folder, d), 0o755)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o644)


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
