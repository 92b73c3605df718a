"""Raw cells of a filled form, as written: a workbook or a CSV file read without trusting it.

Size limits apply before parsing; openpyxl parses XML through defusedxml, so entity attacks
are refused; only cells present in a sheet are read, never its claimed dimensions.
:mod:`reportkit.inputs.actuals` interprets what this module returns.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from reportkit.errors import Location, Problem
from reportkit.i18n import t
from reportkit.inputs.form import both, pair_name

MAX_BYTES = 20 * 1024 * 1024          # input file size


MAX_UNZIPPED = 200 * 1024 * 1024      # sum of a workbook's unpacked parts (zip bombs)


MAX_ROWS = 20_000                     # rows read per sheet / CSV lines


MAX_COLS = 300                        # columns per sheet / CSV fields


KEY_SCAN_ROWS = 30                    # the key row is searched in the first rows of a sheet


GROUP = "actuals_errors"


CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")   # illegal in xlsx (openpyxl refuses them)


@dataclass
class Raw:
    """One value as written, before any interpretation."""

    indicator: Any
    district: Any
    year: Any
    value: Any
    source: Any
    status: Any
    note: Any
    replaces: Any
    loc: Location                      # the value's cell or line
    src_loc: Location                  # the source's cell or line
    ind_loc: Location | None = None    # where the indicator id was read
    dist_loc: Location | None = None   # where the district was read
    percent_format: bool = False       # Excel cell formatted as a percentage (75 % stored as 0.75)
    formula: bool = False              # a formula whose result was not saved
    stat_loc: Location | None = None   # where the status was read
    period: Any = None                 # months covered: empty = the full year, "1-6月" = January–June
    period_loc: Location | None = None


@dataclass
class RawTask:
    """One row of the task sheet as written: a task's or item's progress, before interpretation."""

    task: Any
    progress: Any
    evidence: Any
    lead: Any
    as_of: Any
    reason: Any
    note: Any
    loc: Location                      # the progress cell
    id_loc: Location
    evidence_loc: Location
    date_loc: Location
    reason_loc: Location


def actuals_problem(key: str, loc: Location | None, severity: str = "error", **params: Any) -> Problem:
    return Problem(key, loc, params, severity, group=GROUP)


def cell_text(v: Any) -> str:
    """A cell as text without surrounding (also full-width) blanks; None is empty."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip().strip("\u3000").strip()


FATAL = {"not_workbook", "xml_entities", "too_large", "not_template", "csv_encoding", "csv_nul", "csv_header",
         "too_many_columns", "too_many_rows"}


