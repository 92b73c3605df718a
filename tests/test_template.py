"""The actuals template: layout from the plan, bilingual, protected, deterministic."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from reportkit.inputs import catalogue
from reportkit.inputs import plan as plan_tables
from reportkit.inputs.form import (
    CSV_COLUMNS,
    build_workbook,
    csv_bytes,
    csv_rows,
    expected_cells,
    workbook_bytes,
    write_template,
)
from reportkit.inputs.synthetic import write_plan

ANNEX2 = "附件2 城镇老旧小区改造规模"
CITY = "全市指标 City"


@pytest.fixture(scope="module")
def wb(dazhou_plan):
    return load_workbook(io.BytesIO(workbook_bytes(build_workbook(dazhou_plan))))


def test_expected_cells_of_the_default_plan(dazhou_plan):
    cells = expected_cells(dazhou_plan)
    # Counted by hand from catalogue.yml: 4 annex indicators × 10 rows (city + 9 districts) × 5
    # years = 200; 13 city-wide inputs × 5 years = 65, plus the baseline year 2020 for the 3
    # level/growth indicators and the 4 stocks (the end-2020 running total) without a stated
    # baseline; not for the band (个贷率) nor the derived growth rate.
    assert len(cells) == 200 + 65 + 3 + 4
    assert sum(c.optional for c in cells) == 4 * 5          # the annex city rows
    ids = {c.indicator for c in cells}
    assert "housing_fund_contributors_growth" not in ids
    base = {c.indicator for c in cells if c.year == 2020}
    assert base == {"housing_fund_contributors", "flexible_workers_in_fund", "property_management_area_growth",
                    "housing_fund_contributions", "housing_fund_withdrawals", "housing_fund_loans_count",
                    "housing_fund_loans_amount"}


def test_sheets_one_per_annex_plus_city_guide_corrections_and_tasks(wb):
    assert wb.sheetnames == ["说明 Guide", "附件1 城镇棚户区改造", ANNEX2, "附件3 公租房保障",
                             "附件4 筹集保障性租赁住房", CITY, "更正 Fixes", "任务进展 Tasks"]
    assert all(len(n) <= 31 for n in wb.sheetnames)


def test_annex_sheet_shows_the_plan_beside_the_cells(wb):
    ws = wb[ANNEX2]
    assert ws["B2"].value == "old_residential_renovation"
    assert ws["A7"].value == "通川区" and ws["B7"].value == "Tongchuan District"
    # Annex 2 of the plan: 通川区 plans 16004 in 2021 and 10688 in 2022, 50471 in total.
    assert ws["C4"].value == "2021年 规划 / 2021 plan" and ws["C7"].value == 16004
    assert ws["D4"].value == "2021年 实际 / 2021 actual" and ws["D7"].value is None
    assert ws["E7"].value == 10688
    assert ws["M7"].value == 50471
    assert [ws.cell(5, c).value for c in (1, 3, 4, 13, 14, 15, 16)] == [
        "district", "plan:2021", "value:2021", "plan:total", "source", "status", "note"]
    assert ws["E2"].value == "户 / households"


def test_inputs_unlocked_headers_locked_frozen_validated(wb):
    ws = wb[ANNEX2]
    assert ws.protection.sheet
    assert ws["D7"].protection.locked is False and ws["N7"].protection.locked is False
    assert ws["C7"].protection.locked is True and ws["C4"].protection.locked is True
    assert ws.freeze_panes == "C6"
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert any("D7" in ref for ref in " ".join(rules).split())
    numeric = next(dv for dv in ws.data_validations.dataValidation if dv.type == "decimal")
    assert numeric.operator == "greaterThanOrEqual" and numeric.formula1 == "0"
    city = wb[CITY]
    pct_row = next(r for r in range(5, city.max_row + 1) if city.cell(r, 1).value == "property_management_coverage")
    assert city.cell(pct_row, 6).value == "%"
    prompts = " ".join(dv.prompt or "" for dv in city.data_validations.dataValidation)
    assert "75% 填 75" in prompts and "75 % is 75" in prompts


def test_city_sheet_baseline_rows(wb):
    ws = wb[CITY]
    rows = [(ws.cell(r, 1).value, ws.cell(r, 5).value, ws.cell(r, 8).value) for r in range(5, ws.max_row + 1)]
    assert ("housing_fund_contributors", 2020, None) in rows            # baseline to report
    assert ("property_management_coverage", 2020, None) not in rows     # plan states 40 %
    # per_capita_floor_area: the plan's baseline is 42.5 (stated for 2020), not asked again
    assert not any(r[0] == "per_capita_floor_area" and r[1] == 2020 for r in rows)


def test_workbook_is_deterministic(dazhou_plan, tmp_path):
    a = write_template(dazhou_plan, tmp_path / "a.xlsx").read_bytes()
    b = write_template(dazhou_plan, tmp_path / "b.xlsx").read_bytes()
    assert a == b
    core = load_workbook(tmp_path / "a.xlsx").properties
    assert core.created.year == 2020 and core.modified.year == 2020


def test_csv_skeleton(dazhou_plan, tmp_path):
    path = write_template(dazhou_plan, tmp_path / "t.csv", "csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(expected_cells(dazhou_plan))
    assert all(r["value"] == "" for r in rows)
    first = next(r for r in rows if r["indicator"] == "old_residential_renovation" and r["district"] == "通川区")
    assert (first["indicator_zh"], first["year"], first["unit"]) == ("城镇老旧小区改造规模", "2021", "户 / households")
    assert csv_bytes(csv_rows(dazhou_plan)) == raw


def test_other_plan_2026_2030(tmp_path):
    """A plan with other districts, 8 annexes and years 2026–2030 gets its own layout."""
    plan_path, cat_path = write_plan(tmp_path, districts=12, annexes=8)
    plan = catalogue.load(cat_path, plan_tables.extract(plan_path))
    wb = build_workbook(plan)
    assert len(wb.sheetnames) == 8 + 3 and len(set(wb.sheetnames)) == 11
    ws = wb["附件8 第8项住房保障"]
    assert ws["A6"].value == "青山市" and ws["A18"].value == "第12区"
    assert ws.cell(5, 4).value == "value:2026" and ws.cell(5, 12).value == "value:2030"
