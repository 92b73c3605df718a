"""Stage 3a — the actuals template evaluators fill: a workbook or a tidy CSV skeleton.

Everything comes from the plan (catalogue + extracted tables): which indicators, districts and
years are asked for, planned figures, units. The workbook carries a row of column codes (keys)
under each header; :mod:`reportkit.inputs.actuals` finds cells through those codes and the indicator id
written on each sheet, never through fixed positions, so any plan's layout reads back.

Layout of each sheet type (``KEY_ROW_MARK`` is the first key of the key row):

* annex sheet (one per annex table): district rows × ``plan:YEAR`` / ``value:YEAR`` columns,
  then ``source``, ``status``, ``note`` for the row;
* city-wide sheet: one row per indicator × year, keys ``indicator``, ``year``, ``value``, …;
* corrections sheet: free rows with the tidy keys plus ``replaces``;
* task sheet (only when the plan has a task chapter; its name holds 任务): one row per task and
  item of the plan's task tree, keys ``task``, ``progress``, ``evidence``, ``lead``, ``as_of``,
  ``reason``, ``note``; section headings stand between them as unnumbered rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from reportkit import files
from reportkit.i18n import t
from reportkit.inputs.catalogue import Indicator, Plan
from reportkit.vocab import TASK_PROGRESS, TASK_PROGRESS_ZH, TASK_REPORTED_LEVELS

# Fixed timestamp written into generated workbooks so that rebuilds give the same bytes.
FIXED_TIME = dt.datetime(2020, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

CSV_COLUMNS = ["indicator", "indicator_zh", "indicator_en", "district", "year", "unit",
               "value", "source", "status", "note", "replaces", "period"]
LONG_KEYS = ["indicator", "indicator_zh", "indicator_en", "district", "year", "unit", "target",
             "baseline", "value", "source", "status", "note"]
# `period`: the months a figure covers, empty for the full year; "1-6月" marks a year-to-date
# figure (January–June), the only kind an evaluation at a month (--as-of 2023-06) reads.
CORRECTION_KEYS = ["indicator", "district", "year", "value", "source", "status", "note", "replaces", "period"]
CORRECTION_ROWS = 30
TASK_KEYS = ["task", "title_zh", "title_en", "progress", "evidence", "lead", "as_of", "reason", "note"]

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")      # yellow: cells to fill
PLAN_FILL = PatternFill("solid", fgColor="E7E6E6")       # grey: the plan's figures
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
KEY_FONT = Font(size=8, color="808080")
BOLD = Font(bold=True)


def both(key: str, **params) -> str:
    """A label in both languages, ``中文 / English`` (headers are bilingual)."""
    return f"{t(key, 'zh', **params)} / {t(key, 'en', **params)}"


def pair_name(key: str) -> str:
    """A short bilingual name (sheet names cannot hold "/")."""
    return f"{t(key, 'zh')} {t(key, 'en')}"


@dataclass(frozen=True)
class Expected:
    """One value the template asks for."""

    indicator: str
    district: str
    year: int
    optional: bool = False   # the city row of an annex table: filled only for reconciliation


def inputs(plan: Plan) -> list[Indicator]:
    """Indicators evaluators report (growth rates measured on another indicator are derived)."""
    return [i for i in plan.indicators if not i.values_from]


def years_for(plan: Plan, ind: Indicator) -> list[int]:
    """Plan years, plus the baseline year where the plan states no baseline for a level, stock or
    growth indicator (for a stock: the running total at the end of the baseline year)."""
    extra = [plan.baseline_year] if ind.kind in ("level", "stock", "growth") and ind.baseline is None else []
    return extra + plan.years


def districts_for(plan: Plan, ind: Indicator) -> list[str]:
    """Annex indicators: the annex rows in catalogue order; others: the city alone."""
    if ind.annex is None:
        return [plan.city]
    order = list(plan.districts)
    return sorted(ind.schedule, key=lambda d: order.index(d) if d in order else len(order))


def expected_cells(plan: Plan) -> list[Expected]:
    """Every (indicator, district, year) the template asks for, in template order."""
    out = []
    for ind in inputs(plan):
        for d in districts_for(plan, ind):
            for y in years_for(plan, ind):
                out.append(Expected(ind.id, d, y, optional=ind.annex is not None and d == plan.city))
    return out


def is_percent(ind: Indicator) -> bool:
    return ind.reported_unit["zh"].strip() in ("%", "％")


def is_permille(ind: Indicator) -> bool:
    return ind.reported_unit["zh"].strip() == "‰"


def sheet_title(text: str, used: set[str]) -> str:
    """A legal, unique sheet name of at most 31 characters."""
    name = re.sub(r"[\[\]:*?/\\']", "", text).strip()[:31]
    base, k = name, 2
    while name in used:
        suffix = f"~{k}"
        name, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(name)
    return name


def annex_sheet_name(ind: Indicator) -> str:
    return f"{t('actuals.annex_short', 'zh', n=ind.annex)} {ind.name['zh']}"


def _unit(ind: Indicator) -> str:
    u = ind.reported_unit
    return u["zh"] if u["zh"] == u["en"] else f"{u['zh']} / {u['en']}"


def _validation(ind: Indicator) -> DataValidation:
    """Input rule shown in Excel: non-negative numbers; qualitative also takes judgements."""
    if ind.kind == "qualitative":
        dv = DataValidation(type="list", formula1='"met,partly,not_met,达到,部分达到,未达到"',
                            allow_blank=True, errorStyle="warning")
        dv.promptTitle = t("actuals.dv_title", "zh")
        dv.prompt = both("actuals.dv_qualitative")
    else:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                            allow_blank=True, errorStyle="stop")
        dv.error = both("actuals.dv_error")
        dv.promptTitle = t("actuals.dv_title", "zh")
        dv.prompt = both("actuals.dv_percent" if is_percent(ind) else "actuals.dv_number")
    dv.showInputMessage = True
    dv.showErrorMessage = True
    return dv


def _head(ws, row: int, labels: list[str], keys: list[str]) -> None:
    for c, (label, key) in enumerate(zip(labels, keys, strict=True), start=1):
        cell = ws.cell(row, c, label)
        cell.font, cell.fill = BOLD, HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.cell(row + 1, c, key).font = KEY_FONT
    ws.row_dimensions[row].height = 45


def _input(cell) -> None:
    cell.fill = INPUT_FILL
    cell.protection = Protection(locked=False)


def _instructions(wb: Workbook, plan: Plan, used: set[str]) -> None:
    ws = wb.active
    ws.title = sheet_title(pair_name("actuals.sheet_instructions"), used)
    ws.cell(1, 1, f"{plan.name['zh']} / {plan.name['en']}").font = Font(bold=True, size=14)
    ws.cell(2, 1, both("actuals.template_title")).font = BOLD
    row = 4
    for k in range(1, 12):
        for lang in ("zh", "en"):
            ws.cell(row, 1, t(f"actuals.instr_{k}", lang, first=plan.first_year, last=plan.last_year,
                              baseline=plan.baseline_year, city=plan.city))
            row += 1
        row += 1
    derived = [i for i in plan.indicators if i.values_from]
    for ind in derived:
        src = plan.indicator(ind.values_from)
        for lang in ("zh", "en"):
            ws.cell(row, 1, t("actuals.instr_derived", lang, name=ind.name[lang], source=src.name[lang]))
            row += 1
    if reported_tasks(plan):
        row += 1
        for lang in ("zh", "en"):
            ws.cell(row, 1, t("actuals.instr_tasks", lang, sheet=pair_name("actuals.sheet_tasks")))
            row += 1
    ws.column_dimensions["A"].width = 140
    ws.protection.sheet = True


def _annex_sheet(wb: Workbook, plan: Plan, ind: Indicator, used: set[str], titles: dict[int, str]) -> None:
    ws = wb.create_sheet(sheet_title(annex_sheet_name(ind), used))
    ws.cell(1, 1, f"{t('actuals.annex_short', 'zh', n=ind.annex)} {titles.get(ind.annex, ind.name['zh'])} / "
                  f"{t('actuals.annex_short', 'en', n=ind.annex)}: {ind.name['en']}").font = Font(bold=True, size=13)
    ws.cell(2, 1, both("actuals.indicator_id")).font = BOLD
    ws.cell(2, 2, ind.id).font = BOLD
    ws.cell(2, 4, both("actuals.unit")).font = BOLD
    ws.cell(2, 5, _unit(ind))
    ws.cell(3, 1, both("actuals.annex_hint", city=plan.city))
    years = years_for(plan, ind)
    labels = [both("actuals.col_district"), both("actuals.col_district_en")]
    keys = ["district", "district_en"]
    for y in years:
        labels += [both("actuals.col_plan", year=y), both("actuals.col_actual", year=y)]
        keys += [f"plan:{y}", f"value:{y}"]
    labels += [both("actuals.col_plan_total"), both("actuals.col_source"), both("actuals.col_status"),
               both("actuals.col_note")]
    keys += ["plan:total", "source", "status", "note"]
    _head(ws, 4, labels, keys)
    dv, sv = _validation(ind), _status_validation()
    ws.add_data_validation(dv)
    ws.add_data_validation(sv)
    first = 6
    for r, d in enumerate(districts_for(plan, ind), start=first):
        ws.cell(r, 1, d).font = BOLD
        ws.cell(r, 2, plan.district_label(d, "en") if d in plan.districts else "")
        for k, y in enumerate(years):
            c = 3 + 2 * k
            planned = ind.schedule.get(d, {}).get(y)
            pc = ws.cell(r, c, planned)
            pc.fill = PLAN_FILL
            _input(ws.cell(r, c + 1))
            dv.add(ws.cell(r, c + 1))
        c = 3 + 2 * len(years)
        ws.cell(r, c, ind.district_targets.get(d)).fill = PLAN_FILL
        for k in range(1, 4):
            _input(ws.cell(r, c + k))
        sv.add(ws.cell(r, c + 2))
    _finish(ws, freeze=f"C{first}", widths={"A": 14, "B": 24}, default=12)


def _status_validation() -> DataValidation:
    dv = DataValidation(type="list", formula1='"final,preliminary,正式,初步"', allow_blank=True,
                        errorStyle="warning")
    dv.prompt = both("actuals.dv_status")
    dv.showInputMessage = True
    return dv


def _city_sheet(wb: Workbook, plan: Plan, used: set[str]) -> None:
    ws = wb.create_sheet(sheet_title(pair_name("actuals.sheet_city"), used))
    ws.cell(1, 1, both("actuals.city_title", city=plan.city)).font = Font(bold=True, size=13)
    ws.cell(2, 1, both("actuals.city_hint"))
    labels = [both(f"actuals.col_{k}") for k in LONG_KEYS]
    _head(ws, 3, labels, LONG_KEYS)
    sv = _status_validation()
    ws.add_data_validation(sv)
    r = 5
    for ind in inputs(plan):
        if ind.annex is not None:
            continue
        dv = _validation(ind)
        ws.add_data_validation(dv)
        for y in years_for(plan, ind):
            base = ind.baseline.value if ind.baseline and ind.baseline.year == y else None
            row = [ind.id, ind.name["zh"], ind.name["en"], plan.city, y, _unit(ind),
                   f"{ind.target_text['zh']} / {ind.target_text['en']}", base]
            for c, v in enumerate(row, start=1):
                ws.cell(r, c, v)
            ws.cell(r, 7).fill = ws.cell(r, 8).fill = PLAN_FILL
            for c in range(9, 13):
                _input(ws.cell(r, c))
            dv.add(ws.cell(r, 9))
            sv.add(ws.cell(r, 11))
            r += 1
    _finish(ws, freeze="E5", widths={"A": 30, "B": 26, "C": 36, "F": 16, "G": 24}, default=12)


def _corrections_sheet(wb: Workbook, used: set[str], example: str) -> None:
    ws = wb.create_sheet(sheet_title(pair_name("actuals.sheet_corrections"), used))
    ws.cell(1, 1, both("actuals.corrections_title")).font = Font(bold=True, size=13)
    ws.cell(2, 1, both("actuals.corrections_hint", example=example))
    _head(ws, 3, [both(f"actuals.col_{k}") for k in CORRECTION_KEYS], CORRECTION_KEYS)
    sv = _status_validation()
    ws.add_data_validation(sv)
    for r in range(5, 5 + CORRECTION_ROWS):
        for c in range(1, len(CORRECTION_KEYS) + 1):
            _input(ws.cell(r, c))
        sv.add(ws.cell(r, 6))
    _finish(ws, freeze="A5", widths={"A": 30, "B": 14, "H": 36, "I": 22}, default=14)


def _finish(ws, freeze: str, widths: dict[str, float], default: float) -> None:
    ws.freeze_panes = freeze
    for c in range(1, ws.max_column + 1):
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = widths.get(letter, default)
    # Protection locks headers and plan figures; input cells are unlocked. No password: it guards
    # against slips, not against a determined user (the reader checks everything anyway).
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def reported_tasks(plan: Plan) -> list[str]:
    """Ids of the tasks and items the form asks progress for (empty: the plan lists none)."""
    tree = plan.tasks
    if tree is None or tree.empty:
        return []
    return [str(i) for i in tree.loc[tree["level"].isin(TASK_REPORTED_LEVELS), "id"]]


def _tasks_sheet(wb: Workbook, plan: Plan, used: set[str]) -> None:
    """Progress per task and item; sections are unnumbered heading rows between them."""
    ws = wb.create_sheet(sheet_title(pair_name("actuals.sheet_tasks"), used))
    ws.cell(1, 1, both("actuals.tasks_title")).font = Font(bold=True, size=13)
    ws.cell(2, 1, both("actuals.tasks_hint"))
    _head(ws, 3, [both(f"actuals.col_task_{k}") for k in TASK_KEYS], TASK_KEYS)
    words = ",".join(TASK_PROGRESS_ZH[c] for c in TASK_PROGRESS)
    dv = DataValidation(type="list", formula1=f'"{words}"', allow_blank=True, errorStyle="warning")
    dv.promptTitle = t("actuals.dv_title", "zh")
    dv.prompt = both("actuals.dv_task_progress")
    dv.showInputMessage = dv.showErrorMessage = True
    dates = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True,
                           errorStyle="warning")   # after 2000-01-01: a date, not a year typed as a number
    dates.prompt = both("actuals.dv_task_date")
    dates.showInputMessage = True
    ws.add_data_validation(dv)
    ws.add_data_validation(dates)
    r = 5
    for row in plan.tasks.itertuples(index=False):
        if row.level == "chapter":
            continue
        if row.level == "section":
            ws.cell(r, 2, f"{row.id} {row.title_zh}").font = BOLD
            ws.cell(r, 3, row.title_en or "").font = BOLD
            r += 1
            continue
        indent = "　　" if row.level == "item" else ""
        for c, v in enumerate([row.id, indent + row.title_zh, row.title_en or ""], start=1):
            ws.cell(r, c, v).fill = PLAN_FILL
        for c in range(4, len(TASK_KEYS) + 1):
            _input(ws.cell(r, c))
        ws.cell(r, 6, row.lead or None)   # the body the plan names: to confirm or correct
        ws.cell(r, 7).number_format = "yyyy-mm-dd"
        dv.add(ws.cell(r, 4))
        dates.add(ws.cell(r, 7))
        r += 1
    _finish(ws, freeze="D5", widths={"A": 10, "B": 36, "C": 36, "D": 14, "E": 40, "F": 18, "H": 24, "I": 24},
            default=14)


def annex_titles(plan: Plan) -> dict[int, str]:
    """The annex tables' own titles, read from the plan document (empty if unreadable)."""
    from reportkit.errors import ReportkitError
    from reportkit.inputs import plan as plan_tables

    try:
        tables = plan_tables.extract(plan.document)
    except ReportkitError:
        return {}
    frame = tables.annex_targets.drop_duplicates("annex")
    return {int(a): str(tl) for a, tl in zip(frame["annex"], frame["title"], strict=True)}


