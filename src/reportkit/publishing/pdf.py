"""The PDF evaluation report: one A4 document per edition, from the built site's pages.

Input is one built edition of the Jupyter Book (``_build/<stage>/html/<lang>/``) or an explicit
list of its HTML pages in reading order. From each page (``pdf_pages``) only the article is kept: theme chrome,
code cells, notebook streams and object reprs, header links, the language switcher and the
banner are dropped. Interactive charts (``reportkit.report.charts.Figure`` markup: a ``.rk-vis`` div
and a ``vegaEmbed(el, spec, options)`` script) become static SVG rendered by vl-convert from the
very spec the site uses, so print and site never disagree. The pages are assembled into a clean
print HTML (cover, table of contents with page numbers, numbered headings) and typeset by
WeasyPrint. Why not the themed page or LaTeX: see ../shared/TOOLCHAIN.md (slow, broken layout,
object reprs, Letter paper).

Same input gives the same bytes: the PDF dates come from ``SOURCE_DATE_EPOCH`` or the report
date, and the PDF identifier is a hash of the print HTML.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import hashlib
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from reportkit.config import BUILD_DIR, PACKAGE_DIR
from reportkit.errors import Problem, ReportkitError
from reportkit.files import atomic_write_bytes
from reportkit.i18n import t
from reportkit.publishing.pdf_layout import (
    drop_repeated_figure,
    fit_tables,
    relative_download_links,
)
from reportkit.publishing.pdf_pages import (  # noqa: F401  (public names re-exported)
    ARTICLE_SELECTORS,
    DROP_SELECTORS,
    OutlineCounter,
    _article,
    _assign_ids,
    _clean,
    _number_headings,
    _Page,
    _page_key,
    _problem,
    _relative_sources,
    _rewrite_links,
    _slug,
    _soup,
    _stable_svg_ids,
    _static_charts,
    edition_pages,
    notebook_svgs,
    page_depth,
    page_root,
)
from reportkit.report.context import edition_name
from reportkit.report.context import pdf_file_name as pdf_name
from reportkit.report.pages import APPENDIX_PAGES
from reportkit.vocab import LANGS, STAGES

TEMPLATE_DIR = PACKAGE_DIR / "templates" / "pdf"
HTML_LANG = {"zh": "zh-CN", "en": "en"}  # the lang attribute: hyphenation, font selection


def print_html_path(staging: Path, lang: str) -> Path:
    """Where the PDF step leaves an edition's print HTML for the Word step (not published)."""
    return Path(staging) / "work" / "print" / f"{lang}.html"


def pdf_path(plan_id: str, stage: str, lang: str) -> Path:
    """Where the build writes an edition's PDF: ``_build/<stage>/pdf/<name>``."""
    return BUILD_DIR / stage / "pdf" / pdf_name(plan_id, stage, lang)



# ── cover and dates ────────────────────────────────────────────────────────────────────────


def _parse_date(value: Any, what: str) -> tuple[int, int | None, int | None]:
    """(year, month or None, day or None) from ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or a date.

    A year alone means the end of that year (how the evaluation engine labels as_of).
    """
    if isinstance(value, dt.date):
        return value.year, value.month, value.day
    if hasattr(value, "year") and hasattr(value, "month"):  # evaluation.AsOf
        return int(value.year), int(value.month), None
    m = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*", str(value))
    if m:
        y = int(m[1])
        mo = int(m[2]) if m[2] else None
        d = int(m[3]) if m[3] else None
        try:
            dt.date(y, mo or 1, d or 1)
            return y, mo, d
        except ValueError:
            pass
    raise ReportkitError(_problem("bad_date", "cover", row=what, value=value))


def format_date(value: Any, lang: str, what: str = "date") -> str:
    """A date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) written the way the edition's readers write it."""
    y, m, d = _parse_date(value, what)
    if m is None:
        return t("pdf.date.year_end", lang, year=y)
    month = t(f"pdf.month.m{m}", lang)
    if d is None:
        return t("pdf.date.month", lang, year=y, month_name=month)
    return t("pdf.date.day", lang, year=y, day=d, month_name=month)