def read_xlsx(data: bytes, file: str, tasks: list[RawTask] | None = None) -> tuple[list[Raw], list[Problem]]:
    """The values of a filled workbook, with the problems of reading it; the rows of its task
    sheet go to ``tasks`` when given (ignored otherwise)."""
    from openpyxl import load_workbook

    where = Location(file)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            unpacked = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return [], [actuals_problem("not_workbook", where, reason=type(exc).__name__)]
    if "xl/workbook.xml" not in names:
        return [], [actuals_problem("not_workbook", where, reason="xl/workbook.xml")]
    if unpacked > MAX_UNZIPPED:
        return [], [actuals_problem("too_large", where, size=unpacked, limit=MAX_UNZIPPED)]
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)   # parsed once
        raws: list[Raw] = []
        problems: list[Problem] = []
        found = False
        guide = {cell_text(pair_name("actuals.sheet_instructions"))} | {
            cell_text(t("actuals.sheet_instructions", lg)) for lg in ("zh", "en")}
        for ws in book.worksheets:
            cells = _cells(ws)
            head: dict[tuple[int, int], tuple[Any, str]] = {}
            fcells: set[tuple[int, int]] = set()
            rest = None
            for r, c, value, fmt, formula in cells:   # the first rows only: find the key row
                if r > KEY_SCAN_ROWS:
                    rest = (r, c, value, fmt, formula)
                    break
                if value is not None:
                    head[(r, c)] = (value, fmt)
                if formula:
                    fcells.add((r, c))
            key_row = _key_row(head)
            task_row = _task_key_row(head) if key_row is None else None
            if task_row is not None:
                grid = head
                for r, c, value, fmt, _formula in ([rest] if rest else []) + [x for x in cells]:
                    if value is not None:
                        grid[(r, c)] = (value, fmt)
                if tasks is not None:
                    _task_sheet(file, ws.title, grid, *task_row, tasks)
                continue
            if key_row is None:
                label = both("actuals.indicator_id")
                marked = [rc for rc, (v, _) in head.items() if cell_text(v) == label]
                if marked:   # a form sheet whose code row was deleted or translated
                    r0, c0 = min(marked)
                    problems.append(actuals_problem("key_row_missing", Location(file, ws.title, _cell(r0, c0))))
                elif ws.title not in guide and head:
                    problems.append(actuals_problem("extra_sheet", Location(file, ws.title), "warning"))
                continue   # never read further: a stray sheet costs only its first rows
            grid = head
            for r, c, value, fmt, formula in ([rest] if rest else []) + [x for x in cells]:
                if value is not None:
                    grid[(r, c)] = (value, fmt)
                if formula:
                    fcells.add((r, c))
            found = True
            r, keys = key_row
            if keys.get(1) == "district":
                _grid_sheet(file, ws.title, grid, fcells, r, keys, raws, problems)
            else:
                _long_sheet(file, ws.title, grid, fcells, r, keys, raws)
    except _TooBig as big:
        return [], [actuals_problem("too_large_sheet", Location(file, big.sheet), rows=MAX_ROWS, cols=MAX_COLS)]
    except Exception as exc:  # noqa: BLE001 — any parser failure of a hostile file is a user error
        chain, e = [], exc
        while e is not None and len(chain) < 10:
            chain.append(type(e).__name__)
            e = e.__cause__ or e.__context__
        # defusedxml refuses DTDs and entities; where lxml is installed (python-docx needs it)
        # openpyxl parses with lxml, whose guard against entity expansion says "amplification".
        if any("Forbidden" in name for name in chain) or "amplification" in str(exc).lower() \
                or "entit" in str(exc).lower():
            return [], [actuals_problem("xml_entities", where)]
        first = str(exc).splitlines()[0][:120] if str(exc) else ""
        return [], [actuals_problem("not_workbook", where, reason=f"{type(exc).__name__}: {first}")]
    if not found:
        problems.append(actuals_problem("not_template", where))
    return raws, problems


class _TooBig(Exception):
    def __init__(self, sheet: str):
        self.sheet = sheet


def _cells(ws):
    """The cells a read-only sheet actually holds, row by row: (row, col, value, number format,
    formula?). Only cells present in the sheet's XML are made (not the sheet's stated dimensions);
    beyond MAX_ROWS / MAX_COLS the sheet is refused (_TooBig). A generator: stop early to read less."""
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):  # noqa: ANN001 — openpyxl's signature
            cell = super().parse_cell(element)
            cell["formula"] = element.find(FORMULA_TAG) is not None
            return cell

    wb = ws.parent
    with ws._get_source() as src:
        parser = Parser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                        date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        for _idx, row in parser.parse():
            for cell in row:
                value, formula = cell["value"], cell["formula"]
                if value is None and not formula:
                    continue
                r, c = cell["row"], cell["column"]
                if r > MAX_ROWS or c > MAX_COLS:
                    raise _TooBig(ws.title)
                fmt = ReadOnlyCell(ws, r, c, value, cell["data_type"], cell["style_id"]).number_format or ""
                yield r, c, value, fmt, formula


def is_percent_format(fmt: str) -> bool:
    """True for a real percent number format (Excel shows the value × 100 with a % sign).

    Only an unquoted ``%`` scales: in ``0.00"%"`` or ``0.00\\%`` the sign is a literal and the
    stored number is what the evaluator typed. Colours/conditions in ``[...]`` are ignored.
    """
    fmt = re.sub(r'"[^"]*"?', "", fmt or "")      # quoted literals
    fmt = re.sub(r"\\.", "", fmt)                 # backslash-escaped characters
    fmt = re.sub(r"\[[^\]]*\]", "", fmt)           # [Red], [>=100], [$-804]
    return "%" in fmt


