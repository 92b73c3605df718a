"""Stage 3b — reported actuals: read a filled template (xlsx) or tidy CSV, trust nothing.

:func:`read_actuals` turns either input into the tidy actuals table of docs/architecture.md and
collects *every* problem, each located (``file: sheet!cell`` or ``file: line N``). Rules (see
docs/actuals.md): an empty cell is missing, never 0; percentages are in percent points; every
value needs a source; corrections are new rows naming the value they replace.

Hostile files: the input is read into memory once and never written; size limits apply before
parsing; openpyxl parses XML through defusedxml (installed), so entity attacks are refused.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit.errors import Location, Problem, ReportkitError
from reportkit.i18n import t
from reportkit.inputs.catalogue import Indicator, Plan
from reportkit.inputs.form import (
    Expected,
    both,
    districts_for,
    expected_cells,
    is_percent,
    is_permille,
    pair_name,
    years_for,
)
from reportkit.inputs.plan import parse_number
from reportkit.vocab import JUDGEMENT_WORDS, TIDY_COLUMNS, VALUE_STATUS_WORDS

MAX_BYTES = 20 * 1024 * 1024          # input file size
MAX_UNZIPPED = 200 * 1024 * 1024      # sum of a workbook's unpacked parts (zip bombs)
MAX_ROWS = 20_000                     # rows read per sheet / CSV lines
MAX_COLS = 300                        # columns per sheet / CSV fields
KEY_SCAN_ROWS = 30                    # the key row is searched in the first rows of a sheet
GROUP = "actuals_errors"
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")   # illegal in xlsx (openpyxl refuses them)


@dataclass
class _Raw:
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


@dataclass
class ActualsResult:
    """The tidy table read from one file, with every error and warning found."""

    table: pd.DataFrame
    problems: list[Problem]
    warnings: list[Problem]
    expected: list[Expected]
    file: str
    lang: str = "zh"
    missing: list[Expected] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def illustrative(self) -> bool:
        """True when any value comes from the illustrative sample."""
        return bool(len(self.table)) and bool(self.table["illustrative"].any())

    def raise_for_problems(self) -> None:
        """Raise ReportkitError with every error (warnings are not raised)."""
        if self.problems:
            raise ReportkitError(self.problems)

    def summary(self, plan: Plan, lang: str | None = None) -> str:
        """A one-screen account: values per indicator and the missing ones."""
        lang = lang or self.lang
        cur = current(self.table)
        valued = cur[cur["value"].notna() | (cur["judgement"] != "")]
        lines = [t("actuals.summary_head", lang, file=self.file, values=len(valued),
                   indicators=valued["indicator"].nunique(), missing=len(self.missing))]
        for ind in plan.indicators:
            n = int((valued["indicator"] == ind.id).sum())
            miss = [e for e in self.missing if e.indicator == ind.id]
            if not n and not miss:
                continue
            line = t("actuals.summary_line", lang, name=ind.name[lang], values=n)
            if miss:
                cells = ", ".join(f"{plan.district_label(e.district, lang) if e.district in plan.districts else e.district} {e.year}"
                                  for e in miss[:6])
                line += t("actuals.summary_missing", lang, cells=cells + (" …" if len(miss) > 6 else ""))
            lines.append(line)
        if self.illustrative:
            lines.append(t("actuals.summary_illustrative", lang))
        return "\n".join(lines)


def _p(key: str, loc: Location | None, severity: str = "error", **params: Any) -> Problem:
    return Problem(key, loc, params, severity, group=GROUP)


def _pair(names: dict[str, str]) -> str:
    """A name in both languages: problems are created once and rendered in either."""
    return names["zh"] if names["zh"] == names["en"] else f"{names['zh']} / {names['en']}"


def _text(v: Any) -> str:
    """A cell as text without surrounding (also full-width) blanks; None is empty."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip().strip("\u3000").strip()


def current(table: pd.DataFrame) -> pd.DataFrame:
    """The rows in force: without the rows that a correction (``replaces``) supersedes."""
    replaced = set(table["replaces"][table["replaces"] != ""])
    return table[~table["location"].isin(replaced)]


# ---- reading the file ------------------------------------------------------------------------