def _pdf_datetime(cover: dict[str, Any]) -> dt.datetime | None:
    """The PDF's creation date: SOURCE_DATE_EPOCH when set, else the report date, else none.

    Never the data cut-off: a report on data to 2023 is not dated 2023-12-31. A report date of a
    month or year stands for its last day.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    if not cover.get("date"):
        return None
    y, m, d = _parse_date(cover["date"], "date")
    m = m or 12
    d = d or calendar.monthrange(y, m)[1]
    return dt.datetime(y, m, d, tzinfo=dt.UTC)


def _css_string(text: str) -> str:
    """A CSS string literal (for ``content:`` in margin boxes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ") + '"'


def _css_counters(text: str) -> str:
    """A CSS ``content`` value from localized text whose ``\0n`` / ``\0t`` stand for the page
    number and the page count (``Page 3 / 24``, ``第 3 页 / 共 24 页``)."""
    parts = re.split("(\0[nt])", text)
    counters = {"\0n": "counter(page)", "\0t": "counter(pages)"}
    return " ".join(counters.get(part) or _css_string(part) for part in parts if part)


def _cover_context(cover: dict[str, Any], lang: str) -> dict[str, Any]:
    for key in ("title", "stage", "as_of"):
        if not cover.get(key):
            raise ReportkitError(_problem("cover_missing", "cover", row=key, field=key))
    stage = str(cover["stage"])
    if stage not in STAGES:
        raise ReportkitError(_problem("bad_stage", "cover", row="stage", stage=stage, stages=", ".join(STAGES)))
    return {
        "title": str(cover["title"]),
        "kind": t(f"pdf.kind.{stage}", lang, year=str(cover["as_of"])[:4]),   # annual: its year
        "as_of": t("pdf.cover.as_of", lang, date=format_date(cover["as_of"], lang, "as_of")),
        "date": t("pdf.cover.date", lang, date=format_date(cover["date"], lang, "date"))
        if cover.get("date") else "",
        "issuer": str(cover.get("issuer") or ""),
        "number": str(cover.get("number") or ""),
        "illustrative": bool(cover.get("illustrative")),
        "notice": t("pdf.notice", lang),
    }


# ── assembly ───────────────────────────────────────────────────────────────────────────────


def print_html(pages: Sequence[Path], *, lang: str, cover: dict[str, Any],
               svgs: dict[str, str] | None = None, site_css: Sequence[Path] = ()) -> str:
    """The clean print HTML of an edition: cover, contents, the pages' articles.

    ``svgs``: static chart SVGs by container id (see :func:`notebook_svgs`); charts not in it
    are rendered from their spec. ``site_css``: the site's own component styles (badges, table
    classes), linked before the print stylesheet, which overrides what paper needs.
    """
    import jinja2

    if lang not in LANGS:
        raise ReportkitError(_problem("bad_lang", "lang", value=lang, langs=", ".join(LANGS)))
    if not pages:
        raise ReportkitError(_problem("no_pages", "pages"))
    paths = [Path(p).resolve() for p in pages]
    for p in paths:
        if not p.is_file():
            raise ReportkitError(_problem("no_page", p))
    root = page_root(paths)
    out = BeautifulSoup("", "html.parser")
    parsed: list[_Page] = []
    figures: set[str] = set()
    for path in paths:
        soup = _soup(path)
        article = copy.copy(_article(soup, path))
        drop_repeated_figure(article, figures)
        _static_charts(out, article, path, svgs or {})
        _clean(article)  # after the repeated figure: its section, left empty, goes too
        fit_tables(out, article, lang)
        parsed.append(_Page(path, _slug(path, root), article, depth=page_depth(soup)))
    slugs = {_page_key(p.path): p.slug for p in parsed}
    maps = _assign_ids(parsed)
    chapters = []
    counter = OutlineCounter(lang)   # chapters and appendices counted apart, sections within
    for page in parsed:
        _rewrite_links(page, slugs, maps, root)
        _relative_sources(page, root)
        appendix = page.slug.removeprefix("page-") in APPENDIX_PAGES
        _number_headings(out, page, counter, lang, appendix)
        page.article.name = "section"
        # a section page (a programme of the programmes chapter) also starts a new sheet
        page.article.attrs = {"class": "rk-chapter" if page.depth <= 1 else "rk-chapter rk-section-page",
                              "id": page.slug}
        chapters.append(str(page.article))
    toc = [h for p in parsed for h in p.headings if h.level <= 2]
    ctx = _cover_context(cover, lang)
    when = _pdf_datetime(cover)
    created = when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                             keep_trailing_newline=True)
    return env.get_template("report.html.j2").render(
        lang=lang, html_lang=HTML_LANG[lang], cover=ctx, toc=toc,
        toc_title=t("pdf.toc", lang), chapters=chapters, created=created,
        css_title=_css_string(ctx["title"]), css_notice=_css_string(ctx["notice"]),
        # inlined, not linked: the HTML (and its hash) must not carry the build's paths
        stylesheets=[Path(c).read_text(encoding="utf-8") for c in site_css]
        + [(TEMPLATE_DIR / "print.css").read_text(encoding="utf-8")],
        css_page=_css_counters(t("pdf.page", lang, n="\0n", total="\0t")),
        # a non-breaking hyphen: the running head wrapped "End-of-/term" on every page
        css_running=_css_string(f"{ctx['title']} · {ctx['kind']}".replace("-", "\u2011")),
    )


