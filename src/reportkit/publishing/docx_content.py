"""The body of a Word edition: the print HTML's blocks, runs, lists, tables (real Word tables,
widths from their cells) and charts (PNG from the notebooks' SVG), written with python-docx."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bs4 import NavigableString, Tag

from reportkit.files import atomic_write_bytes
from reportkit.publishing.docx_styles import (
    _BLOCKS,
    _CELL_MARGIN_MM,
    _CHART_SCALE,
    _SKIP,
    _WIDE_TABLE,
    _WS,
    Layout,
    _el,
    _set_fonts,
)

# ── content ──────────────────────────────────────────────────────────────────────────────────


# Characters XML 1.0 cannot hold (C0 controls but tab and newlines, lone surrogates, U+FFFE/F):
# text from the inputs may carry them, python-docx would refuse the whole document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


_CJK_GAP = re.compile(r"(?<=[、）]) ")


def _text(node: Any) -> str:
    text = _WS.sub(" ", node.get_text(" ") if isinstance(node, Tag) else str(node)).strip()
    # Chinese punctuation takes no space after it (一、评估摘要, （一）主要发现): the space that
    # joining the number's span to the heading adds goes
    return _xml_safe(_CJK_GAP.sub("", text))


@dataclass
class _Fmt:
    bold: bool = False
    italic: bool = False
    mono: bool = False
    sup: bool = False
    sub: bool = False


class _Writer:
    """Appends the blocks of the print HTML to a python-docx document."""

    def __init__(self, doc: Any, lang: str, layout: Layout, root: Path | None, png_cache: Path | None = None):
        from docx.shared import Mm

        self.doc, self.lang, self.layout, self.root = doc, lang, layout, root
        self.png_cache = png_cache
        top, bottom, left, right = layout.margins
        self.width_mm = 210 - left - right
        self.max_height_mm = (297 - top - bottom) * 0.8
        self.Mm = Mm
        self.pictures = 0
        # style ids by name, looked up once: python-docx searches all styles on every assignment
        self.style_ids = {st.name: st.style_id for st in doc.styles}

    def new_paragraph(self, style: str, par: Any = None) -> Any:
        """A paragraph in ``style`` (appended, or ``par`` restyled)."""
        if par is None:
            par = self.doc.add_paragraph()
        par._p.get_or_add_pPr().style = self.style_ids[style]
        return par

    # inline ---------------------------------------------------------------------------------
    def inline(self, par: Any, node: Any, fmt: _Fmt, state: dict[str, bool]) -> None:
        """Runs for ``node`` (text and inline elements); ``state['space']``: last char was a space."""
        if isinstance(node, NavigableString):
            if type(node).__name__ in ("Comment", "Doctype", "CData", "ProcessingInstruction"):
                return
            text = _xml_safe(_WS.sub(" ", str(node)))
            if state.get("space", True):
                text = text.lstrip(" ")
            if not text:
                return
            state["space"] = text.endswith(" ")
            run = par.add_run(text)
            run.bold = fmt.bold or None
            run.italic = fmt.italic or None
            if fmt.mono:
                _set_fonts(run._r.get_or_add_rPr(), "Courier New", self.layout.body)
            if fmt.sup:
                run.font.superscript = True
            if fmt.sub:
                run.font.subscript = True
            return
        if not isinstance(node, Tag) or node.name in _SKIP:
            return
        if node.name == "br":
            par.add_run().add_break()
            state["space"] = True
            return
        if node.name == "img":
            self.picture(node, par)
            return
        sub = _Fmt(**vars(fmt))
        classes = node.get("class") or []
        if node.name in ("strong", "b", "th") or "rk-badge" in classes or "rk-fig-title" in classes:
            sub.bold = True
        if node.name in ("em", "i", "cite"):
            sub.italic = True
        if node.name in ("code", "kbd", "samp", "tt"):
            sub.mono = True
        if node.name == "sup":
            sub.sup = True
        if node.name == "sub":
            sub.sub = True
        for child in node.children:
            self.inline(par, child, sub, state)

    def paragraph(self, nodes: Sequence[Any], style: str = "Body Text", fmt: _Fmt | None = None) -> Any:
        """One paragraph from inline nodes; none when they hold no text or picture."""
        if not any(_text(n) or (isinstance(n, Tag) and (n.name == "img" or n.find("img"))) for n in nodes):
            return None
        par = self.new_paragraph(style)
        state = {"space": True}
        for n in nodes:
            self.inline(par, n, fmt or _Fmt(), state)
        if par.runs and par.runs[-1].text.endswith(" "):
            par.runs[-1].text = par.runs[-1].text.rstrip(" ")
        return par

    # blocks ---------------------------------------------------------------------------------
    def blocks(self, node: Tag, style: str = "Body Text") -> None:
        """The children of ``node``: block elements in order, loose inline content as paragraphs."""
        pending: list[Any] = []

        def flush() -> None:
            if pending:
                self.paragraph(list(pending), style)
                pending.clear()

        for child in node.children:
            if isinstance(child, Tag) and child.name in _SKIP:
                continue
            if isinstance(child, Tag) and (child.name in _BLOCKS or child.name == "img"):
                flush()
                self.block(child, style)
            else:
                pending.append(child)
        flush()

    def block(self, node: Tag, style: str) -> None:
        name = node.name
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            level = min(int(name[1]), 4)
            self.paragraph([node], f"Heading {level}")
        elif name == "p":
            self.paragraph([node], style)
        elif name == "table":
            self.table(node)
        elif name == "img":
            self.picture(node)
        elif name == "figcaption":
            self.paragraph([node], "Caption")
        elif name in ("ul", "ol"):
            self.listing(node, 1)
        elif name == "pre":
            par = self.new_paragraph("Table Text")
            for i, line in enumerate(node.get_text().rstrip("\n").split("\n")):
                if i:
                    par.add_run().add_break()
                run = par.add_run(_xml_safe(line))
                _set_fonts(run._r.get_or_add_rPr(), "Courier New", self.layout.body)
        elif name == "dt":
            self.paragraph([node], style, _Fmt(bold=True))
        elif name == "hr":
            return
        else:  # section, div, figure, aside, blockquote, dl, dd, nav …: their content
            self.blocks(node, style)

    def listing(self, node: Tag, level: int) -> None:
        numbered = node.name == "ol"
        base = "List Number" if numbered else "List Bullet"
        style = base if level == 1 else f"{base} {min(level, 3)}"
        for li in node.find_all("li", recursive=False):
            inline = [c for c in li.children if not (isinstance(c, Tag) and c.name in ("ul", "ol"))]
            # a list item that wraps its text in <p> (MyST does): the paragraphs' content, joined
            flat: list[Any] = []
            for c in inline:
                if isinstance(c, Tag) and c.name == "p":
                    if flat:
                        flat.append(NavigableString(" "))
                    flat.extend(c.children)
                else:
                    flat.append(c)
            self.paragraph(flat, style)
            for sub in li.find_all(["ul", "ol"], recursive=False):
                self.listing(sub, level + 1)

    def table(self, node: Tag) -> None:
        """A real Word table: header rows (``thead`` or all-``th`` rows) repeat on each page."""
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn
        from docx.shared import Pt

        rows = [tr for tr in node.find_all("tr") if tr.find_parent("table") is node]
        if not rows:
            return
        grid: list[list[tuple[Tag, bool] | None]] = []
        spans: list[tuple[int, int, int, int]] = []
        occupied: set[tuple[int, int]] = set()
        for r, tr in enumerate(rows):
            grid.append([])
            c = 0
            for cell in tr.find_all(["td", "th"], recursive=False):
                while (r, c) in occupied:
                    c += 1
                cs = max(1, int(cell.get("colspan", 1) or 1))
                rs = max(1, min(int(cell.get("rowspan", 1) or 1), len(rows) - r))
                for dr in range(rs):
                    for dc in range(cs):
                        occupied.add((r + dr, c + dc))
                while len(grid[r]) < c:
                    grid[r].append(None)
                grid[r].append((cell, True))
                grid[r].extend([None] * (cs - 1))
                if cs > 1 or rs > 1:
                    spans.append((r, c, r + rs - 1, c + cs - 1))
                c += cs
        ncols = max((c for (_r, c) in occupied), default=0) + 1
        header_rows = {i for i, tr in enumerate(rows)
                       if tr.find_parent("thead") is not None
                       or all(td.name == "th" for td in tr.find_all(["td", "th"], recursive=False))}
        # a header row only repeats when all rows before it do too (Word's rule)
        repeat = 0
        while repeat in header_rows:
            repeat += 1
        table = self.doc.add_table(rows=len(rows), cols=ncols)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        tblpr = table._tbl.tblPr
        margins = _el("w:tblCellMar")
        for side in ("left", "right"):
            margins.append(_el(f"w:{side}", w_w=str(round(_CELL_MARGIN_MM * 56.7)), w_type="dxa"))
        look = tblpr.find(qn("w:tblLook"))
        if look is not None:  # schema order: tblCellMar comes before tblLook (Word is strict)
            look.addprevious(margins)
        else:
            tblpr.append(margins)
        small = ncols >= _WIDE_TABLE  # a wide table is set a size smaller so its numbers fit
        text_style = "Table Text Small" if small else "Table Text"
        widths = [self.Mm(w) for w in _column_widths(grid, ncols, header_rows, self.width_mm,
                                                      self.layout.table_pt - (1.5 if small else 0))]
        for gc, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
            gc.w = width
        for r, row in enumerate(grid):
            word_row = table.rows[r]
            word_cells = word_row.cells
            for c, width in enumerate(widths):
                word_cells[c].width = width
            trpr = word_row._tr.get_or_add_trPr()
            trpr.append(_el("w:cantSplit", w_val="true"))
            if r < repeat:
                trpr.append(_el("w:tblHeader", w_val="true"))
            for c, item in enumerate(row):
                if item is None or c >= ncols:
                    continue
                cell, _ = item
                target = word_cells[c]
                par = self.new_paragraph(text_style, target.paragraphs[0])
                state = {"space": True}
                fmt = _Fmt(bold=cell.name == "th" or r in header_rows)
                for child in cell.children:
                    self.inline(par, child, fmt, state)
                if par.runs and par.runs[-1].text.endswith(" "):
                    par.runs[-1].text = par.runs[-1].text.rstrip(" ")
                numeric = "rk-num" in (cell.get("class") or [])
                par.alignment = WD_ALIGN_PARAGRAPH.RIGHT if numeric and r not in header_rows \
                    else WD_ALIGN_PARAGRAPH.CENTER if r in header_rows else None
                if r in header_rows:
                    tcpr = target._tc.get_or_add_tcPr()
                    tcpr.append(_el("w:shd", w_val="clear", w_color="auto", w_fill="EDEDED"))
        for r1, c1, r2, c2 in spans:
            if c2 < ncols:
                table.cell(r1, c1).merge(table.cell(r2, c2))
        # a little air after the table (a following table would otherwise join it)
        after = self.new_paragraph("Table Text")
        after.paragraph_format.space_after = Pt(6)

    def svg_png(self, svg: str) -> bytes:
        """The PNG of a chart's SVG. Rasterising is the slow part of a Word file, and a changed
        value leaves most charts as they were: with ``png_cache`` (a folder) each picture is kept
        under the hash of its SVG, the scale and the renderer's version."""
        import hashlib

        import vl_convert as vlc

        if self.png_cache is None:
            return vlc.svg_to_png(svg, scale=_CHART_SCALE)
        key = hashlib.sha256(f"{getattr(vlc, '__version__', '')}|{_CHART_SCALE}|{svg}".encode()).hexdigest()
        kept = Path(self.png_cache) / f"{key[:40]}.png"
        if kept.is_file():
            kept.touch()   # recently used: the cache's prune keeps it
            return kept.read_bytes()
        png = vlc.svg_to_png(svg, scale=_CHART_SCALE)
        atomic_write_bytes(kept, png)
        return png

    def picture(self, node: Tag, par: Any = None) -> None:
        """A chart (SVG data URL → PNG) or an image file of the edition, scaled to the text width."""
        src = str(node.get("src", ""))
        alt = str(node.get("alt", ""))
        png: bytes | None = None
        width_px: float | None = None
        if src.startswith("data:image/svg+xml"):
            head, _, data = src.partition(",")
            svg = base64.b64decode(data).decode("utf-8") if ";base64" in head else unquote(data)
            width_px = _svg_width(svg)
            png = self.svg_png(svg)
        elif src.startswith("data:image/png;base64,"):
            png = base64.b64decode(src.partition(",")[2])
        elif self.root is not None and not urlsplit(src).scheme:
            path = (self.root / unquote(urlsplit(src).path)).resolve()
            if path.is_file() and path.is_relative_to(self.root) and path.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif"):
                png = path.read_bytes()
            elif path.is_file() and path.is_relative_to(self.root) and path.suffix.lower() == ".svg":
                svg = path.read_text(encoding="utf-8")
                width_px = _svg_width(svg)
                png = self.svg_png(svg)
        if png is None:  # nothing to show on paper: keep the label
            if alt:
                self.paragraph([NavigableString(alt)], "Caption")
            return
        if par is None:
            par = self.new_paragraph("Picture")
        width_mm = min(self.width_mm, width_px * 25.4 / 96) if width_px else self.width_mm
        run = par.add_run()
        shape = run.add_picture(io.BytesIO(png), width=self.Mm(width_mm))
        if shape.height > self.Mm(self.max_height_mm):  # a tall chart keeps its caption on the page
            ratio = self.Mm(self.max_height_mm) / shape.height
            shape.height = int(shape.height * ratio)
            shape.width = int(shape.width * ratio)
        self.pictures += 1
        doc_pr = run._r.xpath(".//wp:docPr")
        if doc_pr:
            doc_pr[0].set("descr", alt)
            doc_pr[0].set("name", f"Chart {self.pictures}")


