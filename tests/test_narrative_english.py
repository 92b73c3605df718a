"""Programme and summary sentences that read naturally (issue 13, "Numbers and words"), pinned
on the default plan with hand-checked numbers."""

from __future__ import annotations

import pytest

from reportkit.report import narrative, pages
from reportkit.report.context import load_context


@pytest.fixture(scope="module")
def mid():
    return load_context(stage="midterm")


@pytest.fixture(scope="module")
def final():
    return load_context(stage="final")


def test_the_shantytown_programme_in_english(mid):
    # 5,731 of 6,505 households (units) = 88.1 %; 4,426 due by 2023: R = 5,731 / 4,426 = 1.29;
    # 9 units: 2 reached, 1 lagging, 2 limited, 3 without target, 1 without data;
    # (6,505 − 5,731) / 2 years = 387 a year, against 5,731 / 3 = 1,910 so far
    en = repr(narrative.programme(mid, "shantytown_renovation", "en"))
    assert en == (
        "By the end of 2023, the city as a whole had reached 5,731 households (units) of urban shantytown "
        "redevelopment, 88.1% of the 6,505 households (units) planned for the whole period; the yearly plan expected "
        "4,426 households (units) by this date, a schedule ratio of 1.29. Status: ahead of schedule. "
        "Of the 7 counties, cities and districts and 2 development zones, 2 have already achieved their "
        "targets, 1 is lagging and needs to accelerate, 2 have made limited progress, 3 have no target and "
        "1 has no data. To reach the target, 387 households (units) must be achieved in each remaining year, "
        "against 1,910 a year so far.")
    for clumsy in ("are target already achieved", "is no target", "(households (units))", "Urban shantytown",
                   "time progress"):
        assert clumsy not in en


def test_a_target_already_reached_needs_nothing_more_a_year(mid):
    # public rental housing: 734 of 609 units by 2023 (120.5 %): nothing is left to do
    en = repr(narrative.programme(mid, "public_rental_housing", "en"))
    zh = repr(narrative.programme(mid, "public_rental_housing", "zh"))
    assert "The target for the whole period has already been reached." in en and "0 units" not in en
    assert "已提前完成规划目标。" in zh and "每年需完成0" not in zh
    assert "2 have already achieved their targets and 7 have no target." in en


def test_the_end_of_term_programme_speaks_in_grades(final):
    # affordable rental housing at the end of 2025: 7,306 of 8,000 units = 91.3 % → 基本完成
    # (≥ 90 %); the 9 units by grade: 4 exceeded, 1 completed, 2 basically, 2 not completed
    en = repr(narrative.programme(final, "affordable_rental_housing", "en"))
    zh = repr(narrative.programme(final, "affordable_rental_housing", "zh"))
    assert "7,306 units of affordable rental housing provided, 91.3% of the 8,000 units" in en
    assert "End-of-term grade: basically completed." in en and "Status:" not in en
    assert ("4 exceeded their targets, 1 completed its target, 2 basically completed their targets and "
            "2 did not complete their targets.") in en
    assert "期末等级：基本完成。" in zh and "评估状态" not in zh
    assert "4个超额完成，1个完成，2个基本完成，2个未完成。" in zh
    for mid_term_word in ("进度滞后", "提前实现", "序时进度"):
        assert mid_term_word not in zh
    assert "on track" not in en and "lagging" not in en


def test_the_summary_says_time_elapsed(mid):
    en = repr(narrative.summary(pages.page_view(mid, "summary"), "en"))
    assert "(time elapsed 60.0%)" in en and "time progress" not in en


def test_names_inside_an_english_sentence():
    assert narrative.in_sentence("Urban shantytown redevelopment", "en") == "urban shantytown redevelopment"
    assert narrative.in_sentence("PM2.5 concentration", "en") == "PM2.5 concentration"
    assert narrative.in_sentence("Dazhou housing fund", "en", ("Dazhou",)) == "Dazhou housing fund"
    assert narrative.in_sentence("城镇棚户区改造", "zh") == "城镇棚户区改造"


@pytest.mark.parametrize(("code", "n", "stage", "clause"), [
    ("achieved", 1, "midterm", "1 has already achieved its target"),
    ("achieved", 2, "midterm", "2 have already achieved their targets"),
    ("achieved", 2, "final", "2 have achieved their targets"),
    ("no_target", 1, None, "1 has no target"),
    ("lagging", 3, None, "3 are lagging and need to accelerate"),
])
def test_counts_read_as_clauses(code, n, stage, clause):
    assert narrative.count_clause(code, n, "en", stage) == clause


def test_at_the_end_of_term_nothing_is_left_to_accelerate(final):
    """The period is over: a lagging programme 'fell behind schedule', it does not 'need to
    accelerate' (the default report: 2 programmes reached, 2 lagging at the end of 2025)."""
    en = repr(narrative.programmes(pages.page_view(final, "programmes"), "en"))
    # the grades are the verdict; statuses would repeat them in mid-term words
    assert "Grades at the end of term: 1 exceeded, 1 completed, 1 basically completed, 1 not completed." in en
    assert "accelerate" not in en and "At the end of 2025" not in en
    # a district that lagged at the end: "fell behind schedule", never "needs to accelerate"
    from reportkit.i18n import t

    assert t("report.register.count.lagging_final_other", "en", n=2) == "2 fell behind schedule"
    mid = repr(narrative.programmes(pages.page_view(load_context(stage="midterm"), "programmes"), "en"))
    assert "are lagging and need to accelerate" in mid