def contained_fetcher(roots: Sequence[Path]) -> Any:
    """A WeasyPrint URL fetcher that reads only files inside ``roots`` (and ``data:`` URLs).

    No network, ever: http(s), ftp and every other scheme are refused, and so is any file
    outside the build's own folder (symlinks are followed before the check). WeasyPrint turns a
    refusal into a warning and leaves the resource out; refused URLs are kept in ``.refused``.
    """
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    allowed = [Path(r).resolve() for r in roots]

    class ContainedFetcher(URLFetcher):
        refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file" and parts.netloc in ("", "localhost"):
                target = Path(unquote(parts.path)).resolve()
                if any(target.is_relative_to(root) for root in allowed):
                    return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"refused outside the build folder: {url[:200]}")

    fetcher = ContainedFetcher(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
    fetcher.refused = []
    return fetcher


def _linear_page_references() -> None:
    """Make pydyf's ``PDF.page_references`` build its tuple once per page count, not per access.

    pydyf (≤ 0.13) rebuilds the tuple of every page's reference on each access, and WeasyPrint's
    tagger reads it once per structure element, so a tagged PDF costs pages × elements: 6 of
    the 60 s of a 200-page edition. Pages are only ever appended, so the page count keys the
    memo; the bytes written are the same (tests/test_print_reuse.py). Left alone when pydyf
    changes the property (a newer pydyf may do this itself).
    """
    import pydyf

    prop = getattr(pydyf.PDF, "page_references", None)
    if not isinstance(prop, property) or getattr(prop.fget, "_reportkit", False) \
            or prop.fget.__qualname__ != "PDF.page_references":
        return
    original = prop.fget

    def page_references(self: Any) -> tuple[bytes, ...]:
        count = len(self.pages["Kids"])
        memo = self.__dict__.get("_rk_page_references")
        if memo is None or memo[0] != count:
            memo = (count, original(self))
            self.__dict__["_rk_page_references"] = memo
        return memo[1]

    page_references._reportkit = True  # type: ignore[attr-defined]
    page_references.__wrapped__ = original  # type: ignore[attr-defined]
    pydyf.PDF.page_references = property(page_references)


def build_pdf(pages: Sequence[Path] | Path, out_pdf: Path, *, lang: str,
              cover: dict[str, Any], notebooks: Path | Sequence[Path] | None = None,
              site_css: Sequence[Path] = (), keep_html: bool = False, variant: str | None = None,
              html_out: Path | None = None) -> Path:
    """Write the PDF of one edition to ``out_pdf`` (atomically) and return its path.

    ``pages``: an edition directory (``_build/<stage>/html/<lang>``; pages read in the book's
    order) or HTML page paths in reading order. ``cover``: ``title`` (plan title), ``stage``
    (``midterm``/``final``), ``as_of`` (``YYYY-MM`` or ``YYYY-MM-DD``), optional ``date``
    (report date), ``issuer`` and ``illustrative`` (bool: notice on cover and every footer).
    ``notebooks``: the edition's executed notebooks (folder or files) whose chart SVGs print
    reuses; without them charts are rendered again from their spec (same picture, slower).
    ``site_css``: the site's component stylesheet(s), e.g. ``<edition>/_static/reportkit.css``.
    ``variant``: a WeasyPrint PDF variant (``pdf/a-3u``, ``pdf/ua-1``); tagged PDF/1.7 without.
    ``keep_html`` also writes the print HTML next to the PDF (``.print.html``) for debugging;
    ``html_out`` writes it there (the Word step reads it rather than assemble it again).
    """
    from weasyprint import HTML

    _linear_page_references()
    page_list = edition_pages(pages) if isinstance(pages, Path) and pages.is_dir() else \
        [pages] if isinstance(pages, Path) else list(pages)
    svgs = notebook_svgs(notebooks) if notebooks is not None else {}
    html = print_html(page_list, lang=lang, cover=cover, svgs=svgs, site_css=site_css)
    out_pdf = Path(out_pdf)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    if keep_html:
        atomic_write_bytes(out_pdf.with_suffix(".print.html"), html.encode("utf-8"))
    if html_out is not None:
        atomic_write_bytes(Path(html_out), html.encode("utf-8"))
    root = page_root(page_list)
    # The build's own folder: the edition and its siblings (downloads/), nothing else.
    fetcher = contained_fetcher([root.parent if (root.parent / "downloads").is_dir() else root, TEMPLATE_DIR])
    document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).render()
    relative_download_links(document, root)
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    # Tagged (headings, tables, figures with their alt text are structure, not just ink);
    # ``variant`` e.g. "pdf/a-3u" or "pdf/ua-1" on request.
    data = document.write_pdf(pdf_identifier=identifier, pdf_tags=True, pdf_variant=variant)
    atomic_write_bytes(out_pdf, data)
    return out_pdf


