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

import io
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag

from reportkit.files import atomic_write_bytes

# Re-exported: callers and tests reach the column widths and paths through docx.
from reportkit.publishing.docx_content import (
    _column_widths,  # noqa: F401
    _text,
    _Writer,
    _xml_safe,
)
from reportkit.publishing.docx_styles import (  # noqa: F401
    _CELL_MARGIN_MM,
    _FIXED_ZIP_TIME,
    LAYOUTS,
    _el,
    _field_begin,
    _field_end,
    _font_table,
    _footers,
    _page,
    _styles,
    docx_path,
)
from reportkit.report.context import docx_file_name, edition_name
from reportkit.vocab import LANGS


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


def docx_from_print_html(html: str, lang: str, root: Path | None = None, png_cache: Path | None = None) -> bytes:
    """The Word document (bytes) of an edition's print HTML (see :func:`pdf.print_html`).

    ``root``: the folder relative image sources are read from (the edition's HTML folder);
    ``png_cache``: a folder that keeps the charts' pictures between builds.
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
    writer = _Writer(doc, lang, layout, root, png_cache)
    body = soup.select_one("main.rk-body") or soup.body or soup
    writer.blocks(body)
    _footers(doc, section, lang, layout, _text(notice_el) if notice_el is not None else "")
    _properties(doc, soup, lang)
    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue())


def build_docx(pages: Sequence[Path] | Path, out_docx: Path, *, lang: str, cover: dict[str, Any],
               notebooks: Path | Sequence[Path] | None = None, png_cache: Path | None = None) -> Path:
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
    data = docx_from_print_html(html, lang, pdf.page_root(page_list), png_cache)
    out_docx = Path(out_docx)
    out_docx.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out_docx, data)
    return out_docx


def _edition_job(job: tuple[str, str, str, dict[str, Any], str | None]) -> tuple[str, float]:
    """Write one edition's Word file (runs in a worker process); returns (path, seconds).

    The print HTML the PDF step left (``pdf.print_html_path``) is read, not assembled again: the
    two formats are one report. Without it (the PDF came from the cache) it is assembled here.
    """
    from reportkit.publishing import pdf

    staging, lang, name, cover, png_cache = job
    start = time.perf_counter()
    root = Path(staging)
    printed = pdf.print_html_path(root, lang)
    cache = Path(png_cache) if png_cache else None
    if printed.is_file():
        target = root / "docx" / name
        atomic_write_bytes(target, docx_from_print_html(printed.read_text(encoding="utf-8"), lang,
                                                        root / "html" / lang, cache))
    else:
        notebooks = root / "book" / lang
        target = build_docx(root / "html" / lang, root / "docx" / name, lang=lang, cover=cover,
                            notebooks=notebooks if notebooks.is_dir() else None, png_cache=cache)
    return str(target), time.perf_counter() - start


def write_editions(staging: Path, ctx: Any, opts: Any, covers: dict[str, dict[str, Any]],
                   png_cache: Path | None = None) -> dict[str, float]:
    """One Word file per edition in ``covers`` (the pipeline's ``docx`` step calls it).

    Reads the print HTML the PDF step left (else ``staging/html/<lang>/`` and ``staging/book/<lang>/``), writes
    ``staging/docx/<plan-id>-<stage>-<lang>.docx`` and a copy in ``staging/html/downloads/``.
    Editions are written in parallel processes (``opts.jobs``). Returns seconds per language.
    """
    from reportkit.publishing import pdf

    langs = [lang for lang in LANGS if lang in covers]
    jobs = [(str(staging), lang, docx_file_name(ctx.plan.id, edition_name(ctx.stage, ctx.as_of), lang), covers[lang],
             str(png_cache) if png_cache else None) for lang in langs]
    return pdf.run_editions(_edition_job, jobs, langs, staging, opts)
