"""The key tasks chapter: counts, order, English titles and their marker, in both languages.

Counts below are worked out by hand from the progress rows given, on the synthetic plan's tree:
2.1 (tasks 2.1.1, 2.1.2; items 2.1.1.1, 2.1.1.2) and 2.2 (tasks 2.2.1, 2.2.2; items 2.2.2.1, 2.2.2.2).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from reportkit.inputs import catalogue, synthetic
from reportkit.inputs.task_progress import frame
from reportkit.report import pages
from reportkit.report import tasks as report_tasks


def _progress(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return frame([{"task": t, "progress": p, "evidence": e, "lead": "", "as_of": "2028-06-30", "reason": r,
                   "note": "", "location": f"f.xlsx: T!D{k}", "illustrative": False}
                  for k, (t, p, e, r) in enumerate(rows, start=5)])


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    _, cat_path = synthetic.write_plan(tmp_path_factory.mktemp("plan"), districts=3, annexes=2, tasks=True)
    plan = catalogue.load_plan(cat_path)
    progress = _progress([
        ("2.1.1", "completed", "验收文件", ""),
        ("2.1.1.1", "completed", "盘活清单", ""),
        ("2.1.1.2", "lagging", "进度通报：完成四成", ""),
        ("2.1.2", "not_started", "", ""),
        ("2.2.1", "on_track", "", ""),
        ("2.2.2.1", "dropped", "", "政策调整"),
        ("2.2.2.2", "lagging", "", ""),
        # 2.2.2 not reported
    ])
    return SimpleNamespace(plan=plan, task_progress=progress, as_of="2028")


def test_rows_follow_the_plan_and_missing_is_not_not_started(ctx):
    rows = report_tasks.task_rows(ctx)
    assert list(rows["id"]) == ["2.1.1", "2.1.1.1", "2.1.1.2", "2.1.2", "2.2.1", "2.2.2", "2.2.2.1", "2.2.2.2"]
    assert rows.set_index("id").loc["2.2.2", "progress"] == "no_report"
    assert list(rows["section"]) == ["2.1"] * 4 + ["2.2"] * 4
    assert rows.set_index("id").loc["2.1.2", "lead"] == "市住房城乡建设局"    # the plan's, none reported


def test_section_counts_by_hand(ctx):
    counts = report_tasks.section_counts(ctx)
    assert counts.loc["2.1"].to_dict() == {"completed": 2, "on_track": 0, "lagging": 1, "not_started": 1,
                                           "dropped": 0, "no_report": 0, "total": 4}
    assert counts.loc["2.2"].to_dict() == {"completed": 0, "on_track": 1, "lagging": 1, "not_started": 0,
                                           "dropped": 1, "no_report": 1, "total": 4}


def test_attention_lists_lagging_then_not_started_with_evidence(ctx):
    att = report_tasks.attention_tasks(ctx)
    assert list(zip(att["id"], att["progress"], att["evidence"], strict=True)) == [
        ("2.1.1.2", "lagging", "进度通报：完成四成"), ("2.2.2.2", "lagging", ""), ("2.1.2", "not_started", "")]


def test_table_puts_attention_first_in_both_languages(ctx):
    for lang in ("zh", "en"):
        html = report_tasks.task_table(ctx, lang).html()
        ids = re.findall(r"<tr><td[^>]*>([\d.]+)</td>", html)
        assert ids == ["2.1.1.2", "2.2.2.2", "2.1.2", "2.2.2.1", "2.2.2", "2.2.1", "2.1.1", "2.1.1.1"], lang
        assert "rk-task-lagging" in html and "进度通报：完成四成" in html
    zh, en = (report_tasks.task_table(ctx, lang).html() for lang in ("zh", "en"))
    assert "不再实施原因：政策调整" in zh and "Dropped because: 政策调整" in en
    assert ">进展滞后<" in zh and ">lagging<" in en and ">未填报<" in zh and ">not reported<" in en


def test_english_uses_catalogue_titles_and_marks_the_rest(ctx):
    en = report_tasks.task_table(ctx, "en").html()
    assert "Expand subsidised rental housing" in en                  # 2.1.1 has an English title
    marked = re.findall(r'<span lang="zh">([^<]+)</span> <span class="rk-untranslated" title="The catalogue', en)
    # responsible bodies given only in Chinese are marked too, with their own reason
    assert re.findall(r'<span lang="zh">([^<]+)</span> <span class="rk-untranslated" title="The progress report', en)
    assert sorted(marked) == sorted(["盘活存量房屋", "新建一批项目", "完善公租房管理机制", "推进老旧小区改造",
                                     "加强物业管理", "加强物业服务监管", "提高物业服务水平"])
    zh = report_tasks.task_table(ctx, "zh").html()
    assert "rk-untranslated" not in zh and "扩大保障性租赁住房" in zh
    counts = report_tasks.counts_table(ctx, "en").html()
    assert "2.1 Increase the supply of subsidised housing" in counts and ">Total<" in counts


def test_narrative_in_both_languages(ctx):
    zh = repr(report_tasks.narrative(ctx, "zh"))
    assert "分2节，共列4项任务、4个子项" in zh
    assert "已填报推进情况7项" in zh and "已完成2项，按计划推进1项，进展滞后2项，尚未启动1项，不再实施1项" in zh
    assert "1项未填报推进情况" in zh and "共3项" in zh
    en = repr(report_tasks.narrative(ctx, "en"))
    assert "lists 4 tasks in 2 sections, with 4 items inside them" in en
    assert "“completed” 2, “on track” 1, “lagging” 2, “not started” 1 and “dropped” 1" in en
    assert "1 was not reported" in en and "3 tasks and items are lagging or not started" in en


def test_plan_without_tasks(tmp_path):
    _, cat_path = synthetic.write_plan(tmp_path, districts=3, annexes=2)
    bare = SimpleNamespace(plan=catalogue.load_plan(cat_path), task_progress=None, as_of="2028")
    assert not report_tasks.has_tasks(bare)
    assert report_tasks.task_rows(bare).empty and report_tasks.attention_tasks(bare).empty
    assert "no task chapter" in repr(report_tasks.narrative(bare, "en"))


def test_the_tasks_page_view(default_context):
    view = pages.page_view(default_context, "tasks")
    assert view.results is None and view.actuals is None and view.tables is None
    assert view.task_progress is not None and len(view.task_progress) == 62
    # Other pages do not hold task progress (a changed report re-runs the tasks page only).
    assert pages.page_view(default_context, "summary").task_progress is None
    assert pages.page_view(default_context, "data").task_progress is None


@pytest.fixture(scope="module")
def default_context():
    from reportkit.report import context

    return context.load_context(stage="midterm")


def test_titles_and_evidence_are_escaped(ctx):
    """Titles (plan, catalogue) and evidence (the form) are data: never markup on the page."""
    hostile = SimpleNamespace(plan=SimpleNamespace(tasks=ctx.plan.tasks.copy()), as_of="2028",
                              task_progress=ctx.task_progress.copy())
    hostile.plan.tasks.loc[hostile.plan.tasks["id"] == "2.1.1", "title_en"] = '<img src=x onerror="alert(1)">'
    hostile.plan.tasks.loc[hostile.plan.tasks["id"] == "2.1.2", "title_zh"] = "<b>粗体</b>"
    hostile.task_progress.loc[0, "evidence"] = "<script>alert(2)</script>"
    for lang in ("zh", "en"):
        html = report_tasks.task_table(hostile, lang).html() + str(report_tasks.narrative(hostile, lang))
        assert "<img" not in html and "<script" not in html and "<b>" not in html
    assert "&lt;img src=x" in report_tasks.task_table(hostile, "en").html()


def test_the_chapter_dates_progress_by_its_reports_and_says_when_they_are_older(ctx):
    """Progress reported on 30 June 2028 for an evaluation at the end of 2028: the chapter gives
    the reports' date and says they predate the evaluation; reports of the evaluation's own
    month are not flagged."""
    zh, en = (repr(report_tasks.narrative(ctx, lang)) for lang in ("zh", "en"))
    assert "各项任务推进情况截至2028年6月30日（最近一次填报，早于本次评估时点2028年底，定稿前应更新填报）" in zh
    assert "In the latest reports (30 June 2028, before this evaluation’s date, the end of 2028" in en
    same = SimpleNamespace(plan=ctx.plan, task_progress=ctx.task_progress, as_of="2028-06")
    zh = repr(report_tasks.narrative(same, "zh"))
    assert "各项任务推进情况截至2028年6月30日，已填报推进情况7项" in zh and "早于" not in zh


def test_a_responsible_body_given_only_in_chinese_is_marked_on_english_pages():
    zh_only = str(report_tasks._lead("住建部门", "en"))
    assert '<span lang="zh">住建部门</span>' in zh_only and "rk-untranslated" in zh_only
    assert "in Chinese only" in zh_only
    assert str(report_tasks._lead("Housing Bureau", "en")) == "Housing Bureau"          # English as given
    assert str(report_tasks._lead("住建部门", "zh")) == "住建部门"
    assert str(report_tasks._lead("示例：住建局 / example: housing bureau", "en")) == "example: housing bureau"
    assert "rk-missing" in str(report_tasks._lead("", "en"))