# What each edition needs to be readable, and the Debian package that provides it.
FONT_NEEDS = {"zh": [("zh", "fonts-noto-cjk"), ("en", "fonts-liberation")], "en": [("en", "fonts-liberation")]}


def _fonts_for(lang: str) -> list[str] | None:
    """Font files fontconfig knows that cover ``lang`` (``fc-list :lang=…``); None without fontconfig."""
    import shutil as _shutil
    import subprocess

    exe = _shutil.which("fc-list")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, f":lang={lang}", "file"], capture_output=True, text=True, timeout=60,
                             close_fds=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return [line.strip().rstrip(":") for line in out.splitlines() if line.strip()]


def check_fonts(langs: Sequence[str], where: Path | str = "pdf") -> None:
    """Stop before typesetting when an edition's script has no font (zh: a CJK font, every edition:
    a Latin font): WeasyPrint would otherwise print boxes (exit 0) or crash in harfbuzz."""
    problems: list[Problem] = []
    cache: dict[str, list[str] | None] = {}
    for lang in langs:
        for script, package in FONT_NEEDS.get(lang, []):
            if script not in cache:
                cache[script] = _fonts_for(script)
            found = cache[script]
            if found is None:
                problems.append(_problem("no_fontconfig", Path(where) / lang, package="fontconfig"))
                break
            if not found:
                key = "font_missing_cjk" if script == "zh" else "font_missing_latin"
                problems.append(_problem(key, Path(where) / lang, package=package, edition=lang))
    if problems:
        raise ReportkitError(_dedupe(problems))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        k = (p.key, p.location, tuple(sorted(p.params.items())))
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out


