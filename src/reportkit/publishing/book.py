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
from reportkit.publishing.publish import die_with_parent
from reportkit.report.context import ReportContext, docx_file_name, edition_name
from reportkit.report.narrative import as_of_text
from reportkit.report.pages import APPENDIX_PAGES
from reportkit.report.tasks import has_tasks
from reportkit.vocab import ANNUAL_STAGE

LANG_TAGS = {"zh": "zh_CN", "en": "en"}
HTML_LANG_TAGS = {"zh": "zh-CN", "en": "en"}
PALETTE_CSS = "rk-palette.css"  # badge colours, generated from report/palette.py
SEARCH_NAMES = "rk-search-names.txt"  # jieba user dictionary of the zh edition (book/_ext/rk_search.py)


# --------------------------------------------------------------------------------------------
# Editions.
def _load_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def edition_config(ctx: ReportContext, lang: str, langs: list[str]) -> dict[str, Any]:
    """The Jupyter Book configuration of one edition, from the top-level ``_config.yml``."""
    conf = _load_yaml(cfg.PROJ_ROOT / "_config.yml")
    stage_label = t(f"report.stage.{ctx.stage}", lang, year=str(ctx.as_of)[:4])
    # The theme puts title and author into the page as HTML: escape what came from the plan.
    conf["title"] = html.escape(t("report.site_title", lang, plan=ctx.plan.name[lang], stage=stage_label),
                                quote=False)
    conf["author"] = html.escape(ctx.plan.region[lang], quote=False)
    sphinx = conf.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["language"] = LANG_TAGS[lang]
    if lang == "zh":  # relative to the edition's folder, where Jupyter Book runs
        sphinx["html_search_options"] = {"dict": SEARCH_NAMES}
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
    # No tool name in the footer of a report to be filed: the version is on the data page.
    theme["extra_footer"] = html.escape(t("report.footer", lang, as_of=as_of_text(ctx.as_of, lang),
                                          stage=stage_label), quote=False)
    return conf


def theme_catalogue(lang: str) -> str:
    """A gettext catalogue (.po) of the theme's interface in ``lang`` from the ``theme`` locale
    group: Sphinx compiles it and prefers it over the themes' own (incomplete) translations."""
    from reportkit.i18n import catalogue

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    # Fixed header dates: Sphinx compiles the catalogue with babel, which would stamp the clock.
    header = ["Project-Id-Version: reportkit", "POT-Creation-Date: 2000-01-01 00:00+0000",
              "PO-Revision-Date: 2000-01-01 00:00+0000", f"Language: {LANG_TAGS.get(lang, lang)}",
              "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"]
    lines = ['msgid ""', 'msgstr ""'] + [quoted(h + "\n") for h in header] + [""]
    for key in sorted(k for k in catalogue("en") if k.startswith("theme.")):
        lines += [f"msgid {quoted(t(key, 'en'))}", f"msgstr {quoted(t(key, lang))}", ""]
    return "\n".join(lines)


def search_names(ctx: ReportContext, lang: str) -> list[str]:
    """The names readers search for: indicators (programmes are annex indicators), districts
    and the city, the plan itself; one per line of a jieba user dictionary."""
    names = [ind.label(lang) for ind in ctx.plan.indicators]
    names += [ctx.plan.district_label(d, lang) for d in ctx.plan.districts]
    names.append(ctx.plan.name[lang])
    # jieba's dictionary lines are "word [freq] [tag]": a name with a space cannot be one word
    return sorted({n.strip() for n in names if n.strip() and not any(c.isspace() for c in n.strip())})


