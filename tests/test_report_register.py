"""The report in the register of a filed evaluation (issue 13): the end-of-term report leads with
grades and says 已实现, not 已提前实现; no tool words in the footer."""

from __future__ import annotations

import re

import pytest

from reportkit.report import narrative, pages, tables
from reportkit.report.context import load_context


@pytest.fixture(scope="module")
def final():
    return load_context(stage="final")


def test_the_end_of_term_summary_leads_with_the_grades(final):
    view = pages.page_view(final, "summary")
    zh = repr(narrative.summary(view, "zh"))
    # the default report's main indicators at the end of 2025 (grades counted in the results)
    assert zh.startswith("期末评估结论：7项主要指标中，超额完成1项、完成3项、基本完成1项、未完成2项。")
    en = repr(narrative.summary(view, "en"))
    assert en.startswith("End-of-term verdict: of the 7 main indicators, 1 exceeded its target, 3 completed "
                         "their targets, 1 basically completed its target and 2 did not complete their targets.")
    mid = repr(narrative.summary(pages.page_view(load_context(stage="midterm"), "summary"), "zh"))
    assert "期末评估结论" not in mid


def test_a_reached_target_is_worded_for_the_stage():
    assert tables.status_label("achieved", "zh", "midterm") == "已提前实现"
    assert tables.status_label("achieved", "zh", "final") == "已实现"
    assert tables.status_label("achieved", "en", "final") == "target achieved"
    assert tables.status_label("lagging", "zh", "final") == tables.status_label("lagging", "zh")
    assert "已实现" in str(tables.badge("achieved", "zh", "final"))


def test_end_of_term_pages_never_say_reached_early(final):
    view = pages.page_view(final, "summary")
    for lang, early in (("zh", "已提前实现"), ("en", "target already achieved")):
        assert early not in repr(narrative.summary(view, lang))
        assert early not in str(tables.status_count_table(view, lang).html())


def test_the_first_screen_gives_the_verdict_in_tiles_and_the_pdf(final):
    from reportkit.report.context import load_context as load

    mid = pages.page_view(load(stage="midterm", pdf_langs="zh,en"), "summary")
    html = str(narrative.key_figures(mid, "zh"))
    # the default mid-term: 7 main indicators, 1 ahead, 3 on track, 2 lagging, 1 moving away
    tiles = re.findall(r'rk-status-(\w+)"><span class="rk-kpi-n">(\d+)<', html)
    assert tiles == [("ahead", "1"), ("on_track", "3"), ("lagging", "2"), ("deteriorating", "1")]
    assert "7项主要指标的评估状态" in html and 'href="../downloads/' in html and "-zh.pdf" in html
    end = str(narrative.key_figures(pages.page_view(final, "summary"), "en"))
    assert re.findall(r'rk-status-(\w+)"><span class="rk-kpi-n">(\d+)<', end) == [
        ("exceeded", "1"), ("completed", "3"), ("basically_completed", "1"), ("not_completed", "2")]
    assert "rk-pdf-button" not in end   # no PDF built for this view: no button to nowhere


# ---- the built report, scanned ----------------------------------------------------------------

from conftest import shared_build  # noqa: E402
from register_scan import allowances, scan, texts_of_build  # noqa: E402


@pytest.fixture(scope="module")
def allow(final):
    from reportkit.report.tasks import task_rows

    # the responsible bodies the task form names are the evaluators' words, in Chinese only
    return allowances(final.plan, given_in_chinese=[x for x in task_rows(final)["lead"] if x])


