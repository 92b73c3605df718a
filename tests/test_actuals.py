"""Reading reported actuals: round trips, one fixture per problem, hostile files, fuzzing."""

from __future__ import annotations

import hashlib
import io
import math
import string
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from reportkit.cli import main
from reportkit.inputs import workbook
from reportkit.inputs.actuals import current, read_actuals
from reportkit.inputs.form import (
    build_workbook,
    csv_bytes,
    csv_rows,
    expected_cells,
    workbook_bytes,
)
from reportkit.inputs.sample import Value, fill

FX = Path(__file__).resolve().parent / "fixtures" / "actuals"
ANNEX2 = "附件2 城镇老旧小区改造规模"
CITY = "全市指标 City"


def found(result) -> list[tuple[str, str]]:
    return [(p.key, p.location.render("en")) for p in result.problems]


def value_of(table, indicator, district, year):
    rows = current(table)
    rows = rows[(rows.indicator == indicator) & (rows.district == district) & (rows.year == year)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# ---- round trip ---------------------------------------------------------------------------

def _numbers(plan) -> list[Value]:
    """A distinct, hand-checkable number for every expected cell (judgements for qualitative)."""
    out = []
    for k, e in enumerate(expected_cells(plan)):
        ind = plan.indicator(e.indicator)
        if ind.kind == "qualitative":
            v: float | str = ["met", "partly", "not_met", 99.5, "部分达到"][k % 5]
        elif ind.reported_unit["zh"] == "%":
            v = 10 + k % 90 + 0.25
        else:
            v = 1000 + 7 * k + (0.5 if k % 3 else 0)
        out.append(Value(e.indicator, e.district, e.year, v))
    return out


def _check_round_trip(plan, result, values):
    # The numbers are arbitrary (not scaled to the plan), so plausibility warnings may appear.
    assert result.problems == [] and [w for w in result.warnings if not w.key.startswith("implausible_")] == []
    assert result.missing == []
    judged = {"met": "met", "partly": "partly", "not_met": "not_met", "部分达到": "partly"}
    for v in values:
        row = value_of(result.table, v.indicator, v.district, v.year)
        if isinstance(v.value, str):
            assert row.judgement == judged[v.value] and math.isnan(row.value)
        else:
            assert row.value == v.value and row.judgement == ""
        assert row.source == "市统计局" and not row.illustrative


def test_round_trip_xlsx(dazhou_plan, tmp_path):
    values = _numbers(dazhou_plan)
    # The city rows of the annexes must equal the district sums, or a warning is due.
    for v in values:
        ind = dazhou_plan.indicator(v.indicator)
        if ind.annex is not None and v.district == dazhou_plan.city:
            v.value = float(sum(w.value for w in values if w.indicator == v.indicator and w.year == v.year
                                and w.district != dazhou_plan.city))
    wb = fill(dazhou_plan, values, {"correction": None})
    for ws in wb.worksheets:   # replace the illustrative source the sample filler writes
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and "示例数据" in c.value:
                    c.value = "市统计局"
    path = tmp_path / "filled.xlsx"
    path.write_bytes(workbook_bytes(wb))
    result = read_actuals(path, dazhou_plan)
    _check_round_trip(dazhou_plan, result, values)
    assert len(result.table) == len(values)
    assert value_of(result.table, "old_residential_renovation", "通川区", 2021).location == f"filled.xlsx: {ANNEX2}!D7"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_round_trip_csv(dazhou_plan, tmp_path, encoding):
    values = _numbers(dazhou_plan)
    rows = csv_rows(dazhou_plan)
    for row, v in zip(rows, values, strict=True):
        row.update(value=v.value, source="市统计局")
    for row in rows:   # the optional city rows: leave them empty
        if row["district"] == dazhou_plan.city and dazhou_plan.indicator(row["indicator"]).annex:
            row["value"], row["source"] = "", ""
    path = tmp_path / "filled.csv"
    path.write_bytes(csv_bytes(rows).decode("utf-8-sig").encode(encoding))
    result = read_actuals(path, dazhou_plan)
    keep = [v for v in values if not (v.district == dazhou_plan.city and dazhou_plan.indicator(v.indicator).annex)]
    _check_round_trip(dazhou_plan, result, keep)


def test_good_csv_numbers_corrections_and_missing(dazhou_plan):
    for name in ("good.csv", "gb18030.csv", "utf8_bom.csv"):
        r = read_actuals(FX / name, dazhou_plan)
        assert r.problems == [] and r.warnings == [], name
        t = r.table
        assert value_of(t, "property_management_coverage", "达州市", 2022).value == 52.5
        row = value_of(t, "commercial_housing_supply", "达州市", 2021)
        assert row.value == 1234 and row.status == "preliminary"          # "1,234"
        assert value_of(t, "public_rental_coverage", "达州市", 2021).judgement == "met"
        assert value_of(t, "public_rental_coverage", "达州市", 2022).value == 98.5
        # line 7 holds １６００４ (full width); line 8 corrects it to 16500 and names line 7.
        old = t[(t.indicator == "old_residential_renovation") & (t.district == "通川区") & (t.year == 2021)]
        assert sorted(old.value) == [16004, 16500]
        fix = old[old.value == 16500].iloc[0]
        assert fix.replaces == f"{name}: line 7" and fix.location == f"{name}: line 8"
        assert value_of(t, "old_residential_renovation", "通川区", 2021).value == 16500
        # An empty value is missing, never zero, and listed as missing.
        gap = value_of(t, "old_residential_renovation", "通川区", 2022)
        assert math.isnan(gap.value) and gap.location == f"{name}: line 9"
        assert ("old_residential_renovation", "通川区", 2022) in {(m.indicator, m.district, m.year) for m in r.missing}
        assert (t.value == 0).sum() == 0


# ---- one fixture per problem ----------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("text_in_number.csv", [("not_a_number", "text_in_number.csv: line 3")]),
    ("negative.csv", [("negative", "negative.csv: line 2")]),
    ("percent_fraction.csv", [("percent_fraction", "percent_fraction.csv: line 2")]),
    ("unknown_district.csv", [("unknown_district", "unknown_district.csv: line 2")]),
    ("unknown_indicator.csv", [("unknown_indicator", "unknown_indicator.csv: line 2")]),
    ("year_outside.csv", [("year_outside", "year_outside.csv: line 2"), ("year_outside", "year_outside.csv: line 3")]),
    ("conflict.csv", [("conflict", "conflict.csv: line 4")]),
    ("no_source.csv", [("no_source", "no_source.csv: line 2")]),
    ("bad_replaces.csv", [("replaces_mismatch", "bad_replaces.csv: line 3"),
                          ("replaces_unknown", "bad_replaces.csv: line 4")]),
    ("bad_header.csv", [("csv_header", "bad_header.csv: line 1")]),
    ("extra_fields.csv", [("csv_extra_fields", "extra_fields.csv: line 2")]),
    ("nul.csv", [("csv_nul", "nul.csv: line 2")]),
    ("text_cell.xlsx", [("not_a_number", f"text_cell.xlsx: {ANNEX2}!F7")]),
    ("formula.xlsx", [("formula_no_value", f"formula.xlsx: {ANNEX2}!H7")]),
    ("percent.xlsx", [("percent_fraction", f"percent.xlsx: {CITY}!I26")]),
    ("many.xlsx", [("negative", f"many.xlsx: {ANNEX2}!D7"), ("not_a_number", f"many.xlsx: {ANNEX2}!F7"),
                   ("unknown_district", f"many.xlsx: {ANNEX2}!A9"), ("no_source", f"many.xlsx: {CITY}!J5")]),
    ("not_zip.xlsx", [("not_workbook", "not_zip.xlsx")]),
    ("zip_not_workbook.xlsx", [("not_workbook", "zip_not_workbook.xlsx")]),
    ("entities.xlsx", [("xml_entities", "entities.xlsx")]),
])
def test_problem_fixture(dazhou_plan, name, expected):
    result = read_actuals(FX / name, dazhou_plan)
    assert found(result) == expected
    for p in result.problems:
        zh, en = p.message("zh"), p.message("en")
        assert zh.startswith("错误") and en.startswith("Error") and zh != en