def edition_toc(annexes: list[int], tasks: bool = True) -> dict[str, Any]:
    """The edition's table of contents: the top-level ``_toc.yml`` with ``programme`` expanded
    (one section per annex table), the ``programmes`` chapter left out when the plan has no annex
    table, and ``tasks`` when it has no task chapter."""
    from reportkit.report.pages import programme_page

    toc = _load_yaml(cfg.PROJ_ROOT / "_toc.yml")

    def expand(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for e in entries:
            if e.get("file") == "programme":
                out += [{"file": programme_page(a)} for a in annexes]
            elif e.get("file") == "tasks" and not tasks:
                continue
            elif e.get("file") == "programmes" and not annexes:
                continue   # an empty chapter is never printed
            else:
                if "sections" in e:
                    e = {**e, "sections": expand(e["sections"])}
                out.append(e)
        return out

    for part in toc.get("parts", []):
        part["chapters"] = expand(part.get("chapters", []))
    if "chapters" in toc:
        toc["chapters"] = expand(toc["chapters"])
    return toc


def toc_outline(toc: dict[str, Any]) -> list[tuple[str, int]]:
    """The pages of a table of contents in reading order with their depth (1: a chapter — the
    root page is the first —, 2: a section of the chapter before it, …)."""
    out = [(str(toc["root"]), 1)]

    def walk(entries: list[dict[str, Any]], depth: int) -> None:
        for e in entries:
            out.append((str(e["file"]), depth))
            walk(e.get("sections", []), depth + 1)

    for part in toc.get("parts", []):
        walk(part.get("chapters", []), 1)
    walk(toc.get("chapters", []), 1)
    return out


def page_numbers(toc: dict[str, Any], lang: str) -> dict[str, str]:
    """Each page's number as the PDF and the Word file print it (一、 / （一） / 附件1 in Chinese,
    3 / 3.1 / Annex 1 in English): the same rule (``pdf_pages.heading_number``), counted on
    the same outline, so the site's titles and sidebar carry the numbers of the printed report."""
    from reportkit.publishing.pdf_pages import OutlineCounter

    counter = OutlineCounter(lang)
    return {name: counter.page(depth, name in APPENDIX_PAGES) for name, depth in toc_outline(toc)}


def annual_toc() -> dict[str, Any]:
    """The annual report's table of contents: its pages in order (report.pages.ANNUAL_PAGES)."""
    from reportkit.report.pages import pages_for

    pages = pages_for([], stage=ANNUAL_STAGE)
    return {"format": "jb-book", "root": pages[0].name, "chapters": [{"file": p.name} for p in pages[1:]]}


def report_toc(ctx: ReportContext) -> dict[str, Any]:
    """The table of contents of the report ``ctx`` is: the annual report's, or the plan's."""
    return annual_toc() if ctx.stage == ANNUAL_STAGE else edition_toc(ctx.annexes, tasks=has_tasks(ctx))


def _write_yaml(data: dict[str, Any], path: Path) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def prepare_edition_sources(ctx: ReportContext, lang: str, langs: list[str], book_dir: Path) -> None:
    """Shared book sources (static CSS, templates), the vega bundle and the edition's YAML."""
    from reportkit.report import charts, palette

    for sub in ("_static", "_templates", "_ext"):
        src = cfg.BOOK_DIR / sub
        if src.is_dir():
            shutil.copytree(src, book_dir / sub, dirs_exist_ok=True)
    (book_dir / "_static").mkdir(parents=True, exist_ok=True)
    (book_dir / "_static" / charts.BUNDLE_NAME).write_text(_cached_bundle(), encoding="utf-8")
    (book_dir / "_static" / PALETTE_CSS).write_text(palette.palette_css(), encoding="utf-8")
    _write_yaml(edition_config(ctx, lang, langs), book_dir / "_config.yml")
    if lang != "en":  # the themes' message ids are English
        for domain in ("sphinx", "booktheme"):  # Sphinx and pydata's texts; sphinx-book-theme's
            po = book_dir / "locales" / LANG_TAGS[lang] / "LC_MESSAGES" / f"{domain}.po"
            po.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(po, theme_catalogue(lang))
    if lang == "zh":
        # a high frequency: a name is kept whole where jieba would otherwise cut across it
        atomic_write_text(book_dir / SEARCH_NAMES, "".join(f"{n} 100000\n" for n in search_names(ctx, lang)))
    _write_yaml(report_toc(ctx), book_dir / "_toc.yml")


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
    # Jupyter Book ends with the process that started it: one left running by a killed build
    # would go on writing into the kept Sphinx folder while the next build uses it.
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=book_dir,
                          preexec_fn=die_with_parent if sys.platform.startswith("linux") else None)
    return lang, proc.returncode, (proc.stdout + proc.stderr)


