"""Stage 1 — the plan's own tables, read from the plan document's text export.

Produces three tidy tables (see :func:`extract`):

* ``annex_targets``: one row per annex table × district × year;
* ``main_indicators``: the main indicator table (主要目标);
* ``plan_audit``: the arithmetic checks of the plan's own tables;
* ``tasks``: the task tree of the plan's task chapter(s) (:mod:`reportkit.inputs.tasks`).

The parser knows the *export format*, not the plan: no district, year, title or table count is
written here. Format facts it relies on: cells are lines that start with a tab, table rows are
separated by blank lines, an annex starts with a line ``附件N`` followed by its title and a unit
line (``单位：…``), a header cell may continue on a line without a tab, ``[bookmark: …]`` is noise,
and the last row may be cut off by the end of the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reportkit.errors import Location, Problem, ReportkitError
from reportkit.files import atomic_write
from reportkit.inputs.method import agrees
from reportkit.inputs.tasks import parse_tasks
from reportkit.vocab import TASK_COLUMNS

ANNEX_HEADING = re.compile(r"^\s*附\s*件\s*(\d+)\s*$")
UNIT_LINE = re.compile(r"单\s*位\s*[:：]\s*(.+?)\s*$")
YEAR_CELL = re.compile(r"^\s*(\d{4})\s*年度?\s*$")
BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
TRAILING_UNIT = re.compile(r"^(.*?)\s*[（(]([^（）()]*)[）)]\s*$")
TARGET_YEAR = re.compile(r"(\d{4})\s*年")
MAX_PLAN_BYTES = 20 * 1024 * 1024  # a plan's text export is ~50 KB; anything this big is not one

ANNEX_COLUMNS = ["annex", "title", "unit", "district", "is_city", "year", "planned", "blank"]
MAIN_COLUMNS = ["name", "unit", "target", "target_text", "cumulative", "attribute", "target_year"]
AUDIT_COLUMNS = ["annex", "check", "district", "column", "expected", "found", "passed"]


@dataclass
class PlanTables:
    """Everything read from one plan document."""

    annex_targets: pd.DataFrame
    main_indicators: pd.DataFrame
    plan_audit: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)
    text: str = ""   # the plan's text (paragraphs and cells), for quotes checked word for word
    tasks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TASK_COLUMNS))


def parse_number(text: str) -> float | None:
    """A number as written in a plan or workbook cell, or None for a blank cell.

    Full-width digits and thousands separators are accepted (``１２３４``, ``1,234``).
    Raises ValueError for anything else (``1,2O0``).
    """
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if s == "":
        return None
    if THOUSANDS.match(s):
        s = s.replace(",", "")
    if not NUMBER.match(s):
        raise ValueError(text)
    value = float(s)
    return int(value) if value.is_integer() and "." not in s else value


def _clean(cell: str) -> str:
    """Cell text without surrounding (also full-width) blanks."""
    return cell.strip().strip("\u3000").strip()


def _rows(lines: list[str]) -> list[list[str]]:
    """Group table lines into rows of cells (rows end at blank lines)."""
    rows: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        if line.strip() == "" and not line.startswith("\t"):
            if current is not None:
                rows.append(current)
            current = None
            continue
        if line.startswith("\t"):
            current = [] if current is None else current
            current.append(line[1:])
        elif current:  # continuation of a header cell that spans two lines
            current[-1] = current[-1] + line.strip()
        # a text line outside any row is prose around the table: not a cell
    if current is not None:
        rows.append(current)
    return rows


@dataclass
class _Annex:
    number: int
    title: str
    unit: str
    lines: list[str]
    start_line: int


def _split_annexes(lines: list[str]) -> list[_Annex]:
    heads = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := ANNEX_HEADING.match(line))]
    annexes = []
    for k, (i, number) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        body = lines[i + 1 : end]
        title, unit, first_cell = "", "", len(body)
        for j, line in enumerate(body):
            if line.startswith("\t"):
                first_cell = j
                break
            if m := UNIT_LINE.search(line):
                unit = _clean(m.group(1))
            elif line.strip() and not title:
                title = _clean(line)
        annexes.append(_Annex(number, title, unit, body[first_cell:], i + 1 + first_cell))
    return annexes


def _city_name(title: str, names: list[str]) -> str | None:
    """The row that stands for the whole city: the first row whose name starts the title."""
    for name in names:
        if name and title.startswith(name):
            return name
    return names[0] if names else None


def _parse_annex(annex: _Annex, file: str, problems: list[Problem], warnings: list[Problem]):
    rows = [[_clean(c) for c in r] for r in _rows(annex.lines)]
    year_row_idx = next(
        (k for k, r in enumerate(rows) if sum(bool(YEAR_CELL.match(c)) for c in r) >= 1), None
    )
    where = Location(file, row=f"附件{annex.number}")
    if year_row_idx is None:
        problems.append(Problem("plan_no_years", where, {"annex": annex.number}))
        return [], []
    year_row = rows[year_row_idx]
    year_cols = {k: int(YEAR_CELL.match(c).group(1)) for k, c in enumerate(year_row) if YEAR_CELL.match(c)}
    first_year_col = min(year_cols)
    # The five-year total column: the header cell naming 合计 that stands before the years.
    total_col = None
    for header in rows[:year_row_idx]:
        for k, c in enumerate(header[:first_year_col]):
            if "合计" in c and k > 0:
                total_col = k
    width = len(year_row)
    records, audit_rows = [], []
    data = [r for r in rows[year_row_idx + 1 :] if r and r[0]]
    parsed: list[tuple[str, float | None, dict[int, float | None]]] = []
    for row in data:
        name = row[0]
        if not name:
            continue
        if len(row) < width:
            missing = width - len(row)
            # Trailing cells that are not year or total columns (e.g. 备注) are never checked.
            needed = [k for k in list(year_cols) + ([total_col] if total_col else []) if k >= len(row)]
            if needed:
                warnings.append(
                    Problem("plan_truncated_row", Location(file, row=f"附件{annex.number} {name}"),
                            {"annex": annex.number, "district": name, "missing": missing}, "warning")
                )
            row = row + [""] * missing
        total: float | None = None
        if total_col is not None:
            try:
                total = parse_number(row[total_col])
            except ValueError:
                problems.append(Problem("plan_bad_total", Location(file, row=f"附件{annex.number} {name}"),
                                        {"annex": annex.number, "district": name, "value": row[total_col]}))
        years: dict[int, float | None] = {}
        for k, year in year_cols.items():
            try:
                years[year] = parse_number(row[k])
            except ValueError:
                problems.append(Problem("plan_bad_number", Location(file, row=f"附件{annex.number} {name} {year}"),
                                        {"annex": annex.number, "district": name, "year": year, "value": row[k]}))
                years[year] = None
        parsed.append((name, total, years))
    city = _city_name(annex.title, [p[0] for p in parsed])
    for name, total, years in parsed:
        for year, value in years.items():
            records.append({
                "annex": annex.number, "title": annex.title, "unit": annex.unit, "district": name,
                "is_city": name == city, "year": year,
                "planned": 0 if value is None else value, "blank": value is None,
            })
        if total_col is not None:
            found = sum(v for v in years.values() if v is not None)
            expected = 0 if total is None else total
            audit_rows.append({"annex": annex.number, "check": "row_total", "district": name,
                               "column": "total", "expected": expected, "found": found,
                               "passed": agrees(expected, found)})
    # City row against the sum of the district rows, per column.
    by_name = {p[0]: p for p in parsed}
    if city is not None and len(parsed) > 1:
        districts = [p for p in parsed if p[0] != city]
        columns: list[tuple[str, int | None]] = ([("total", None)] if total_col is not None else [])
        columns += [(str(y), y) for y in year_cols.values()]
        for label, year in columns:
            def val(p, year=year):
                v = p[1] if year is None else p[2][year]
                return 0 if v is None else v
            expected = val(by_name[city])
            found = sum(val(p) for p in districts)
            audit_rows.append({"annex": annex.number, "check": "city_vs_districts", "district": city,
                               "column": label, "expected": expected, "found": found,
                               "passed": agrees(expected, found)})
    return records, audit_rows


def _main_table(lines: list[str], file: str) -> list[dict]:
    """The main indicator table: the first table whose header names 指标名称 and 属性."""
    for i, line in enumerate(lines):
        if line.startswith("\t") and "指标名称" in line:
            rows = []
            for row in _rows(lines[i:]):
                if len(row) < 2:  # the note line (注：…) or prose: the table has ended
                    break
                rows.append(row)
            break
    else:
        return []
    table = [[_clean(c) for c in r] for r in rows]
    if not table or not any("属性" in c for c in table[0]) or not any("指标名称" in c for c in table[0]):
        return []  # not a main indicator table after all
    header = table[0]
    name_col = next(k for k, c in enumerate(header) if "指标名称" in c)
    target_col = next((k for k, c in enumerate(header) if "目标" in c), 1)
    attr_col = next(k for k, c in enumerate(header) if "属性" in c)
    year_match = TARGET_YEAR.search(header[target_col])
    target_year = int(year_match.group(1)) if year_match else None
    out = []
    for row in table[1:]:
        if len(row) <= max(name_col, target_col, attr_col) or row[name_col].startswith("注"):
            break
        raw_name, text = row[name_col], row[target_col]
        m = TRAILING_UNIT.match(raw_name)
        name, unit = (m.group(1), m.group(2)) if m else (raw_name, "")
        cumulative = text.startswith(("[", "［")) and text.endswith(("]", "］"))
        inner = text.strip("[]［］ ")
        try:
            target = parse_number(inner)
        except ValueError:
            target = None  # qualitative target such as 应保尽保, kept in target_text
        out.append({"name": name, "unit": unit, "target": target, "target_text": text,
                    "cumulative": cumulative, "attribute": row[attr_col], "target_year": target_year})
    return out


def read_plan_text(path: Path) -> str:
    """The plan text without export noise; a clear error if it is not a readable text file.

    A Word file (.docx) is read into the same text-export format (:mod:`reportkit.inputs.docx`);
    a PDF or an old .doc is refused with what to do instead (docs/plan-format.md).
    """
    path = Path(path)
    if not path.is_file():
        raise ReportkitError(Problem("file_not_found", params={"path": str(path)}))
    if path.stat().st_size > MAX_PLAN_BYTES:
        raise ReportkitError(Problem("plan_too_large", Location(str(path)),
                                     {"size": path.stat().st_size, "limit": MAX_PLAN_BYTES}))
    raw = path.read_bytes()
    if raw[:4] == b"PK\x03\x04":   # a zip: Word's .docx
        from reportkit.inputs.docx import docx_text

        return BOOKMARK.sub("", docx_text(raw, str(path)))
    if raw[:5] == b"%PDF-" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # PDF, or Word 97–2003
        kind = "pdf" if raw[:5] == b"%PDF-" else "doc"
        raise ReportkitError(Problem(f"plan_is_{kind}", Location(str(path))))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportkitError(Problem("plan_not_text", Location(str(path)), {"reason": str(exc)})) from None
    if "\x00" in text:
        raise ReportkitError(Problem("plan_not_text", Location(str(path)), {"reason": "NUL byte"}))
    return BOOKMARK.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def extract(plan_path: Path, task_headings: Sequence[str] | None = None) -> PlanTables:
    """Read a plan's annex tables and main indicator table, audit their arithmetic, and read
    its task tree (chapters whose heading names one of ``task_headings``; default
    :data:`reportkit.inputs.tasks.DEFAULT_HEADINGS`).

    Raises ReportkitError (with every problem found) when the file holds no annex table or
    a cell is not a number; truncated rows are read as blank and reported as warnings.
    """
    file = str(plan_path)
    lines = read_plan_text(plan_path).split("\n")
    annexes = _split_annexes(lines)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    records, audit = [], []
    for annex in annexes:
        r, a = _parse_annex(annex, file, problems, warnings)
        records += r
        audit += a
    if not records and not problems:
        problems.append(Problem("plan_no_tables", Location(file)))
    main = _main_table(lines, file)
    tasks = parse_tasks(lines, task_headings)
    if task_headings and tasks.empty:
        warnings.append(Problem("plan_no_task_chapter", Location(file),
                                {"headings": "、".join(task_headings)}, "warning"))
    if problems:
        raise ReportkitError(problems)
    return PlanTables(
        annex_targets=pd.DataFrame(records, columns=ANNEX_COLUMNS),
        main_indicators=pd.DataFrame(main, columns=MAIN_COLUMNS),
        plan_audit=pd.DataFrame(audit, columns=AUDIT_COLUMNS),
        warnings=warnings,
        text="\n".join(lines),
        tasks=tasks,
    )


def write_tables(tables: PlanTables, out_dir: Path) -> dict[str, Path]:
    """Write the CSVs (annex targets, main indicators, audit, tasks); each file is replaced only once it is completely written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = {
        "annex_targets.csv": tables.annex_targets,
        "main_indicators.csv": tables.main_indicators,
        "plan_audit.csv": tables.plan_audit,
        "tasks.csv": tables.tasks,
    }
    written = {}
    for name, frame in frames.items():
        written[name] = atomic_write_csv(frame, out_dir / name)
    return written


def atomic_write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV (UTF-8, LF) next to ``path`` and move it into place in one step."""
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8"))


def load_tables(processed_dir: Path) -> PlanTables:
    """Read back the tables written by :func:`write_tables`."""
    d = Path(processed_dir)
    return PlanTables(
        annex_targets=pd.read_csv(d / "annex_targets.csv"),
        main_indicators=pd.read_csv(d / "main_indicators.csv", keep_default_na=False,
                                    na_values={"target": [""]}),
        plan_audit=pd.read_csv(d / "plan_audit.csv"),
        tasks=(pd.read_csv(d / "tasks.csv", dtype=str, keep_default_na=False).astype({"line": int})
               if (d / "tasks.csv").is_file() else pd.DataFrame(columns=TASK_COLUMNS)),
    )