def _key_row(grid) -> tuple[int, dict[int, str]] | None:
    """The row of column codes written by the template (first key: district or indicator)."""
    for r in range(1, KEY_SCAN_ROWS + 1):
        first = cell_text(grid.get((r, 1), (None, ""))[0])
        if first not in ("district", "indicator"):
            continue
        keys = {c: cell_text(v) for (rr, c), (v, _) in grid.items() if rr == r}
        if any(k == "value" or k.startswith("value:") for k in keys.values()):
            return r, keys
    return None


def _task_key_row(grid) -> tuple[int, dict[int, str]] | None:
    """The key row of the task sheet (first key ``task``, a ``progress`` column)."""
    for r in range(1, KEY_SCAN_ROWS + 1):
        if cell_text(grid.get((r, 1), (None, ""))[0]) != "task":
            continue
        keys = {c: cell_text(v) for (rr, c), (v, _) in grid.items() if rr == r}
        if "progress" in keys.values():
            return r, keys
    return None


# What an evaluator writes on the task sheet (the id and the plan's lead body come pre-filled).
TASK_INPUTS = ("progress", "evidence", "as_of", "reason", "note")


def _task_sheet(file: str, title: str, grid, key_r: int, keys: dict[int, str], out: list[RawTask]) -> None:
    """The task sheet: one task or item per row, found through the key row's codes."""
    col = {k: c for c, k in keys.items()}
    last = max((r for r, _ in grid), default=key_r)
    for r in range(key_r + 1, last + 1):
        def get(key: str, r: int = r) -> Any:
            return grid.get((r, col[key]), (None, ""))[0] if key in col else None

        def at(key: str, r: int = r) -> Location:
            return Location(file, title, _cell(r, col.get(key, col["progress"])))
        if all(get(k) is None for k in TASK_INPUTS):
            continue   # a section heading row, or a task not reported on: its progress is missing
        out.append(RawTask(get("task"), get("progress"), get("evidence"), get("lead"), get("as_of"),
                           get("reason"), get("note"), at("progress"), at("task"), at("evidence"),
                           at("as_of"), at("reason")))


def _cell(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c)}{r}"


def _grid_sheet(file, title, grid, fcells, key_r, keys, raws, problems) -> None:
    """An annex sheet: district rows × value:YEAR columns, source/status/note per row."""
    label = both("actuals.indicator_id")
    ind_id, ind_loc = None, Location(file, title, "B2")
    for (r, c), (v, _) in sorted(grid.items()):
        if r < key_r and cell_text(v) == label:
            ind_id = cell_text(grid.get((r, c + 1), (None, ""))[0])
            ind_loc = Location(file, title, _cell(r, c + 1))
            break
    if not ind_id:
        problems.append(actuals_problem("unknown_indicator", ind_loc, value=""))
        return
    col = {k: c for c, k in keys.items()}
    value_cols = {c: k.split(":", 1)[1] for c, k in keys.items() if k.startswith("value:")}
    last = max((r for r, _ in grid), default=key_r)
    for r in range(key_r + 1, last + 1):
        def get(key: str, r: int = r) -> Any:
            return grid.get((r, col[key]), (None, ""))[0] if key in col else None
        district = get("district")
        cells = {c: grid.get((r, c)) for c in value_cols}
        if district is None and all(v is None for v in cells.values()):
            continue
        src_loc = Location(file, title, _cell(r, col.get("source", 1)))
        for c, year in value_cols.items():
            value, fmt = cells[c] if cells[c] is not None else (None, "")
            raws.append(Raw(ind_id, district, year, value, get("source"), get("status"), get("note"),
                             "", Location(file, title, _cell(r, c)), src_loc, ind_loc,
                             Location(file, title, _cell(r, col.get("district", 1))),
                             is_percent_format(fmt), (r, c) in fcells and value is None,
                             Location(file, title, _cell(r, col.get("status", 1)))))