def sync_tree(src: Path, dest: Path) -> list[Path]:
    """Make ``dest`` hold exactly ``src``'s files. A file whose bytes did not change is left alone,
    old modification time included: Sphinx decides what to re-read by modification time.
    Returns the files written (relative paths)."""
    written: list[Path] = []
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
        written.append(rel)
    for path in sorted(Path(dest).rglob("*"), reverse=True):   # files first, then emptied folders
        if path.is_file() and path.relative_to(dest) not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()) and not (Path(src) / path.relative_to(dest)).is_dir():
            path.rmdir()
    return written


def _set_static_aside(static: Path) -> None:
    """Move the kept edition's static files aside before Sphinx runs.

    A clean build writes its pages before it copies the static files, so the links in them carry
    no "?v=<checksum>"; with the old files present, re-written pages would. With an empty static
    folder a kept build writes what a clean one writes. (The folder itself must exist: myst-nb
    copies its stylesheet into it when the build finishes, even when nothing was out of date.)
    """
    aside = static.with_name("_static.prev")
    shutil.rmtree(aside, ignore_errors=True)
    if static.is_dir():
        static.rename(aside)
    static.mkdir(parents=True, exist_ok=True)


def _restore_static(static: Path) -> None:
    """Put back the static files Sphinx did not write again: when no page was out of date it
    copies none, and the edition keeps the ones of its last build."""
    aside = static.with_name("_static.prev")
    if not aside.is_dir():
        return
    for path in sorted(aside.rglob("*")):
        target = static / path.relative_to(aside)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            path.rename(target)
    shutil.rmtree(aside, ignore_errors=True)


COMPLETE = ".complete"
THEME_PARTS = ("_static", "_templates", "_ext", "locales")   # what Sphinx reads besides the pages   # written after a successful Sphinx build; absent = start that edition afresh


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
            # built from a copy: Sphinx compiles the theme catalogues (.mo) into its source
            # folder, and the staged book is published as it was staged, cache or not
            sync_tree(d, work / "jb-src" / lang)
            jobs.append((str(work / "jb-src" / lang), str(work / "jb" / lang), lang, True))
            continue
        home = Path(kept[lang])
        if home.exists() and not (home / COMPLETE).is_file():
            shutil.rmtree(home)
        (home / COMPLETE).unlink(missing_ok=True)
        changed = sync_tree(d, home / "src")
        if any(p.parts[0] in THEME_PARTS for p in changed):
            # Sphinx copies static files and applies templates only when it writes pages, and a
            # kept environment may have none to write: a changed theme file starts afresh.
            shutil.rmtree(home / "out", ignore_errors=True)
        _set_static_aside(home / "out" / "_build" / "html" / "_static")
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
        _restore_static(Path(kept[lang]) / "out" / "_build" / "html" / "_static")
        (Path(kept[lang]) / COMPLETE).write_text("", encoding="utf-8")
    log(f"  {len(jobs)} editions in {time.monotonic() - start:.1f}s")
    return {lang: Path(out) / "_build" / "html" for _src, out, lang, _all in jobs}


def _tail(text: str, n: int = 25) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[-n:])


def _size(n_bytes: int, lang: str) -> str:
    if n_bytes < 1_000_000:
        return t("report.landing.size_kb", lang, n=max(1, round(n_bytes / 1000)))
    return t("report.landing.size_mb", lang, n=f"{n_bytes / 1_000_000:.1f}")


