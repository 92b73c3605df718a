"""Build benchmark (``make bench``): wall time and peak memory per stage, written to docs/benchmarks.md.

Scenarios, each on its own output folder and a fresh cache folder (so "clean" is clean):

* **clean** — nothing cached;
* **no change** — the same build again;
* **one value** — one actual value changed (a district's figure, and the city total with it,
  so the form stays consistent) in a copy of the actuals workbook;
* **naive** (default report only) — the same content rendered the way Jupyter Book does it by
  itself: one book per language with ``execute_notebooks: force`` (Jupyter Book starts a kernel
  per notebook and executes it), no reportkit cache, no PDF — the ratio to beat.

Plans: the default report (both languages, site and PDFs) and synthetic plans of N districts ×
10 indicators (``reportkit.inputs.synthetic.write_plan(..., annexes=8)``, actuals from
``reportkit.inputs.sample.write_sample``). Peak memory is the largest sum of the resident set sizes of
the build process and all its children (kernels, Sphinx, WeasyPrint workers), sampled every
50 ms during each stage.

Usage: ``python bench/run.py [--districts 20,50,100] [--jobs 2] [--out docs/benchmarks.md] [--quick]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from reportkit import config as cfg
from reportkit.publishing import book
from reportkit.publishing import pipeline as build
from reportkit.vocab import LANGS

STAGE_ORDER = ("extract", "validate", "evaluate", "notebooks", "site", "pdf", "docx", "check", "publish")
# Ratios to the default report's clean build (issue 11): a ratio survives a busy machine better
# than seconds do. "naive" is a floor (how much slower Jupyter Book alone is), the rest ceilings.
TARGETS = {"no change": ("≤", 0.1), "one value": ("≤", 0.5), "naive": ("≥", 3.0)}
SCALE_TARGET = (100, 2.5)   # the 100-district plan's clean build ≤ 2.5 × the default's


# ── memory ─────────────────────────────────────────────────────────────────────────────────


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/statm", "rb") as fh:
                rss[int(entry)] = int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


class MemoryProbe:
    """Samples the process tree's RSS; ``stage(name)`` closes the current stage's peak."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peaks: dict[str, int] = {}
        self._current = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            value = _tree_rss(me)
            with self._lock:
                self._current = max(self._current, value)
            self._stop.wait(self.interval)

    def __enter__(self) -> MemoryProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def stage(self, name: str) -> None:
        value = _tree_rss(os.getpid())
        with self._lock:
            self.peaks[name] = max(self._current, value)
            self._current = value  # the next stage starts from what is resident now


# ── inputs ─────────────────────────────────────────────────────────────────────────────────


def bump_one_actual(src: Path, dst: Path) -> str:
    """Copy the actuals workbook ``src`` to ``dst`` with one district value + 1 (and the city row's
    value in the same column, when filled, so the total still matches). Returns what changed."""
    from openpyxl import load_workbook

    wb = load_workbook(src)
    for ws in wb.worksheets:
        header = next((r for r in range(1, min(ws.max_row, 20) + 1)
                       if ws.cell(r, 1).value == "district"), None)
        if header is None:
            continue
        cols = [c for c in range(1, ws.max_column + 1) if str(ws.cell(header, c).value or "").startswith("value:")]
        city_row = header + 1
        for row in range(header + 2, ws.max_row + 1):
            for col in cols:
                value = ws.cell(row, col).value
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.cell(row, col).value = value + 1
                    city = ws.cell(city_row, col).value
                    if isinstance(city, int | float) and not isinstance(city, bool):
                        ws.cell(city_row, col).value = city + 1
                    wb.save(dst)
                    return f"{ws.title}!{ws.cell(row, col).coordinate} {value} → {value + 1}"
    raise SystemExit(f"no numeric actual value found in {src}")


def synthetic_inputs(folder: Path, districts: int) -> dict[str, Path]:
    """A synthetic plan of ``districts`` districts × 10 indicators, its catalogue and actuals."""
    from reportkit.inputs import catalogue, plan, sample, synthetic

    plan_path, cat_path = synthetic.write_plan(folder, districts=districts, annexes=8)
    plan_obj = catalogue.load(cat_path)
    catalogue.resolve(plan_obj, plan.extract(plan_path))
    actuals, _ = sample.write_sample(plan_obj, folder / "actuals.xlsx")
    return {"plan": plan_path, "catalogue": cat_path, "actuals": Path(actuals)}


