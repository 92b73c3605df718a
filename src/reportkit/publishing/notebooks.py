"""Notebooks: parameters checked, staged per language, executed in long-lived kernels, normalised."""

from __future__ import annotations

import ast
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportkit.errors import Location, Problem, ReportkitError, report_problem
from reportkit.files import atomic_write_text
from reportkit.i18n import t
from reportkit.publishing.pdf_pages import number_gap
from reportkit.report.context import ReportContext
from reportkit.report.pages import Page, markdown_text, page_title

PARAM_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}


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
    """The documented parameters of a notebook, read by papermill's own parser (the one behind
    ``papermill.inspect_notebook``, given the cell directly: no kernel name needed).

    Every statement of the ``parameters`` cell must be ``name: type = literal  # help`` with a
    type among str/int/float/bool, a default of that type and a help text; anything else
    (papermill would only log it and skip the line) is a located error.
    """
    import nbformat
    from papermill.translators import PythonTranslator

    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    index, source = _parameters_cell(nb)
    if index < 0:
        raise ReportkitError(report_problem("nb_no_parameters", Location(str(path))))
    found = {p.name: p._asdict() for p in PythonTranslator.inspect(nbformat.v4.new_code_cell(source))}
    params: dict[str, Parameter] = {}
    problems: list[Problem] = []
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name = text.split(":", 1)[0].split("=", 1)[0].strip()
        info = found.get(name)
        default, typ = _default(info)
        help_text = (info or {}).get("help", "").strip()
        # papermill's own parser gives up on quotes in the comment: keep help texts quote-free
        if (info is None or typ is None or not _type_ok(default, typ) or not help_text
                or "'" in help_text or '"' in help_text):
            where = Location(str(path), row=f"parameters cell, line {number}")
            problems.append(report_problem("nb_bad_parameter_line", where, {"line": text}))
            continue
        params[name] = Parameter(name, typ, default, help_text)
    if problems:
        raise ReportkitError(problems)
    return params


def _default(info: dict[str, Any] | None) -> tuple[Any, type | None]:
    """The default value and type of one inspected parameter (None, None when unusable)."""
    if info is None or info.get("inferred_type_name") not in PARAM_TYPES:
        return None, None
    try:
        return ast.literal_eval(info["default"]), PARAM_TYPES[info["inferred_type_name"]]
    except (ValueError, SyntaxError):
        return None, None


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
            problems.append(report_problem("nb_unknown_parameter", where,
                                          {"name": name, "known": ", ".join(spec)}))
        elif not _type_ok(value, spec[name].type):
            problems.append(report_problem("nb_parameter_type", where,
                                          {"name": name, "expected": spec[name].type.__name__,
                                           "value": repr(value)}))
    if problems:
        raise ReportkitError(problems)
    return {**{n: p.default for n, p in spec.items()}, **given}


def markdown_template(cell: dict[str, Any]) -> str:
    """The jinja2 template of a markdown cell (``metadata.reportkit.template``), else its text.

    A page notebook's markdown cells show readable text in Jupyter (the Chinese edition, see
    :func:`refresh_markdown`); the template they came from sits in the cell's metadata, and
    the build renders it in each language.
    """
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return cell.get("metadata", {}).get("reportkit", {}).get("template", src)


def render_markdown(template: str, lang: str, title: str, stage: str = "midterm") -> str:
    """A markdown template in ``lang``: ``{{ t('report.key') }}``, ``{{ title }}`` and ``stage``
    (a heading may read differently at the end of term) filled in."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    return env.from_string(template).render(t=lambda key, **kw: t(key, lang, **kw), title=title, lang=lang,
                                            stage=stage)


def cell_stages(cell: dict[str, Any]) -> list[str] | None:
    """The stages a cell belongs to (``metadata.reportkit.stages``); None: every stage. The build
    leaves the others' cells out, e.g. the required pace, which has no meaning once the period is over."""
    stages = cell.get("metadata", {}).get("reportkit", {}).get("stages")
    return list(stages) if stages else None