def report_date(opts: Any = None) -> str | None:
    """The report date on the cover: ``opts.report_date`` if the build has one, else the date of
    SOURCE_DATE_EPOCH, else none (a date taken from the clock would make every build differ)."""
    given = getattr(opts, "report_date", None)
    if given:
        return str(given)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    return None


def _edition_job(job: tuple[str, str, str, dict[str, Any], str]) -> tuple[str, float]:
    """Typeset one edition (runs in a worker process); returns (pdf path, seconds)."""
    staging, lang, name, cover, _ = job
    start = time.perf_counter()
    root = Path(staging)
    edition = root / "html" / lang
    css = [edition / "_static" / f for f in ("reportkit.css", "rk-palette.css")]
    notebooks = root / "book" / lang
    target = build_pdf(edition, root / "pdf" / name, lang=lang, cover=cover,
                       notebooks=notebooks if notebooks.is_dir() else None,
                       site_css=[c for c in css if c.is_file()], html_out=print_html_path(root, lang))
    return str(target), time.perf_counter() - start


def edition_cover(ctx: Any, lang: str, opts: Any = None) -> dict[str, Any]:
    """The cover of an edition (PDF and Word): title, stage, data date, the report's own date,
    issuing body and number (from the evaluation's settings), the illustrative notice."""
    return {"title": ctx.plan.name[lang], "stage": ctx.stage, "as_of": ctx.as_of, "date": report_date(opts),
            "illustrative": bool(ctx.illustrative),
            "issuer": (getattr(opts, "issuer", None) or {}).get(lang) or "",
            "number": getattr(opts, "report_number", None) or ""}


def typeset_editions(staging: Path, ctx: Any, opts: Any = None) -> dict[str, float]:
    """One PDF per edition of a staged build (the pipeline's ``pdf`` step calls it).

    Reads ``staging/html/<lang>/`` (and the executed notebooks in ``staging/book/<lang>/`` for
    their chart SVGs), writes ``staging/pdf/<plan-id>-<stage>-<lang>.pdf`` and a copy in
    ``staging/html/downloads/`` so the self-contained site can link it. ``ctx``: the build's
    ReportContext (plan, stage, as_of, illustrative); ``opts``: its BuildOptions (langs, jobs,
    optional report_date). Editions are typeset in parallel processes (``opts.jobs``).
    Returns the seconds each edition took, by language.
    """
    langs = list(getattr(opts, "langs", None) or LANGS)
    check_fonts(langs, Path(staging) / "html")
    jobs = [(str(staging), lang, pdf_name(ctx.plan.id, edition_name(ctx.stage, ctx.as_of), lang), edition_cover(ctx, lang, opts), "")
            for lang in langs]
    return run_editions(_edition_job, jobs, langs, staging, opts)


def run_editions(job_fn: Any, jobs: list[Any], langs: list[str], staging: Path, opts: Any) -> dict[str, float]:
    """Run one job per edition (PDF or Word), in parallel processes (``opts.jobs``); each job
    returns (file written, seconds). The files are copied to ``html/downloads/`` for the site.
    Returns the seconds each edition took, by language."""
    from concurrent.futures import ProcessPoolExecutor

    workers = max(1, min(int(getattr(opts, "jobs", 1) or 1), len(jobs)))
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(job_fn, jobs))
    else:
        results = [job_fn(job) for job in jobs]
    downloads = Path(staging) / "html" / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    for lang, (target, took) in zip(langs, results, strict=True):
        atomic_write_bytes(downloads / Path(target).name, Path(target).read_bytes())
        seconds[lang] = round(took, 2)
    return seconds