@pytest.mark.parametrize(("lang", "bad", "what"), [
    ("zh", "评估状态：on_track。", "code"),                         # a status code
    ("zh", "按values_from计算", "code"),                           # a catalogue field
    ("zh", "栏目 total 6,505", "code"),                            # the audit's column code
    ("zh", "截至as_of", "code"),
    ("zh", "更正位置（replaces）的行", "code"),
    ("zh", "示例：进度通报 / illustrative: progress notice", "latin"),   # English on a Chinese page
    ("zh", "规划目标,全市完成", "half-width"),                      # ， not ,
    ("zh", "综合绩效得分: 0.77", "half-width"),                     # 得分：0.77
    ("zh", "评估结果: CSV · XLSX", "half-width"),
    ("zh", "无计划 (10)", "half-width"),                             # 无计划（10）
    ("en", "Of the 9 districts, 2 are 已提前实现.", "cjk"),          # Chinese on an English page
    ("en", "Completion 2.706e+04", "scientific"),
    ("zh", "完成率0.7207", "raw fraction"),                          # a fraction meant as 72.1%
    ("en", "ratio 1.0775", "raw fraction"),
    ("en", "Completion nan", "not a number"),
    ("zh", "实际 None", "not a number"),
    ("en", "projected inf", "not a number"),
    ("zh", "累计完成55,279.5户", "fractional count"),
    ("en", "5,731.5 households (units) of shantytown redevelopment", "fractional count"),
])
def test_the_scan_finds_each_fault(allow, lang, bad, what):
    """Each check of the scan fails on a small bad string (a scan that cannot fail proves nothing)."""
    found = scan(bad, lang, allow)
    assert any(f.startswith(what) for f in found), found


def test_the_scan_passes_clean_text_and_what_the_data_allow(allow, final):
    ok_zh = ("截至2023年底，全市城镇棚户区改造累计完成5,731户（套），为规划期目标的88.1%；"
             "序时完成比R = A/E为1.29。下载评估报告（PDF，A4）与Excel工作簿：" + final.plan.id + "-midterm-zh.pdf。"
             "供应面积10,000 m²。")
    assert scan(ok_zh, "zh", allow) == []
    ok_en = ("Of the 7 counties, cities and districts, 2 have already achieved their targets; 5,731 households "
             "(units), 88.1% of the target. None of the districts lacks data. Read it in 中文.")
    assert scan(ok_en, "en", allow) == []


def test_the_allow_lists_come_from_the_data():
    """A district the catalogue names only in Chinese may appear on English pages; one with an
    English name may not (nothing about Dazhou is typed into the scan)."""
    from types import SimpleNamespace

    import pandas as pd

    plan = SimpleNamespace(id="xian-15fyp-water", name={"zh": "某市“十五五”供水规划", "en": "Water plan"},
                           region={"zh": "某市", "en": "Moushi"}, indicators=[],
                           districts={"甲区": {"zh": "甲区", "en": "Jia District"}, "乙区": {"zh": "乙区", "en": ""}},
                           tasks=pd.DataFrame({"title_zh": ["保障供水"], "title_en": [""]}),
                           district_label=lambda d, lang: {"甲区": "Jia District", "乙区": ""}[d])
    allow = allowances(plan)
    assert scan("乙区 reported late; task 保障供水.", "en", allow) == []
    assert scan("甲区 reported late.", "en", allow) == ["cjk: 甲区"]
    assert scan("下载xian-15fyp-water-final-zh.pdf", "zh", allow) == []


@pytest.mark.e2e
@pytest.mark.parametrize("stage", ["midterm", "final"])
def test_built_report_speaks_the_register_of_a_filed_report(stage, allow):
    """Both stages, both editions, site pages, PDF and Word text: no code identifiers or English
    on the Chinese edition, no Chinese on the English one beyond names given only in Chinese,
    no scientific notation, raw fractions, fractional counts or nan; no tool name in the footer."""
    root = shared_build(stage)
    found, read = [], set()
    for lang in ("zh", "en"):
        for where, text in texts_of_build(root, lang):
            read.add(where.split("/")[0])
            found += [(where, f) for f in scan(text, lang, allow)]
        index = (root / "html" / lang / "index.html").read_text(encoding="utf-8")
        footer = index[index.find("extra-footer"):][:600] if "extra-footer" in index else ""
        assert "reportkit" not in re.sub(r'<[^>]+>', ' ', footer).lower(), footer
    assert found == [], found[:40]
    assert read == {"html", "pdf", "docx"}   # every format was read: pages, PDF and Word file