def source_title(notebook: str, lang: str = "zh") -> str:
    """The heading a page notebook shows in Jupyter: the page's generic name."""
    if notebook == "programme":
        return t("report.pages.programme_fallback", lang, annex=1)
    if notebook == "programmes":
        return t("report.programmes.title", lang)
    return t(f"report.pages.{notebook}", lang)


def refresh_markdown(path: Path, lang: str = "zh") -> bool:
    """Rewrite a page notebook's markdown cells as text in ``lang`` from their templates.

    Returns True when the file changed. ``tests/test_build.py`` fails when a notebook's text
    no longer matches its templates (then run this on it).
    """
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        template = markdown_template(cell)
        cell.setdefault("metadata", {}).setdefault("reportkit", {})["template"] = template
        cell["source"] = render_markdown(template, lang, markdown_text(source_title(path.stem, lang)))
    text = json.dumps(nb, ensure_ascii=False, indent=1) + "\n"
    if text != raw:
        atomic_write_text(path, text)
    return text != raw


def numbered_title(title: str, number: str) -> str:
    """A page title (Markdown) led by its number in the report (三、 / 3.1 / 附件1): the number in
    the ``rk-num`` role (book/_ext/rk_numbers.py) so the site shows it in the page and its
    navigation while print, which numbers its own headings, drops it (``.section-number``)."""
    if not number:
        return title
    return f"{{rk-num}}`{number}`{number_gap(number)}{title}"


def stage_notebook(ctx: ReportContext, page: Page, lang: str, dest: Path, number: str = "") -> None:
    """Copy a page notebook for one language: markdown cells rendered from their templates, the
    title led by the page's ``number`` in the report (``book.page_numbers``), if given.

    Code cells get the ``remove-input`` tag (the site shows outputs only), the parameters cell
    ``remove-cell``.
    """
    nb = json.loads(page.source.read_text(encoding="utf-8"))
    title = numbered_title(markdown_text(page_title(ctx, page, lang)), number)
    nb["cells"] = [c for c in nb["cells"] if cell_stages(c) is None or ctx.stage in cell_stages(c)]
    for cell in nb["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if cell["cell_type"] == "markdown":
            cell["source"] = render_markdown(markdown_template(cell), lang, title, ctx.stage)
            cell["metadata"].pop("reportkit", None)
        elif cell["cell_type"] == "code":
            cell["metadata"].pop("reportkit", None)
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


_WARM_UP = ("import reportkit.publishing.pipeline, reportkit.report.charts, reportkit.report.narrative, reportkit.report.tables\n"
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
    from reportkit.publishing.pdf import _stable_svg_ids

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

    from reportkit.report.charts import SITE_ENV

    km = AsyncKernelManager(kernel_name="python3")
    # The kernel's own chatter (TCP notices) goes to a log next to the work files.
    with open(log_file, "ab") as err:
        env = {**os.environ, "PYTHONHASHSEED": "0", SITE_ENV: "1"}
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
                  work: Path | None = None, done: Callable[[NotebookJob], None] | None = None) -> None:
    """Execute notebooks in ``n_jobs`` kernels (separate processes), each reused across notebooks.

    Prints one progress line per notebook (``[done/total] lang/page.ipynb seconds, left,
    elapsed``); calls ``done(job)`` for each notebook that ran without error, as it finishes;
    raises ReportkitError naming every notebook that failed.
    """
    import asyncio

    if not jobs:
        return
    for job in jobs:
        job.dest.parent.mkdir(parents=True, exist_ok=True)
    work = work or jobs[0].source.parent
    failures: list[Problem] = []
    finished = 0
    start = time.monotonic()

    def report(job: NotebookJob, seconds: float, error: str | None) -> None:
        nonlocal finished
        finished += 1
        if error:
            failures.append(report_problem("nb_failed", Location(job.label), {"error": error}))
        elif done is not None:
            done(job)   # before the progress line: a build killed on seeing it has kept this one
        log(f"  [{finished}/{len(jobs)}] {job.label} {seconds:.1f}s"
            f" ({len(jobs) - finished} left, {time.monotonic() - start:.0f}s)")

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