def _display_width(text: str) -> int:
    """Width of ``text`` in half-ems: a CJK character is two, a Latin one."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _column_widths(grid: list[list[tuple[Tag, bool] | None]], ncols: int, header_rows: set[int],
                   total_mm: float, font_pt: float) -> list[float]:
    """Column widths (mm) filling the text width, shared out much as browsers do for tables.

    Each column has a minimum (its longest word or number, which must not break; a heading may
    take three lines) and a maximum (its longest text on one line, capped). When the minimums
    fit, columns get them and the rest in proportion to what their maximum asks beyond; when
    they do not (wide tables), number columns keep the width of their numbers and text columns
    share what is left in proportion to their text.
    """
    half_em = font_pt * 0.3528 / 2 * 1.05  # mm per half-em, a little air for bold text
    pad = 2 * _CELL_MARGIN_MM + 0.5
    body_low = [0] * ncols
    head_low = [0] * ncols
    high = [2] * ncols
    numeric = [False] * ncols
    for r, row in enumerate(grid):
        for c, item in enumerate(row):
            if item is None or c >= ncols:
                continue
            text = _text(item[0])
            full = _display_width(text)
            word = max((_display_width(w) for w in text.split()
                        if not any(ord(ch) >= 0x2E80 for ch in w)), default=0)
            cjk = 4 if any(ord(ch) >= 0x2E80 for ch in text) else 0  # CJK breaks anywhere
            # a heading asks for two lines' width at most: its column's content decides
            high[c] = max(high[c], min(max(word, -(-full // 2)) if r in header_rows else full, 60))
            if r in header_rows:
                head_low[c] = max(head_low[c], min(max(word, cjk, -(-full // 3)), 16))
            else:
                body_low[c] = max(body_low[c], min(max(word, cjk), 16))
                numeric[c] = numeric[c] or "rk-num" in (item[0].get("class") or [])
    low = [max(b, h, 2) for b, h in zip(body_low, head_low, strict=True)]
    low_mm = [w * half_em + pad for w in low]
    high_mm = [max(h, lo) * half_em + pad for h, lo in zip(high, low, strict=True)]
    if sum(high_mm) <= total_mm:  # everything fits on one line: share out the spare width
        return [total_mm * h / sum(high_mm) for h in high_mm]
    if sum(low_mm) <= total_mm:
        spare = total_mm - sum(low_mm)
        extra = [h - lo for h, lo in zip(high_mm, low_mm, strict=True)]
        return [lo + spare * e / sum(extra) for lo, e in zip(low_mm, extra, strict=True)]
    fixed = [max(b, 4) * half_em + pad if n else 0.0 for b, n in zip(body_low, numeric, strict=True)]
    text_high = [h * half_em if not n else 0.0 for h, n in zip(high, numeric, strict=True)]
    rest = total_mm - sum(fixed)
    if rest <= 0 or not sum(text_high):
        return [total_mm * lo / sum(low_mm) for lo in low_mm]
    floor = 4 * half_em + pad
    share = [max(floor, rest * h / sum(text_high)) for h in text_high]
    scale = rest / sum(sh for sh, n in zip(share, numeric, strict=True) if not n)
    return [f if n else sh * scale for f, sh, n in zip(fixed, share, numeric, strict=True)]


def _svg_width(svg: str) -> float | None:
    m = re.search(r'<svg[^>]*\swidth="([\d.]+)(?:px)?"', svg)
    return float(m.group(1)) if m else None