def read_actuals(path: Path | str, plan: Plan, lang: str = "zh") -> ActualsResult:
    """Read a filled workbook or tidy CSV into the tidy actuals table, with all problems.

    Never raises for a bad input file: unreadable, oversized or hostile files come back as a
    result with one located problem and an empty table. ``lang`` is the language of
    :meth:`ActualsResult.summary`; problems render in any language.
    """
    path = Path(path)
    file = path.name
    expected = expected_cells(plan)

    def fail(problem: Problem) -> ActualsResult:
        return ActualsResult(_frame([]), [problem], [], expected, file, lang,
                             [e for e in expected if not e.optional])

    if not path.is_file():
        return fail(_p("file_missing", Location(str(path))))
    size = path.stat().st_size
    if size > MAX_BYTES:
        return fail(_p("too_large", Location(file), size=size, limit=MAX_BYTES))
    data = path.read_bytes()   # read once; the input file is never opened for writing
    is_zip = data[:4] == b"PK\x03\x04"
    if is_zip:
        raws, problems = _read_xlsx(data, file)
    elif path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return fail(_p("not_workbook", Location(file), reason=t("actuals_errors.reason_not_zip", lang)))
    else:
        raws, problems = _read_csv(data, file)
    if any(p.key in FATAL for p in problems):
        return fail(next(p for p in problems if p.key in FATAL))
    early = [p for p in problems if p.severity == "warning"]   # e.g. a stray sheet, ignored
    result = _interpret(raws, [p for p in problems if p.severity != "warning"], plan, expected, file, lang)
    result.warnings[:0] = early
    return result


FATAL = {"not_workbook", "xml_entities", "too_large", "not_template", "csv_encoding", "csv_nul", "csv_header",
         "too_many_columns", "too_many_rows"}


def _read_xlsx(data: bytes, file: str) -> tuple[list[_Raw], list[Problem]]:
    from openpyxl import load_workbook

    where = Location(file)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            unpacked = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return [], [_p("not_workbook", where, reason=type(exc).__name__)]
    if "xl/workbook.xml" not in names:
        return [], [_p("not_workbook", where, reason="xl/workbook.xml")]
    if unpacked > MAX_UNZIPPED:
        return [], [_p("too_large", where, size=unpacked, limit=MAX_UNZIPPED)]
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)   # parsed once
        raws: list[_Raw] = []
        problems: list[Problem] = []
        found = False
        guide = {_text(pair_name("actuals.sheet_instructions"))} | {
            _text(t("actuals.sheet_instructions", lg)) for lg in ("zh", "en")}
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
            if key_row is None:
                label = both("actuals.indicator_id")
                marked = [rc for rc, (v, _) in head.items() if _text(v) == label]
                if marked:   # a form sheet whose code row was deleted or translated
                    r0, c0 = min(marked)
                    problems.append(_p("key_row_missing", Location(file, ws.title, _cell(r0, c0))))
                elif ws.title not in guide and head:
                    problems.append(_p("extra_sheet", Location(file, ws.title), "warning"))
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
        return [], [_p("too_large_sheet", Location(file, big.sheet), rows=MAX_ROWS, cols=MAX_COLS)]
    except Exception as exc:  # noqa: BLE001 — any parser failure of a hostile file is a user error
        chain, e = [], exc
        while e is not None and len(chain) < 10:
            chain.append(type(e).__name__)
            e = e.__cause__ or e.__context__
        if any("Forbidden" in name for name in chain):   # defusedxml refused DTD / entities
            return [], [_p("xml_entities", where)]
        first = str(exc).splitlines()[0][:120] if str(exc) else ""
        return [], [_p("not_workbook", where, reason=f"{type(exc).__name__}: {first}")]
    if not found:
        problems.append(_p("not_template", where))
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
        first = _text(grid.get((r, 1), (None, ""))[0])
        if first not in ("district", "indicator"):
            continue
        keys = {c: _text(v) for (rr, c), (v, _) in grid.items() if rr == r}
        if any(k == "value" or k.startswith("value:") for k in keys.values()):
            return r, keys
    return None


def _cell(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c)}{r}"


