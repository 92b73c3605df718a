"""The form's task sheet: written from the plan's task tree, read back, and every error located."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from reportkit.inputs import catalogue, synthetic
from reportkit.inputs.actuals import read_actuals
from reportkit.inputs.form import build_workbook, reported_tasks, workbook_bytes
from reportkit.inputs.task_progress import as_of_date, progress_code
from reportkit.vocab import TASK_PROGRESS, TASK_PROGRESS_ZH

SHEET = "任务进展 Tasks"


def _sheet(wb):
    ws = wb[SHEET]
    key_r = next(r for r in range(1, 10) if ws.cell(r, 1).value == "task")
    keys = {ws.cell(key_r, c).value: c for c in range(1, ws.max_column + 1)}
    rows = {ws.cell(r, 1).value: r for r in range(key_r + 1, ws.max_row + 1) if ws.cell(r, 1).value}
    return ws, keys, rows


def _write(tmp_path, wb, name="filled.xlsx"):
    path = tmp_path / name
    path.write_bytes(workbook_bytes(wb))
    return path


def test_sheet_lists_every_task_and_item(dazhou_plan):
    wb = build_workbook(dazhou_plan)
    assert wb.sheetnames[-1] == SHEET and "任务" in SHEET
    ws, keys, rows = _sheet(wb)
    assert list(rows) == reported_tasks(dazhou_plan) and len(rows) == 30 + 37
    assert list(keys) == ["task", "title_zh", "title_en", "progress", "evidence", "lead", "as_of", "reason", "note"]
    assert ws.cell(rows["3.1.4.2"], keys["lead"]).value == "住建部门"     # the plan's lead, pre-filled
    assert ws.cell(rows["3.2.1.1"], keys["title_en"]).value == "Define the target groups and standards"
    # Sections stand between the tasks as unnumbered heading rows.
    assert ws.cell(rows["3.2.1"] - 1, 2).value == "3.2 完善住房保障体系，多元化增加保障性住房供应"


def test_round_trip(dazhou_plan, tmp_path):
    wb = build_workbook(dazhou_plan)
    ws, keys, rows = _sheet(wb)
    filled = {
        "3.1.1": ("已完成", "市政府办公室文件（2022）12号", dt.datetime(2023, 6, 30), "", ""),
        "3.2.1.1": ("按计划推进", "", "2023-06", "", "准入条件已发布"),
        "3.4.1": ("进展滞后", "年度改造计划完成60%", "2023年6月", "", ""),
        "3.6.6": ("尚未启动", "", "", "", ""),
        "3.2.4": ("不再实施", "", 2023, "省级制度尚未出台", ""),
        "3.3.2": ("on track", "", "", "", ""),
    }
    for task, (progress, evidence, as_of, reason, note) in filled.items():
        r = rows[task]
        for key, value in (("progress", progress), ("evidence", evidence), ("as_of", as_of),
                           ("reason", reason), ("note", note)):
            ws.cell(r, keys[key], value or None)
    result = read_actuals(_write(tmp_path, wb), dazhou_plan)
    assert result.problems == []
    got = result.tasks.set_index("task")
    assert sorted(got.index) == sorted(filled)
    assert dict(got["progress"]) == {"3.1.1": "completed", "3.2.1.1": "on_track", "3.4.1": "lagging",
                                     "3.6.6": "not_started", "3.2.4": "dropped", "3.3.2": "on_track"}
    assert dict(got["as_of"]) == {"3.1.1": "2023-06-30", "3.2.1.1": "2023-06", "3.4.1": "2023-06",
                                  "3.6.6": "", "3.2.4": "2023", "3.3.2": ""}
    assert got.loc["3.1.1", "evidence"] == "市政府办公室文件（2022）12号"
    assert got.loc["3.2.4", "reason"] == "省级制度尚未出台"
    assert got.loc["3.2.1.1", "note"] == "准入条件已发布"
    assert got.loc["3.4.1", "location"] == f"filled.xlsx: {SHEET}!D{rows['3.4.1']}"
    assert not got["illustrative"].any()
    # Tasks nobody reported on have no row: missing, not "not started".
    assert "3.1.2" not in got.index
    assert "progress reported for 6 of 67" in result.summary(dazhou_plan, "en")


def test_errors_are_located(dazhou_plan, tmp_path):
    wb = build_workbook(dazhou_plan)
    ws, keys, rows = _sheet(wb)
    col = {k: ws.cell(1, c).column_letter for k, c in keys.items()}
    ws.cell(rows["3.1.1"], keys["progress"], "差不多")                      # unknown word
    ws.cell(rows["3.1.2"], keys["progress"], "已完成")                      # no evidence
    ws.cell(rows["3.1.3"], keys["progress"], "不再实施")                    # no reason
    ws.cell(rows["3.1.5"], keys["progress"], "按计划推进")
    ws.cell(rows["3.1.5"], keys["as_of"], "上半年")                         # not a date
    ws.cell(rows["3.3.1"], keys["evidence"], "有材料")                      # no progress: warning
    ws.cell(rows["3.3.3"], 1, "9.9.9")                                     # id changed
    ws.cell(rows["3.3.3"], keys["progress"], "已完成")
    ws.cell(rows["3.3.3"], keys["evidence"], "文件")
    result = read_actuals(_write(tmp_path, wb), dazhou_plan)
    where = lambda task, key: f"filled.xlsx: {SHEET}!{col[key]}{rows[task]}"  # noqa: E731
    assert [(p.key, p.location.render("en")) for p in result.problems] == [
        ("task_bad_progress", where("3.1.1", "progress")),
        ("task_no_evidence", where("3.1.2", "evidence")),
        ("task_no_reason", where("3.1.3", "reason")),
        ("task_bad_date", where("3.1.5", "as_of")),
        ("task_unknown", where("3.3.3", "task")),
    ]
    assert [(p.key, p.location.render("en")) for p in result.warnings if p.key.startswith("task")] == [
        ("task_no_progress", where("3.3.1", "progress"))]
    zh = result.problems[0].message("zh")
    assert "差不多" in zh and "已完成、按计划推进、进展滞后、尚未启动、不再实施" in zh
    assert "completed" in result.problems[1].message("en")


def test_a_task_reported_twice(dazhou_plan, tmp_path):
    wb = build_workbook(dazhou_plan)
    ws, keys, rows = _sheet(wb)
    for task in ("3.1.1", "3.1.2"):
        ws.cell(rows[task], keys["progress"], "尚未启动")
    ws.cell(rows["3.1.2"], 1, "3.1.1")
    result = read_actuals(_write(tmp_path, wb), dazhou_plan)
    assert [p.key for p in result.problems] == ["task_duplicate"]
    assert f"D{rows['3.1.1']}" in result.problems[0].message("en")


def test_plan_without_tasks_has_no_task_sheet(tmp_path):
    _, cat_path = synthetic.write_plan(tmp_path, districts=3, annexes=2)
    plan = catalogue.load_plan(cat_path)
    assert reported_tasks(plan) == []
    wb = build_workbook(plan)
    assert not any("任务" in name for name in wb.sheetnames)
    result = read_actuals(_write(tmp_path, wb), plan)
    assert result.problems == [] and result.tasks.empty
    assert "Main tasks" not in result.summary(plan, "en")


def test_synthetic_plan_with_tasks_round_trips(tmp_path):
    _, cat_path = synthetic.write_plan(tmp_path, districts=3, annexes=2, tasks=True)
    plan = catalogue.load_plan(cat_path)
    wb = build_workbook(plan)
    ws, keys, rows = _sheet(wb)
    assert list(rows) == ["2.1.1", "2.1.1.1", "2.1.1.2", "2.1.2", "2.2.1", "2.2.2", "2.2.2.1", "2.2.2.2"]
    assert ws.cell(rows["2.1.2"], keys["lead"]).value == "市住房城乡建设局"
    ws.cell(rows["2.2.1"], keys["progress"], "进展滞后")
    result = read_actuals(_write(tmp_path, wb), plan)
    assert result.problems == [] and list(result.tasks["progress"]) == ["lagging"]


def test_workbook_without_the_task_sheet_still_reads(dazhou_plan, tmp_path):
    """A form made before the task sheet existed: values read, no task progress, no error."""
    wb = build_workbook(dazhou_plan)
    del wb[SHEET]
    result = read_actuals(_write(tmp_path, wb), dazhou_plan)
    assert result.problems == [] and result.tasks.empty


@pytest.mark.parametrize(("text", "code"), [(TASK_PROGRESS_ZH[c], c) for c in TASK_PROGRESS] + [
    (" 已完成 ", "completed"), ("On Track", "on_track"), ("not_started", "not_started"), ("完成", None), ("", None)])
def test_progress_words(text, code):
    assert progress_code(text) == code


def test_dates():
    assert as_of_date(dt.date(2023, 6, 30)) == "2023-06-30"
    assert as_of_date(dt.datetime(1905, 7, 15)) == "2023"      # 2023 typed into a date cell
    assert as_of_date("2023-6-30") == "2023-06-30"
    assert as_of_date("2023年6月30日") == "2023-06-30"
    assert as_of_date("2023/06") == "2023-06"
    assert as_of_date("２０２３") == "2023"
    assert as_of_date(None) == "" and as_of_date("  ") == ""
    assert as_of_date("2023-02-30") is None and as_of_date("上半年") is None and as_of_date(45000.5) is None


def test_template_bytes_are_stable(dazhou_plan):
    """The task sheet keeps the workbook deterministic (same plan, same bytes)."""
    assert workbook_bytes(build_workbook(dazhou_plan)) == workbook_bytes(build_workbook(dazhou_plan))
    wb = load_workbook(io.BytesIO(workbook_bytes(build_workbook(dazhou_plan))))
    assert SHEET in wb.sheetnames


def test_validate_lists_untranslated_task_titles(tmp_path, capsys):
    from reportkit.cli import main

    _, cat_path = synthetic.write_plan(tmp_path, districts=3, annexes=2, tasks=True)
    plan = catalogue.load_plan(cat_path)
    form = _write(tmp_path, build_workbook(plan))
    assert main(["--lang", "en", "validate", str(form), "--catalogue", str(cat_path)]) == 0
    out = capsys.readouterr().out
    assert "7 task title(s) have no English title" in out
    assert "  2.1.2 完善公租房管理机制" in out and "2.1.1 扩大" not in out
    assert "progress reported for 0 of 8" in out
