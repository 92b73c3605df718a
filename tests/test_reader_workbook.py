"""The readers' workbook (one per language) writes its numbers as the pages do (issue 13, "one
formatter"): percentages with %, thousands separators, whole counts, "—" only where a value does
not apply and 数据缺失 / "no data" only where data are missing."""

from __future__ import annotations

import pytest

from reportkit.i18n import t
from reportkit.publishing.downloads import _value_format


def test_number_formats_follow_the_pages_formatter():
    assert _value_format(5731.0, "户（套）") == "#,##0"          # counts: whole numbers
    assert _value_format(5731.5, "户（套）") == "#,##0"
    assert _value_format(42.5, "平方米/人") == "#,##0.0"         # fmt_num: one decimal from 10 up
    assert _value_format(2.16, "亿元") == "#,##0.00"             # two below 10
    assert _value_format(3000.0, "万平方米") == "#,##0"           # whole: no trailing point ("3,000.")


@pytest.mark.e2e
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_reader_workbook_of_the_shared_build(lang):
    from openpyxl import load_workbook

    from conftest import shared_build

    path = next((shared_build() / "html" / "downloads").glob(f"*-results-{lang}.xlsx"))
    ws = load_workbook(path).active
    rows = list(ws.iter_rows())
    head = [c.value for c in rows[0]]
    col = {key: head.index(t(f"report.col.{key}", lang)) for key in
           ("indicator", "district", "actual", "target", "completion", "schedule_ratio", "status", "time_progress")}
    by = {(r[col["indicator"]].value, r[col["district"]].value): r for r in rows[1:]}

    # 城镇棚户区改造, the city at the end of 2023: 5,731 of 6,505 households; 4,426 due (hand-checked)
    city = "达州市" if lang == "zh" else "Dazhou City (total)"
    name = "城镇棚户区改造" if lang == "zh" else "Urban shantytown redevelopment"
    row = by[(name, city)]
    assert (row[col["actual"]].value, row[col["actual"]].number_format) == (5731, "#,##0")
    assert row[col["target"]].value == 6505
    assert round(row[col["completion"]].value, 4) == round(5731 / 6505, 4)      # 88.1%
    assert row[col["completion"]].number_format == "0.0%"
    assert round(row[col["schedule_ratio"]].value, 2) == 1.29 and row[col["schedule_ratio"]].number_format == "0.00"
    assert (row[col["time_progress"]].value, row[col["time_progress"]].number_format) == (0.6, "0.0%")

    missing, na = t("report.missing", lang), "—"
    numeric = [col[k] for k in ("actual", "target", "completion", "schedule_ratio", "time_progress")]
    for r in rows[1:]:
        for k in numeric:
            v = r[k].value
            assert v is not None, (r[0].value, r[1].value, head[k])        # never an empty cell
            if isinstance(v, str):
                assert v in (missing, na), v
            else:
                assert r[k].number_format != "General", (r[0].value, head[k])
        for c in r:
            assert c.value is None or str(c.value) not in ("nan", "None", "inf", "NaN", "True", "False")
    # missing data are said to be missing (the district that did not report), a value that does
    # not apply (no completion without a target) is a dash
    statuses = {r[col["status"]].value: r for r in rows[1:]}
    no_data = statuses[t("status.status.no_data", lang)]
    assert no_data[col["actual"]].value == missing
    no_target = statuses[t("status.status.no_target", lang)]
    assert no_target[col["completion"]].value == na