def test_problem_messages_quote_the_value(dazhou_plan):
    r = read_actuals(FX / "text_in_number.csv", dazhou_plan)
    assert "约700" in r.problems[0].message("zh") and "10,000 m²" in r.problems[0].message("en")
    r = read_actuals(FX / "conflict.csv", dazhou_plan)
    msg = r.problems[0].message("en")
    assert '"710"' in msg and '"700"' in msg and "conflict.csv: line 2" in msg


def test_percent_rule(dazhou_plan):
    # 0.5% written with its sign is taken as meant (0.5 percent points).
    r = read_actuals(FX / "percent_fraction.csv", dazhou_plan)
    assert value_of(r.table, "property_management_coverage", "达州市", 2022).value == 0.5
    # A cell formatted as a percentage showing 45 % (stored 0.45) is 45 percent points.
    r = read_actuals(FX / "percent.xlsx", dazhou_plan)
    assert value_of(r.table, "property_management_coverage", "达州市", 2022).value == 45


def test_district_sum_mismatch_is_a_warning_with_both_numbers(dazhou_plan):
    r = read_actuals(FX / "district_sum.csv", dazhou_plan)
    assert r.problems == []
    assert [(w.key, w.location.render("en")) for w in r.warnings] == [
        ("district_sum_mismatch", "district_sum.csv: line 11")]
    # Annex 1, 2021: 通川区 527 + 达川区 502 + 开江县 601 = 1630; the fixture's city row says 1640.
    msg = r.warnings[0].message("en")
    assert "1640" in msg and "1630" in msg and r.warnings[0].message("zh").startswith("警告")