def _grid_sheet(file, title, grid, fcells, key_r, keys, raws, problems) -> None:
    """An annex sheet: district rows × value:YEAR columns, source/status/note per row."""
    label = both("actuals.indicator_id")
    ind_id, ind_loc = None, Location(file, title, "B2")
    for (r, c), (v, _) in sorted(grid.items()):
        if r < key_r and _text(v) == label:
            ind_id = _text(grid.get((r, c + 1), (None, ""))[0])
            ind_loc = Location(file, title, _cell(r, c + 1))
            break
    if not ind_id:
        problems.append(_p("unknown_indicator", ind_loc, value=""))
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
            raws.append(_Raw(ind_id, district, year, value, get("source"), get("status"), get("note"),
                             "", Location(file, title, _cell(r, c)), src_loc, ind_loc,
                             Location(file, title, _cell(r, col.get("district", 1))),
                             is_percent_format(fmt), (r, c) in fcells and value is None,
                             Location(file, title, _cell(r, col.get("status", 1)))))


def _long_sheet(file, title, grid, fcells, key_r, keys, raws) -> None:
    """A city-wide or corrections sheet: one value per row, tidy keys."""
    col = {k: c for c, k in keys.items()}
    last = max((r for r, _ in grid), default=key_r)
    inputs = [k for k in ("indicator", "district", "year", "value", "source", "status", "note", "replaces")
              if k in col]
    for r in range(key_r + 1, last + 1):
        def get(key: str, r: int = r) -> Any:
            return grid.get((r, col[key]), (None, ""))[0] if key in col else None
        if all(get(k) is None for k in inputs):
            continue
        vc = col["value"]
        value, fmt = grid.get((r, vc), (None, ""))
        raws.append(_Raw(get("indicator"), get("district"), get("year"), value, get("source"),
                         get("status"), get("note"), get("replaces") or "",
                         Location(file, title, _cell(r, vc)),
                         Location(file, title, _cell(r, col.get("source", vc))),
                         Location(file, title, _cell(r, col["indicator"])),
                         Location(file, title, _cell(r, col.get("district", col["indicator"]))),
                         is_percent_format(fmt), (r, vc) in fcells and value is None,
                         Location(file, title, _cell(r, col.get("status", vc)))))


def _read_csv(data: bytes, file: str) -> tuple[list[_Raw], list[Problem]]:
    """The tidy CSV form: UTF-8 (with or without BOM) or GB18030 as saved by Chinese Excel."""
    text = None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):   # Excel's "Unicode text"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            return [], [_p("csv_encoding", Location(file), reason=f"UTF-16: {str(exc)[:100]}")]
    elif b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return [], [_p("csv_nul", Location(file, line=line))]
    if text is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                return [], [_p("csv_encoding", Location(file), reason=str(exc)[:120])]
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ","
    if "," not in first:   # saved with another separator (European Excel: ";", "Unicode text": tab)
        delimiter = max((";", "\t", "|"), key=first.count) if any(d in first for d in ";\t|") else ","
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    raws: list[_Raw] = []
    problems: list[Problem] = []
    try:
        header = next(reader, None)
        if header is None:
            return [], [_p("csv_header", Location(file, line=1), columns="")]
        if len(header) > MAX_COLS:
            return [], [_p("too_many_columns", Location(file, line=1), n=len(header), limit=MAX_COLS)]
        names = [_text(h).lower() for h in header]
        missing = [k for k in ("indicator", "year", "value") if k not in names]
        if missing:
            return [], [_p("csv_header", Location(file, line=1), columns=", ".join(missing))]
        col = {k: names.index(k) for k in dict.fromkeys(names) if k}
        prev_end = 1
        for row in reader:
            start = prev_end + 1        # the line where this record starts
            prev_end = reader.line_num
            if start > MAX_ROWS:
                return [], [_p("too_many_rows", Location(file, line=start), limit=MAX_ROWS)]
            if len(row) > MAX_COLS:
                return [], [_p("too_many_columns", Location(file, line=start), n=len(row), limit=MAX_COLS)]
            if not any(_text(c) for c in row):
                continue
            loc = Location(file, line=start)
            if len(row) > len(names):   # a stray comma: every field after it is shifted
                problems.append(_p("csv_extra_fields", loc, n=len(row), expected=len(names)))
                continue

            def get(key: str, row: list[str] = row) -> str:
                k = col.get(key)
                return row[k] if k is not None and k < len(row) else ""
            raws.append(_Raw(get("indicator"), get("district"), get("year"), get("value"),
                             get("source"), get("status"), get("note"), get("replaces"),
                             loc, loc, loc, loc))
    except csv.Error as exc:
        problems.append(_p("csv_syntax", Location(file, line=reader.line_num), reason=str(exc)[:120]))
    return raws, problems


