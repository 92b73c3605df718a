"""The report's outline: one programmes chapter whose sections are the annex programmes, and the
same chapter numbers in the site (page titles and navigation), the PDF and the Word file.

The numbering rule is ``pdf_pages.heading_number`` counted by ``pdf_pages.OutlineCounter``;
``book.page_numbers`` applies it to an edition's table of contents for the site, print applies
it to the built pages by their depth in the site's navigation. The end-to-end test builds a small
book with the real ``jupyter-book`` and the project's ``rk_numbers`` extension, then reads the
site's HTML, the PDF (pdftotext) and the Word file (python-docx) back.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from docx import Document

from reportkit.config import BOOK_DIR
from reportkit.publishing import book, pdf
from reportkit.publishing import docx as word
from reportkit.publishing.notebooks import numbered_title
from reportkit.publishing.pdf_pages import OutlineCounter, heading_number, page_depth

JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
COVER = {"title": "测试市住房发展规划", "stage": "midterm", "as_of": "2023-06", "date": "2023-07-15"}


# ── the rule ───────────────────────────────────────────────────────────────────────────────


def test_fourth_level_numbers():
    # 一、（一）1.（1） in Chinese; 3.1.2.4 in English
    assert heading_number("zh", [3, 1, 2, 4], 4) == "（4）"
    assert heading_number("en", [3, 1, 2, 4], 4) == "3.1.2.4"
    assert heading_number("en", [1, 2, 3, 0], 3, True) == "A1.2.3"
    # three counters are enough for three levels (callers of the first version)
    assert heading_number("zh", [3, 2, 0], 2) == "（二）"


def test_counter_numbers_section_pages_inside_their_chapter():
    c = OutlineCounter("zh")
    got = [c.page(1), c.heading(2), c.page(1), c.page(2), c.heading(3), c.heading(4), c.heading(3),
           c.page(2), c.heading(3), c.page(1), c.heading(2), c.page(1, True), c.heading(2), c.page(1, True)]
    assert got == ["一、", "（一）", "二、", "（一）", "1.", "（1）", "2.",
                   "（二）", "1.", "三、", "（一）", "附件1", "（一）", "附件2"]
    c = OutlineCounter("en")
    got = [c.page(1), c.page(1), c.page(2), c.heading(3), c.page(2), c.heading(3), c.heading(3), c.page(1),
           c.page(1, True), c.heading(2)]
    assert got == ["1", "2", "2.1", "2.1.1", "2.2", "2.2.1", "2.2.2", "3", "Annex 1", "A1.1"]


@pytest.mark.parametrize("lang, expected", [
    ("zh", {"index": "一、", "indicators": "二、", "programmes": "三、", "programme-1": "（一）",
            "programme-2": "（二）", "programme-5": "（三）", "tasks": "四、", "districts": "五、",
            "problems": "六、", "recommendations": "七、", "methodology": "附件1", "data": "附件2"}),
    ("en", {"index": "1", "indicators": "2", "programmes": "3", "programme-1": "3.1", "programme-2": "3.2",
            "programme-5": "3.3", "tasks": "4", "districts": "5", "problems": "6", "recommendations": "7",
            "methodology": "Annex 1", "data": "Annex 2"}),
])
def test_page_numbers_of_the_report(lang, expected):
    assert book.page_numbers(book.edition_toc([1, 2, 5]), lang) == expected


def test_page_numbers_without_annex_tables_and_of_the_annual_report():
    assert book.page_numbers(book.edition_toc([], tasks=False), "zh") == {
        "index": "一、", "indicators": "二、", "districts": "三、", "problems": "四、", "recommendations": "五、",
        "methodology": "附件1", "data": "附件2"}
    assert book.page_numbers(book.annual_toc(), "en") == {
        "index": "1", "annual-programmes": "2", "annual-districts": "3", "annual-indicators": "4",
        "methodology": "Annex 1", "data": "Annex 2"}


def test_numbered_title_markdown():
    assert numbered_title("专项任务", "三、") == "{rk-num}`三、`专项任务"
    assert numbered_title("Urban renewal", "3.1") == "{rk-num}`3.1` Urban renewal"
    assert numbered_title("Methodology", "Annex 1") == "{rk-num}`Annex 1` Methodology"
    assert numbered_title("Untitled", "") == "Untitled"


# ── end to end: site, PDF, Word ────────────────────────────────────────────────────────────

TEXT = {
    "zh": {"index": ("评估摘要", ["主要发现"]), "indicators": ("主要指标", ["指标完成情况"]),
           "programmes": ("专项任务（附表）推进情况", []),
           "programme-1": ("城镇棚户区改造", ["计划与实际累计", "分县完成情况"]),
           "programme-2": ("公租房保障", ["倒逼进度"]),
           "tasks": ("重点任务推进情况", ["分节推进情况"]), "methodology": ("评估方法", ["评估口径"])},
    "en": {"index": ("Summary", ["Key findings"]), "indicators": ("Main indicators", ["Completion"]),
           "programmes": ("Programmes of the annex tables", []),
           "programme-1": ("Urban shantytown redevelopment", ["Planned and actual", "Districts"]),
           "programme-2": ("Public rental housing", ["Required pace"]),
           "tasks": ("Progress of key tasks", ["Progress by section"]), "methodology": ("Methodology", ["Scope"])},
}
TOC = {"format": "jb-book", "root": "index", "chapters": [
    {"file": "indicators"},
    {"file": "programmes", "sections": [{"file": "programme-1"}, {"file": "programme-2"}]},
    {"file": "tasks"}, {"file": "methodology"}]}


def _write_book(dest: Path, lang: str) -> Path:
    """A small book staged as ``reportkit build`` stages one: titles led by their numbers."""
    dest.mkdir(parents=True)
    shutil.copytree(BOOK_DIR / "_ext", dest / "_ext")
    config = {"title": "test", "author": "test", "only_build_toc_files": True,
              "execute": {"execute_notebooks": "off"},
              "sphinx": {"local_extensions": {"rk_numbers": "_ext"},
                         "config": {"language": "zh_CN" if lang == "zh" else "en"}}}
    (dest / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (dest / "_toc.yml").write_text(yaml.safe_dump(TOC, allow_unicode=True), encoding="utf-8")
    numbers = book.page_numbers(TOC, lang)
    for name, (title, sections) in TEXT[lang].items():
        body = [f"# {numbered_title(title, numbers[name])}", "", f"{title}: text.", ""]
        for section in sections:
            body += [f"## {section}", "", f"{section}: text.", ""]
        (dest / f"{name}.md").write_text("\n".join(body), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("outline")
    out: dict[str, dict] = {}
    for lang in ("zh", "en"):
        src = _write_book(root / f"src-{lang}", lang)
        subprocess.run([str(JUPYTER_BOOK), "build", str(src), "--path-output", str(root / f"out-{lang}"), "-W"],
                       check=True, capture_output=True)
        html = root / f"out-{lang}" / "_build" / "html"
        target = pdf.build_pdf(html, root / f"outline-{lang}.pdf", lang=lang, cover=COVER)
        doc = word.build_docx(html, root / f"outline-{lang}.docx", lang=lang, cover=COVER)
        text = subprocess.run(["pdftotext", "-raw", str(target), "-"], check=True, capture_output=True,
                              text=True).stdout
        layout = subprocess.run(["pdftotext", "-layout", str(target), "-"], check=True, capture_output=True,
                                text=True).stdout
        out[lang] = {"html": html, "pdf_text": text, "pdf_layout": layout, "doc": Document(str(doc))}
    return out


SITE = {
    "zh": ["一、评估摘要", "二、主要指标", "三、专项任务（附表）推进情况", "（一）城镇棚户区改造", "（二）公租房保障",
           "四、重点任务推进情况", "附件1 评估方法"],
    "en": ["1 Summary", "2 Main indicators", "3 Programmes of the annex tables", "3.1 Urban shantytown redevelopment",
           "3.2 Public rental housing", "4 Progress of key tasks", "Annex 1 Methodology"],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_site_titles_and_navigation_carry_the_numbers(editions, lang):
    html = editions[lang]["html"]
    soup = BeautifulSoup((html / "programme-2.html").read_text(encoding="utf-8"), "html.parser")
    h1 = soup.select_one("article h1")
    assert h1.select_one("span.section-number").get_text() == {"zh": "（二）", "en": "3.2"}[lang]
    title = re.sub(r"(?<=[、）])\s+", "", " ".join(h1.get_text(" ", strip=True).replace("#", "").split()))
    assert title == SITE[lang][4]
    # the navigation: the programmes chapter with its sections one level down, numbered as print
    nav = soup.select_one("nav.bd-docs-nav")
    entries = [(li["class"][0], re.sub(r"(?<=[、）])\s+", "", " ".join(li.find("a").get_text(" ", strip=True).split())))
               for li in nav.select("li")]
    assert [e for _, e in entries] == SITE[lang]
    assert [level for level, _ in entries] == ["toctree-l1", "toctree-l1", "toctree-l1", "toctree-l2", "toctree-l2",
                                               "toctree-l1", "toctree-l1"]
    assert page_depth(soup) == 2
    chapter = BeautifulSoup((html / "programmes.html").read_text(encoding="utf-8"), "html.parser")
    assert page_depth(chapter) == 1


PRINT = {
    "zh": ["一、评估摘要", "（一）主要发现", "二、主要指标", "三、专项任务（附表）推进情况", "（一）城镇棚户区改造",
           "1.计划与实际累计", "2.分县完成情况", "（二）公租房保障", "1.倒逼进度", "四、重点任务推进情况",
           "（一）分节推进情况", "附件1评估方法", "（一）评估口径"],
    "en": ["1 Summary", "1.1 Key findings", "2 Main indicators", "3 Programmes of the annex tables",
           "3.1 Urban shantytown redevelopment", "3.1.1 Planned and actual", "3.1.2 Districts",
           "3.2 Public rental housing", "3.2.1 Required pace", "4 Progress of key tasks", "4.1 Progress by section",
           "Annex 1 Methodology", "A1.1 Scope"],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_numbers_programmes_as_sections_of_one_chapter(editions, lang):
    lines = [" ".join(line.split()) for line in editions[lang]["pdf_text"].splitlines()]
    if lang == "zh":   # pdftotext puts a space after an inline-block number
        lines = [line.replace(" ", "") for line in lines]
    body = lines[next(i for i, line in enumerate(lines) if line == PRINT[lang][0] and i > 5):]
    headings = [line for line in body if line in PRINT[lang]]
    assert headings == PRINT[lang]
    # the contents list the chapters and the programmes (level 2), with their page numbers
    pages = editions[lang]["pdf_layout"].split("\f")
    toc = [" ".join(line.split()) for line in pages[1].splitlines()]   # page 2: the contents
    if lang == "zh":
        toc = [line.replace(" ", "") for line in toc]
    for entry in (PRINT[lang][3], PRINT[lang][4], PRINT[lang][7], PRINT[lang][9]):
        assert any(re.fullmatch(re.escape(entry) + r"[\s.]*\d+", line) for line in toc), (entry, toc)
    # never the site's number and print's number together (三、三、 / 3 3 Programmes)
    text = " ".join(lines)
    assert "（一）（一）" not in text and "三、三、" not in text and "3.1 3.1" not in text and "3 3 " not in text


WORD = {
    "zh": [("Heading 1", "三、专项任务（附表）推进情况"), ("Heading 2", "（一）城镇棚户区改造"),
           ("Heading 3", "1. 计划与实际累计"), ("Heading 3", "2. 分县完成情况"), ("Heading 2", "（二）公租房保障"),
           ("Heading 3", "1. 倒逼进度"), ("Heading 1", "四、重点任务推进情况")],
    "en": [("Heading 1", "3 Programmes of the annex tables"), ("Heading 2", "3.1 Urban shantytown redevelopment"),
           ("Heading 3", "3.1.1 Planned and actual"), ("Heading 3", "3.1.2 Districts"),
           ("Heading 2", "3.2 Public rental housing"), ("Heading 3", "3.2.1 Required pace"),
           ("Heading 1", "4 Progress of key tasks")],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_word_heading_levels_follow_the_outline(editions, lang):
    doc = editions[lang]["doc"]
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    start = headings.index(WORD[lang][0])
    assert headings[start:start + len(WORD[lang])] == WORD[lang]
    assert headings[-2][0] == "Heading 1" and headings[-2][1] in ("附件1 评估方法", "Annex 1 Methodology")


# ── the chapter's opening page ─────────────────────────────────────────────────────────────


def _programmes_ctx(dazhou_plan, stage: str):
    """Hand-made city rows of three annex programmes (annex 4 has no result: missing, not zero)."""
    from types import SimpleNamespace

    import pandas as pd

    base = {"district": dazhou_plan.city, "baseline": None, "expected": None, "annex_target": None,
            "grade_provisional": False, "stage": stage, "warning": None, "judgement": None}
    rows = [{**base, "indicator": "shantytown_renovation", "target": 6505.0, "actual": 5731.0, "completion": 0.881,
             "status": "ahead", "grade": "completed"},
            {**base, "indicator": "old_residential_renovation", "target": 200000.0, "actual": 89441.0,
             "completion": 0.447, "status": "lagging", "grade": "not_completed"},
            {**base, "indicator": "public_rental_housing", "target": 609.0, "actual": 734.0, "completion": 1.205,
             "status": "lagging", "grade": "not_completed"}]
    results = pd.DataFrame(rows)
    return SimpleNamespace(results=results, plan=dazhou_plan, as_of="2023", stage=stage, annexes=[1, 2, 3, 4],
                           annex_indicator=lambda a: next((i for i in dazhou_plan.indicators if i.annex == a), None))


def test_programmes_opening_counts_by_hand(dazhou_plan):
    from reportkit.report import narrative

    # 4 annex tables; of the 3 with a result, 1 ahead and 2 lagging
    ctx = _programmes_ctx(dazhou_plan, "midterm")
    zh = str(narrative.programmes(ctx, "zh"))
    assert "《规划》以附表形式安排专项任务4项" in zh and "截至2023年底，1项快于预期，2项滞后。" in zh
    en = str(narrative.programmes(ctx, "en"))
    assert "sets out 4 programmes" in en
    assert "At the end of 2023: 1 is ahead of schedule, 2 are lagging and need to accelerate." in en
    # the end of term leads with grades: 1 completed, 2 not completed
    final = str(narrative.programmes(_programmes_ctx(dazhou_plan, "final"), "zh"))
    assert "期末评估等级：完成1项，未完成2项。" in final
    assert "截至2023年底" not in final   # statuses would repeat the grades in mid-term words


def test_programmes_overview_table_links_each_programme(dazhou_plan):
    from reportkit.report import pages, tables

    table = tables.programme_overview_table(_programmes_ctx(dazhou_plan, "final"), "zh", link=pages.programme_href)
    html = table.html()
    assert [r[0] for r in table.rows] == ["附表1", "附表2", "附表3", "附表4"]
    assert '<a href="programme-1.html">城镇棚户区改造</a>' in html
    assert table.columns[-1] == "期末等级" and len(table.rows[0]) == len(table.columns)
    first = [str(c) for c in table.rows[0]]
    assert first[3:6] == ["6,505", "5,731", "88.1%"]
    # annex 4 has no result: dashes, never 0
    assert all(str(c) != "0" for c in table.rows[3][2:]) and "0%" not in str(table.rows[3])