# ---- hostile files --------------------------------------------------------------------------

def test_size_limits(dazhou_plan, tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_BYTES", 100)
    assert found(read_actuals(FX / "good.csv", dazhou_plan)) == [("too_large", "good.csv")]
    monkeypatch.setattr(workbook, "MAX_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(workbook, "MAX_ROWS", 10)
    assert found(read_actuals(FX / "text_cell.xlsx", dazhou_plan)) == [
        ("too_large_sheet", "text_cell.xlsx: 说明 Guide")]
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(["indicator", "year", "value"] + [f"c{k}" for k in range(5000)]) + "\n")
    assert found(read_actuals(wide, dazhou_plan)) == [("too_many_columns", "wide.csv: line 1")]


def test_bad_encoding_and_missing_file(dazhou_plan, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"indicator,year,value\n\xff\xfe\xfd\xfc,2021,1\n" + bytes(range(0x80, 0xff)))
    assert found(read_actuals(bad, dazhou_plan))[0][0] == "csv_encoding"
    assert found(read_actuals(tmp_path / "nope.xlsx", dazhou_plan))[0][0] == "file_missing"


def test_input_is_never_written(dazhou_plan):
    for name in ("many.xlsx", "entities.xlsx", "good.csv"):
        path = FX / name
        before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        read_actuals(path, dazhou_plan)
        assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before


def test_cli_validate_exit_codes(capsys):
    assert main(["--lang", "en", "validate", str(FX / "good.csv")]) == 0
    out = capsys.readouterr().out
    assert "6 values read for 4 indicators" in out
    assert main(["validate", str(FX / "many.xlsx"), "--lang", "zh"]) == 1
    err = capsys.readouterr().err
    assert f"many.xlsx: {ANNEX2}!F7" in err and "不是数字" in err and "Traceback" not in err
    assert err.count("错误") >= 4


# ---- property test: junk in an input cell is always a located error -------------------------

NON_NUMERIC = "abcxyz约无—？/#$@!、人Ⅰ"
junk = st.builds(lambda a, c, b: a + c + b,
                 st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8),
                 st.sampled_from(NON_NUMERIC),
                 st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8))