# ---- interpreting the values ---------------------------------------------------------------

SIGNS = {"%": "%", "％": "%", "‰": "‰"}


def _number(raw: Any, ind: Indicator, percent_format: bool) -> tuple[float | None, str | None, bool]:
    """(value, error key, explicit) for a number cell; explicit: written with its % / ‰ sign."""
    if raw is None:
        return None, None, False
    if isinstance(raw, bool) or isinstance(raw, dt.date | dt.datetime | dt.time | dt.timedelta):
        return None, "not_a_number", False
    if isinstance(raw, int | float):
        value = float(raw)
        if not math.isfinite(value):
            return None, "not_a_number", False
        if percent_format:
            if not is_percent(ind):
                return None, "percent_not_expected", False
            return value * 100, None, True
        return value, None, False
    s = unicodedata.normalize("NFKC", str(raw)).strip()
    if s == "":
        return None, None, False
    explicit = False
    if s[-1] in SIGNS:
        sign = SIGNS[s[-1]]
        if not ((sign == "%" and is_percent(ind)) or (sign == "‰" and is_permille(ind))):
            return None, "percent_not_expected", False
        s, explicit = s[:-1].strip(), True
    try:
        value = parse_number(s)
    except ValueError:
        return None, "not_a_number", False
    if value is None:
        return None, "not_a_number", False
    return float(value), None, explicit


def _year(raw: Any) -> int | None:
    s = unicodedata.normalize("NFKC", _text(raw)).removesuffix("年度").removesuffix("年").strip()
    return int(s) if re.fullmatch(r"\d{4}", s) else None


def _find_location(ref: str, rows: list[dict]) -> dict | None:
    """The row a ``replaces`` reference names: ``sheet!cell`` or a CSV line (``line 12``, ``12``)."""
    ref = unicodedata.normalize("NFKC", ref).strip()
    if "!" in ref:
        sheet, cell = ref.rsplit("!", 1)
        sheet = sheet.split(": ")[-1].strip().strip("'").strip()
        cell = cell.replace("$", "").strip().upper()
        for row in rows:
            loc = row["_loc"]
            if loc.sheet == sheet and loc.cell == cell:
                return row
        return None
    m = re.search(r"(\d+)", ref)
    if m and ("line" in ref.lower() or "行" in ref or ref.isdigit()):
        for row in rows:
            if row["_loc"].line == int(m.group(1)):
                return row
    return None