def landing_page(ctx: ReportContext, langs: list[str], pdf_sizes: dict[str, int] | None = None) -> str:
    """``html/index.html``: the report's title and, per language, the site, the PDF (with its
    size once typeset: ``pdf_sizes``, lang → bytes) and the data date. Static, no script."""
    from markupsafe import Markup

    from reportkit.publishing.pdf import format_date

    pdfs = getattr(ctx, "pdf_files", {})
    sizes = pdf_sizes or {}
    cards = Markup("")
    for lang in langs:
        stage = t(f"report.stage.{ctx.stage}", lang, year=str(ctx.as_of)[:4])
        links = Markup('<li><a href="{l}/index.html" hreflang="{l}">{label}</a></li>').format(
            l=lang, label=t("report.landing.open", lang))
        if lang in pdfs:
            label = t("report.landing.pdf", lang, size=_size(sizes[lang], lang)) if lang in sizes \
                else t("report.data.pdf", lang)
            links += Markup('<li><a href="downloads/{f}" hreflang="{l}" type="application/pdf">{label}</a></li>'
                            ).format(f=pdfs[lang], l=lang, label=label)
            # the Word edition is written with the PDF
            links += Markup('<li><a href="downloads/{f}" hreflang="{l}">{label}</a></li>').format(
                f=docx_file_name(ctx.plan.id, edition_name(ctx.stage, ctx.as_of), lang), l=lang, label=t("report.data.docx", lang))
        notice = Markup('<p class="rk-illustrative">{}</p>').format(t("report.banner.illustrative", lang)) \
            if ctx.illustrative else ""
        cards += Markup(
            '<section class="rk-edition" lang="{l}"><h2>{name}</h2><p class="rk-stage">{stage} · {as_of}</p>'
            "{notice}<ul>{links}</ul></section>"
        ).format(l=lang, name=ctx.plan.name[lang], stage=stage, notice=notice, links=links,
                 as_of=t("report.landing.as_of", lang, date=format_date(ctx.as_of, lang, "as_of")))
    title = " / ".join(t("report.site_title", lang, plan=ctx.plan.name[lang], stage=t(f"report.stage.{ctx.stage}", lang, year=str(ctx.as_of)[:4]))
                       for lang in langs)
    return str(Markup(
        '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title}</title><style>"
        "body{{font-family:'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;max-width:60rem;"
        "margin:3rem auto;padding:0 1rem;line-height:1.6;color:#1a1a1a}}"
        "main{{display:flex;flex-wrap:wrap;gap:1.5rem}}"
        ".rk-edition{{flex:1 1 20rem;border:1px solid #d5dbe3;border-radius:.5rem;padding:1rem 1.4rem}}"
        ".rk-edition h2{{font-size:1.35rem;margin:.2rem 0 .4rem;color:#14365d}}.rk-stage{{color:#444;margin:0 0 .6rem}}"
        ".rk-edition ul{{list-style:none;padding:0;margin:0}}.rk-edition li{{margin:.45rem 0}}"
        "a{{color:#1a5590;font-size:1.08rem}}"
        ".rk-illustrative{{background:#fff3cd;color:#5c4400;border:1px solid #e0b400;padding:.3rem .7rem;font-weight:700}}"
        "h1{{font-size:1.2rem;font-weight:600;color:#2166ac;margin:0 0 1.2rem}}"
        "</style></head><body><h1>{heading}</h1><main>{cards}</main></body></html>\n"
    ).format(lang=HTML_LANG_TAGS.get(langs[0], langs[0]), title=title, cards=cards,
             heading=Markup(" · ").join(Markup('<span lang="{}">{}</span>').format(lang, t(f"pdf.kind.{ctx.stage}", lang, year=str(ctx.as_of)[:4]))
                                        for lang in langs)))