# Numeric input cells of the template: an annex district cell and a city-wide cumulative cell.
TARGETS = [(ANNEX2, "F7", "old_residential_renovation", "通川区", 2022),
           (CITY, "I6", "commercial_housing_supply", "达州市", 2022)]


@pytest.fixture(scope="module")
def template_bytes(dazhou_plan) -> bytes:
    return workbook_bytes(build_workbook(dazhou_plan, titles={}))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=junk, target=st.sampled_from(TARGETS))
def test_junk_in_a_number_cell_is_a_located_error(dazhou_plan, template_bytes, tmp_path, text, target):
    sheet, cell, ind, district, year = target
    wb = load_workbook(io.BytesIO(template_bytes))
    wb[sheet][cell] = text
    wb[sheet][cell].data_type = "s"     # a string even if it starts with "=" (no formula)
    path = tmp_path / "junk.xlsx"
    wb.save(path)
    result = read_actuals(path, dazhou_plan)
    assert (f"junk.xlsx: {sheet}!{cell}") in {p.location.render("en") for p in result.problems}
    t = result.table
    hit = t[(t.indicator == ind) & (t.district == district) & (t.year == year)]
    assert hit["value"].isna().all()


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=string.printable + "约，。：％‰０１２３", max_size=12))
def test_any_text_in_csv_value_is_read_or_located(dazhou_plan, tmp_path_factory, text):
    """Whatever is written, the reader returns: a number equal to what was meant, or an error."""
    path = tmp_path_factory.mktemp("fz") / "f.csv"
    cell = '"' + text.replace('"', '""') + '"'
    path.write_text(f"indicator,district,year,value,source\nproperty_management_coverage,达州市,2021,{cell},x\n",
                    encoding="utf-8")
    result = read_actuals(path, dazhou_plan)
    row = value_of(result.table, "property_management_coverage", "达州市", 2021)
    if result.problems:
        assert all(p.location is not None and p.location.file == "f.csv" for p in result.problems)
        assert math.isnan(row.value)
    elif not math.isnan(row.value):
        assert row.value >= 0
        meant = float(text.strip().replace(",", "").rstrip("%％")
                      .translate(str.maketrans("０１２３", "0123")))
        assert row.value == pytest.approx(meant)
    else:
        assert text.strip() == ""   # only an empty cell may be missing without an error


def test_bad_status_points_at_the_status_cell(dazhou_plan, tmp_path, template_bytes):
    wb = load_workbook(io.BytesIO(template_bytes))
    ws = wb[ANNEX2]
    ws["D7"], ws["N7"], ws["O7"] = 16004, "市住建局", "draft"     # O = status of the row
    path = tmp_path / "status.xlsx"
    wb.save(path)
    assert found(read_actuals(path, dazhou_plan)) == [("bad_status", f"status.xlsx: {ANNEX2}!O7")]


def test_formula_with_saved_result_is_read(dazhou_plan, tmp_path):
    """As Excel saves it: the formula and its cached result; the result is the value."""
    src = zipfile.ZipFile(FX / "formula.xlsx")
    out = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            data = data.replace(b'<c r="H7" s="7"><f>D7*2</f><v /></c>', b'<c r="H7" s="7"><f>D7*2</f><v>200</v></c>')
            dst.writestr(info, data)
    result = read_actuals(out, dazhou_plan)
    assert result.problems == []
    assert value_of(result.table, "old_residential_renovation", "通川区", 2023).value == 200
