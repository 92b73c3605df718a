"""The report in the register of a filed evaluation (issue 13): the end-of-term report leads with
grades and says 已实现, not 已提前实现; no tool words in the footer."""

from __future__ import annotations

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
