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
    assert en.startswith("End-of-term verdict: of the 7 main indicators, 1 was exceeded, 3 were completed, "
                         "1 was basically completed and 2 were not completed.")
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

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")             # snake_case identifiers (status codes, fields)
SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d")   # 2.706e+04
FRACTIONAL_COUNT = re.compile(r"\d\.\d+\s*(?:户|套|间|笔|栋)(?!/)")   # 55,279.5户 (not 户/年 rates)


def _page_texts(html_dir):
    from bs4 import BeautifulSoup

    for path in sorted(html_dir.glob("*.html")):
        if path.name in ("search.html", "genindex.html"):
            continue
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        article = soup.select_one("article.bd-article")
        for el in article.select("script, style, code"):
            el.decompose()
        yield path.name, article.get_text(" ")


@pytest.mark.e2e
def test_built_pages_speak_the_register_of_a_filed_report():
    """Both editions of the shared build: no code identifiers on the Chinese pages, no scientific
    notation and no fractional counts anywhere, no tool name in any page's footer."""
    site = shared_build() / "html"
    found = []
    for lang in ("zh", "en"):
        for name, text in _page_texts(site / lang):
            if lang == "zh":
                found += [(lang, name, m) for m in CODE.findall(text)]
            found += [(lang, name, m) for m in SCIENTIFIC.findall(text)]
            found += [(lang, name, m) for m in FRACTIONAL_COUNT.findall(text)]
        index = (site / lang / "index.html").read_text(encoding="utf-8")
        footer = index[index.find("extra-footer"):][:600] if "extra-footer" in index else ""
        assert "reportkit" not in re.sub(r'<[^>]+>', ' ', footer).lower(), footer
    assert found == [], found[:20]