def _interpret(raws: list[_Raw], problems: list[Problem], plan: Plan, expected: list[Expected],
               file: str, lang: str) -> ActualsResult:
    warnings: list[Problem] = []
    ids = {i.id: i for i in plan.indicators}
    marks = {t("actuals.illustrative_source", lg) for lg in ("zh", "en")}
    rows: list[dict] = []
    for raw in raws:
        iid = _text(raw.indicator)
        ind = ids.get(iid)
        if ind is None:
            problems.append(_p("unknown_indicator", raw.ind_loc or raw.loc, value=iid))
            continue
        if ind.values_from:
            problems.append(_p("derived_indicator", raw.ind_loc or raw.loc, value=iid,
                               source=_pair(ids[ind.values_from].name)))
            continue
        district = _text(raw.district)
        allowed = districts_for(plan, ind)
        if not district:
            if allowed != [plan.city]:
                # An annex indicator: a blank (or merged-away) district cell is never the city.
                if raw.value is None and not _text(raw.source):
                    continue
                problems.append(_p("district_blank", raw.dist_loc or raw.loc, indicator=_pair(ind.name),
                                   allowed="、".join(allowed)))
                continue
            district = plan.city   # a city-wide indicator: an empty district means the city
        if district not in allowed:
            if raw.value is None and not _text(raw.source):
                continue  # an empty row of the grid under an unknown name: nothing reported
            problems.append(_p("unknown_district", raw.dist_loc or raw.loc, value=district, indicator=_pair(ind.name),
                               allowed="、".join(allowed)))
            continue
        year = _year(raw.year)
        if year is None or year not in years_for(plan, ind):
            years = years_for(plan, ind)
            problems.append(_p("year_outside", raw.loc, value=_text(raw.year), first=years[0], last=years[-1]))
            continue
        shown = _text(raw.value)
        if raw.formula:
            problems.append(_p("formula_no_value", raw.loc))
            continue
        value, judgement, explicit = None, "", False
        if ind.kind == "qualitative" and shown.lower() in JUDGEMENT_WORDS:
            judgement = JUDGEMENT_WORDS[shown.lower()]
        else:
            value, err, explicit = _number(raw.value, ind, raw.percent_format)
            if err:
                problems.append(_p(err, raw.loc, value=shown, unit=_pair(ind.reported_unit)))
                continue
        if value is not None:
            if value < 0:
                problems.append(_p("negative", raw.loc, value=shown))
                continue
            ref = max([abs(ind.target or 0), abs(ind.baseline.value) if ind.baseline else 0])
            if not explicit and is_percent(ind) and 0 < value <= 1 and ref > 1:
                problems.append(_p("percent_fraction", raw.loc, value=shown, pct=f"{value * 100:g}"))
                continue
            if not explicit and is_permille(ind) and 0 < value < 0.01 and ref >= 0.01:
                problems.append(_p("permille_fraction", raw.loc, value=shown, pm=f"{value * 1000:g}"))
                continue
            if is_percent(ind) and value > 100 and ref <= 100 and ind.kind in ("level", "floor", "qualitative"):
                warnings.append(_p("percent_over_100", raw.loc, "warning", value=shown))
            else:
                _plausible(plan, ind, district, year, value, shown, raw.loc, warnings)
        has_value = value is not None or judgement != ""
        source, note = _text(raw.source), _text(raw.note)
        if CONTROL_CHARS.search(source + note):   # \x0b and the like: no spreadsheet can hold them
            source, note = CONTROL_CHARS.sub(" ", source).strip(), CONTROL_CHARS.sub(" ", note).strip()
            warnings.append(_p("control_chars", raw.src_loc, "warning"))
        if has_value and not source:
            problems.append(_p("no_source", raw.src_loc, value=shown))
        status_text = _text(raw.status).lower()
        status = VALUE_STATUS_WORDS.get(status_text, "final" if status_text == "" else None)
        if status is None:
            problems.append(_p("bad_status", raw.stat_loc or raw.src_loc, value=_text(raw.status)))
            status = "final"
        rows.append({"indicator": ind.id, "district": district, "year": year,
                     "value": math.nan if value is None else value, "judgement": judgement,
                     "source": source, "status": status, "note": note,
                     "replaces": _text(raw.replaces), "location": raw.loc.render(lang="en"),
                     "illustrative": any(m in source for m in marks), "_loc": raw.loc,
                     "_has": has_value, "_shown": shown})
    # Corrections: resolve each `replaces` to the exact location of the value it replaces.
    for row in rows:
        if not row["replaces"]:
            continue
        target = _find_location(row["replaces"], [r for r in rows if r is not row])
        key = (row["indicator"], row["district"], row["year"])
        if target is None:
            problems.append(_p("replaces_unknown", row["_loc"], value=row["replaces"]))
            row["replaces"] = ""
        elif (target["indicator"], target["district"], target["year"]) != key:
            problems.append(_p("replaces_mismatch", row["_loc"], value=row["replaces"]))
            row["replaces"] = ""
        else:
            row["replaces"] = target["location"]
    replaced = {r["replaces"] for r in rows if r["replaces"]}
    live = [r for r in rows if r["_has"] and r["location"] not in replaced]
    by_key: dict[tuple, list[dict]] = {}
    for r in live:
        by_key.setdefault((r["indicator"], r["district"], r["year"]), []).append(r)
    for group in by_key.values():
        first = group[0]
        for other in group[1:]:
            same = (other["judgement"] == first["judgement"] and
                    (other["value"] == first["value"] or (math.isnan(other["value"]) and math.isnan(first["value"]))))
            if same:
                warnings.append(_p("duplicate_same", other["_loc"], "warning", value=other["_shown"],
                                   other=first["location"]))
            else:
                problems.append(_p("conflict", other["_loc"], value=other["_shown"],
                                   other=first["location"], other_value=first["_shown"]))
    _reconcile(plan, by_key, warnings, lang)
    # The table: every valued row (superseded ones too, so the report can say what it used),
    # and one empty (NaN) row per required cell left empty — missing, never zero.
    keep = [r for r in rows if r["_has"]]
    missing = [e for e in expected if not e.optional and (e.indicator, e.district, e.year) not in by_key]
    blank_loc = {(r["indicator"], r["district"], r["year"]): r["location"] for r in rows if not r["_has"]}
    for e in missing:
        keep.append({"indicator": e.indicator, "district": e.district, "year": e.year, "value": math.nan,
                     "judgement": "", "source": "", "status": "", "note": "", "replaces": "",
                     "location": blank_loc.get((e.indicator, e.district, e.year), ""),
                     "illustrative": False})
    problems = _unique(problems)
    return ActualsResult(_frame(keep), problems, _unique(warnings), expected, file, lang, missing)


