"""Download files (CSV and xlsx) that are safe to open in a spreadsheet and identical on rebuild.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) are prefixed with an apostrophe, the OWASP rule for CSV injection.
Numbers stay numbers: only text is touched. Files are written to a temporary name and moved into
place, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit.files import atomic_write
from reportkit.i18n import t
from reportkit.report.context import (
    ReportContext,
    download_names,
    edition_name,
    reader_workbook_name,
)
from reportkit.report.formatting import (
    data_missing,
    default_digits,
    grade_text,
    is_count,
    missing,
    status_label,
)
from reportkit.vocab import LANGS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Workbooks carry created/modified dates; fixing them makes rebuilds byte-identical.
FIXED_TIME = dt.datetime(2000, 1, 1)


def neutralize(value: Any) -> Any:
    """A cell value that a spreadsheet will show, never execute."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and header) neutralized."""
    out = frame.copy()
    out.columns = [neutralize(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralize)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 with BOM (so Excel opens Chinese text correctly), LF line ends, text quoted.

    Quoting every text field keeps a carriage return or line feed inside a note in its cell.
    """
    safe = neutralize_frame(frame)
    return atomic_write(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n",
                                                 quoting=csv.QUOTE_NONNUMERIC))


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """One sheet per frame; deterministic bytes (fixed document dates and zip timestamps)."""
    from openpyxl import Workbook

    def write(tmp: Path) -> None:
        wb = Workbook()
        wb.remove(wb.active)
        for name, frame in sheets.items():
            ws = wb.create_sheet(title=name[:31])
            safe = neutralize_frame(frame)
            ws.append(list(safe.columns))
            for row in safe.itertuples(index=False):
                ws.append([_cell(v) for v in row])
            ws.freeze_panes = "A2"
        wb.properties.created = FIXED_TIME
        wb.properties.modified = FIXED_TIME
        wb.save(tmp)
        _normalize_zip(tmp)

    return atomic_write(path, write)


def _cell(value: Any) -> Any:
    """Missing stays an empty cell (never 0 or 'nan'); numpy scalars become Python numbers."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _normalize_zip(path: Path) -> None:
    """Rewrite the zip with fixed member timestamps (openpyxl stamps the current time)."""
    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in members:
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with the clock on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            zout.writestr(fixed, data)


def write_table(frame: pd.DataFrame, path: Path, sheet: str = "data") -> Path:
    """Write by extension: ``.csv`` or ``.xlsx``."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return write_xlsx({sheet: frame}, path)
    return write_csv(frame, path)


def write_downloads(ctx: ReportContext, folder: Path) -> dict[str, list[str]]:
    """Results and actuals as CSV and xlsx (reportkit.publishing.downloads: injection-safe, deterministic)."""
    from reportkit.publishing import downloads as export

    folder.mkdir(parents=True, exist_ok=True)
    names = download_names(ctx)
    frames = {"results": ctx.results, "actuals": ctx.actuals, "reconciliation": ctx.evaluation.reconciliation,
              "audit": ctx.tables.plan_audit}
    for name, frame in frames.items():
        csv_name, xlsx_name = names[name]
        export.write_csv(_plain(frame), folder / csv_name)
        export.write_xlsx({name: _plain(frame)}, folder / xlsx_name)
        _pin_xlsx_modified(folder / xlsx_name)
    for lang in LANGS:
        write_reader_workbook(ctx, lang, folder / reader_workbook_name(ctx.plan.id, edition_name(ctx.stage, ctx.as_of), lang))
    return names


# The readers' workbook: (heading key in report.col, number format or None, value of a results row).
# Numbers stay numbers (a reader can sum them); their number format writes them as the pages do
# (report/formatting.py): percentages with %, thousands separators, counts whole, decimals as
# fmt_num chooses. An empty value is "—" when it does not apply and 数据缺失 / "no data" when
# data are missing, never an empty cell or 0.
PERCENT, RATIO = "0.0%", "0.00"
VALUE = "value"      # a value in the indicator's unit: format chosen per row and value


def _value_format(value: Any, unit_zh: str) -> str:
    """The Excel number format that writes ``value`` as :func:`fmt_value` does."""
    if is_count(unit_zh) or not isinstance(value, int | float) or float(value).is_integer():
        return "#,##0"
    return "#,##0." + "0" * default_digits(float(value))


def _absent(row: Any, key: str, lang: str) -> str:
    """What an empty cell says: 数据缺失 / "no data" for missing data, "—" where the value does
    not apply (the rule the pages use: formatting.data_missing)."""
    return t("report.missing", lang) if data_missing(row, key) else "—"


def _reader_columns(ctx: ReportContext, lang: str) -> list[tuple[str, str | None, Any]]:
    def label(group: str, code: Any) -> str | None:
        return None if code is None or (isinstance(code, float) and math.isnan(code)) or code is pd.NA \
            or str(code) in ("", "nan", "<NA>") else t(f"{group}.{code}", lang)

    columns = [
        ("indicator", None, lambda r: r[f"indicator_{lang}"]),
        ("district", None, lambda r: r[f"district_{lang}"]),
        ("unit", None, lambda r: r[f"unit_{lang}"]),
        ("attribute", None, lambda r: label("report.attribute", r["attribute"])),
        ("baseline", VALUE, lambda r: r["baseline"]),
        ("target", VALUE, lambda r: r["target"]),
        ("expected", VALUE, lambda r: r["expected"]),
        ("actual", VALUE, lambda r: r["actual"]),
        ("completion", PERCENT, lambda r: r["completion"]),
        ("time_progress", PERCENT, lambda r: r["time_progress"]),
        ("schedule_ratio", RATIO, lambda r: r["schedule_ratio"]),
        ("status", None, lambda r: None if missing(r["status"]) else status_label(r["status"], lang, ctx.stage)),
    ]
    if ctx.stage == "final" and "grade" in ctx.results:   # the end of term is judged by grades
        columns.append(("grade", None, lambda r: None if missing(r["grade"]) else grade_text(r, lang)))
    return columns + [
        ("warning", None, lambda r: t("status.warning.flag", lang) if _flagged(r["warning"]) else None),
        ("missing_years", None, lambda r: r["missing_years"]),
    ]


def _flagged(value: Any) -> bool:
    """A warning flag that is set (True or numpy's True; missing is not set)."""
    return type(value).__name__ in ("bool", "bool_") and bool(value)


def write_reader_workbook(ctx: ReportContext, lang: str, path: Path) -> Path:
    """The results for people: headings and labels in ``lang`` (no codes, no True/False),
    percentages and thousands formatted, missing left empty. The CSV stays the tidy machine file."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    columns = _reader_columns(ctx, lang)

    def write(tmp: Path) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = t("report.data.reader_sheet", lang)[:31]
        ws.append([neutralize(t(f"report.col.{key}", lang)) for key, _, _ in columns])
        for r, (_, row) in enumerate(ctx.results.iterrows(), start=2):
            for k, (key, fmt, get) in enumerate(columns, start=1):
                value = clean_float(_cell(get(row)))
                if fmt and value is None:   # an empty number: missing or not applicable, in words
                    value = _absent(row, key, lang)
                cell = ws.cell(r, k, neutralize(value))
                if fmt and isinstance(value, int | float):
                    cell.number_format = _value_format(value, row["unit_zh"]) if fmt == VALUE else fmt
                    cell.alignment = Alignment(horizontal="right")
                elif fmt:
                    cell.alignment = Alignment(horizontal="right")
        ws.freeze_panes = "C2"
        ws.column_dimensions["A"].width = 36
        ws.column_dimensions["B"].width = 18
        wb.properties.created = FIXED_TIME
        wb.properties.modified = FIXED_TIME
        wb.save(tmp)
        _normalize_zip(tmp)

    atomic_write(path, write)
    _pin_xlsx_modified(path)
    return path


_MODIFIED_RE = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


_CREATED_RE = re.compile(rb"<dcterms:created[^>]*>([^<]*)</dcterms:created>")


def _pin_xlsx_modified(path: Path) -> None:
    """The workbook's "modified" date set to its fixed "created" date.

    openpyxl stamps the clock into docProps/core.xml on save, whatever ``properties.modified``
    says, so two builds a second apart gave different bytes. Members keep their order, names
    and fixed zip timestamps; written atomically.
    """
    import zipfile

    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    out = []
    for info, data in members:
        if info.filename == "docProps/core.xml":
            created, modified = _CREATED_RE.search(data), _MODIFIED_RE.search(data)
            if created and modified:
                data = (data[:modified.start()] + modified.group(1) + created.group(1)
                        + modified.group(2) + data[modified.end():])
        out.append((info, data))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info, data in out:
                zout.writestr(info, data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def clean_float(value: Any) -> Any:
    """A float without binary noise: -0.20199999999999818 → -0.202 (12 significant digits,
    far more than any reported figure has); other values unchanged."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.12g}")
    return value


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and other objects as text, so CSV/xlsx cells are plain values; floats without noise."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(clean_float)
        if out[c].map(lambda v: isinstance(v, list | tuple | set | dict)).any():
            out[c] = out[c].map(lambda v: ", ".join(map(str, v)) if isinstance(v, list | tuple | set)
                                else (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v))
    return out
