"""How figures and codes are written for readers, in one place: missing vs not applicable,
half-up rounding, counts as whole numbers, percentages, status and grade words and badges, and
the HTML table every page uses."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from reportkit.i18n import has, t
from reportkit.report.palette import STATUS_STYLES
from reportkit.vocab import COUNT_UNIT_CHARS


def missing(x: Any) -> bool:
    """True for None, NaN, pd.NA and empty strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def dash(lang: str) -> Markup:
    """The missing-value mark."""
    return Markup('<span class="rk-missing" title="{}">—</span>').format(t("report.missing", lang))


def half_up(x: Any, digits: int) -> Decimal:
    """``x`` rounded half up (四舍五入) to ``digits`` decimals from its exact decimal value.

    A float is taken at its shortest repr (1.0775 is "1.0775", not 1.07749999…), so 107.75 %
    shows as 107.8 %, never 107.7 % as binary rounding gives.
    """
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def default_digits(v: float) -> int:
    """Decimals shown by default: none for whole numbers, 1 from 10 up, 2 below."""
    return 0 if float(v).is_integer() else (1 if abs(v) >= 10 else 2)


def fmt_num(x: Any, lang: str, digits: int | None = None) -> Markup | str:
    """A number with thousands separators, rounded half up; integers without decimals; missing → dash."""
    if missing(x) or (isinstance(x, float) and math.isinf(x)):
        return dash(lang)
    v = float(x)
    if digits is None:
        digits = default_digits(v)
    d = half_up(v, digits)
    return f"{d + 0:,.{digits}f}"   # + 0: no "-0"


def fmt_pct(x: Any, lang: str, digits: int = 1) -> Markup | str:
    """A fraction as a percentage rounded half up (0.10775 → 10.8%); missing → dash."""
    if missing(x) or (isinstance(x, float) and math.isinf(x)):
        return dash(lang)
    d = (Decimal(repr(float(x))) * 100).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{d + 0:.{digits}f}%"


def is_count(unit_zh: str) -> bool:
    """True for units of counts (户, 套（间）, 户（套）): their values are whole numbers."""
    core = re.sub(r"[（(].*?[）)]", "", str(unit_zh or "")).strip()
    inner = "".join(re.findall(r"[（(](.*?)[）)]", str(unit_zh or "")))
    return bool(core) and set(core + inner) <= COUNT_UNIT_CHARS


def fmt_value(x: Any, unit_zh: str, lang: str, digits: int | None = None) -> Markup | str:
    """A value in an indicator's unit: counts as whole numbers, others as :func:`fmt_num`."""
    return fmt_num(x, lang, 0 if is_count(unit_zh) else digits)


def fmt_pair(a: Any, b: Any, unit_zh: str, lang: str) -> tuple[Markup | str, Markup | str]:
    """Two values shown side by side (expected and actual) with the precision that separates
    them: 23.04 and 23.01 are never both "23.0" (counts stay whole numbers)."""
    if is_count(unit_zh) or missing(a) or missing(b):
        return fmt_value(a, unit_zh, lang), fmt_value(b, unit_zh, lang)
    digits = max(default_digits(float(a)), default_digits(float(b)))
    while fmt_num(a, lang, digits) == fmt_num(b, lang, digits) and float(a) != float(b) and digits < 6:
        digits += 1
    return fmt_num(a, lang, digits), fmt_num(b, lang, digits)


def status_label(code: Any, lang: str, stage: str | None = None) -> str:
    """The reader's words for a status code (``status`` locale group); a stage may word a code
    its own way (``status.status_<stage>``: at the end of term "achieved" is 已实现, not 已提前实现)."""
    if missing(code):
        return t("report.missing", lang)
    if stage and has(f"status.status_{stage}.{code}", lang):
        return t(f"status.status_{stage}.{code}", lang)
    return t(f"status.status.{code}", lang)


def _badge(code: str, text: str) -> Markup:
    """Colour class (report/palette.py), symbol (hidden from screen readers: the words say it), words."""
    symbol = STATUS_STYLES[code].symbol if code in STATUS_STYLES else ""
    mark = Markup('<span class="rk-symbol" aria-hidden="true">{}</span>').format(symbol) if symbol else ""
    return Markup('<span class="rk-badge rk-status-{}">{}{}</span>').format(code, mark, text)


