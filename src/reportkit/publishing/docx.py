"""The Word edition of the evaluation report: one ``.docx`` per edition, the PDF's content.

A report is edited and circulated for comments in Word or WPS before it is filed; the PDF is the
end, not the working copy. The Word file is made from the very print HTML the PDF is typeset
from (:func:`reportkit.publishing.pdf.print_html`: cover, contents, each page's article with its
charts as static SVG), converted element by element with python-docx:

* headings become Word's built-in *Heading 1–4* styles (the navigation pane and a regenerated
  table of contents work), the contents a ``TOC`` field whose cached entries are the PDF's;
* tables become real Word tables (header rows repeat on every page, numbers right-aligned);
* charts become PNG pictures (the SVG rasterised by vl-convert at twice its size, with the
  chart's label as alternative text); the figure caption follows;
* the footer carries a ``PAGE`` field and, for illustrative data, the notice on every page.

The zh edition follows GB/T 9704-2012 (党政机关公文格式) as far as free fonts allow: A4, margins
37/35/28/26 mm (top/bottom/left/right), body 仿宋 三号 (16 pt) at a fixed 28.95 pt line pitch
(22 lines a page), first-line indent of two characters, headings 黑体 / 楷体 / 仿宋 bold, page
numbers "— n —" in 四号 on the outer side. Word has one East Asian font per run, so fallbacks
are named in the font table: each font's ``altName`` (FangSong → 仿宋_GB2312, SimHei → 黑体,
KaiTi → 楷体_GB2312) and its GB2312 character set and PANOSE class, by which Word and WPS pick a
substitute; LibreOffice substitutes through fontconfig (Noto Serif/Sans CJK SC). The en edition
is a plain A4 style (Times New Roman / Arial, metric-compatible with Liberation fonts).

Same input gives the same bytes: the document dates come from the print HTML (the report date or
SOURCE_DATE_EPOCH), and the zip entries carry a fixed timestamp.
"""

from __future__ import annotations

import base64
import io
import re
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from reportkit.files import atomic_write_bytes
from reportkit.i18n import t
from reportkit.report.context import docx_file_name, edition_name
from reportkit.vocab import LANGS

# Block-level elements: each starts a paragraph (or a table, a picture) of its own.
_BLOCKS = {"p", "div", "section", "article", "aside", "main", "figure", "figcaption", "table", "ul",
           "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "dl", "dt", "dd",
           "hr", "nav", "header", "footer"}
_SKIP = {"script", "style", "noscript", "template", "button", "input", "form", "iframe"}
_WS = re.compile(r"\s+")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # zip's epoch: the bytes do not depend on the clock
_CHART_SCALE = 2  # PNG pixels per SVG pixel: sharp on paper and on screen
_WIDE_TABLE = 9  # columns from which a table is set in the smaller table style
_CELL_MARGIN_MM = 1.2  # left and right inside table cells (Word's default 1.9 mm wastes wide tables)


@dataclass(frozen=True)
class Layout:
    """Page and type of one edition (lengths in mm, sizes in pt)."""

    margins: tuple[float, float, float, float]   # top, bottom, left, right
    latin: str              # ascii/hAnsi font of body text
    body: str               # East Asian font of body text
    body_pt: float
    line_pt: float | None   # fixed line pitch; None: single spacing
    indent_chars: int       # first-line indent of body paragraphs, in characters
    headings: tuple[tuple[str, str, float, bool], ...]  # per level 1–4: latin, east asian, size, bold
    title: tuple[str, str, float]                       # cover title: latin, east asian, size
    table_pt: float
    footer_pt: float
    outer_page_numbers: bool  # odd pages right, even pages left (GB/T 9704 §7.5)