PLAUSIBLE_FACTOR = 20      # a value above 20× the plan's figure for that year is suspect
HOUSEHOLD_FLOOR = 0.01     # a 户 figure below 1 % of a plan in thousands is suspect (typed in 万?)


def _plan_scale(plan: Plan, ind: Indicator, district: str, year: int) -> float:
    """The plan's magnitude for one value: the year's figure (else the district's largest, else the
    city's), or for city-wide indicators the target/baseline (a cumulative target spread over the years)."""
    if ind.schedule:
        for sched in (ind.schedule.get(district) or {}, ind.schedule.get(plan.city) or {}):
            year_plan = abs(sched.get(year) or 0)
            if year_plan > 0:
                return year_plan
            top = max((abs(v) for v in sched.values()), default=0)
            if top > 0:
                return top
        return 0.0
    target = abs(ind.target or 0)
    if ind.kind == "cumulative" and target:
        target /= max(1, len(plan.years))
    return max(target, abs(ind.baseline.value) if ind.baseline else 0)


def _plausible(plan: Plan, ind: Indicator, district: str, year: int, value: float, shown: str,
               loc: Location, warnings: list[Problem]) -> None:
    """Warn (never refuse) when a value is far outside what the plan's figures allow."""
    scale = _plan_scale(plan, ind, district, year)
    if scale <= 0 or ind.kind in ("qualitative", "growth"):   # a growth target is a rate, not a level
        return
    if value > PLAUSIBLE_FACTOR * scale:
        warnings.append(_p("implausible_high", loc, "warning", value=shown, plan=f"{scale:g}",
                           factor=PLAUSIBLE_FACTOR, unit=_pair(ind.reported_unit)))
    elif ("户" in ind.reported_unit["zh"] and scale >= 1000 and 0 < value < HOUSEHOLD_FLOOR * scale
          and value * 10000 <= PLAUSIBLE_FACTOR * scale):   # read in 万, it would fit the plan
        warnings.append(_p("implausible_low", loc, "warning", value=shown, plan=f"{scale:g}",
                           unit=_pair(ind.reported_unit), scaled=f"{value * 10000:g}"))


def _reconcile(plan: Plan, by_key: dict, warnings: list[Problem], lang: str) -> None:
    """Annex indicators: the city figure against the sum of its districts, per year (warning)."""
    for ind in plan.indicators:
        if ind.annex is None or ind.values_from:
            continue
        parts = [d for d in districts_for(plan, ind) if d != plan.city]
        for year in years_for(plan, ind):
            city = by_key.get((ind.id, plan.city, year))
            vals = [by_key.get((ind.id, d, year)) for d in parts]
            if not city or any(v is None for v in vals):
                continue
            total = sum(v[0]["value"] for v in vals)
            if abs(total - city[0]["value"]) > 1e-6 * max(1.0, abs(total)):
                warnings.append(_p("district_sum_mismatch", city[0]["_loc"], "warning",
                                   indicator=_pair(ind.name), year=year, city=f"{city[0]['value']:g}",
                                   total=f"{total:g}"))


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        key = (p.key, p.location, tuple(sorted((k, str(v)) for k, v in p.params.items())))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{k: r[k] for k in TIDY_COLUMNS} for r in rows], columns=TIDY_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    frame["year"] = frame["year"].astype(int)
    frame["illustrative"] = frame["illustrative"].astype(bool)
    return frame


def load_actuals(path: Path | str, plan: Plan) -> pd.DataFrame:
    """The tidy actuals table; raises ReportkitError listing every error if there is one."""
    result = read_actuals(path, plan)
    result.raise_for_problems()
    return result.table