def badge(code: Any, lang: str, stage: str | None = None) -> Markup:
    """A status badge: colour class + symbol + the status text (worded for ``stage``)."""
    if missing(code):
        return dash(lang)
    return _badge(str(code), status_label(code, lang, stage))


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")


def data_date(row: Any) -> str:
    """The date a row's data stop at (its latest value's year, or as_of's year-month): "2023" /
    "2023-06". The grade of an end-of-term row resting on data before the end is provisional."""
    as_of = str(row.get("as_of") or "")
    year = row.get("actual_year")
    if not missing(year) and as_of and int(year) < int(as_of[:4]):
        return str(int(year))
    return as_of


def data_date_text(date: str, lang: str) -> str:
    """"2023" → 2023年 / 2023; "2023-06" → 2023年6月 / June 2023; "2023-06-30" → 2023年6月30日 /
    30 June 2023."""
    year, _, month = date.partition("-")
    month, _, day = month.partition("-")
    if month:
        # the month as a number in Chinese (2023年6月), by name in English (June 2023)
        name = int(month) if lang == "zh" else _MONTHS_EN[int(month) - 1]
        if day:
            return t("status.provisional.day", lang, year=year, month=name, day=int(day))
        return t("status.provisional.month", lang, year=year, month=name)
    return t("status.provisional.year", lang, year=year)


def grade_text(row: Any, lang: str) -> str:
    """The grade in words; a provisional one says so and on which data (截至2023年数据，暂评)."""
    text = t(f"status.grade.{row['grade']}", lang)
    if row.get("grade_provisional") is True:
        return t("status.provisional.grade", lang, grade=text, date=data_date_text(data_date(row), lang))
    return text


def grade_badge(code: Any, lang: str, row: Any = None) -> Markup:
    """An end-of-term grade badge: colour class + symbol + the grade text (marked 暂评 when the
    row's grade is provisional: pass the results row)."""
    if missing(code):
        return dash(lang)
    text = grade_text(row, lang) if row is not None else t(f"status.grade.{code}", lang)
    return _badge(str(code), text)


def warning_badge(lang: str) -> Markup:
    """The binding-indicator warning (预警) badge."""
    return Markup('<span class="rk-badge rk-warning" title="{}">{}</span>').format(
        t("status.warning.meaning", lang), t("status.warning.flag", lang))


def attribute_label(attribute: str, lang: str) -> str:
    """预期性 / 约束性 in the reader's language."""
    return t(f"report.attribute.{attribute}", lang)


class HtmlTable:
    """A table of (already formatted) cells; str cells are escaped, Markup cells kept."""

    def __init__(self, columns: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "",
                 numeric: Sequence[int] = (), css: str = "rk-table"):
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]
        self.caption = caption
        self.numeric = set(numeric)
        self.css = css

    def html(self) -> str:
        out = [Markup('<div class="rk-table-wrap"><table class="{}">').format(self.css)]
        if self.caption:
            out.append(Markup("<caption>{}</caption>").format(self.caption))
        out.append(Markup("<thead><tr>"))
        for k, c in enumerate(self.columns):
            cls = ' class="rk-num"' if k in self.numeric else ""
            out.append(Markup('<th scope="col"{}>{}</th>').format(Markup(cls), c))
        out.append(Markup("</tr></thead><tbody>"))
        for row in self.rows:
            out.append(Markup("<tr>"))
            for k, cell in enumerate(row):
                cls = ' class="rk-num"' if k in self.numeric else ""
                # data-label: on narrow screens each row becomes a card of "heading: value" lines
                label = self.columns[k] if k < len(self.columns) else ""
                out.append(Markup('<td{} data-label="{}">{}</td>').format(Markup(cls), label,
                                                                        "" if cell is None else cell))
            out.append(Markup("</tr>"))
        out.append(Markup("</tbody></table></div>"))
        return str(Markup("").join(out))

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        """A stable plain-text stand-in (no memory address)."""
        return f"<table: {len(self.rows)} rows × {len(self.columns)} columns>"

    def __len__(self) -> int:
        return len(self.rows)