LAYOUTS: dict[str, Layout] = {
    "zh": Layout(margins=(37, 35, 28, 26), latin="Times New Roman", body="FangSong", body_pt=16,
                 line_pt=28.95, indent_chars=2,
                 headings=(("Times New Roman", "SimHei", 16, False), ("Times New Roman", "KaiTi", 16, False),
                           ("Times New Roman", "FangSong", 16, True), ("Times New Roman", "FangSong", 16, False)),
                 title=("Times New Roman", "方正小标宋简体", 22), table_pt=10.5, footer_pt=14,
                 outer_page_numbers=True),
    "en": Layout(margins=(25, 25, 20, 20), latin="Times New Roman", body="SimSun", body_pt=11,
                 line_pt=None, indent_chars=0,
                 headings=(("Arial", "SimHei", 16, True), ("Arial", "SimHei", 13, True),
                           ("Arial", "SimHei", 11.5, True), ("Arial", "SimHei", 11, True)),
                 title=("Arial", "SimHei", 24), table_pt=9, footer_pt=9, outer_page_numbers=False),
}

# Fallbacks Word/WPS use when a font is not installed: its alternative name, and the character
# set and PANOSE class by which a similar font is chosen (GB2312 = charset 86).
FONT_TABLE: dict[str, dict[str, str]] = {
    "FangSong": {"altName": "仿宋_GB2312", "charset": "86", "family": "modern", "pitch": "fixed",
                 "panose1": "02010609060101010101"},
    "SimHei": {"altName": "黑体", "charset": "86", "family": "modern", "pitch": "fixed",
               "panose1": "02010609060101010101"},
    "KaiTi": {"altName": "楷体_GB2312", "charset": "86", "family": "modern", "pitch": "fixed",
              "panose1": "02010609060101010101"},
    "方正小标宋简体": {"altName": "SimSun", "charset": "86", "family": "roman", "pitch": "variable",
                  "panose1": "02000000000000000000"},
    "SimSun": {"altName": "宋体", "charset": "86", "family": "auto", "pitch": "variable",
               "panose1": "02010600030101010101"},
}


def docx_path(staging: Path, plan_id: str, stage: str, lang: str) -> Path:
    """Where the build writes an edition's Word file: ``<staging>/docx/<name>``."""
    return Path(staging) / "docx" / docx_file_name(plan_id, stage, lang)


# ── low-level OOXML helpers ──────────────────────────────────────────────────────────────────


def _el(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(k.replace("_", ":", 1)), v)
    return el


def _set_fonts(rpr: Any, latin: str, east: str) -> None:
    """Name the fonts of a run property element; theme fonts (which win over names) are dropped."""
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east)


def _field(paragraph: Any, instruction: str, shown: str = "") -> None:
    """A complex field (``PAGE``, ``TOC …``) in one paragraph, with ``shown`` as its cached result."""
    _field_begin(paragraph, instruction)
    if shown:
        paragraph.add_run(shown)
    _field_end(paragraph)


