"""The Word editions' page and styles: GB/T 9704-2012 for the Chinese edition (A4, margins
37/35/28/26 mm, 仿宋 16 pt on a fixed line pitch, 黑体/楷体 headings, fallback fonts named), a
plain A4 style for the English one; footers with the page number and the notice; the OOXML
helpers they need."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportkit.i18n import t
from reportkit.report.context import docx_file_name

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
