"""The Word editions, read back with python-docx.

The fast tests write the Word files of the PDF tests' tiny purpose-built Jupyter Book
(tests/fixtures/pdf/make_book.py: two pages, a 60-row table, a chart, code and notebook noise
that print drops) and check what a reader and an editor rely on: Word heading styles in the
PDF's order and numbering, a real table whose header row repeats, the chart as a picture with
its label, the illustrative notice on the cover and in every footer, a PAGE field, the zh
edition's GB/T 9704 page and type, and the same bytes for the same input. The end-to-end test
reads the default report's Word files from the shared build.
"""

from __future__ import annotations

import importlib.util
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm, Pt

from reportkit.publishing import docx as word
from reportkit.publishing import pdf

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "pdf" / "make_book.py"
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
COVER = {"title": "测试市住房发展规划", "stage": "midterm", "as_of": "2023-06",
         "date": "2023-07-15", "illustrative": True}
NOTICE = {"zh": "示例数据，非官方统计", "en": "Illustrative data, not official statistics"}
HEADINGS = {
    "zh": [("Heading 1", "一、评估摘要"), ("Heading 2", "（一）主要发现"), ("Heading 1", "二、主要指标"),
           ("Heading 2", "（一）指标完成情况表"), ("Heading 2", "（二）完成率与序时进度"),
           ("Heading 2", "（三）主要指标完成情况（宽表）")],
    "en": [("Heading 1", "1 Summary"), ("Heading 2", "1.1 Key findings"), ("Heading 1", "2 Main indicators"),
           ("Heading 2", "2.1 Indicator completion table"),
           ("Heading 2", "2.2 Completion against time progress"), ("Heading 2", "2.3 Main indicators (wide table)")],
}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

_spec = importlib.util.spec_from_file_location("pdf_fixture_book", FIXTURE)
book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book)


@pytest.fixture(scope="session")
def word_editions(tmp_path_factory) -> dict[str, dict]:
    """Both editions of the fixture book, built with jupyter-book, and their Word files (the
    chart from the notebook's own SVG, as the build does)."""
    out: dict[str, dict] = {}
    root = tmp_path_factory.mktemp("docxbook")
    for lang in ("zh", "en"):
        src = book.write_book(root / f"src-{lang}", lang)
        subprocess.run([str(JUPYTER_BOOK), "build", str(src), "--path-output", str(root / f"out-{lang}")],
                       check=True, capture_output=True)
        edition = root / f"out-{lang}" / "_build" / "html"
        target = word.build_docx(edition, root / f"testplan-midterm-{lang}.docx", lang=lang, cover=COVER,
                                 notebooks=src)
        out[lang] = {"edition": edition, "src": src, "docx": target, "doc": Document(str(target))}
    return out


def _body_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headings_in_order_with_word_heading_styles(word_editions, lang):
    doc = word_editions[lang]["doc"]
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == HEADINGS[lang]
    # built-in heading styles carry the outline level the navigation pane lists
    assert doc.styles["Heading 1"].style_id == "Heading1"
    # each chapter starts a page, as in the PDF
    assert doc.styles["Heading 1"].paragraph_format.page_break_before is True


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_table_is_a_real_word_table_with_a_repeating_header(word_editions, lang):
    doc = word_editions[lang]["doc"]
    x = book.TEXT[lang]
    tables = [t for t in doc.tables if [c.text for c in t.rows[0].cells] == x["cols"]]
    assert len(tables) == 1
    table = tables[0]
    assert len(table.rows) == 1 + book.ROWS and len(table.columns) == 4
    assert [c.text for c in table.rows[1].cells] == ["1", x["district"].format(1), "7%", x["status"][1]]
    assert [c.text for c in table.rows[-1].cells][1] == x["district"].format(book.ROWS)
    header = table.rows[0]._tr.trPr.find(f"{W}tblHeader")
    assert header is not None and header.get(f"{W}val") == "true"
    assert table.rows[1]._tr.trPr.find(f"{W}tblHeader") is None
    assert all(r.bold for r in table.rows[0].cells[0].paragraphs[0].runs)
    # the columns fill the text width and the wide one (district names) is the widest
    widths = [gc.w for gc in table._tbl.tblGrid.gridCol_lst]
    section = doc.sections[0]
    assert abs(sum(widths) - (section.page_width - section.left_margin - section.right_margin)) < Mm(1)
    assert widths.index(max(widths)) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_chart_is_a_picture_from_the_notebook_svg(word_editions, lang):
    doc = word_editions[lang]["doc"]
    assert len(doc.inline_shapes) == 1
    shape = doc.inline_shapes[0]
    # the notebook's SVG is 420 × 120 px; the one vl-convert renders from the spec is taller
    assert shape.width / shape.height == pytest.approx(420 / 120, rel=0.01)
    assert shape.width <= Mm(210 - 28 - 26)
    blob = doc.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    doc_pr = shape._inline.docPr
    assert doc_pr.get("descr") == book.TEXT[lang]["chart_title"]
    # its caption follows, in the Caption style
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert any(book.TEXT[lang]["chart_desc"] in c for c in captions)


