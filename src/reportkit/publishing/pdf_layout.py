"""Print layout decisions that CSS alone cannot make: table column widths, landscape pages,
charts printed once, and live links to the downloads.

WeasyPrint's automatic table layout gives an 11-column table more than an A4 text line and
lets it run off the page (nothing clips it, the text is just lost). So each table gets a fixed
layout with column widths computed here from its own cells: every column is at least as wide as
its longest unbreakable piece (an English word, a short Chinese term such as 基期值 or a status
badge), measured in the edition's own font; the rest of the line is shared by what the columns
would like. A table whose minimum does not fit the portrait line is set in smaller type
(``rk-dense``), then on a landscape page with its section heading; what still does not fit
breaks inside words (``overflow-wrap: anywhere`` in print.css), so nothing is ever lost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from bs4 import BeautifulSoup, Tag

WANT_CAP_EM = 24.0  # what one column may ask for: longer text wraps
SHORT_CJK = 6  # Chinese runs up to this length are terms that should not be split (基期值, 评估状态)
KEEP_ROWS = 6  # a table of up to this many rows is kept on one page (longer ones may break: no half-empty pages)


# The faces print.css sets per edition, measured with fontconfig's files when there are any.
FACES = {"zh": "Noto Sans CJK SC", "en": "Liberation Sans"}


@cache
def _font(lang: str, bold: bool) -> Any:
    """A PIL font of the edition's face (1000 units per em), or None without fontconfig/PIL."""
    import shutil
    import subprocess

    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        from PIL import ImageFont

        face = FACES.get(lang, FACES["en"]) + (":bold" if bold else "")
        path = subprocess.run([exe, "-f", "%{file}", face], capture_output=True, text=True,
                              timeout=30).stdout.strip()
        return ImageFont.truetype(path, 1000) if path else None
    except (ImportError, OSError, subprocess.SubprocessError):
        return None


@lru_cache(maxsize=65536)   # tables repeat their words (statuses, units, names) cell after cell
def text_em(text: str, lang: str = "en", bold: bool = False) -> float:
    """Width of ``text`` in ems: CJK characters are one em; the rest measured in the edition's
    face (an estimate when the font cannot be read)."""
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in ("W", "F"))
    rest = "".join(c for c in text if unicodedata.east_asian_width(c) not in ("W", "F"))
    font = _font(lang, bold)
    if font is not None:
        narrow = font.getlength(rest) / 1000
    else:
        narrow = 0.62 * len(rest)
    return wide + narrow * (1.0 if font is not None else 1.1)


_CJK_RUN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")


def min_em(text: str, lang: str = "en", bold: bool = False, whole: bool = False) -> float:
    """The widest piece of ``text`` that must not be broken.

    ``whole``: the text is one unit (a status badge). Otherwise English breaks between words;
    a Chinese run of up to SHORT_CJK characters is a term kept whole, longer runs break between
    characters; a very long Latin token (a hash, a file name) is broken anywhere anyway.
    """
    text = " ".join(text.split())
    if not text:
        return 0.0
    if whole:
        return text_em(text, lang, bold)
    widest = 0.0
    for token in re.split(r"[\s/]+", text):
        pieces = [token]
        if _CJK_RUN.search(token):
            pieces = []
            for part in re.split(f"({_CJK_RUN.pattern})", token):
                if _CJK_RUN.fullmatch(part):
                    pieces += [part] if len(part) <= SHORT_CJK else [part[:2]]
                elif part:
                    pieces.append(part)
        for piece in pieces:
            widest = max(widest, min(text_em(piece, lang, bold), 8.0))
    return widest


def _cells(table: Tag) -> Iterable[tuple[int, Tag]]:
    """(column index, cell) for cells that span one column."""
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        col = 0
        for cell in tr.find_all(["th", "td"], recursive=False):
            span = int(cell.get("colspan", 1) or 1)
            if span == 1:
                yield col, cell
            col += span


def _bounds(table: Tag, lang: str, pad: float) -> tuple[list[float], list[float]]:
    """Per column: the least width (longest unbreakable piece) and the wished-for width, in ems."""
    need: dict[int, float] = {}
    want: dict[int, float] = {}
    for col, cell in _cells(table):
        bold = cell.name == "th"
        text = cell.get_text(" ", strip=True)
        # a badge is one term in Chinese; English badges wrap between words
        badges = [min_em(b.get_text(" ", strip=True), lang, bold, whole=lang == "zh")
                  for b in cell.find_all(class_="rk-badge")]
        need[col] = max(need.get(col, 0.0), max([min_em(text, lang, bold)] + badges) + pad)
        want[col] = max(want.get(col, 0.0), min(text_em(text, lang, bold), WANT_CAP_EM) + pad)
    if not need:
        return [], []
    n = max(need) + 1
    lo = [need.get(k, pad) for k in range(n)]
    return lo, [max(want.get(k, pad), lo[k]) for k in range(n)]


