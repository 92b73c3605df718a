"""The plan parser, on the real Dazhou plan and on fixtures written in the same export format.

Expected figures below were typed from the plan document (annexes 1–4 and the main table), not
copied from the parser's output.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from reportkit.config import DEFAULT_PLAN
from reportkit.errors import ReportkitError
from reportkit.inputs import plan

PLANS = Path(__file__).resolve().parent / "fixtures" / "plans"
DISTRICTS = ["达州市", "通川区", "达川区", "达州高新区", "达州经开区", "万源市", "宣汉县", "大竹县", "渠县", "开江县"]
_ = None  # a blank cell in the plan
# annex → district → (2021, 2022, 2023, 2024, 2025), as printed in the plan document.
DAZHOU_ANNEXES = {
    1: ("达州市“十四五”城镇棚户区改造计划表", "户（套）", {
        "达州市": (1630, 1776, 1020, 1079, 1000), "通川区": (527, _, _, _, _), "达川区": (502, _, _, _, _),
        "达州高新区": (_, _, _, _, _), "达州经开区": (_, _, _, _, _), "万源市": (_, 1316, _, _, _),
        "宣汉县": (_, _, _, _, _), "大竹县": (_, 460, _, _, _), "渠县": (_, _, 800, 800, 800),
        "开江县": (601, _, 220, 279, 200)}),
    2: ("达州市“十四五”城镇老旧小区改造计划表", "户", {
        "达州市": (40389, 49746, 42886, 42920, 30046), "通川区": (16004, 10688, 12711, 7130, 3938),
        "达川区": (14042, 20328, 11797, 17177, 7492), "达州高新区": (415, _, _, _, _),
        "达州经开区": (_, _, _, _, _), "万源市": (2050, 3211, 3100, 3100, 3100),
        "宣汉县": (1996, 2260, 2022, 2175, 1612), "大竹县": (2011, 6525, 6570, 7653, 8608),
        "渠县": (1990, 5100, 5030, 4950, 4848), "开江县": (1881, 1634, 1656, 735, 448)}),
    3: ("达州市“十四五”公租房保障计划表", "套（间）", {
        "达州市": (_, 609, _, _, _), "通川区": (_, _, _, _, _), "达川区": (_, _, _, _, _),
        "达州高新区": (_, _, _, _, _), "达州经开区": (_, _, _, _, _), "万源市": (_, 315, _, _, _),
        "宣汉县": (_, 294, _, _, _), "大竹县": (_, _, _, _, _), "渠县": (_, _, _, _, _), "开江县": (_, _, _, _, _)}),
    4: ("达州市“十四五”发展保障性租赁住房计划表", "套（间）", {
        "达州市": (_, 2300, 2800, 2400, 500), "通川区": (_, 600, 600, 600, _), "达川区": (_, 300, 500, 500, 200),
        "达州高新区": (_, _, 200, 200, _), "达州经开区": (_, _, 100, 200, _), "万源市": (_, 300, 200, _, _),
        "宣汉县": (_, 300, 300, 200, _), "大竹县": (_, 200, 300, 200, 200), "渠县": (_, 300, 300, 300, 100),
        # the document ends inside this row: its 2025 cell is missing and read as blank
        "开江县": (_, 300, 300, 200, _)}),
}
DAZHOU_MAIN = [  # name, unit, target, target_text, cumulative, attribute
    ("城镇新增商品住房供应面积", "万平方米", 3000, "[3000]", True, "预期性"),
    ("城镇居民人均住房建筑面积", "平方米/人", 43, "43", False, "预期性"),
    ("公租房保障率", "", None, "应保尽保", False, "约束性"),
    ("筹集保障性租赁住房", "套/间", 8000, "8000", False, "预期性"),
    ("住房公积金实缴人数", "万人", 24, "24", False, "预期性"),
    ("城镇老旧小区改造规模", "万户", 20, "[20]", True, "预期性"),
    ("住宅小区物业管理覆盖率", "%", 75, "75", False, "预期性"),
]


def test_every_dazhou_annex_cell(dazhou_tables):
    got = dazhou_tables.annex_targets
    assert len(got) == 4 * 10 * 5
    for number, (title, unit, table) in DAZHOU_ANNEXES.items():
        part = got[got["annex"] == number]
        assert set(part["title"]) == {title}
        assert set(part["unit"]) == {unit}
        assert list(dict.fromkeys(part["district"])) == DISTRICTS
        for district, cells in table.items():
            rows = part[part["district"] == district].sort_values("year")
            assert list(rows["year"]) == [2021, 2022, 2023, 2024, 2025]
            assert list(rows["planned"]) == [0 if c is None else c for c in cells], (number, district)
            assert list(rows["blank"]) == [c is None for c in cells], (number, district)
            assert set(rows["is_city"]) == {district == "达州市"}


def test_dazhou_main_table(dazhou_tables):
    main = dazhou_tables.main_indicators
    assert len(main) == len(DAZHOU_MAIN)
    for (_, row), expected in zip(main.iterrows(), DAZHOU_MAIN, strict=True):
        name, unit, target, text, cumulative, attribute = expected
        assert (row["name"], row["unit"], row["target_text"], row["cumulative"], row["attribute"]) == (
            name, unit, text, cumulative, attribute)
        assert (pd.isna(row["target"]) if target is None else row["target"] == target)
        assert row["target_year"] == 2025


def test_dazhou_audit_all_pass_and_is_complete(dazhou_tables):
    audit = dazhou_tables.plan_audit
    # per annex: 10 row totals + city vs districts for the total column and 5 years
    assert len(audit) == 4 * (10 + 6)
    assert audit["passed"].all()
    row = audit[(audit.annex == 2) & (audit.check == "city_vs_districts") & (audit.column == "2021")].iloc[0]
    # 16004+14042+415+2050+1996+2011+1990+1881 = 40389, the 达州市 cell
    assert (row.expected, row.found) == (40389, 40389)


def test_main_table_targets_against_their_annex_totals(dazhou_plan, dazhou_tables):
    from reportkit.inputs.catalogue import audited

    audit = audited(dazhou_plan, dazhou_tables).plan_audit
    assert len(dazhou_tables.plan_audit) == 64   # the tables given are not changed
    rows = audit[audit.check == "main_vs_annex"].set_index("annex")
    # annex 2: main table [20] 万户 × 10000 = 200,000 against the city total 205,987 → a finding
    assert (rows.loc[2, "expected"], rows.loc[2, "found"], bool(rows.loc[2, "passed"])) == (200000, 205987, False)
    # annex 4: 8000 against 8000 → passed
    assert (rows.loc[4, "expected"], rows.loc[4, "found"], bool(rows.loc[4, "passed"])) == (8000, 8000, True)


def test_dazhou_truncated_last_row_warns_with_its_name(dazhou_tables):
    assert len(dazhou_tables.warnings) == 1
    warning = dazhou_tables.warnings[0]
    assert warning.severity == "warning"
    assert "开江县" in warning.message("zh") and "附件4" in warning.message("zh")
    assert "cut off" in warning.message("en")


def test_raw_plan_is_unchanged_by_extract(tmp_path):
    before = hashlib.sha256(DEFAULT_PLAN.read_bytes()).hexdigest()
    plan.write_tables(plan.extract(DEFAULT_PLAN), tmp_path)
    assert hashlib.sha256(DEFAULT_PLAN.read_bytes()).hexdigest() == before
    recorded = (DEFAULT_PLAN.parent / "SHA256SUMS").read_text().split()[0]
    assert before == recorded


def test_synthetic_2026_2030_plan_with_other_districts_and_five_annexes():
    tables = plan.extract(PLANS / "qingshan-2026-2030.txt")
    at = tables.annex_targets
    assert sorted(at["annex"].unique()) == [1, 2, 3, 4, 5]
    assert sorted(at["year"].unique()) == [2026, 2027, 2028, 2029, 2030]
    assert list(dict.fromkeys(at["district"])) == ["青山市", "东湖区", "西岭区", "南桥县"]
    assert set(at.loc[at.is_city, "district"]) == {"青山市"}
    # annex 2: district k (0-based) plans 20*(k+1) from year 2026+k on. 南桥县 (k=2): 0,0,60,60,60
    nq = at[(at.annex == 2) & (at.district == "南桥县")].sort_values("year")
    assert list(nq["planned"]) == [0, 0, 60, 60, 60]
    assert list(nq["blank"]) == [True, True, False, False, False]
    assert tables.plan_audit["passed"].all()
    assert len(tables.plan_audit) == 5 * (4 + 6)
    main = tables.main_indicators
    assert list(main["name"]) == ["新建住房面积", "住房保障覆盖率", "城镇住房品质"]
    assert list(main["target"].fillna(-1)) == [500, 90, -1]  # full-width ９０ read as 90
    assert list(main["target_year"]) == [2030] * 3
    assert not tables.warnings


def test_annex_total_header_on_one_line_is_found():
    tables = plan.extract(PLANS / "qingshan-2026-2030.txt")
    annex3 = tables.plan_audit[(tables.plan_audit.annex == 3) & (tables.plan_audit.check == "row_total")]
    assert len(annex3) == 4  # a row-total check per district means the 合计 column was recognised


def test_thousands_separator_in_a_total_is_a_number():
    tables = plan.extract(PLANS / "qingshan-2026-2030.txt")
    # annex 2's city total is written "1,020": 20+60+... checked against its year cells
    city_total = tables.plan_audit[(tables.plan_audit.annex == 2) & (tables.plan_audit.check == "row_total")
                                   & (tables.plan_audit.district == "青山市")].iloc[0]
    assert city_total.expected == 20 + 60 + 120 + 120 + 120 and city_total.passed


def test_truncated_synthetic_plan_names_the_row():
    tables = plan.extract(PLANS / "qingshan-2026-2030-truncated.txt")
    assert [w.params["district"] for w in tables.warnings] == ["南桥县"]
    assert tables.warnings[0].params["annex"] == 5
    nq = tables.annex_targets[(tables.annex_targets.annex == 5) & (tables.annex_targets.district == "南桥县")]
    assert nq["blank"].tolist() == [True, True, True, True, True]
    # the cut-off cells are blank, so the row total (450) no longer matches: the audit shows it
    failed = tables.plan_audit[~tables.plan_audit.passed]
    assert ("南桥县", "total") in set(zip(failed.district, failed.column, strict=True))


def test_arithmetic_error_in_the_plan_is_shown_not_hidden():
    audit = plan.extract(PLANS / "small-arithmetic-error.txt").plan_audit
    failed = audit[~audit.passed]
    # 青山市 total 31 ≠ 10+20; 西岭区 total 19 ≠ 20; city total 31 ≠ 10+19
    assert set(zip(failed.check, failed.district, failed.column, failed.expected, failed.found, strict=True)) == {
        ("row_total", "青山市", "total", 31, 30),
        ("row_total", "西岭区", "total", 19, 20),
        ("city_vs_districts", "青山市", "total", 31, 29),
    }


def test_good_small_plan_passes():
    assert plan.extract(PLANS / "small-good-small.txt").plan_audit["passed"].all()


def test_bad_number_names_annex_district_and_year():
    with pytest.raises(ReportkitError) as exc:
        plan.extract(PLANS / "small-bad-number.txt")
    (problem,) = exc.value.problems
    assert problem.params == {"annex": 1, "district": "东湖区", "year": 2026, "value": "1,2O0"}
    assert "1,2O0" in problem.message("zh") and "东湖区" in problem.message("zh") and "2026" in problem.message("zh")
    assert "is not a number" in problem.message("en")


def test_no_annex_tables_is_a_clear_error():
    with pytest.raises(ReportkitError) as exc:
        plan.extract(PLANS / "small-no-annex.txt")
    assert exc.value.problems[0].key == "plan_no_tables"
    assert "small-no-annex.txt" in exc.value.render("en")


def test_binary_file_is_not_a_plan(tmp_path):
    junk = tmp_path / "plan.bin"
    junk.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ReportkitError) as exc:
        plan.extract(junk)
    assert exc.value.problems[0].key == "plan_not_text"


@pytest.mark.parametrize("head,key,words", [
    (b"%PDF-1.7\n\xff\xfe\x00binary", "plan_is_pdf", "docs/plan-format.md"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "plan_is_doc", "save it as .docx"),
    (b"PK\x03\x04 not really a zip", "plan_bad_docx", "cannot be read"),
])
def test_a_pdf_an_old_doc_or_a_broken_docx_is_refused_saying_what_to_do(tmp_path, head, key, words):
    junk = tmp_path / "plan.file"
    junk.write_bytes(head)
    with pytest.raises(ReportkitError) as exc:
        plan.extract(junk)
    assert [p.key for p in exc.value.problems] == [key]
    assert words in exc.value.render("en") and "plan.file" in exc.value.render("zh")


@pytest.mark.parametrize("text,value", [
    ("1,234", 1234), ("１２３４", 1234), ("１，２３４", 1234), (" 42.5 ", 42.5), ("", None), ("　", None), ("0", 0),
])
def test_parse_number_accepts_written_forms(text, value):
    assert plan.parse_number(text) == value


@pytest.mark.parametrize("text", ["1,2O0", "12,34", "abc", "1.2.3", "[3000]", "--1"])
def test_parse_number_rejects_non_numbers(text):
    with pytest.raises(ValueError):
        plan.parse_number(text)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reportkit.cli", *args], capture_output=True, text=True)


def test_cli_extract_writes_four_files(tmp_path):
    result = _cli("--lang", "en", "extract", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annex_targets.csv", "main_indicators.csv", "plan_audit.csv",
                                                          "tasks.csv"]
    # 64 arithmetic checks of the annexes, all passed, and 2 main-table targets against their
    # annex totals: 8000 = 8000 (annex 4) and [20]万户 = 200,000 ≠ 205,987 (annex 2), a finding
    assert "66 consistency checks of the plan, 1 failed" in result.stdout
    assert "Task tree: 6 sections, 30 tasks, 37 items." in result.stdout
    tasks = pd.read_csv(tmp_path / "tasks.csv", dtype=str, keep_default_na=False)
    # The embedded plan's catalogue gives the English titles.
    assert tasks.set_index("id").loc["3.2.1.1", "title_en"] == "Define the target groups and standards"


def test_cli_user_error_has_no_traceback_and_keeps_old_outputs(tmp_path):
    assert _cli("extract", "--out", str(tmp_path)).returncode == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = _cli("--lang", "zh", "extract", "--plan", str(PLANS / "small-bad-number.txt"), "--out", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "不是数字" in result.stderr and "东湖区" in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_cli_missing_file(tmp_path):
    result = _cli("--lang", "en", "extract", "--plan", str(tmp_path / "nope.txt"), "--out", str(tmp_path))
    assert result.returncode == 1 and "file not found" in result.stderr and "Traceback" not in result.stderr