def labelled(label: Any, value: Any, lang: str) -> Markup:
    """"label: value" with the edition's separator (综合绩效得分：0.77 / Composite score: 0.77);
    both parts escaped unless already markup."""
    return Markup("{}{}{}").format(label, t("report.register.label_sep", lang), value)


def not_applicable(lang: str) -> Markup:
    """The not-applicable mark: "—" whose tooltip says 不适用 (never 数据缺失)."""
    return Markup('<span class="rk-na" title="{}">—</span>').format(t("report.register.not_applicable", lang))


# values that are missing when the data behind them are: an empty one is 数据缺失 then, "—" otherwise
DATA_VALUES = ("actual", "completion", "completion_annex", "schedule_ratio")


def data_missing(row: Any, key: str) -> bool:
    """True when ``row``'s empty ``key`` is missing data (a value due and not reported, or a
    baseline neither stated nor reported); False when it does not apply (a growth rate has no
    completion, a qualitative target no schedule ratio). One rule for pages and downloads."""
    if key == "baseline":
        return row.get("reason") == "baseline_missing"
    return key in DATA_VALUES and (row.get("status") == "no_data" or not missing(row.get("missing_years")))


def absent(row: Any, key: str, lang: str) -> Markup:
    """The mark of an empty value: 数据缺失's dash, or the not-applicable one."""
    return dash(lang) if data_missing(row, key) else not_applicable(lang)


def row_pct(row: Any, key: str, lang: str) -> Markup | str:
    """``row[key]`` as a percentage, or its absent mark."""
    return absent(row, key, lang) if missing(row[key]) else fmt_pct(row[key], lang)


def row_num(row: Any, key: str, lang: str, digits: int | None = None) -> Markup | str:
    """``row[key]`` as a number, or its absent mark."""
    return absent(row, key, lang) if missing(row[key]) else fmt_num(row[key], lang, digits)


_CJK = re.compile("[\u3400-\u9fff]")


def has_chinese(text: Any) -> bool:
    """True when ``text`` holds Chinese characters (a name the inputs gave only in Chinese)."""
    return bool(_CJK.search(str(text or "")))


def one_language(text: Any, lang: str) -> str:
    """A cell the inputs wrote in both languages ("示例：进度通报 / illustrative: progress notice")
    shown in the reader's language only; any other text unchanged."""
    text = "" if missing(text) else str(text)
    parts = text.split(" / ")
    if len(parts) == 2 and bool(_CJK.search(parts[0])) != bool(_CJK.search(parts[1])):
        zh, en = parts if _CJK.search(parts[0]) else parts[::-1]
        return zh.strip() if lang == "zh" else en.strip()
    return text


def frame_html(frame: pd.DataFrame, lang: str | None = None, pct: Sequence[str] = (),
               digits: dict[str, int] | None = None) -> str:
    """A plain escaped HTML table of a DataFrame (chart data tables): numbers written as on the
    pages (:func:`fmt_num`: separators, half-up rounding, no exponent), the columns in ``pct`` as
    percentages, ``digits`` fixing a column's decimals (counts: 0); an empty cell is "—"."""
    digits = digits or {}
    numeric = [k for k, c in enumerate(frame.columns) if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    rows = []
    for rec in frame.itertuples(index=False):
        row: list[Any] = []
        for name, v in zip(frame.columns, rec, strict=True):
            if missing(v) or (isinstance(v, float) and math.isinf(v)):
                row.append("—")
            elif isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.number):
                row.append(str(v))
            elif name in pct:
                row.append(fmt_pct(v, lang or "en"))
            elif isinstance(v, int | np.integer) and name not in digits:
                row.append(str(v))   # years and other whole labels: no separator
            else:
                row.append(fmt_num(v, lang or "en", digits.get(name)))
        rows.append(row)
    return HtmlTable([str(c) for c in frame.columns], rows, numeric=numeric).html()


def col(key: str, lang: str) -> str:
    """A column heading from ``report.col.<key>``."""
    return t(f"report.col.{key}", lang)


def label_or_code(group: str, code: str, lang: str) -> str:
    """A translated label when the locale has one; the code itself otherwise (e.g. sources)."""
    key = f"{group}.{code}"
    return t(key, lang) if has(key, lang) else str(code)


def escape_text(text: Any) -> Markup:
    """HTML-escaped text."""
    return escape(text)