def _field_begin(paragraph: Any, instruction: str) -> None:
    paragraph.add_run()._r.append(_el("w:fldChar", w_fldCharType="begin"))
    instr = _el("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(_el("w:fldChar", w_fldCharType="separate"))


def _field_end(paragraph: Any) -> None:
    paragraph.add_run()._r.append(_el("w:fldChar", w_fldCharType="end"))


def _first_line_chars(paragraph_format: Any, chars: int, size_pt: float) -> None:
    """First-line indent in characters (``w:firstLineChars``: stays two characters at any size)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph_format.first_line_indent = Pt(chars * size_pt)
    ind = paragraph_format._element.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(chars * 100))


# ── styles and page ──────────────────────────────────────────────────────────────────────────


def _styles(doc: Any, lang: str, layout: Layout) -> None:
    """Body, heading, table, caption, contents and cover styles of the edition."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    styles = doc.styles
    # Document defaults: language (spell checking, line breaking) and fonts without theme.
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, layout.latin, layout.body)
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    rpr.append(_el("w:lang", w_val="zh-CN" if lang == "zh" else "en-GB", w_eastAsia="zh-CN"))

    def para_style(name: str, base: str | None = None) -> Any:
        try:
            return styles[name]
        except KeyError:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            if base:
                style.base_style = styles[base]
            return style

    def fixed_pitch(fmt: Any) -> None:
        if layout.line_pt:
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(layout.line_pt)
        else:
            fmt.line_spacing = 1.15

    normal = styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), layout.latin, layout.body)
    normal.font.size = Pt(layout.body_pt)
    fixed_pitch(normal.paragraph_format)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0 if layout.line_pt else 6)
    normal.paragraph_format.widow_control = True

    body = para_style("Body Text", "Normal")
    _set_fonts(body.element.get_or_add_rPr(), layout.latin, layout.body)
    body.font.size = Pt(layout.body_pt)
    fixed_pitch(body.paragraph_format)
    body.paragraph_format.space_before = Pt(0)
    body.paragraph_format.space_after = Pt(0 if layout.line_pt else 6)
    if layout.indent_chars:
        _first_line_chars(body.paragraph_format, layout.indent_chars, layout.body_pt)
    if lang == "zh":
        body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    for level, (latin, east, size, bold) in enumerate(layout.headings, start=1):
        style = styles[f"Heading {level}"]
        _set_fonts(style.element.get_or_add_rPr(), latin, east)
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        fmt = style.paragraph_format
        fmt.keep_with_next = True
        fmt.page_break_before = level == 1  # each chapter starts a page, as in the PDF
        if layout.line_pt:
            fixed_pitch(fmt)
            fmt.space_before = Pt(0)
            fmt.space_after = Pt(0)
            _first_line_chars(fmt, layout.indent_chars, size)
        else:
            fmt.space_before = Pt(18 if level == 1 else 12)
            fmt.space_after = Pt(6)

    for name, size in (("Table Text", layout.table_pt), ("Table Text Small", layout.table_pt - 1.5)):
        table = para_style(name, "Normal")
        table.font.size = Pt(size)
        table.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        table.paragraph_format.space_after = Pt(0)
        table.paragraph_format.first_line_indent = Pt(0)

    caption = para_style("Caption", "Normal")
    caption.font.size = Pt(layout.table_pt + 1)
    caption.font.bold = False
    caption.font.italic = False
    caption.font.color.rgb = RGBColor(0x33, 0x33, 0x33)
    caption.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    caption.paragraph_format.space_after = Pt(10)
    caption.paragraph_format.first_line_indent = Pt(0)

    picture = para_style("Picture", "Normal")  # pictures need single spacing (a fixed pitch clips them)
    picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    picture.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    picture.paragraph_format.space_before = Pt(6)

    for level in (1, 2):  # Word's built-in contents styles: a size smaller, a tighter pitch
        toc = para_style(f"toc {level}", "Normal")
        toc.font.size = Pt(layout.body_pt - 2 if layout.line_pt else layout.body_pt)
        toc.paragraph_format.left_indent = Pt((level - 1) * layout.body_pt * 2)
        toc.paragraph_format.space_after = Pt(0)
        if layout.line_pt:
            toc.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            toc.paragraph_format.line_spacing = Pt(layout.body_pt * 1.5)
        else:
            toc.paragraph_format.line_spacing = 1.0

    for name in ("List Bullet", "List Number"):
        style = styles[name]
        fixed_pitch(style.paragraph_format)

    title = styles["Title"]
    _set_fonts(title.element.get_or_add_rPr(), layout.title[0], layout.title[1])
    title.font.size = Pt(layout.title[2])
    title.font.bold = lang == "en"
    title.font.color.rgb = RGBColor(0, 0, 0)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    title.paragraph_format.space_after = Pt(24)
    border = title.element.get_or_add_pPr().find(qn("w:pBdr"))
    if border is not None:  # the default template underlines the title; a report cover does not
        border.getparent().remove(border)


