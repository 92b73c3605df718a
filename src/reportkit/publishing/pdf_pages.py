"""The print HTML's raw material: an edition's pages, cleaned for paper.

From each built page only the article is kept: theme chrome, code cells, notebook streams and
object reprs, header links, the language switcher and the banner are dropped. Interactive charts
(``reportkit.report.charts.Figure`` markup: a ``.rk-vis`` div and a ``vegaEmbed(el, spec, options)``
script) become static SVG rendered by vl-convert from the very spec the site uses, so print and
site never disagree. Ids are made unique across pages, links between pages become links inside
the PDF, and headings are numbered. ``pdf.py`` assembles the result and typesets it.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from reportkit.errors import Location, Problem, ReportkitError
from reportkit.publishing.pdf_layout import is_download

# Where the article is, in order of preference (sphinx-book-theme, then plain Sphinx themes).
ARTICLE_SELECTORS = ("article.bd-article", "div[role=main]", "main", "div.body")
# Never printed: code, notebook artefacts, theme widgets, site-only furniture.
DROP_SELECTORS = (
    ".cell_input",                    # code of a cell
    "details.above-input",            # the hide-input toggle around it
    ".output.stream", ".output.stderr", ".output.traceback", ".output.error",
    ".output.text_plain",             # object reprs (<Foo at 0x…>); rich outputs are kept
    "a.headerlink", "button", ".toggle-details", ".prev-next-area", ".prev-next-footer",
    ".rk-banner", ".bd-header-announcement",  # the banner: the notice goes on cover and footer
    ".rk-lang-switch", ".rk-switcher", ".rk-noprint",
    "details.rk-data",                # a chart's data table: the site's tables carry the figures
    ".section-number",                # the site's numbers; print numbers its own headings
    "noscript", "link", "meta", "iframe", "form", "input",
)
_EMBED_RE = re.compile(r"vegaEmbed\s*\(\s*[A-Za-z_$][\w$]*\s*,\s*")


@dataclass
class _Heading:
    level: int
    number: str
    text: str
    anchor: str


@dataclass
class _Page:
    path: Path
    slug: str
    article: Tag
    headings: list[_Heading] = field(default_factory=list)
    depth: int = 1   # 1: a chapter; 2: a section of the chapter before it (page_depth)




def _problem(key: str, file: Path | str, row: str | None = None, **params: Any) -> Problem:
    """A located problem with its message in the ``pdf`` locale group (``pdf.errors.<key>``)."""
    return Problem(f"errors.{key}", Location(str(file), row=row), params, group="pdf")



# ── input ──────────────────────────────────────────────────────────────────────────────────


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def _redirect_target(soup: BeautifulSoup) -> str | None:
    """The target of a ``<meta http-equiv=refresh>`` page (Jupyter Book's index.html)."""
    meta = soup.find("meta", attrs={"http-equiv": re.compile("^refresh$", re.I)})
    if not meta:
        return None
    m = re.search(r"url\s*=\s*(\S+)", str(meta.get("content", "")), re.I)
    return m.group(1).strip("'\"") if m else None


def edition_pages(edition_dir: Path) -> list[Path]:
    """An edition's pages in reading order: from its root page along Sphinx's ``rel=next`` links."""
    index = edition_dir / "index.html"
    if not index.is_file():
        raise ReportkitError(_problem("no_edition", edition_dir))
    page = index.resolve()
    soup = _soup(page)
    for _ in range(5):  # index.html may be a redirect to the root document
        target = _redirect_target(soup)
        if not target:
            break
        page = (page.parent / urlsplit(target).path).resolve()
        if not page.is_file():
            raise ReportkitError(_problem("no_edition", edition_dir))
        soup = _soup(page)
    pages: list[Path] = []
    while page not in pages:
        pages.append(page)
        nxt = soup.find("link", rel="next")
        if not nxt or not nxt.get("href"):
            break
        page = (page.parent / unquote(urlsplit(str(nxt["href"])).path)).resolve()
        if not page.is_file():
            break
        soup = _soup(page)
    return pages


def _article(soup: BeautifulSoup, path: Path) -> Tag:
    for sel in ARTICLE_SELECTORS:
        found = soup.select_one(sel)
        if found is not None:
            return found
    raise ReportkitError(_problem("no_article", path))


# ── charts ─────────────────────────────────────────────────────────────────────────────────


def notebook_svgs(notebooks: Path | Sequence[Path]) -> dict[str, str]:
    """Static SVGs the executed notebooks already hold, by chart container id (``vis-…``).

    ``reportkit.report.charts.Figure`` outputs its interactive HTML and an ``image/svg+xml`` rendered
    by vl-convert side by side; the site shows the HTML, print reuses the SVG (no re-render).
    """
    files = sorted(Path(notebooks).glob("*.ipynb")) if isinstance(notebooks, Path) else \
        [Path(p) for p in notebooks]
    out: dict[str, str] = {}
    for path in files:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "image/svg+xml" not in data or "text/html" not in data:
                    continue
                html = data["text/html"]
                html = "".join(html) if isinstance(html, list) else html
                svg = data["image/svg+xml"]
                svg = "".join(svg) if isinstance(svg, list) else svg
                for vis_id in re.findall(r'class="rk-vis" id="([^"]+)"', html):
                    out[vis_id] = svg
    return out


def _spec_from_script(script: str) -> dict[str, Any] | None:
    """The Vega-Lite spec passed to ``vegaEmbed(el, spec, …)`` in a chart's script, if any."""
    m = _EMBED_RE.search(script)
    if not m:
        return None
    # charts._json_for_script escapes "<!--" as "<\!--", which is not a JSON escape.
    text = script[m.end():].replace("<\\!--", "<!--")
    spec, _ = json.JSONDecoder().raw_decode(text)
    return spec if isinstance(spec, dict) else None


# A generated id where it is defined (id="…") or referenced (url(#…), href="#…").
_SVG_ID_RE = re.compile(r'(id="|#)((?:gradient|clip|pattern|mask|marker)_?\d+)\b')


def _stable_svg_ids(svg: str) -> str:
    """Number vega's generated ids (``gradient_12``) from 1 within each SVG.

    Vega counts them per process, so the same chart rendered after another one gets other ids
    and the PDF other bytes. Each SVG is its own image, so ids only need to be unique inside it.
    """
    seen: dict[str, str] = {}

    def rename(m: re.Match[str]) -> str:
        return m.group(1) + seen.setdefault(m.group(2), f"rk-id{len(seen) + 1}")

    return _SVG_ID_RE.sub(rename, svg)


def _svg_img(soup: BeautifulSoup, svg: str, label: str) -> Tag:
    svg = _stable_svg_ids(svg)
    img = soup.new_tag("img", attrs={"class": "rk-chart", "alt": label})
    img["src"] = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return img


def _static_charts(soup: BeautifulSoup, article: Tag, path: Path, svgs: dict[str, str]) -> None:
    """Replace each interactive chart by its static SVG: the notebook's own (``svgs``, by
    container id) or rendered by vl-convert from the spec in the chart's script."""
    import vl_convert as vlc

    for script in list(article.find_all("script")):
        code = script.string or script.get_text()
        if "vegaEmbed" not in code:
            continue
        figure = script.find_parent("figure")
        vis = (figure.select_one(".rk-vis") if figure else None) or script.find_previous_sibling("div")
        label = str(vis.get("aria-label", "")) if vis is not None else ""
        known = svgs.get(str(vis.get("id", ""))) if vis is not None else None
        if known:
            vis.replace_with(_svg_img(soup, known, label))
            script.decompose()
            continue
        try:
            spec = _spec_from_script(code)
        except ValueError as err:
            raise ReportkitError(_problem("chart_spec", path, reason=str(err))) from None
        if spec is None:
            raise ReportkitError(_problem("chart_no_spec", path))
        if spec.get("width") == "container":  # the site's container sizing: print's fixed width
            spec["width"] = spec.get("usermeta", {}).get("rkWidth", 520)
            spec.pop("autosize", None)
        try:
            svg = vlc.vegalite_to_svg(spec)
        except Exception as err:  # vl-convert raises plain ValueError/RuntimeError on bad specs
            raise ReportkitError(_problem("chart_spec", path, reason=str(err)[:300])) from None
        img = _svg_img(soup, svg, label)
        if vis is not None:
            vis.replace_with(img)
            script.decompose()
        else:
            script.replace_with(img)


# ── cleaning, ids, links ───────────────────────────────────────────────────────────────────


def _compile(selectors: Sequence[str]) -> list[tuple[str | None, frozenset[str]]]:
    """``tag``, ``.a``, ``.a.b`` and ``tag.a`` selectors as (tag or None, classes)."""
    out = []
    for sel in selectors:
        tag, *classes = sel.split(".")
        if not re.fullmatch(r"[a-z0-9]*", tag) or not all(re.fullmatch(r"[\w-]+", c) for c in classes):
            raise ValueError(f"not a simple selector: {sel}")
        out.append((tag or None, frozenset(classes)))
    return out


_DROP = _compile(DROP_SELECTORS)


def _dropped(el: Tag) -> bool:
    classes = el.get("class") or ()
    return any((tag is None or el.name == tag) and need.issubset(classes) for tag, need in _DROP)


def _clean(article: Tag) -> None:
    # One walk of the tree with a plain matcher: soupsieve's general one costs seconds on the
    # pages of a plan with a hundred districts.
    for el in [el for el in article.find_all(True) if _dropped(el)]:
        if not el.decomposed:  # already gone with a dropped ancestor
            el.decompose()
    for el in article.find_all("script"):  # whatever script is left cannot run on paper
        el.decompose()
    for details in article.find_all("details"):  # hide-output toggles, dropdowns: print open
        summary = details.find("summary")
        if summary is not None:
            summary.name = "p"
            summary["class"] = ["rk-summary"]
        details.unwrap()
    # Empty output wrappers left behind (a cell whose only output was a repr).
    for el in article.select(".cell_output, .cell"):
        if not el.get_text(strip=True) and not el.find(["img", "svg", "table"]):
            el.decompose()
    # A subsection left with nothing but its heading (its content was site-only, or empty)
    # would print as a bare heading: leave it out. Innermost first; a page's h1 always stays.
    for section in reversed(article.find_all("section")):
        heading = section.find(["h2", "h3", "h4", "h5", "h6"], recursive=False)
        if heading is None:
            continue
        rest = [c for c in section.children if c is not heading
                and (c.get_text(strip=True) if isinstance(c, Tag) else str(c).strip())
                or (isinstance(c, Tag) and c.find(["img", "svg", "table"]))]
        if not rest:
            section.decompose()


def _page_key(path: Path) -> str:
    return path.resolve().as_posix()


def _slug(path: Path, root: Path) -> str:
    rel = path.resolve().relative_to(root) if path.resolve().is_relative_to(root) else Path(path.name)
    return "page-" + re.sub(r"[^A-Za-z0-9_-]", "_", rel.with_suffix("").as_posix())


def _assign_ids(pages: list[_Page]) -> dict[str, dict[str, str]]:
    """Unique ids across pages: an id already used by an earlier page gets the page's prefix.

    Sphinx numbers anonymous sections ``id1, id2…`` in every page, so ids collide once pages
    are joined. Unique ids (chart ids, pandas Styler ids used by their ``<style>``) stay as they
    are. Returns, per page, the mapping old id → new id for rewriting links.
    """
    used: set[str] = set()
    maps: dict[str, dict[str, str]] = {}
    for page in pages:
        mapping: dict[str, str] = {}
        used.add(page.slug)
        for el in page.article.find_all(id=True):
            old = str(el["id"])
            new = old if old not in used else f"{page.slug}--{old}"
            n = 2
            while new in used:
                new = f"{page.slug}--{old}-{n}"
                n += 1
            used.add(new)
            mapping.setdefault(old, new)
            el["id"] = new
        maps[_page_key(page.path)] = mapping
    return maps


def _rewrite_links(page: _Page, slugs: dict[str, str], maps: dict[str, dict[str, str]],
                   root: Path | None = None) -> None:
    """Links between pages become links inside the PDF; links to the site's downloads stay
    links (relative to ``root``; made relative to the PDF after typesetting, see
    ``pdf_layout.relative_download_links``); links to other site-only files become text."""
    for a in page.article.find_all("a", href=True):
        href = str(a["href"])
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto"):
            continue
        if parts.scheme or parts.netloc:
            a.unwrap()
            continue
        target = page.path if not parts.path else (page.path.parent / unquote(parts.path)).resolve()
        key = _page_key(target)
        if key not in slugs and root is not None and parts.path and is_download(target, root):
            a["href"] = quote(os.path.relpath(target, root).replace(os.sep, "/"))
            continue
        if key not in slugs:  # genindex, search…: no place on paper
            del a["href"]
            a.name = "span"
            continue
        frag = unquote(parts.fragment)
        a["href"] = "#" + (maps[key].get(frag, frag) if frag else slugs[key])


def _relative_sources(page: _Page, root: Path) -> None:
    """Image sources relative to the edition root (the PDF's base URL): no build paths in the
    print HTML, so its hash (the PDF identifier) is the same wherever the build ran."""
    for el in page.article.find_all(["img", "source"], src=True):
        src = str(el["src"])
        if urlsplit(src).scheme:
            continue
        target = (page.path.parent / unquote(src)).resolve()
        el["src"] = quote(os.path.relpath(target, root).replace(os.sep, "/"))


def page_root(pages: Sequence[Path]) -> Path:
    """The folder all pages live in (their common parent): the print HTML's base URL."""
    return Path(os.path.commonpath([Path(p).resolve().parent for p in pages]))


# ── headings ───────────────────────────────────────────────────────────────────────────────


CN_DIGITS = "〇一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 23 → 二十三 (chapter and section numbers, < 100)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def heading_number(lang: str, counters: Sequence[int], level: int, appendix: bool = False) -> str:
    """The number of a heading as an official report writes it: 一、（一）1.（1） in Chinese,
    1 / 1.1 / 1.1.1 / 1.1.1.1 in English; appendix chapters 附件1 / Annex 1 (sections （一） /
    A1.1). ``counters``: the chapter, section, subsection … counts (at least ``level`` of them)."""
    c = list(counters) + [0] * (4 - len(counters))
    if lang == "zh":
        if level == 1:
            return f"附件{c[0]}" if appendix else f"{cn_number(c[0])}、"
        return {2: f"（{cn_number(c[1])}）", 3: f"{c[2]}.", 4: f"（{c[3]}）"}[level]
    head = f"A{c[0]}" if appendix else str(c[0])
    if level == 1:
        return f"Annex {c[0]}" if appendix else head
    return ".".join([head] + [str(n) for n in c[1:level]])


def number_gap(number: str) -> str:
    """What separates a number from its heading: nothing after 、 and ）, a space otherwise."""
    return "" if number.endswith(("、", "）")) else " "


MAX_LEVEL = 4   # 一、（一）1.（1）: deeper headings are printed without a number


class OutlineCounter:
    """Numbers the pages of an edition and their headings in reading order: chapters and
    appendices are counted apart; a page of depth 2 is a section of the chapter before it (the
    programmes of the annex tables), its own headings one level down. The site's page titles
    (``book.page_numbers``) and the printed headings (:func:`_number_headings`) both count here."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.counters = [0] * MAX_LEVEL
        self.chapters = {False: 0, True: 0}
        self.appendix = False

    def page(self, depth: int, appendix: bool = False) -> str:
        """Start a page at ``depth`` (1: a chapter); returns its number."""
        if depth <= 1:
            self.appendix = appendix
            self.chapters[appendix] += 1
            self.counters = [self.chapters[appendix]] + [0] * (MAX_LEVEL - 1)
            return heading_number(self.lang, self.counters, 1, appendix)
        return self.heading(depth)

    def heading(self, level: int) -> str:
        """The next heading at ``level`` (2 or deeper) of the current chapter; returns its number."""
        self.counters[level - 1] += 1
        for i in range(level, MAX_LEVEL):
            self.counters[i] = 0
        return heading_number(self.lang, self.counters, level, self.appendix)


def page_depth(soup: BeautifulSoup) -> int:
    """How deep a built page sits in the book's outline: the level of its own entry in the
    site's navigation (Sphinx marks it and its ancestors ``current``, with ``toctree-l<n>``);
    1 for a page the navigation does not list (a root page outside the contents)."""
    levels = [int(m.group(1)) for li in soup.select("li.current")
              for m in [re.search(r"\btoctree-l(\d+)\b", " ".join(li.get("class") or []))] if m]
    return max(levels, default=1)


def _number_headings(soup: BeautifulSoup, page: _Page, counter: OutlineCounter, lang: str = "en",
                     appendix: bool = False) -> None:
    """Number a page's h1–h3 in the way of ``lang`` (:func:`heading_number`): the page's title
    at its depth (a chapter, or a section of one), its headings below it. Headings are re-tagged
    to their level in the report (a section page's h1 becomes h2), so contents, running header
    and the Word file's heading styles follow the outline."""
    first_h1 = True
    for h in page.article.find_all(["h1", "h2", "h3"]):
        level = int(h.name[1])
        if level == 1 and not first_h1:  # a second h1 in one page is printed as a section
            level = 2
        if level == 1:
            first_h1 = False
            level = page.depth
            number = counter.page(page.depth, appendix)
        else:
            level += page.depth - 1
            if level > MAX_LEVEL:
                h.name = "h6"
                continue
            number = counter.heading(level)
        h.name = f"h{level}"
        text = " ".join(h.get_text(" ", strip=True).split())
        if not h.get("id"):
            section = h.find_parent("section")
            if section is not None and section.get("id") and section.find(["h1", "h2", "h3", "h4"]) is h:
                h["id"] = section["id"] + "-h"
            else:
                h["id"] = f"{page.slug}-h{len(page.headings) + 1}"
        num = soup.new_tag("span", attrs={"class": "rk-num"})
        num.string = number
        h.insert(0, num)
        h.insert(1, NavigableString(number_gap(number)))
        page.headings.append(_Heading(level, number, text, str(h["id"])))
    if first_h1:  # a page without a title still starts a chapter
        raise ReportkitError(_problem("no_title", page.path))