# ── runs ───────────────────────────────────────────────────────────────────────────────────


def timed_build(opts: build.BuildOptions) -> dict[str, Any]:
    with MemoryProbe() as probe:
        opts.on_stage = probe.stage
        start = time.monotonic()
        result = build.build(opts, log=lambda _msg: None)
        wall = time.monotonic() - start
    return {"wall": wall, "seconds": result.seconds, "peaks": probe.peaks, "stats": result.stats}


def naive_build(work: Path, ref: Path, langs: list[str]) -> dict[str, Any]:
    """Jupyter Book executing every notebook itself: the staged sources of a reportkit build with
    outputs cleared and ``execute_notebooks: force``; one book per language, run one after the
    other (as ``jupyter-book build`` does by itself), no PDF."""
    import json

    import yaml

    total = 0.0
    peaks: dict[str, int] = {}
    for lang in langs:
        src = work / "naive" / lang
        shutil.copytree(ref / "book" / lang, src)
        conf = yaml.safe_load((src / "_config.yml").read_text(encoding="utf-8"))
        conf.setdefault("execute", {})["execute_notebooks"] = "force"
        conf["execute"]["timeout"] = 600
        (src / "_config.yml").write_text(yaml.safe_dump(conf, allow_unicode=True), encoding="utf-8")
        for nb_path in src.glob("*.ipynb"):
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
            for cell in nb["cells"]:
                if cell["cell_type"] == "code":
                    cell["outputs"], cell["execution_count"] = [], None
            nb_path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        cmd = book._jupyter_book() + ["build", str(src), "--config", str(src / "_config.yml"),
                                       "--toc", str(src / "_toc.yml"), "--path-output", str(work / "naive-out" / lang),
                                       "--all", "-q"]
        with MemoryProbe() as probe:
            start = time.monotonic()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=src)
            total += time.monotonic() - start
            probe.stage(lang)
        if proc.returncode != 0:
            raise SystemExit(f"naive build failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        peaks.update(probe.peaks)
    return {"wall": total, "peak": max(peaks.values())}


def scenario_set(name: str, base: dict[str, Any], work: Path, jobs: int, actuals: Path,
                 naive: bool = False) -> dict[str, Any]:
    """clean, no change, one value (and naive) for one plan."""
    cache_dir = work / "cache"
    out_root = work / "out"

    def opts(actuals_file: Path) -> build.BuildOptions:
        return build.BuildOptions(stage="midterm", jobs=jobs, out_root=out_root, cache_dir=cache_dir,
                                  actuals=actuals_file, **base)

    runs: dict[str, Any] = {}
    print(f"[{name}] clean build …", flush=True)
    runs["clean"] = timed_build(opts(actuals))
    print(f"[{name}]   {runs['clean']['wall']:.1f}s; no-change rebuild …", flush=True)
    runs["no change"] = timed_build(opts(actuals))
    # The evaluator edits the form in place: same file, one cell changed (a file under another
    # name would be another notebook parameter, and every page would run again).
    pristine = work / "actuals-original.xlsx"
    shutil.copyfile(actuals, pristine)
    changed = actuals
    what = bump_one_actual(pristine, changed)
    print(f"[{name}]   {runs['no change']['wall']:.1f}s; one value changed ({what}) …", flush=True)
    runs["one value"] = timed_build(opts(changed))
    runs["one value"]["what"] = what
    print(f"[{name}]   {runs['one value']['wall']:.1f}s", flush=True)
    if naive:
        # The naive route makes the site only (no PDF, no Word file): the like-for-like build is a
        # clean reportkit build of the site alone, in a cache of its own.
        print(f"[{name}] clean build of the site alone (no PDF, no Word file) …", flush=True)
        runs["clean, site only"] = timed_build(build.BuildOptions(
            stage="midterm", jobs=jobs, out_root=work / "out-site", cache_dir=work / "cache-site",
            actuals=actuals, pdf=False, **base))
        print(f"[{name}]   {runs['clean, site only']['wall']:.1f}s", flush=True)
        print(f"[{name}] naive route (Jupyter Book executes the notebooks) …", flush=True)
        runs["naive"] = naive_build(work, out_root / "midterm", base.get("langs") or list(LANGS))
        print(f"[{name}]   {runs['naive']['wall']:.1f}s", flush=True)
    return runs


# ── report ─────────────────────────────────────────────────────────────────────────────────


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    return {"date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "nproc": str(os.cpu_count()),
            "memory": mem, "cpu": cpu or platform.processor(), "python": platform.python_version(),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def _mb(n: int | None) -> str:
    return f"{n / 2**20:.0f}" if n else "–"


def render(results: dict[str, dict[str, Any]], info: dict[str, str], jobs: int, load_after: str) -> str:
    lines = ["# Build benchmarks", "",
             "Written by `make bench` (`bench/run.py`); do not edit by hand. Wall time in seconds, peak",
             "memory in MB (largest sum of the resident sets of the build and its child processes —",
             "kernels, Sphinx, WeasyPrint — sampled every 50 ms; shared pages are counted once per process).",
             "", "## Machine", "",
             f"- date: {info['date']}", f"- CPU: {info['cpu']} × {info['nproc']} (nproc)",
             f"- memory: {info['memory']}", f"- Python {info['python']}, `--jobs {jobs}`",
             f"- load average before / after the run: {info['load']} / {load_after}"
             " (the machine is shared: other work running at the same time slows every figure)",
             "", "## Summary", "",
             "| plan | clean | no change | one value | naive (JB executes) | naive / clean |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, runs in results.items():
        naive = runs.get("naive")
        lines.append(f"| {name} | {runs['clean']['wall']:.1f} | {runs['no change']['wall']:.1f} | "
                     f"{runs['one value']['wall']:.1f} | "
                     + (f"{naive['wall']:.1f} (no PDF) | {naive['wall'] / runs['clean']['wall']:.2f} |"
                        if naive else "– | – |"))
    default = next(iter(results.values()))
    lines += ["", "## Targets (ratios to the default report's clean build, both languages, site and PDFs)", ""]
    clean = default["clean"]["wall"]
    for scen, (op, limit) in TARGETS.items():
        if scen not in default:
            continue
        ratio = default[scen]["wall"] / clean
        ok = ratio <= limit if op == "≤" else ratio >= limit
        lines.append(f"- {scen}: {default[scen]['wall']:.1f} s = {ratio:.2f} × clean (target {op} {limit}): "
                     + ("met" if ok else "**missed**"))
        if scen == "naive" and "clean, site only" in default:
            site = default["clean, site only"]["wall"]
            ratio = default[scen]["wall"] / site
            ok = ratio <= limit if op == "≤" else ratio >= limit
            lines.append(f"  - like for like (the naive route makes no PDF or Word file): {ratio:.2f} × a clean "
                         f"build of the site alone ({site:.1f} s; target {op} {limit}): " + ("met" if ok else "**missed**"))
    n, limit = SCALE_TARGET
    big = next((r for r in results.values() if r.get("districts") == n), None)
    if big is not None:
        ratio = big["clean"]["wall"] / clean
        lines.append(f"- {n} districts, clean: {big['clean']['wall']:.1f} s = {ratio:.2f} × the default's clean "
                     f"(target ≤ {limit}): " + ("met" if ratio <= limit else "**missed**"))
    lines += ["", "## Per stage", ""]
    for name, runs in results.items():
        lines += [f"### {name}", "", "| scenario | " + " | ".join(STAGE_ORDER) + " | total | notebooks run / cached |",
                  "|---|" + "---:|" * (len(STAGE_ORDER) + 2)]
        for scen in ("clean", "no change", "one value", "clean, site only"):
            if scen not in runs:
                continue
            r = runs[scen]
            cells = [f"{r['seconds'].get(s, 0):.2f} / {_mb(r['peaks'].get(s))}" for s in STAGE_ORDER]
            st = r["stats"]
            lines.append(f"| {scen} | " + " | ".join(cells) + f" | {r['wall']:.1f} | "
                         f"{st.get('notebooks_run', 0)} / {st.get('notebooks_cached', 0)} |")
        if "naive" in runs:
            lines.append("| naive | " + "– | " * len(STAGE_ORDER) + f"{runs['naive']['wall']:.1f} "
                         f"(peak {_mb(runs['naive']['peak'])} MB) | all executed by Jupyter Book |")
        what = runs["one value"].get("what")
        lines += ["", f"Cells: seconds / peak MB. One value: {what}.", ""]
    lines += ["## Scaling with districts", "",
              "| plan | districts | clean s | s per district | notebooks s | site s | PDF s |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, runs in results.items():
        n = runs.get("districts")
        if not n:
            continue
        c = runs["clean"]
        lines.append(f"| {name} | {n} | {c['wall']:.1f} | {c['wall'] / n:.2f} | {c['seconds'].get('notebooks', 0):.1f} | "
                     f"{c['seconds'].get('site', 0):.1f} | {c['seconds'].get('pdf', 0):.1f} |")
    lines += ["", "## Notes", "", NOTES, ""]
    return "\n".join(lines)


NOTES = """\
- **What is cached, by what key** (`publishing/cache.py`, `pipeline.notebook_key`): an executed
  notebook by its staged source (markdown rendered in its language), its parameters, the
  fingerprint of its page's *view* of the evaluation (`report.pages.fingerprint`: only the
  tables and fields that page shows), the hash of `src/reportkit/**` (code, locales, templates,
  default method) and the tool versions; an edition (Sphinx output) by the hash of its staged
  book sources; a PDF by its edition's HTML, executed notebooks, cover, `SOURCE_DATE_EPOCH`
  and the same code/tool hashes; a Word file likewise. Within those steps: the Word step reads
  the print HTML the PDF step assembled, chart pictures are kept by the hash of their SVG, and
  the page check remembers pages it found clean by the hash of their bytes.
- **One changed value** re-runs the page of its programme and the pages that aggregate every
  value (summary, indicators, districts, data, and the drafted problems when a status moves), in
  both languages; the other programme pages, the tasks and the methodology come from the cache.
  Sphinx re-reads only the changed pages, but both PDFs and Word files are typeset whole again:
  WeasyPrint lays out a document in one pass, and a tagged PDF (structure tree, page-numbered
  contents, links across chapters) cannot be spliced from chapters typeset apart. This is why
  the one-value ratio stays far above its target.
- **Where a clean build's time goes**: notebooks run in `--jobs` long-lived kernels (one per
  job, reset between notebooks), so the kernel start, imports and the first vl-convert render
  are paid once per kernel; Sphinx builds each edition; WeasyPrint lays out each edition's PDF.
- **Naive route**: Jupyter Book with `execute_notebooks: force` executes each notebook in a
  fresh kernel, one at a time, and keeps no exact cache (its jupyter-cache keys on code cells
  only, so it would show stale figures after a data change).
- Figures measured on a shared 2-core machine vary with what else runs; the load averages
  above say how busy it was.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--districts", default="20,50,100", help="synthetic plan sizes (comma-separated)")
    p.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    p.add_argument("--out", type=Path, default=cfg.PROJ_ROOT / "docs" / "benchmarks.md")
    p.add_argument("--synthetic-langs", default="zh,en", help="editions of the synthetic plans")
    p.add_argument("--keep", action="store_true", help="keep the work folders (printed)")
    args = p.parse_args(argv)
    info = machine()
    results: dict[str, dict[str, Any]] = {}
    work_root = Path(tempfile.mkdtemp(prefix="rk-bench-", dir=cfg.BUILD_DIR if cfg.BUILD_DIR.is_dir() else None))
    try:
        work = work_root / "default"
        work.mkdir()
        actuals = work / "actuals.xlsx"
        if not cfg.DEFAULT_ACTUALS.exists():
            raise SystemExit("no sample actuals: run `make sample-actuals` first")
        shutil.copyfile(cfg.DEFAULT_ACTUALS, actuals)
        results["default (Dazhou)"] = scenario_set("default", {}, work, args.jobs, actuals, naive=True)
        langs = [x for x in args.synthetic_langs.split(",") if x]
        for n in [int(x) for x in args.districts.split(",") if x.strip()]:
            work = work_root / f"d{n}"
            work.mkdir()
            inputs = synthetic_inputs(work / "inputs", n)
            base = {"plan": inputs["plan"], "catalogue": inputs["catalogue"], "langs": langs}
            runs = scenario_set(f"{n} districts", base, work, args.jobs, inputs["actuals"])
            runs["districts"] = n
            results[f"synthetic, {n} districts × 10 indicators"] = runs
    finally:
        if args.keep:
            print(f"work folders kept in {work_root}")
        else:
            shutil.rmtree(work_root, ignore_errors=True)
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    text = render(results, info, args.jobs, load_after)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
