"""Downloads: formulas from text inputs neutralized, numbers kept, missing kept empty, same bytes twice."""

from __future__ import annotations

import csv
import math

import openpyxl
import pandas as pd
import pytest

from reportkit import files
from reportkit.publishing import downloads as export

HOSTILE = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=x", "\r=x", '=HYPERLINK("http://x","y")']


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "source": HOSTILE + ["统计局 2023", "plain"],
        "value": [1.5, -2.0, 3, 0, 7, 8, 9, math.nan, 10],
    })


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralize_prefixes_formula_text(text):
    assert export.neutralize(text) == "'" + text


def test_numbers_and_plain_text_untouched():
    assert export.neutralize(-2.0) == -2.0
    assert export.neutralize("统计局") == "统计局"


def test_csv_has_no_live_formula_and_keeps_numbers(tmp_path, hostile):
    path = export.write_csv(_frame(), tmp_path / "t.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    hostile["download cells"] = hostile.get("download cells", 0) + len(HOSTILE)
    for row in rows:
        assert not row["source"].startswith(export.FORMULA_START)
    assert [r["value"] for r in rows][:2] == ["1.5", "-2.0"]  # a negative number is still a number
    assert rows[7]["value"] == ""  # missing is empty, never 0


def test_xlsx_has_no_formula_cells_and_numbers_are_numbers(tmp_path, hostile):
    path = export.write_xlsx({"results": _frame()}, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path)["results"]
    hostile["download cells"] = hostile.get("download cells", 0) + len(HOSTILE)
    for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
        assert cell.data_type == "s" and not str(cell.value).startswith(export.FORMULA_START)
    values = [c.value for (c,) in ws.iter_rows(min_row=2, min_col=2, max_col=2)]
    assert values[1] == -2 and isinstance(values[1], int | float)
    assert values[7] is None


def test_xlsx_is_byte_identical_on_rebuild(tmp_path, monkeypatch):
    import datetime as dt
    import types

    import openpyxl.writer.excel as writer

    a = export.write_xlsx({"r": _frame()}, tmp_path / "a.xlsx").read_bytes()

    class Later(dt.datetime):  # openpyxl stamps "modified" with the clock: pretend years passed
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=tz)

    clock = types.SimpleNamespace(datetime=Later, timezone=dt.timezone)
    monkeypatch.setattr(writer, "datetime", clock)
    b = export.write_xlsx({"r": _frame()}, tmp_path / "b.xlsx").read_bytes()
    assert a == b


def test_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old", encoding="utf-8")

    with pytest.raises(RuntimeError):
        files.atomic_write(path, lambda tmp: (_ for _ in ()).throw(RuntimeError("disk full")))
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_written_files_get_ordinary_permissions(tmp_path):
    path = files.atomic_write_text(tmp_path / "t.txt", "x")
    assert path.stat().st_mode & 0o777 == 0o666 & ~files._UMASK


def test_downloads_carry_no_float_noise(tmp_path):
    """Results are computed in binary floating point; the files show the decimal a person would
    write (-0.202, not -0.20199999999999818), missing stays empty."""
    import pandas as pd

    from reportkit.publishing.downloads import _plain, clean_float

    assert clean_float(-0.20199999999999818) == -0.202
    assert clean_float(0.1 + 0.2) == 0.3
    assert clean_float(1234567.5) == 1234567.5 and clean_float("x") == "x"
    frame = _plain(pd.DataFrame({"r": [-0.20199999999999818, None, 2 / 3]}))
    path = tmp_path / "r.csv"
    export.write_csv(frame, path)
    text = path.read_text(encoding="utf-8-sig")
    assert "-0.202\n" in text and "9999999" not in text and "0.666666666667" in text
    assert text.splitlines()[2] in ("", "\"\"")  # missing: an empty cell, never 0 or nan


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reader_workbook_speaks_the_readers_language(tmp_path, lang):
    """The labelled workbook: headings and labels in the reader's language, no codes or
    True/False, completion formatted as a percentage, missing cells empty."""
    from reportkit.i18n import t
    from reportkit.report.context import load_context
    from reportkit.vocab import STATUS_CODES

    ctx = load_context(stage="midterm")
    path = export.write_reader_workbook(ctx, lang, tmp_path / f"r-{lang}.xlsx")
    ws = openpyxl.load_workbook(path).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == t("report.col.indicator", lang) and t("report.col.status", lang) in rows[0]
    assert len(rows) == len(ctx.results) + 1
    values = {v for row in rows[1:] for v in row if v is not None}
    texts = {v for v in values if isinstance(v, str)}
    assert not any(isinstance(v, bool) for v in values)
    assert not texts & {"True", "False", "nan", "<NA>"} and not texts & set(STATUS_CODES)
    assert {t(f"status.status.{c}", lang) for c in ctx.results["status"].dropna()} <= values
    k = rows[0].index(t("report.col.completion", lang)) + 1
    assert ws.cell(row=2, column=k).number_format == "0.0%"
    if any(ctx.results["warning"].fillna(False).astype(bool)):
        assert t("status.warning.flag", lang) in values