def test_without_the_notebooks_the_chart_is_rendered_from_its_spec(word_editions, tmp_path):
    out = word.build_docx(word_editions["en"]["edition"], tmp_path / "spec.docx", lang="en", cover=COVER)
    shape = Document(str(out)).inline_shapes[0]
    assert shape.width / shape.height != pytest.approx(420 / 120, rel=0.05)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cover_notice_footer_page_field_and_contents(word_editions, lang):
    doc = word_editions[lang]["doc"]
    first = [p.text for p in doc.paragraphs[:8]]
    assert ("中期评估报告" if lang == "zh" else "Mid-term Evaluation Report") in first
    assert COVER["title"] in first
    assert ("数据截至2023年6月" if lang == "zh" else "Data as of June 2023") in first
    assert NOTICE[lang] in first
    section = doc.sections[0]
    assert section.different_first_page_header_footer  # no page number on the cover
    footers = [section.footer] + ([section.even_page_footer] if lang == "zh" else [])
    for footer in footers:
        xml = footer._element.xml
        assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", xml)
        assert NOTICE[lang] in [p.text for p in footer.paragraphs]
    body = doc.element.body.xml
    assert 'TOC \\o "1-2"' in body
    toc = [p.text for p in doc.paragraphs if p.style.name.startswith("toc")]
    assert toc == [text for _style, text in HEADINGS[lang]]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_only_the_other_language_is_absent_and_no_notebook_noise(word_editions, lang):
    text = _body_text(word_editions[lang]["doc"])
    for artefact in ("STREAM-NOISE-MARKER", "0x7f", "object at", "tables.show", "DATA-TABLE-MARKER",
                     "vegaEmbed", "¶", "NOTEBOOK-SVG"):
        assert artefact not in text
    other = "评估摘要" if lang == "en" else "Summary"
    assert other not in text
    assert book.TEXT[lang]["intro_p2"] in text


def test_zh_edition_follows_gbt_9704(word_editions):
    doc = word_editions["zh"]["doc"]
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.05) and abs(section.page_height - Mm(297)) < Mm(0.05)
    for got, mm in ((section.top_margin, 37), (section.bottom_margin, 35), (section.left_margin, 28),
                    (section.right_margin, 26)):
        assert abs(got - Mm(mm)) < Mm(0.05)
    for name in ("Normal", "Body Text"):
        style = doc.styles[name]
        assert style.font.size == Pt(16)  # 三号
        fonts = style.element.rPr.rFonts
        assert fonts.get(f"{W}eastAsia") == "FangSong"
    body = doc.styles["Body Text"].paragraph_format
    assert body.line_spacing == Pt(28.95)   # 22 lines a page
    ind = doc.styles["Body Text"].element.pPr.find(f"{W}ind")
    assert ind.get(f"{W}firstLineChars") == "200"   # two characters
    heading_fonts = [doc.styles[f"Heading {n}"].element.rPr.rFonts.get(f"{W}eastAsia") for n in (1, 2, 3)]
    assert heading_fonts == ["SimHei", "KaiTi", "FangSong"]
    assert all(doc.styles[f"Heading {n}"].font.size == Pt(16) for n in (1, 2, 3))
    # the fallbacks are named in the font table: Word/WPS substitute by altName and charset
    with zipfile.ZipFile(word_editions["zh"]["docx"]) as z:
        fonts = z.read("word/fontTable.xml").decode("utf-8")
    assert re.search(r'<w:font w:name="FangSong"><w:altName w:val="仿宋_GB2312"/>', fonts)
    assert '<w:font w:name="SimHei"><w:altName w:val="黑体"/>' in fonts
    # page numbers on the outer side: odd pages right, even pages left
    assert doc.settings.odd_and_even_pages_header_footer
    assert section.footer.paragraphs[0].alignment == 2 and section.even_page_footer.paragraphs[0].alignment == 0
    assert section.footer.paragraphs[0].text.startswith("— ")
    # the paragraph language is Chinese (line breaking, proofing)
    assert 'w:eastAsia="zh-CN"' in doc.styles.element.xml


def test_en_edition_is_plain_a4(word_editions):
    doc = word_editions["en"]["doc"]
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.05) and abs(section.page_height - Mm(297)) < Mm(0.05)
    assert doc.styles["Normal"].font.size == Pt(11)
    assert section.footer.paragraphs[0].text == "Page 1"   # the PAGE field's cached value


def test_same_input_same_bytes(word_editions, tmp_path):
    again = word.build_docx(word_editions["zh"]["edition"], tmp_path / "again.docx", lang="zh", cover=COVER,
                            notebooks=word_editions["zh"]["src"])
    assert again.read_bytes() == word_editions["zh"]["docx"].read_bytes()
    with zipfile.ZipFile(io.BytesIO(again.read_bytes())) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode("utf-8")
    # the document dates are the report date, not the clock
    assert "2023-07-15T00:00:00Z" in core