@pytest.mark.e2e
def test_no_heading_repeats_its_chapter_or_another_chapter():
    """An outline an evaluator can file: no two chapters share a title, and no section repeats
    the title of its own chapter (二、主要指标完成情况 › （一）主要指标完成情况 read as a slip)."""
    from bs4 import BeautifulSoup

    root = shared_build("midterm")
    for lang in ("zh", "en"):
        chapters: dict[str, str] = {}
        for path in sorted((root / "html" / lang).glob("*.html")):
            if path.name in ("search.html", "genindex.html"):
                continue
            article = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml").select_one("article.bd-article")
            if article is None or article.find("h1") is None:
                continue
            for num in article.select(".section-number, a.headerlink"):
                num.decompose()

            def text(h):
                return " ".join(h.get_text(" ", strip=True).split())

            title = text(article.find("h1"))
            assert title not in chapters, (lang, path.name, chapters.get(title))
            chapters[title] = path.name
            same = [text(h) for h in article.find_all(["h2", "h3"]) if text(h) == title]
            assert same == [], (lang, path.name, title)
        assert len(chapters) >= 8, chapters


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_end_of_term_tables_give_one_verdict_per_row(final, lang):
    """At the end of term a row is judged by its grade; a status beside it would be a second
    verdict on the same figure (滞后 next to 基本完成). Rows without a grade keep their status."""
    from reportkit.i18n import t

    grade_head, status_head = t("report.col.grade", lang), t("report.col.status", lang)
    for table in (tables.indicator_table(final, lang, "main"), tables.programme_overview_table(final, lang)):
        assert table.columns[-1] == grade_head and status_head not in table.columns
        assert all(len(row) == len(table.columns) for row in table.rows)
    main = final.results[(final.results["district"] == final.plan.city) & (final.results["tier"] == "main")]
    cells = [str(row[-1]) for row in tables.indicator_table(final, lang, "main").rows]
    for (_, result), cell in zip(main.iterrows(), cells, strict=True):
        if isinstance(result["grade"], str):
            assert t(f"status.grade.{result['grade']}", lang) in cell, (result["indicator"], cell)
        else:   # no grade applies (a ceiling, a band, missing data): the status, never a blank
            assert tables.status_label(result["status"], lang, "final") in cell, (result["indicator"], cell)
    mid = load_context(stage="midterm")
    assert tables.indicator_table(mid, lang, "main").columns[-1] == status_head


@pytest.mark.parametrize("stage", ["midterm", "final"])
def test_indicator_tables_say_missing_only_where_data_are_missing(stage):
    """数据缺失 is a finding (a value due and not reported); a cell with nothing to show by the
    target's nature (a cumulative target's baseline, a growth target's completion, a limit's
    expected value) is 不适用. The default report has no missing city-wide data."""
    from reportkit.report.formatting import data_missing

    ctx = load_context(stage=stage)
    city = ctx.results[ctx.results["district"] == ctx.plan.city]
    for tier in ("main", ("annex", "secondary")):
        tiers = (tier,) if isinstance(tier, str) else tier
        rows = city[city["tier"].isin(tiers)]
        for (_, result), cells in zip(rows.iterrows(), tables.indicator_table(ctx, "zh", tier).rows, strict=True):
            due = any(data_missing(result, k) for k in ("baseline", "actual", "completion", "schedule_ratio"))
            marks = [str(c) for c in cells if "rk-missing" in str(c)]
            assert due or not marks, (result["indicator"], marks)
            ind = ctx.plan.indicator(result["indicator"])
            if ind.kind == "cumulative":
                assert "rk-na" in str(cells[3]), (ind.id, cells[3])     # no baseline: not applicable


def test_a_label_and_its_value_are_joined_in_the_editions_register():
    from markupsafe import Markup

    from reportkit.report.formatting import labelled

    assert str(labelled("综合绩效得分", Markup("<strong>0.77</strong>"), "zh")) == "综合绩效得分：<strong>0.77</strong>"
    assert str(labelled("Composite score", "0.77", "en")) == "Composite score: 0.77"
    assert str(labelled("<b>", "x", "en")) == "&lt;b&gt;: x"      # text is escaped, markup kept


def test_the_plans_own_inconsistency_is_read_for_the_stage(final):
    """老旧小区: main table 200,000, annex 2 total 205,987. At the end of term the larger figure
    grades (no required pace is left to measure); before, it also sets the pace."""
    zh = repr(narrative.programme(final, "old_residential_renovation", "zh"))
    assert "以较大者评定期末等级：附表合计未完成时不评定为完成。" in zh and "倒逼" not in zh
    en = repr(narrative.programme(final, "old_residential_renovation", "en"))
    assert "grades on the larger figure: nothing is graded completed while the annex total is not reached" in en
    assert "required pace" not in en
    mid = repr(narrative.programme(load_context(stage="midterm"), "old_residential_renovation", "zh"))
    assert "以较大者判断是否完成并测算倒逼进度" in mid