def build_workbook(plan: Plan, titles: dict[int, str] | None = None) -> Workbook:
    """The template workbook (in memory)."""
    titles = annex_titles(plan) if titles is None else titles
    wb = Workbook()
    used: set[str] = set()
    _instructions(wb, plan, used)
    for ind in sorted((i for i in inputs(plan) if i.annex is not None), key=lambda i: i.annex):
        _annex_sheet(wb, plan, ind, used, titles)
    _city_sheet(wb, plan, used)
    # The example of a cell to correct is one of this form's own (the plan's, never another's):
    # the first year's actual of the second row of an annex sheet — not the first sheet, to show
    # that any sheet can be corrected — else the first value of the city sheet.
    annex_sheets = wb.sheetnames[1:-1]
    example = f"{annex_sheets[min(1, len(annex_sheets) - 1)]}!D7" if annex_sheets else f"{wb.sheetnames[-1]}!I5"
    _corrections_sheet(wb, used, example)
    if reported_tasks(plan):
        _tasks_sheet(wb, plan, used)
    wb.properties.creator = "reportkit"
    wb.properties.title = f"{plan.name['zh']} — {t('actuals.template_title', 'zh')}"
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """Serialise a workbook with fixed timestamps, so the same content gives the same bytes."""
    buf = io.BytesIO()
    wb.properties.created = FIXED_TIME
    wb.save(buf)  # openpyxl stamps `modified` with the current time: replaced below
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            dst.writestr(zipfile.ZipInfo(info.filename, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def atomic_write_bytes(data: bytes, path: Path) -> Path:
    """Write bytes next to ``path`` and move them into place in one step."""
    return files.atomic_write_bytes(path, data)


def csv_rows(plan: Plan) -> list[dict[str, object]]:
    """The tidy skeleton: one row per expected (indicator, district, year), value empty."""
    rows = []
    for e in expected_cells(plan):
        ind = plan.indicator(e.indicator)
        rows.append({"indicator": ind.id, "indicator_zh": ind.name["zh"], "indicator_en": ind.name["en"],
                     "district": e.district, "year": e.year, "unit": _unit(ind), "value": "",
                     "source": "", "status": "final", "note": "", "replaces": "", "period": ""})
    return rows


def csv_bytes(rows: list[dict[str, object]]) -> bytes:
    """CSV text as Excel opens it correctly: UTF-8 with BOM, CRLF."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_template(plan: Plan, out: Path, fmt: str = "xlsx") -> Path:
    """Write the template (``xlsx`` workbook or ``csv`` skeleton) atomically to ``out``."""
    data = workbook_bytes(build_workbook(plan)) if fmt == "xlsx" else csv_bytes(csv_rows(plan))
    return atomic_write_bytes(data, out)