def test_column_widths_keep_numbers_whole_and_fill_the_width():
    from bs4 import BeautifulSoup

    html = ('<table><thead><tr><th>Indicator</th><th class="rk-num">Actual</th></tr></thead><tbody>'
            '<tr><td>Renovation of old urban residential compounds</td><td class="rk-num">133,021</td></tr>'
            '</tbody></table>')
    soup = BeautifulSoup(html, "html.parser")
    grid = [[(cell, True) for cell in tr.find_all(["th", "td"])] for tr in soup.find_all("tr")]
    widths = word._column_widths(grid, 2, {0}, 100.0, 9)
    assert sum(widths) == pytest.approx(100.0)
    half_em = 9 * 0.3528 / 2 * 1.05
    # both fit on one line (45 + 7 half-ems): the spare width is shared by what each asks
    assert len("Renovation of old urban residential compounds") == 45
    want = [45 * half_em + 2 * word._CELL_MARGIN_MM + 0.5, 7 * half_em + 2 * word._CELL_MARGIN_MM + 0.5]
    assert widths[0] / widths[1] == pytest.approx(want[0] / want[1])
    # too narrow for both: the number keeps its width (7 half-ems), the text takes the rest
    narrow = word._column_widths(grid, 2, {0}, 30.0, 9)
    assert sum(narrow) == pytest.approx(30.0)
    assert narrow[1] == pytest.approx(want[1])


def test_docx_names():
    from reportkit.report.context import docx_file_name

    assert docx_file_name("dazhou-14fyp", "midterm", "zh") == "dazhou-14fyp-midterm-zh.docx"
    assert word.docx_path(Path("/s"), "p", "final", "en") == Path("/s/docx/p-final-en.docx")


@pytest.mark.e2e
def test_default_report_word_files_end_to_end():
    """The shared default build wrote both Word files, linked them from the downloads and the
    landing page, and each holds every indicator's name in a table, one picture per chart."""
    from conftest import shared_build
    from reportkit.report import context

    out = shared_build()
    ctx = context.load_context(stage="midterm", commentary_dir=str(context._default_commentary()))
    landing = (out / "html" / "index.html").read_text(encoding="utf-8")
    for lang in ("zh", "en"):
        name = context.docx_file_name(ctx.plan.id, "midterm", lang)
        target = out / "docx" / name
        assert (out / "html" / "downloads" / name).read_bytes() == target.read_bytes()
        assert f'href="downloads/{name}"' in landing
        data_page = (out / "html" / lang / "data.html").read_text(encoding="utf-8")
        assert f'href="../downloads/{name}"' in data_page
        doc = Document(str(target))
        cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
        for ind in ctx.plan.indicators:
            assert ind.label(lang) in cells, (lang, ind.id)
        # each chart once, as in the PDF (the summary's main chart is not printed again)
        charts = {fid for p in pdf.edition_pages(out / "html" / lang)
                  for fid in re.findall(r'<figure class="rk-figure" id="([^"]+)"', p.read_text(encoding="utf-8"))}
        assert charts and len(doc.inline_shapes) == len(charts)
        # one Heading 1 per chapter; the programmes are Heading 2 sections of their chapter, in order
        from reportkit.publishing.pdf_pages import _soup, page_depth
        depths = [page_depth(_soup(p)) for p in pdf.edition_pages(out / "html" / lang)]
        headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
        assert len(headings) == depths.count(1) and depths.count(2) == len(ctx.annexes)
        level2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
        names = [ctx.annex_indicator(a).label(lang) for a in ctx.annexes]
        numbered = [h for h in level2 if any(h.endswith(n) for n in names)]
        first = {"zh": ["（一）", "（二）", "（三）", "（四）"], "en": ["3.1 ", "3.2 ", "3.3 ", "3.4 "]}[lang]
        assert numbered == [f + n for f, n in zip(first, names, strict=True)]
        assert NOTICE[lang] in [p.text for p in doc.sections[0].footer.paragraphs]


def test_text_xml_cannot_hold_is_replaced_not_fatal():
    """Input text reaches the Word file as text: markup stays literal, control characters (which
    XML 1.0 cannot hold and python-docx refuses) become U+FFFD instead of failing the build."""
    html = ('<html><head><title>t</title></head><body><main class="rk-body"><section>'
            '<h1>A\x01B</h1><p>&lt;script&gt;x&lt;/script&gt; bell\x07 <b>ok</b></p>'
            '<table><tr><th>h\x02</th></tr><tr><td>=1+1</td></tr></table></section></main></body></html>')
    doc = Document(io.BytesIO(word.docx_from_print_html(html, "en")))
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == ["A\ufffdB"]
    assert "<script>x</script> bell\ufffd ok" in [p.text for p in doc.paragraphs]
    assert [c.text for row in doc.tables[0].rows for c in row.cells] == ["h\ufffd", "=1+1"]