# (class, font size pt, cell padding mm each side, page width mm): tried in order.
LAYOUTS = (("", 8.5, 1.6, 210), ("rk-dense", 7.5, 1.0, 210), ("rk-landscape", 7.5, 1.0, 297))


def column_widths(table: Tag, lang: str = "en") -> tuple[list[float], str] | None:
    """Column widths (fractions of the table width) and the layout class: the first of
    LAYOUTS in which every column gets its least width (the last one otherwise)."""
    for css, size, pad_mm, page in LAYOUTS:
        em_mm = size * 25.4 / 72
        lo, hi = _bounds(table, lang, 2 * pad_mm / em_mm + 0.25)  # + rounding room
        if not lo:
            return None
        avail = (page - 20 - 18) / em_mm
        if sum(lo) <= avail or css == LAYOUTS[-1][0]:
            break
    if sum(hi) <= avail:
        widths = hi
    elif sum(lo) <= avail:
        extra = avail - sum(lo)
        spread = sum(h - m for h, m in zip(hi, lo, strict=True)) or 1.0
        widths = [m + extra * (h - m) / spread for h, m in zip(hi, lo, strict=True)]
    else:
        widths = lo
    total = sum(widths)
    return [w / total for w in widths], css


def fit_tables(soup: BeautifulSoup, article: Tag, lang: str = "en") -> None:
    """Give each table of the article fixed column widths; mark wide ones landscape and short
    ones kept on one page (no single row carried to the next page)."""
    for table in article.find_all("table"):
        fitted = column_widths(table, lang)
        if fitted is None:
            continue
        fractions, layout = fitted
        for old in table.find_all("colgroup", recursive=False):
            old.decompose()
        group = soup.new_tag("colgroup")
        for f in fractions:
            group.append(soup.new_tag("col", attrs={"style": f"width: {f * 100:.2f}%"}))
        caption = table.find("caption", recursive=False)
        if caption is not None:
            caption.insert_after(group)
        else:
            table.insert(0, group)
        classes = list(table.get("class") or []) + ["rk-fixed"]
        if len(table.select("tbody > tr")) <= KEEP_ROWS:
            classes.append("rk-keep")
        table["class"] = classes
        if layout:
            classes.append("rk-dense")
        if layout == "rk-landscape":
            _landscape(table)


def _landscape(table: Tag) -> None:
    """Put a table on a landscape page together with the heading of its section (a heading
    must not be left alone at the foot of the portrait page before); when that section is the
    first of its chapter, the whole chapter turns, so the chapter title is not left alone."""
    section = table.find_parent("section")
    holder: Tag = table
    if section is not None and len(section.find_all("table")) == 1:
        holder = section  # its heading goes with the table
        parent = section.find_parent(["section", "article"])
        if parent is not None and not any(
                isinstance(el, Tag) and el.find(["table", "figure", "img"])
                for el in section.find_previous_siblings()):
            holder = parent
    elif isinstance(table.parent, Tag) and "rk-table-wrap" in (table.parent.get("class") or []):
        holder = table.parent
    holder["class"] = list(holder.get("class") or []) + ["rk-landscape"]


def drop_repeated_figure(article: Tag, seen: set[str]) -> None:
    """Print each chart once: a figure whose id an earlier page already showed (``seen``) is
    left out (the site repeats the main chart on the summary and the indicators page)."""
    for fig in article.select("figure[id]"):
        fid = str(fig["id"])
        if fid in seen:
            fig.decompose()
        seen.add(fid)


def is_download(target: Path, root: Path) -> bool:
    """Whether a link target is a file of the site's downloads folder (a sibling of the edition)."""
    downloads = (root.parent / "downloads").resolve()
    return target.resolve().is_relative_to(downloads) and target.name != ""


def relative_download_links(document: Any, root: Path) -> None:
    """Make links to the downloads relative to the PDF (``results.xlsx``): the PDF is published
    in the same downloads folder, and an absolute file address would carry the build's path."""
    downloads = (root.parent / "downloads").resolve().as_uri() + "/"
    for page in document.pages:
        links = []
        for link_type, target, rect, box in page.links:
            if link_type == "external" and str(target).startswith(downloads):
                name = unquote(urlsplit(str(target)).path.rsplit("/", 1)[-1])
                target = quote(name)
            links.append((link_type, target, rect, box))
        page.links[:] = links
