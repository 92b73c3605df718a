"""Stage 3b — reported actuals: read a filled template (xlsx) or tidy CSV, trust nothing.

:func:`read_actuals` turns either input into the tidy actuals table of docs/architecture.md and
collects *every* problem, each located (``file: sheet!cell`` or ``file: line N``). Rules (see
docs/actuals.md): an empty cell is missing, never 0; percentages are in percent points; every
value needs a source; corrections are new rows naming the value they replace.

Hostile files: the input is read into memory once and never written; size limits apply before
parsing; openpyxl parses XML through defusedxml (installed), so entity attacks are refused.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit.errors import Location, Problem, ReportkitError
from reportkit.i18n import t
from reportkit.inputs import task_progress, workbook
from reportkit.inputs.catalogue import Indicator, Plan
from reportkit.inputs.form import (
    Expected,
    districts_for,
    expected_cells,
    is_percent,
    is_permille,
    reported_tasks,
    years_for,
)
from reportkit.inputs.method import agrees
from reportkit.inputs.plan import parse_number
from reportkit.inputs.workbook import (
    CONTROL_CHARS,
    FATAL,
    Raw,
    RawTask,
    actuals_problem,
    cell_text,
    read_csv,
    read_xlsx,
)
from reportkit.vocab import JUDGEMENT_WORDS, TIDY_COLUMNS, VALUE_STATUS_WORDS


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
    # Progress of the plan's tasks, from the workbook's task sheet (TASK_PROGRESS_COLUMNS).
    tasks: pd.DataFrame = field(default_factory=task_progress.empty)

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
        total = len(reported_tasks(plan))
        if total:
            lines.append(t("actuals.summary_tasks", lang, reported=len(self.tasks), total=total))
        if self.illustrative:
            lines.append(t("actuals.summary_illustrative", lang))
        return "\n".join(lines)




def _pair(names: dict[str, str]) -> str:
    """A name in both languages: problems are created once and rendered in either."""
    return names["zh"] if names["zh"] == names["en"] else f"{names['zh']} / {names['en']}"




def superseded(table: pd.DataFrame) -> set[str]:
    """The one corrections rule: the locations that a correction row (``replaces``) supersedes.

    Chains need nothing more: a corrected correction is itself named by the next one.
    """
    return {str(x).strip() for x in table["replaces"] if x is not None and x == x and str(x).strip()}


def current(table: pd.DataFrame) -> pd.DataFrame:
    """The rows in force: without the rows that a correction (``replaces``) supersedes."""
    return table[~table["location"].isin(superseded(table))]


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
        return fail(actuals_problem("file_missing", Location(str(path))))
    size = path.stat().st_size
    if size > workbook.MAX_BYTES:   # read through the module: the limits have one home
        return fail(actuals_problem("too_large", Location(file), size=size, limit=workbook.MAX_BYTES))
    data = path.read_bytes()   # read once; the input file is never opened for writing
    is_zip = data[:4] == b"PK\x03\x04"
    task_rows: list[RawTask] = []
    if is_zip:
        raws, problems = read_xlsx(data, file, task_rows)
    elif path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return fail(actuals_problem("not_workbook", Location(file), reason=t("actuals_errors.reason_not_zip", lang)))
    else:
        raws, problems = read_csv(data, file)
    if any(p.key in FATAL for p in problems):
        return fail(next(p for p in problems if p.key in FATAL))
    early = [p for p in problems if p.severity == "warning"]   # e.g. a stray sheet, ignored
    result = _interpret(raws, [p for p in problems if p.severity != "warning"], plan, expected, file, lang)
    result.warnings[:0] = early
    result.tasks, task_problems, task_warnings = task_progress.interpret(task_rows, plan)
    result.problems += task_problems
    result.warnings += task_warnings
    return result






















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


_MONTH_ABBR = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_PERIOD = re.compile(r"^(?:1\s*[-~至到]\s*)?(\d{1,2})\s*月?(?:份)?(?:累计)?$")
_PERIOD_YTD = re.compile(r"^(?:ytd|year[\s-]*to[\s-]*date)[\s:-]*(\d{1,2})$")
_PERIOD_EN = re.compile(r"^(?:jan[a-z]*\s*[-~]\s*)?([a-z]{3})[a-z]*$")


def parse_period(raw: Any) -> int | None:
    """The months a figure covers from January: "1-6月", "1–6", "6月", "ytd-06", "Jan–Jun" → 6;
    blank, "全年", "1-12月" or "full year" → 12. Anything else → 0 (not understood)."""
    s = unicodedata.normalize("NFKC", cell_text(raw)).strip().lower()
    s = re.sub(r"[–—―－~]", "-", s)
    if s in ("", "全年", "full year", "year", "annual"):
        return 12
    for pattern in (_PERIOD, _PERIOD_YTD):
        m = pattern.match(s)
        if m:
            month = int(m.group(1))
            return month if 1 <= month <= 12 else 0
    m = _PERIOD_EN.match(s)
    if m and m.group(1) in _MONTH_ABBR:
        return _MONTH_ABBR.index(m.group(1)) + 1
    return 0


def _year(raw: Any) -> int | None:
    s = unicodedata.normalize("NFKC", cell_text(raw)).removesuffix("年度").removesuffix("年").strip()
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


def _interpret(raws: list[Raw], problems: list[Problem], plan: Plan, expected: list[Expected],
               file: str, lang: str) -> ActualsResult:
    warnings: list[Problem] = []
    ids = {i.id: i for i in plan.indicators}
    marks = {t("actuals.illustrative_source", lg) for lg in ("zh", "en")}
    rows: list[dict] = []
    for raw in raws:
        iid = cell_text(raw.indicator)
        ind = ids.get(iid)
        if ind is None:
            problems.append(actuals_problem("unknown_indicator", raw.ind_loc or raw.loc, value=iid))
            continue
        if ind.values_from:
            problems.append(actuals_problem("derived_indicator", raw.ind_loc or raw.loc, value=iid,
                               source=_pair(ids[ind.values_from].name)))
            continue
        district = cell_text(raw.district)
        allowed = districts_for(plan, ind)
        if not district:
            if allowed != [plan.city]:
                # An annex indicator: a blank (or merged-away) district cell is never the city.
                if raw.value is None and not cell_text(raw.source):
                    continue
                problems.append(actuals_problem("district_blank", raw.dist_loc or raw.loc, indicator=_pair(ind.name),
                                   allowed="、".join(allowed)))
                continue
            district = plan.city   # a city-wide indicator: an empty district means the city
        if district not in allowed:
            if raw.value is None and not cell_text(raw.source):
                continue  # an empty row of the grid under an unknown name: nothing reported
            problems.append(actuals_problem("unknown_district", raw.dist_loc or raw.loc, value=district, indicator=_pair(ind.name),
                               allowed="、".join(allowed)))
            continue
        year = _year(raw.year)
        if year is None or year not in years_for(plan, ind):
            years = years_for(plan, ind)
            problems.append(actuals_problem("year_outside", raw.loc, value=cell_text(raw.year), first=years[0], last=years[-1]))
            continue
        shown = cell_text(raw.value)
        if raw.formula:
            problems.append(actuals_problem("formula_no_value", raw.loc))
            continue
        value, judgement, explicit = None, "", False
        if ind.kind == "qualitative" and shown.lower() in JUDGEMENT_WORDS:
            judgement = JUDGEMENT_WORDS[shown.lower()]
        else:
            value, err, explicit = _number(raw.value, ind, raw.percent_format)
            if err:
                problems.append(actuals_problem(err, raw.loc, value=shown, unit=_pair(ind.reported_unit)))
                continue
        if value is not None:
            if value < 0:
                problems.append(actuals_problem("negative", raw.loc, value=shown))
                continue
            ref = max([abs(ind.target or 0), abs(ind.baseline.value) if ind.baseline else 0])
            if not explicit and is_percent(ind) and 0 < value <= 1 and ref > 1:
                problems.append(actuals_problem("percent_fraction", raw.loc, value=shown, pct=f"{value * 100:g}"))
                continue
            if not explicit and is_permille(ind) and 0 < value < 0.01 and ref >= 0.01:
                problems.append(actuals_problem("permille_fraction", raw.loc, value=shown, pm=f"{value * 1000:g}"))
                continue
            if is_percent(ind) and value > 100 and ref <= 100 and ind.kind in ("level", "floor", "qualitative"):
                warnings.append(actuals_problem("percent_over_100", raw.loc, "warning", value=shown))
            else:
                _plausible(plan, ind, district, year, value, shown, raw.loc, warnings)
        has_value = value is not None or judgement != ""
        source, note = cell_text(raw.source), cell_text(raw.note)
        if CONTROL_CHARS.search(source + note):   # \x0b and the like: no spreadsheet can hold them
            source, note = CONTROL_CHARS.sub(" ", source).strip(), CONTROL_CHARS.sub(" ", note).strip()
            warnings.append(actuals_problem("control_chars", raw.src_loc, "warning"))
        if has_value and not source:
            problems.append(actuals_problem("no_source", raw.src_loc, value=shown))
        status_text = cell_text(raw.status).lower()
        status = VALUE_STATUS_WORDS.get(status_text, "final" if status_text == "" else None)
        if status is None:
            problems.append(actuals_problem("bad_status", raw.stat_loc or raw.src_loc, value=cell_text(raw.status)))
            status = "final"
        months = parse_period(raw.period)
        if months == 0:
            problems.append(actuals_problem("bad_period", raw.period_loc or raw.loc, value=cell_text(raw.period)))
            continue
        # a year-to-date figure is marked with the month it runs to ("2023-06"); the full year: ""
        period = "" if months == 12 else f"{year}-{months:02d}"
        rows.append({"indicator": ind.id, "district": district, "year": year, "period": period,
                     "value": math.nan if value is None else value, "judgement": judgement,
                     "source": source, "status": status, "note": note,
                     "replaces": cell_text(raw.replaces), "location": raw.loc.render(lang="en"),
                     "illustrative": any(m in source for m in marks), "_loc": raw.loc,
                     "_has": has_value, "_shown": shown})
    # Corrections: resolve each `replaces` to the exact location of the value it replaces.
    for row in rows:
        if not row["replaces"]:
            continue
        target = _find_location(row["replaces"], [r for r in rows if r is not row])
        key = (row["indicator"], row["district"], row["year"])
        if target is None:
            problems.append(actuals_problem("replaces_unknown", row["_loc"], value=row["replaces"]))
            row["replaces"] = ""
        elif (target["indicator"], target["district"], target["year"]) != key:
            problems.append(actuals_problem("replaces_mismatch", row["_loc"], value=row["replaces"]))
            row["replaces"] = ""
        else:
            row["replaces"] = target["location"]
    replaced = {r["replaces"] for r in rows if r["replaces"]}
    live = [r for r in rows if r["_has"] and r["location"] not in replaced]
    by_key: dict[tuple, list[dict]] = {}
    ytd: dict[tuple, list[dict]] = {}
    for r in live:
        # a year-to-date figure and the full year's are two figures, not a conflict
        (by_key if not r["period"] else ytd).setdefault((r["indicator"], r["district"], r["year"]), []).append(r)
    for group in [*by_key.values(), *ytd.values()]:
        first = group[0]
        for other in group[1:]:
            same = (other["judgement"] == first["judgement"] and
                    (other["value"] == first["value"] or (math.isnan(other["value"]) and math.isnan(first["value"]))))
            if same:
                warnings.append(actuals_problem("duplicate_same", other["_loc"], "warning", value=other["_shown"],
                                   other=first["location"]))
            else:
                problems.append(actuals_problem("conflict", other["_loc"], value=other["_shown"],
                                   other=first["location"], other_value=first["_shown"]))
    _reconcile(plan, by_key, warnings, lang)
    # The table: every valued row (superseded ones too, so the report can say what it used),
    # and one empty (NaN) row per required cell left empty — missing, never zero.
    keep = [r for r in rows if r["_has"]]
    missing = [e for e in expected if not e.optional and (e.indicator, e.district, e.year) not in by_key]
    blank_loc = {(r["indicator"], r["district"], r["year"]): r["location"] for r in rows if not r["_has"]}
    for e in missing:
        keep.append({"indicator": e.indicator, "district": e.district, "year": e.year, "period": "", "value": math.nan,
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
        warnings.append(actuals_problem("implausible_high", loc, "warning", value=shown, plan=f"{scale:g}",
                           factor=PLAUSIBLE_FACTOR, unit=_pair(ind.reported_unit)))
    elif ("户" in ind.reported_unit["zh"] and scale >= 1000 and 0 < value < HOUSEHOLD_FLOOR * scale
          and value * 10000 <= PLAUSIBLE_FACTOR * scale):   # read in 万, it would fit the plan
        warnings.append(actuals_problem("implausible_low", loc, "warning", value=shown, plan=f"{scale:g}",
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
            if not agrees(city[0]["value"], total):   # the method file's one tolerance
                warnings.append(actuals_problem("district_sum_mismatch", city[0]["_loc"], "warning",
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
    # `period` only when some figure is year-to-date: a file of full-year figures gives exactly
    # the table it always gave (docs/actuals.md, evaluation at a month)
    columns = TIDY_COLUMNS + (["period"] if any(r.get("period") for r in rows) else [])
    frame = pd.DataFrame([{k: r.get(k, "") for k in columns} for r in rows], columns=columns)
    frame["value"] = frame["value"].astype(float)
    frame["year"] = frame["year"].astype(int)
    frame["illustrative"] = frame["illustrative"].astype(bool)
    return frame


def load_actuals(path: Path | str, plan: Plan) -> pd.DataFrame:
    """The tidy actuals table; raises ReportkitError listing every error if there is one."""
    result = read_actuals(path, plan)
    result.raise_for_problems()
    return result.table