def _font_table(doc: Any, layout: Layout) -> None:
    """Declare the East Asian fonts the styles name, with their fallbacks (see module doc)."""
    from lxml import etree

    part = next((p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"), None)
    if part is None:
        return
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    root = etree.fromstring(part.blob)
    have = {f.get(f"{{{w}}}name") for f in root.findall(f"{{{w}}}font")}
    names = [layout.body, layout.title[1]] + [h[1] for h in layout.headings]
    for name in dict.fromkeys(names):
        spec = FONT_TABLE.get(name)
        if spec is None or name in have:
            continue
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        for key in ("altName", "panose1", "charset", "family", "pitch"):
            etree.SubElement(font, f"{{{w}}}{key}", {f"{{{w}}}val": spec[key]})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page(doc: Any, layout: Layout) -> Any:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    top, bottom, left, right = layout.margins
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance, section.footer_distance = Mm(15), Mm(min(bottom - 7, 28))
    return section


def _footers(doc: Any, section: Any, lang: str, layout: Layout, notice: str) -> None:
    """Page number (a PAGE field) on every page but the cover; the notice under it when given."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    before, _, after = t("docx.page", lang, n="\0").partition("\0")
    section.different_first_page_header_footer = True  # the cover has no page number
    footers = [(section.footer, WD_ALIGN_PARAGRAPH.RIGHT if layout.outer_page_numbers else WD_ALIGN_PARAGRAPH.CENTER)]
    if layout.outer_page_numbers:
        doc.settings.odd_and_even_pages_header_footer = True
        footers.append((section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT))
    for footer, align in footers:
        footer.is_linked_to_previous = False
        par = footer.paragraphs[0]
        par.style = doc.styles["Normal"]
        par.alignment = align
        fmt = par.paragraph_format
        fmt.line_spacing_rule = None
        fmt.line_spacing = 1.0
        fmt.first_line_indent = Pt(0)
        if layout.outer_page_numbers:  # one character in from the outer edge
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                fmt.right_indent = Pt(layout.footer_pt)
            else:
                fmt.left_indent = Pt(layout.footer_pt)
        for text in (before, None, after):
            if text is None:
                _field(par, "PAGE", "1")
            elif text:
                par.add_run(text)
        for run in par.runs:
            run.font.size = Pt(layout.footer_pt)
            if lang == "zh":  # GB/T 9704: 4号半角宋体阿拉伯数字
                _set_fonts(run._r.get_or_add_rPr(), "SimSun", "SimSun")
        if notice:
            note = footer.add_paragraph(notice, style=doc.styles["Normal"])
            note.alignment = WD_ALIGN_PARAGRAPH.CENTER
            note.paragraph_format.line_spacing = 1.0
            note.paragraph_format.first_line_indent = Pt(0)
            for run in note.runs:
                run.font.size = Pt(9)
                run.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)


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

    def __init__(self, doc: Any, lang: str, layout: Layout, root: Path | None):
        from docx.shared import Mm

        self.doc, self.lang, self.layout, self.root = doc, lang, layout, root
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

    def picture(self, node: Tag, par: Any = None) -> None:
        """A chart (SVG data URL → PNG) or an image file of the edition, scaled to the text width."""
        import vl_convert as vlc

        src = str(node.get("src", ""))
        alt = str(node.get("alt", ""))
        png: bytes | None = None
        width_px: float | None = None
        if src.startswith("data:image/svg+xml"):
            head, _, data = src.partition(",")
            svg = base64.b64decode(data).decode("utf-8") if ";base64" in head else unquote(data)
            width_px = _svg_width(svg)
            png = vlc.svg_to_png(svg, scale=_CHART_SCALE)
        elif src.startswith("data:image/png;base64,"):
            png = base64.b64decode(src.partition(",")[2])
        elif self.root is not None and not urlsplit(src).scheme:
            path = (self.root / unquote(urlsplit(src).path)).resolve()
            if path.is_file() and path.is_relative_to(self.root) and path.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif"):
                png = path.read_bytes()
            elif path.is_file() and path.is_relative_to(self.root) and path.suffix.lower() == ".svg":
                svg = path.read_text(encoding="utf-8")
                width_px = _svg_width(svg)
                png = vlc.svg_to_png(svg, scale=_CHART_SCALE)
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


def _cover(doc: Any, cover: Tag, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    def line(text: str, size: float, *, bold: bool = False, before: float = 0, color: RGBColor | None = None) -> None:
        if not text:
            return
        par = doc.add_paragraph(style=doc.styles["Normal"])
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt = par.paragraph_format
        fmt.line_spacing = 1.2
        fmt.space_before = Pt(before)
        fmt.space_after = Pt(6)
        fmt.first_line_indent = Pt(0)
        run = par.add_run(text)
        run.font.size = Pt(size)
        run.bold = bold or None
        if color is not None:
            run.font.color.rgb = color

    def text(cls: str) -> str:
        el = cover.select_one(f".{cls}")
        return _text(el) if el is not None else ""

    first = doc.paragraphs[0] if doc.paragraphs else None
    line(text("rk-cover-kind"), 22 if lang == "zh" else 16, before=120)
    title = doc.add_paragraph(text("rk-cover-title"), style=doc.styles["Title"])
    title.paragraph_format.space_before = Pt(24)
    line(text("rk-cover-asof"), 16 if lang == "zh" else 12, before=36)
    line(text("rk-cover-date"), 16 if lang == "zh" else 12)
    line(text("rk-cover-issuer"), 16 if lang == "zh" else 12, before=120)
    line(text("rk-cover-number"), 16 if lang == "zh" else 12)
    line(text("rk-cover-notice"), 14 if lang == "zh" else 11, bold=True, before=36,
         color=RGBColor(0xB2, 0x18, 0x2B))
    if first is not None and not first.text:  # the template's empty first paragraph
        first._p.getparent().remove(first._p)


def _contents(doc: Any, nav: Tag) -> None:
    """A TOC field over headings 1–2; its cached entries are the PDF's, Word adds page numbers
    when the field is updated (F9, or on opening: ``updateFields`` is set)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Pt

    title = nav.find(["h1", "h2"])
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    head = doc.add_paragraph(_text(title) if title else "", style=doc.styles["Normal"])
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.paragraph_format.first_line_indent = Pt(0)
    for run in head.runs:
        run.bold = True
    entries = [(2 if "rk-toc-l2" in (li.get("class") or []) else 1, _text(li)) for li in nav.find_all("li")]
    if not entries:
        return
    for i, (level, text) in enumerate(entries):
        par = doc.add_paragraph(style=doc.styles[f"toc {level}"])
        if i == 0:
            _field_begin(par, 'TOC \\o "1-2" \\h \\z \\u')
        par.add_run(text)
        if i == len(entries) - 1:
            _field_end(par)
    _update_fields_on_open(doc)


# What follows w:updateFields in CT_Settings (schema order; Word refuses a misplaced element).
_AFTER_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids",
                        "mathPr", "attachedSchema", "themeFontLang", "clrSchemeMapping",
                        "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade",
                        "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary",
                        "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")


def _update_fields_on_open(doc: Any) -> None:
    """Ask Word to update fields when the file is opened (the contents gets its page numbers)."""
    from docx.oxml.ns import qn

    settings = doc.settings.element
    flag = _el("w:updateFields", w_val="true")
    later = [qn(f"w:{name}") for name in _AFTER_UPDATE_FIELDS]
    successor = next((child for child in settings if child.tag in later), None)
    if successor is not None:
        successor.addprevious(flag)
    else:
        settings.append(flag)


def _properties(doc: Any, soup: BeautifulSoup, lang: str) -> None:
    import datetime as dt

    def meta(name: str) -> str:
        el = soup.find("meta", attrs={"name": name})
        return _xml_safe(str(el.get("content", ""))) if el is not None else ""

    props = doc.core_properties
    props.title = _text(soup.title) if soup.title else ""
    props.author = meta("author")
    props.last_modified_by = meta("author")
    props.subject = meta("description")
    props.language = "zh-CN" if lang == "zh" else "en"
    props.comments = ""
    props.keywords = ""
    props.revision = 1
    created = meta("dcterms.created")
    if created:
        when = dt.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ")
        props.created = when
        props.modified = when
        props.last_printed = when


def _fixed_zip(data: bytes) -> bytes:
    """The same document with every zip entry dated alike: same input, same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def docx_from_print_html(html: str, lang: str, root: Path | None = None) -> bytes:
    """The Word document (bytes) of an edition's print HTML (see :func:`pdf.print_html`).

    ``root``: the folder relative image sources are read from (the edition's HTML folder).
    """
    from docx import Document

    layout = LAYOUTS[lang]
    soup = BeautifulSoup(html, "html.parser")
    doc = Document()
    _styles(doc, lang, layout)
    _font_table(doc, layout)
    section = _page(doc, layout)
    cover = soup.select_one("section.rk-cover")
    notice_el = cover.select_one(".rk-cover-notice") if cover is not None else None
    if cover is not None:
        _cover(doc, cover, lang)
    nav = soup.select_one("nav.rk-toc")
    if nav is not None:
        _contents(doc, nav)
    writer = _Writer(doc, lang, layout, root)
    body = soup.select_one("main.rk-body") or soup.body or soup
    writer.blocks(body)
    _footers(doc, section, lang, layout, _text(notice_el) if notice_el is not None else "")
    _properties(doc, soup, lang)
    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue())


def build_docx(pages: Sequence[Path] | Path, out_docx: Path, *, lang: str, cover: dict[str, Any],
               notebooks: Path | Sequence[Path] | None = None) -> Path:
    """Write the Word file of one edition to ``out_docx`` (atomically) and return its path.

    Arguments as :func:`reportkit.publishing.pdf.build_pdf`: ``pages`` an edition folder or its
    pages in reading order, ``cover`` the same cover fields, ``notebooks`` the executed notebooks
    whose chart SVGs are reused.
    """
    from reportkit.publishing import pdf

    page_list = pdf.edition_pages(pages) if isinstance(pages, Path) and pages.is_dir() else \
        [pages] if isinstance(pages, Path) else list(pages)
    svgs = pdf.notebook_svgs(notebooks) if notebooks is not None else {}
    html = pdf.print_html(page_list, lang=lang, cover=cover, svgs=svgs)
    data = docx_from_print_html(html, lang, pdf.page_root(page_list))
    out_docx = Path(out_docx)
    out_docx.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out_docx, data)
    return out_docx


def _edition_job(job: tuple[str, str, str, dict[str, Any]]) -> tuple[str, float]:
    """Write one edition's Word file (runs in a worker process); returns (path, seconds)."""
    staging, lang, name, cover = job
    start = time.perf_counter()
    root = Path(staging)
    notebooks = root / "book" / lang
    target = build_docx(root / "html" / lang, root / "docx" / name, lang=lang, cover=cover,
                        notebooks=notebooks if notebooks.is_dir() else None)
    return str(target), time.perf_counter() - start


def write_editions(staging: Path, ctx: Any, opts: Any, covers: dict[str, dict[str, Any]]) -> dict[str, float]:
    """One Word file per edition in ``covers`` (the pipeline's ``docx`` step calls it).

    Reads ``staging/html/<lang>/`` and ``staging/book/<lang>/``, writes
    ``staging/docx/<plan-id>-<stage>-<lang>.docx`` and a copy in ``staging/html/downloads/``.
    Editions are written in parallel processes (``opts.jobs``). Returns seconds per language.
    """
    from concurrent.futures import ProcessPoolExecutor

    langs = [lang for lang in LANGS if lang in covers]
    jobs = [(str(staging), lang, docx_file_name(ctx.plan.id, edition_name(ctx.stage, ctx.as_of), lang), covers[lang]) for lang in langs]
    workers = max(1, min(int(getattr(opts, "jobs", 1) or 1), len(jobs)))
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_edition_job, jobs))
    else:
        results = [_edition_job(job) for job in jobs]
    downloads = Path(staging) / "html" / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    for lang, (target, took) in zip(langs, results, strict=True):
        atomic_write_bytes(downloads / Path(target).name, Path(target).read_bytes())
        seconds[lang] = round(took, 2)
    return seconds
