"""The PDF stage on a tiny purpose-built Jupyter Book (tests/fixtures/pdf/make_book.py).

Each edition is built with the real ``jupyter-book`` (html builder, as the site does), then
``reportkit.publishing.pdf.build_pdf`` typesets it; poppler's tools read the PDF back. Page images of the
cover, a table page and a chart page are kept under ``_build/artifacts/pdf/``.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from reportkit.config import BUILD_DIR
from reportkit.errors import ReportkitError
from reportkit.publishing import pdf

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "pdf" / "make_book.py"
ARTIFACTS = BUILD_DIR / "artifacts" / "pdf"
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
COVER = {"title": "测试市住房发展规划", "stage": "midterm", "as_of": "2023-06",
         "date": "2023-07-15", "illustrative": True}
NOTICE = {"zh": "示例数据，非官方统计", "en": "Illustrative data, not official statistics"}

_spec = importlib.util.spec_from_file_location("pdf_fixture_book", FIXTURE)
book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book)


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def _page_texts(path: Path) -> list[str]:
    """Text of each page (pdftotext separates pages with a form feed)."""
    return _run("pdftotext", "-layout", str(path), "-").split("\f")[:-1]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


PRINT_CSS = Path(pdf.TEMPLATE_DIR) / "print.css"
MM = 72 / 25.4


def text_area_margins() -> tuple[float, float, float, float]:
    """The page margins (top, right, bottom, left, in points) that print.css sets for A4."""
    css = PRINT_CSS.read_text(encoding="utf-8")
    m = re.search(r"@page\s*\{[^}]*?margin:\s*([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm", css)
    assert m, "no page margins in print.css"
    top, right, bottom, left = (float(v) * MM for v in m.groups())
    return top, right, bottom, left


def words_outside_text_area(path: Path) -> list[str]:
    """Every word of the PDF (pdftotext's word boxes, chart text included) that is not inside
    the page's text area horizontally, or not on the page at all; the running header and the
    footer sit in the top and bottom margins but must keep within the text area's width too."""
    top, right, bottom, left = text_area_margins()
    xml = _run("pdftotext", "-bbox", str(path), "-")
    bad: list[str] = []
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', xml, re.S)
    assert pages
    for n, (width, height, body) in enumerate(pages, start=1):
        w, h = float(width), float(height)
        for x0, y0, x1, y1, word in re.findall(
                r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>', body):
            x0, y0, x1, y1 = float(x0), float(y0), float(x1), float(y1)
            if n == 1:  # the cover has its own margins, inside the others
                continue
            if x0 < left - 1 or x1 > w - right + 1 or y0 < 0 or y1 > h:
                bad.append(f"p.{n} x {x0:.0f}–{x1:.0f} (text area {left:.0f}–{w - right:.0f}): {word}")
    return bad


@pytest.fixture(scope="session")
def editions(tmp_path_factory) -> dict[str, dict]:
    """Both editions of the fixture book, built and typeset once; with timings."""
    out: dict[str, dict] = {}
    root = tmp_path_factory.mktemp("pdfbook")
    for lang in ("zh", "en"):
        src = book.write_book(root / f"src-{lang}", lang)
        _run(str(JUPYTER_BOOK), "build", str(src), "--path-output", str(root / f"out-{lang}"))
        edition = root / f"out-{lang}" / "_build" / "html"
        target = root / pdf.pdf_name("testplan", "midterm", lang)
        start = time.perf_counter()
        pdf.build_pdf(edition, target, lang=lang, cover=COVER)
        seconds = time.perf_counter() - start
        out[lang] = {"edition": edition, "src": src, "pdf": target, "seconds": seconds,
                     "pages": _page_texts(target)}
        print(f"PDF {lang}: {seconds:.2f} s", file=sys.stderr)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_word_outside_the_text_area(editions, lang):
    """The fixture's twelve-column table (long names, badges, a hash) stays inside the text
    area: it is what ran off the page before columns were fitted."""
    assert words_outside_text_area(editions[lang]["pdf"]) == []
    text = _squash(" ".join(editions[lang]["pages"]))
    assert "SHA-256" in text and book.TEXT[lang]["wide_attr"] in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wide_table_headers_whole_and_rows_not_alone(editions, lang):
    """Column headings are not split inside a word, and no page starts with a table's last
    row alone (or ends with its first)."""
    html = pdf.print_html(pdf.edition_pages(editions[lang]["edition"]), lang=lang, cover=COVER)
    assert "rk-fixed" in html and "<colgroup>" in html
    text = _run("pdftotext", "-raw", str(editions[lang]["pdf"]), "-")
    for heading in book.TEXT[lang]["wide_cols"]:
        for word in heading.split():
            if lang == "zh":
                assert word in re.sub(r"\s+", "", text), word  # 基期值, not 基期 / 值
            else:
                assert re.search(rf"\b{re.escape(word)}\b", text), word
    # the 60-row table crosses pages: no page holds a single row of it
    row = re.compile(book.TEXT[lang]["district"].replace("{:02d}", r"\d\d"))
    counts = [len(row.findall(page)) for page in editions[lang]["pages"]]
    assert all(n == 0 or n >= 2 for n in counts), counts


def test_each_chart_printed_once(editions, tmp_path):
    """A figure the site shows on two pages is printed on the first only."""
    edition = tmp_path / "en"
    shutil.copytree(editions["en"]["edition"], edition)
    pages = pdf.edition_pages(edition)
    again = pages[1].with_name("again.html")
    shutil.copy(pages[1], again)
    assert pdf.print_html(pages, lang="en", cover=COVER).count('class="rk-figure"') == 1
    assert pdf.print_html(pages + [again], lang="en", cover=COVER).count('class="rk-figure"') == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_running_header_page_count_tags_and_one_family(editions, lang):
    pages = editions[lang]["pages"]
    kind = "中期评估报告" if lang == "zh" else "Mid-term Evaluation Report"
    for n, page in enumerate(pages[1:], start=2):
        first = [line for line in page.splitlines() if line.strip()][0]
        # the running head's hyphens do not break ("End-of-/term" wrapped on every page): U+2011
        assert "-" not in first, first
        first = first.replace("\u2011", "-")
        assert COVER["title"] in first and kind in first, first
        assert re.search(rf"{n}\D+{len(pages)}", [ln for ln in page.splitlines() if ln.strip()][-1])
    info = _run("pdfinfo", str(editions[lang]["pdf"]))
    assert re.search(r"Tagged:\s+yes", info)
    fonts = [r.split()[0].split("+", 1)[-1] for r in _run("pdffonts", str(editions[lang]["pdf"])).splitlines()[2:]]
    families = {re.sub(r"-(Bold|Italic|Regular)$", "", f) for f in fonts}
    latin = {f for f in families if "CJK" not in f}
    assert latin <= ({"Liberation-Sans"} if lang == "en" else set()), families


def test_edition_pages_follow_the_book_order(editions):
    pages = pdf.edition_pages(editions["zh"]["edition"])
    assert [p.name for p in pages] == ["intro.html", "indicators.html"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a4_and_sane_page_count(editions, lang):
    info = _run("pdfinfo", str(editions[lang]["pdf"]))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    # cover + contents + summary + a 60-row table (more than one page at 8.5 pt) + the chart
    assert 5 <= n <= 9
    assert n == len(editions[lang]["pages"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_font_embedded_and_cjk_present(editions, lang):
    rows = _run("pdffonts", str(editions[lang]["pdf"])).splitlines()[2:]
    assert rows
    for row in rows:
        assert re.search(r"\byes\s+yes\s+yes\b", row), row  # emb sub uni
    assert any("CJK" in row for row in rows)


def test_zh_text_headings_and_table(editions):
    pages = editions["zh"]["pages"]
    text = _squash(" ".join(pages))
    # numbered the way an official report is: 一、（一）1.
    for heading in ("一、评估摘要", "（一）主要发现", "二、主要指标", "（一）指标完成情况表",
                    "（二）完成率与序时进度"):
        assert heading in text
    assert "1 评估摘要" not in text and "2.1 " not in text
    for cell in ("测试区01", "测试区60", "县（市、区）", "进度正常", "滞后"):
        assert cell in text
    for english in ("Summary", "Main indicators", "Test district", "Contents", "Page "):
        assert english not in text


def test_heading_numbers_of_an_official_report():
    from reportkit.publishing.pdf_pages import cn_number, heading_number

    assert [cn_number(n) for n in (1, 9, 10, 11, 19, 20, 21, 99)] == [
        "一", "九", "十", "十一", "十九", "二十", "二十一", "九十九"]
    assert heading_number("zh", [3, 0, 0], 1) == "三、" and heading_number("zh", [3, 2, 0], 2) == "（二）"
    assert heading_number("zh", [3, 2, 4], 3) == "4." and heading_number("zh", [1, 0, 0], 1, True) == "附件1"
    assert heading_number("en", [3, 2, 0], 2) == "3.2" and heading_number("en", [2, 1, 0], 2, True) == "A2.1"
    assert heading_number("en", [2, 0, 0], 1, True) == "Annex 2"


def test_en_text_headings_and_table(editions):
    text = _squash(" ".join(editions["en"]["pages"]))
    for heading in ("1 Summary", "1.1 Key findings", "2 Main indicators",
                    "2.1 Indicator completion table", "2.2 Completion against time progress"):
        assert heading in text
    for cell in ("Test district 01", "Test district 60", "On track", "Lagging"):
        assert cell in text
    for chinese in ("评估摘要", "测试区", "目录", "进度正常"):
        assert chinese not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_code_no_notebook_artefacts(editions, lang):
    text = " ".join(editions[lang]["pages"])
    for artefact in ("STREAM-NOISE-MARKER", "0x7f", "object at", "Show code cell", "tables.show",
                     "DATA-TABLE-MARKER", "vegaEmbed", "¶"):
        assert artefact not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cover_and_notice(editions, lang):
    pages = editions[lang]["pages"]
    cover = _squash(pages[0])
    assert COVER["title"] in cover
    assert ("中期评估报告" if lang == "zh" else "Mid-term Evaluation Report") in cover
    assert ("2023年6月" if lang == "zh" else "June 2023") in cover
    assert ("2023年7月15日" if lang == "zh" else "15 July 2023") in cover
    assert NOTICE[lang] in cover
    # every later page carries the notice once, in the footer; the site's banner is not printed
    for page in pages[1:]:
        assert _squash(page).count(NOTICE[lang]) == 1


def _page_of(pages: list[str], needle: str, start: int = 2) -> int:
    """1-based number of the first page from ``start`` whose text contains ``needle``."""
    for i, page in enumerate(pages[start:], start=start + 1):
        if needle in _squash(page):
            return i
    raise AssertionError(f"{needle!r} not found")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_toc_page_numbers_point_at_the_headings(editions, lang):
    pages = editions[lang]["pages"]
    toc = pages[1]
    assert ("目录" if lang == "zh" else "Contents") in toc
    headings = {"zh": ["评估摘要", "主要发现", "指标完成情况表", "完成率与序时进度"],
                "en": ["Summary", "Key findings", "Indicator completion table",
                       "Completion against time progress"]}[lang]
    for heading in headings:
        m = re.search(re.escape(heading) + r"\s*\.*\s*(\d+)\s*$", toc, re.M)
        assert m, f"no page number for {heading!r} in the contents"
        assert int(m.group(1)) == _page_of(pages, heading)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_footer_page_numbers(editions, lang):
    pages = editions[lang]["pages"]
    for n, page in enumerate(pages[1:], start=2):
        footer = rf"第\s*{n}\s*页" if lang == "zh" else rf"Page\s+{n}\b"
        last_line = [line for line in page.splitlines() if line.strip()][-1]
        assert re.search(footer, last_line), last_line


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_table_header_repeats_on_every_table_page(editions, lang):
    pages = editions[lang]["pages"]
    district = "测试区" if lang == "zh" else "Test district"
    header = "县（市、区）" if lang == "zh" else "District"
    table_pages = [p for p in pages if district in p]
    assert len(table_pages) >= 2  # 60 rows do not fit one A4 page
    for page in table_pages:
        assert header in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chart_is_vector_text_in_the_edition_language(editions, lang):
    pages = editions[lang]["pages"]
    bars = book.TEXT[lang]["bars"]
    n = _page_of(pages, book.TEXT[lang]["chart_title"])
    page = pages[n - 1]
    for label in bars:  # only in the chart's spec: found as text = drawn from the SVG as text
        assert label in page
    shot_dir = ARTIFACTS
    shot_dir.mkdir(parents=True, exist_ok=True)
    pdf_file = editions[lang]["pdf"]
    table_n = _page_of(pages, "测试区30" if lang == "zh" else "Test district 30")
    for name, number in (("cover", 1), ("table", table_n), ("chart", n)):
        prefix = shot_dir / f"fixture-{lang}-{name}"
        _run("pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(number), "-l", str(number),
             str(pdf_file), str(prefix))
        assert prefix.with_suffix(".png").stat().st_size > 5000


def test_internal_links_and_unique_ids(editions):
    html = pdf.print_html(pdf.edition_pages(editions["zh"]["edition"]), lang="zh", cover=COVER)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    # the summary's link to the indicators page lands on that chapter
    assert 'href="#page-indicators"' in html
    for href in re.findall(r'href="#([^"]+)"', html):
        assert href in ids


def test_same_input_same_bytes_and_pinned_dates(editions, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    again = pdf.build_pdf(editions["zh"]["edition"], tmp_path / "again.pdf", lang="zh", cover=COVER)
    assert again.read_bytes() == editions["zh"]["pdf"].read_bytes()
    info = _run("pdfinfo", "-isodates", str(again))
    assert re.search(r"CreationDate:\s+2023-07-15T00:00:00", info)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    pinned = pdf.build_pdf(editions["zh"]["edition"], tmp_path / "pinned.pdf", lang="zh", cover=COVER)
    assert re.search(r"CreationDate:\s+2023-11-14T22:13:20", _run("pdfinfo", "-isodates", str(pinned)))


def test_the_issuer_signs_the_pdf_and_the_data_cut_off_never_dates_it(editions, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    cover = {"title": "规划", "stage": "midterm", "as_of": "2023", "issuer": "青山市住房和城乡建设局",
             "number": "青住建〔2024〕12号"}
    out = pdf.build_pdf(editions["zh"]["edition"], tmp_path / "signed.pdf", lang="zh", cover=cover)
    info = _run("pdfinfo", "-isodates", str(out))
    assert re.search(r"Author:\s+青山市住房和城乡建设局", info)
    assert "CreationDate" not in info and "2023-12-31" not in info   # no report date: no date at all
    first = _squash(_page_texts(out)[0])
    assert "青山市住房和城乡建设局" in first and "青住建〔2024〕12号" in first


def test_final_stage_without_notice(editions, tmp_path):
    cover = {"title": "Plan", "stage": "final", "as_of": "2025-12", "illustrative": False}
    out = pdf.build_pdf(editions["en"]["edition"], tmp_path / "final.pdf", lang="en", cover=cover)
    text = _squash(" ".join(_page_texts(out)))
    assert "End-of-term Evaluation Report" in text
    assert "December 2025" in text
    assert NOTICE["en"] not in text
    assert "Illustrative" not in text


def test_names_and_dates():
    assert pdf.pdf_name("dazhou-14fyp", "midterm", "zh") == "dazhou-14fyp-midterm-zh.pdf"
    assert pdf.pdf_path("p", "final", "en") == BUILD_DIR / "final" / "pdf" / "p-final-en.pdf"
    assert pdf.format_date("2023-06", "zh") == "2023年6月"
    assert pdf.format_date("2023-06-30", "en") == "30 June 2023"
    assert pdf.format_date("2026-01-05", "zh") == "2026年1月5日"


@pytest.mark.parametrize("bad", ["2023-13", "June 2023", "2023-02-30", ""])
def test_bad_as_of_is_a_located_user_error(editions, tmp_path, bad):
    cover = dict(COVER, as_of=bad)
    with pytest.raises(ReportkitError) as err:
        pdf.build_pdf(editions["zh"]["edition"], tmp_path / "x.pdf", lang="zh", cover=cover)
    zh, en = err.value.render("zh"), err.value.render("en")
    assert "cover: as_of" in zh and "cover: as_of" in en
    assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[\u4e00-\u9fff]", en)
    assert not (tmp_path / "x.pdf").exists()


def test_missing_edition_is_a_user_error(tmp_path):
    with pytest.raises(ReportkitError) as err:
        pdf.build_pdf(tmp_path, tmp_path / "x.pdf", lang="zh", cover=COVER)
    assert str(tmp_path) in err.value.render("zh")
    assert "网站" in err.value.render("zh") and "site" in err.value.render("en")


def test_broken_chart_script_is_located(editions, tmp_path):
    edition = tmp_path / "edition"
    shutil.copytree(editions["zh"]["edition"], edition)
    page = edition / "indicators.html"
    page.write_text(page.read_text(encoding="utf-8").replace("vegaEmbed(el,{", "vegaEmbed(el,{oops"),
                    encoding="utf-8")
    with pytest.raises(ReportkitError) as err:
        pdf.build_pdf(edition, tmp_path / "x.pdf", lang="en", cover=COVER)
    assert "indicators.html" in err.value.render("en")
    assert "SVG" in err.value.render("en")


def test_chart_svg_from_the_executed_notebook(editions, tmp_path):
    # without notebooks the chart is rendered again from its spec; with them, their SVG is used
    assert "NOTEBOOK-SVG" not in " ".join(editions["zh"]["pages"])
    out = pdf.build_pdf(editions["zh"]["edition"], tmp_path / "nb.pdf", lang="zh", cover=COVER,
                        notebooks=editions["zh"]["src"])
    assert "NOTEBOOK-SVG 各区完成率" in _squash(" ".join(_page_texts(out)))


def test_typeset_editions_writes_named_pdfs_and_site_downloads(editions, tmp_path):
    staging = tmp_path / "staging"
    shutil.copytree(editions["en"]["edition"], staging / "html" / "en")
    ctx = SimpleNamespace(plan=SimpleNamespace(id="qingshan-15fyp", name={"en": "Qingshan Plan"}),
                          stage="final", as_of="2030", illustrative=False)
    opts = SimpleNamespace(langs=["en"], jobs=1)
    seconds = pdf.typeset_editions(staging, ctx, opts)
    target = staging / "pdf" / "qingshan-15fyp-final-en.pdf"
    assert set(seconds) == {"en"} and seconds["en"] > 0
    assert (staging / "html" / "downloads" / target.name).read_bytes() == target.read_bytes()
    cover = _squash(_page_texts(target)[0])
    assert "Qingshan Plan" in cover and "End-of-term Evaluation Report" in cover
    assert "Data as of the end of 2030" in cover
    # the build stages in a fresh temporary folder each time: same input, same bytes anyway
    elsewhere = tmp_path / "another" / "staging"
    shutil.copytree(staging / "html" / "en", elsewhere / "html" / "en")
    pdf.typeset_editions(elsewhere, ctx, opts)
    assert (elsewhere / "pdf" / target.name).read_bytes() == target.read_bytes()


def test_svg_ids_do_not_depend_on_what_was_rendered_before():
    import vl_convert as vlc

    spec = {"data": {"values": [{"x": "a", "v": 0.2}, {"x": "b", "v": 0.9}]}, "mark": "rect",
            "encoding": {"x": {"field": "x", "type": "nominal"},
                         "color": {"field": "v", "type": "quantitative"}}}  # gradient legend
    first = vlc.vegalite_to_svg(spec)
    vlc.vegalite_to_svg(spec)  # vega numbers gradients per process: the next render differs
    second = vlc.vegalite_to_svg(spec)
    assert first != second
    assert pdf._stable_svg_ids(first) == pdf._stable_svg_ids(second)
    assert pdf._stable_svg_ids('<g id="gradient_7"/><p fill="url(#gradient_7)"/><t>clip_3</t>') \
        == '<g id="rk-id1"/><p fill="url(#rk-id1)"/><t>clip_3</t>'


@pytest.mark.e2e
def test_default_report_pdfs_end_to_end(tmp_path, monkeypatch):
    """Build the default report (sample data) with the PDF step: both PDFs carry every
    indicator's name and every status of the results in their own language, fonts embedded."""
    from conftest import shared_build
    from reportkit.publishing import pipeline as build
    from reportkit.report import context
    from reportkit.report.tables import status_label

    # the PDF step is part of every build: use the end-to-end build the site tests share
    out = shared_build()
    ctx = context.load_context(stage="midterm", commentary_dir=str(context._default_commentary()))
    result = build.BuildResult(out, ctx, [], {})
    statuses = sorted({s for s in ctx.results["status"].dropna() if s})
    assert statuses
    text = {}
    for lang in ("zh", "en"):
        target = result.out / "pdf" / pdf.pdf_name(ctx.plan.id, "midterm", lang)
        assert (result.html / "downloads" / target.name).is_file()
        # table cells wrap names over lines: compare without whitespace
        text[lang] = re.sub(r"\s+", "", _run("pdftotext", "-raw", str(target), "-"))
        rows = _run("pdffonts", str(target)).splitlines()[2:]
        assert rows and all(re.search(r"\byes\s+yes\s+yes\b", r) for r in rows)
        assert any("CJK" in r for r in rows)
        for ind in ctx.plan.indicators:
            assert re.sub(r"\s+", "", ind.label(lang)) in text[lang], (lang, ind.id)
        for code in statuses:
            assert re.sub(r"\s+", "", status_label(code, lang)) in text[lang], (lang, code)
        # nothing lost at the page edge; the downloads are live links next to the PDF
        assert words_outside_text_area(target) == [], lang
        # the main indicators' column headings whole and on one line (基期值, not 基期 / 值);
        # English headings may wrap between words, never inside one
        from reportkit.i18n import t
        headings = [t(f"report.col.{k}", lang) for k in
                    ("baseline", "target", "expected", "actual", "completion", "planned_progress", "schedule_ratio",
                     "status")]
        raw = _run("pdftotext", "-raw", str(target), "-")
        if lang == "zh":   # each heading whole (the row itself may be printed on two lines)
            assert all(h in raw for h in headings), [h for h in headings if h not in raw]
        else:
            words = set(re.findall(r"[A-Za-z]+", raw))
            assert all(w in words for h in headings for w in re.findall(r"[A-Za-z]+", h)), headings
        urls = _run("pdfinfo", "-url", str(target))
        assert re.search(r"Annotation\s+\S+-results\.csv", urls), urls
        notice = re.sub(r"\s+", "", NOTICE[lang])
        assert (notice in text[lang]) == bool(ctx.illustrative)
    for ind in ctx.plan.indicators:  # no English name in the Chinese edition
        assert re.sub(r"\s+", "", ind.label("en")) not in text["zh"], ind.id
    # page images: the cover, and the first pages of chapters 2 (main indicators: table and
    # chart) and 3 (first programme: chart, district table), found through the contents
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in ("zh", "en"):
        target = result.out / "pdf" / pdf.pdf_name(ctx.plan.id, "midterm", lang)
        toc = _page_texts(target)[1]
        shots = {"cover": 1}
        # chapter 3 is the programmes of the annex tables, each programme a section of it: the
        # first programme is （一） / 3.1 after 三、 / 3 in the contents; the key tasks follow as 四、 / 4
        from reportkit.i18n import t
        numbers = {"zh": {"indicators": "二、", "programmes": "三、", "programme": "（一）", "tasks": "四、"},
                   "en": {"indicators": "2 ", "programmes": "3 ", "programme": "3.1 ", "tasks": "4 "}}[lang]
        titles = {"programmes": t("report.programmes.title", lang), "programme": ctx.annex_indicator(1).label(lang),
                  "tasks": t("report.pages.tasks", lang)}
        at = 0
        for name in ("indicators", "programmes", "programme", "tasks"):
            m = re.compile(rf"^\s*{re.escape(numbers[name])}\s*(\S.*?)[\s.]*(\d+)\s*$", re.M).search(toc, at)
            assert m, f"{name} not in the contents"
            if name in titles:
                assert m.group(1).startswith(titles[name][:12]), (name, m.group(1))
            at = m.end()
            shots[name] = int(m.group(2))
        del shots["tasks"]
        for name, number in shots.items():
            prefix = ARTIFACTS / f"default-{lang}-{name}"
            _run("pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(number), "-l",
                 str(number), str(target), str(prefix))
