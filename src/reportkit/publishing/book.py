"""Jupyter Book editions: one per language, configured from the top-level _config.yml / _toc.yml."""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from reportkit import config as cfg
from reportkit.errors import Location, ReportkitError, report_problem
from reportkit.files import atomic_write_text
from reportkit.i18n import t
from reportkit.report.context import ReportContext, docx_file_name

LANG_TAGS = {"zh": "zh_CN", "en": "en"}


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
    from reportkit.report import charts

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

    from reportkit.report import charts

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


def _build_edition(args: tuple[str, str, str, bool]) -> tuple[str, int, str]:
    book_dir, out_dir, lang, everything = args
    cmd = _jupyter_book() + ["build", book_dir, "--config", str(Path(book_dir) / "_config.yml"),
                             "--toc", str(Path(book_dir) / "_toc.yml"), "--path-output", out_dir,
                             "-W", "-n", "--keep-going", "-q"] + (["--all"] if everything else [])
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=book_dir)
    return lang, proc.returncode, (proc.stdout + proc.stderr)


def sync_tree(src: Path, dest: Path) -> int:
    """Make ``dest`` hold exactly ``src``'s files. A file whose bytes did not change is left alone,
    old modification time included: Sphinx decides what to re-read by modification time.
    Returns how many files were written."""
    written = 0
    wanted = set()
    for path in sorted(Path(src).rglob("*")):
        rel = path.relative_to(src)
        target = Path(dest) / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        wanted.add(rel)
        data = path.read_bytes()
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written += 1
    for path in sorted(Path(dest).rglob("*"), reverse=True):   # files first, then emptied folders
        if path.is_file() and path.relative_to(dest) not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()) and not (Path(src) / path.relative_to(dest)).is_dir():
            path.rmdir()
    return written


COMPLETE = ".complete"   # written after a successful Sphinx build; absent = start that edition afresh


def build_editions(book_dirs: dict[str, Path], work: Path, n_jobs: int,
                   log: Callable[[str], None] = print, kept: dict[str, Path] | None = None) -> dict[str, Path]:
    """Run Jupyter Book once per edition (in parallel); returns lang → built html folder.

    With ``kept`` (lang → a folder that outlives the build), each edition is built *there*, from
    a copy of its sources that keeps unchanged files untouched, so Sphinx re-reads only the pages
    that changed (its environment stays valid only while the source folder keeps its path). A
    folder left by a failed or interrupted build is emptied first; without ``kept`` every edition
    is built from scratch under ``work``.
    """
    jobs = []
    for lang, d in book_dirs.items():
        if kept is None:
            jobs.append((str(d), str(work / "jb" / lang), lang, True))
            continue
        home = Path(kept[lang])
        if home.exists() and not (home / COMPLETE).is_file():
            shutil.rmtree(home)
        (home / COMPLETE).unlink(missing_ok=True)
        sync_tree(d, home / "src")
        # A clean build writes its pages before it copies the static files, so the links in them
        # carry no "?v=<checksum>"; with the old files present, re-written pages would. Start the
        # static folder afresh so a kept build writes what a clean one writes.
        shutil.rmtree(home / "out" / "_build" / "html" / "_static", ignore_errors=True)
        jobs.append((str(home / "src"), str(home / "out"), lang, False))
    start = time.monotonic()
    if n_jobs > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs))) as pool:
            results = list(pool.map(_build_edition, jobs))
    else:
        results = [_build_edition(j) for j in jobs]
    problems = [report_problem("book_failed", Location(f"book/{lang}"), {"log": _tail(out)})
                for lang, rc, out in results if rc != 0]
    if problems:
        for lang in book_dirs if kept else ():
            shutil.rmtree(kept[lang], ignore_errors=True)   # a failed environment is never reused
        raise ReportkitError(problems)
    for lang in book_dirs if kept else ():
        (Path(kept[lang]) / COMPLETE).write_text("", encoding="utf-8")
    log(f"  {len(jobs)} editions in {time.monotonic() - start:.1f}s")
    return {lang: Path(out) / "_build" / "html" for _src, out, lang, _all in jobs}


def _tail(text: str, n: int = 25) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[-n:])


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
        items += Markup("").join(  # the Word editions are written with the PDFs
            Markup('<li><a href="downloads/{f}" hreflang="{l}" lang="{l}">{label} ({name})</a></li>').format(
                f=docx_file_name(ctx.plan.id, ctx.stage, lang), l=lang, label=t("report.data.docx", lang),
                name=t("report.switch_to", lang))
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