def _long_sheet(file, title, grid, fcells, key_r, keys, raws) -> None:
    """A city-wide or corrections sheet: one value per row, tidy keys."""
    col = {k: c for c, k in keys.items()}
    last = max((r for r, _ in grid), default=key_r)
    inputs = [k for k in ("indicator", "district", "year", "value", "source", "status", "note", "replaces",
                          "period") if k in col]
    for r in range(key_r + 1, last + 1):
        def get(key: str, r: int = r) -> Any:
            return grid.get((r, col[key]), (None, ""))[0] if key in col else None
        if all(get(k) is None for k in inputs):
            continue
        vc = col["value"]
        value, fmt = grid.get((r, vc), (None, ""))
        raws.append(Raw(get("indicator"), get("district"), get("year"), value, get("source"),
                         get("status"), get("note"), get("replaces") or "",
                         Location(file, title, _cell(r, vc)),
                         Location(file, title, _cell(r, col.get("source", vc))),
                         Location(file, title, _cell(r, col["indicator"])),
                         Location(file, title, _cell(r, col.get("district", col["indicator"]))),
                         is_percent_format(fmt), (r, vc) in fcells and value is None,
                         Location(file, title, _cell(r, col.get("status", vc))),
                         get("period"), Location(file, title, _cell(r, col.get("period", vc)))))


def read_csv(data: bytes, file: str) -> tuple[list[Raw], list[Problem]]:
    """The tidy CSV form: UTF-8 (with or without BOM) or GB18030 as saved by Chinese Excel."""
    text = None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):   # Excel's "Unicode text"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            return [], [actuals_problem("csv_encoding", Location(file), reason=f"UTF-16: {str(exc)[:100]}")]
    elif b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return [], [actuals_problem("csv_nul", Location(file, line=line))]
    if text is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                return [], [actuals_problem("csv_encoding", Location(file), reason=str(exc)[:120])]
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ","
    if "," not in first:   # saved with another separator (European Excel: ";", "Unicode text": tab)
        delimiter = max((";", "\t", "|"), key=first.count) if any(d in first for d in ";\t|") else ","
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    raws: list[Raw] = []
    problems: list[Problem] = []
    try:
        header = next(reader, None)
        if header is None:
            return [], [actuals_problem("csv_header", Location(file, line=1), columns="")]
        if len(header) > MAX_COLS:
            return [], [actuals_problem("too_many_columns", Location(file, line=1), n=len(header), limit=MAX_COLS)]
        names = [cell_text(h).lower() for h in header]
        missing = [k for k in ("indicator", "year", "value") if k not in names]
        if missing:
            return [], [actuals_problem("csv_header", Location(file, line=1), columns=", ".join(missing))]
        col = {k: names.index(k) for k in dict.fromkeys(names) if k}
        prev_end = 1
        for row in reader:
            start = prev_end + 1        # the line where this record starts
            prev_end = reader.line_num
            if start > MAX_ROWS:
                return [], [actuals_problem("too_many_rows", Location(file, line=start), limit=MAX_ROWS)]
            if len(row) > MAX_COLS:
                return [], [actuals_problem("too_many_columns", Location(file, line=start), n=len(row), limit=MAX_COLS)]
            if not any(cell_text(c) for c in row):
                continue
            loc = Location(file, line=start)
            if len(row) > len(names):   # a stray comma: every field after it is shifted
                problems.append(actuals_problem("csv_extra_fields", loc, n=len(row), expected=len(names)))
                continue

            def get(key: str, row: list[str] = row) -> str:
                k = col.get(key)
                return row[k] if k is not None and k < len(row) else ""
            raws.append(Raw(get("indicator"), get("district"), get("year"), get("value"),
                             get("source"), get("status"), get("note"), get("replaces"),
                             loc, loc, loc, loc, period=get("period"), period_loc=loc))
    except csv.Error as exc:
        problems.append(actuals_problem("csv_syntax", Location(file, line=reader.line_num), reason=str(exc)[:120]))
    return raws, problems
