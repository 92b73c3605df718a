"""Stage 3b′ — the task sheet of a filled form: progress per task and item, checked and located.

:func:`interpret` turns the rows :func:`reportkit.inputs.workbook.read_xlsx` collected from the
task sheet into the progress table (columns :data:`reportkit.vocab.TASK_PROGRESS_COLUMNS`) and
the problems found, each at its cell: an id the plan's task tree lacks, a progress word outside
:data:`reportkit.vocab.TASK_PROGRESS_WORDS`, 已完成 without evidence, 不再实施 without a reason,
a date that is not one, a task reported twice. A task nobody reported on has no row: its
progress is missing, never "not started".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import pandas as pd

from reportkit.errors import Problem
from reportkit.i18n import t
from reportkit.inputs.catalogue import Plan
from reportkit.inputs.form import reported_tasks
from reportkit.inputs.workbook import CONTROL_CHARS, RawTask, actuals_problem, cell_text
from reportkit.vocab import (
    TASK_PROGRESS,
    TASK_PROGRESS_COLUMNS,
    TASK_PROGRESS_WORDS,
    TASK_PROGRESS_ZH,
)

EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE = re.compile(r"^(\d{4})(?:\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?)?\s*年?$")


def empty() -> pd.DataFrame:
    """A progress table with no rows (a CSV form, a plan without tasks)."""
    return frame([])


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame([{k: r[k] for k in TASK_PROGRESS_COLUMNS} for r in rows], columns=TASK_PROGRESS_COLUMNS)
    out["illustrative"] = out["illustrative"].astype(bool)
    return out


def progress_code(raw: Any) -> str | None:
    """The progress code of a cell (已完成 → completed …), None when the word is not one."""
    text = unicodedata.normalize("NFKC", cell_text(raw)).strip().lower()
    text = re.sub(r"\s+", " ", text.replace("_", " "))
    return TASK_PROGRESS_WORDS.get(text) or TASK_PROGRESS_WORDS.get(text.replace(" ", "_"))


def as_of_date(raw: Any) -> str | None:
    """A date cell as ``YYYY-MM-DD`` / ``YYYY-MM`` / ``YYYY``; "" when blank; None when not a date."""
    if raw is None or cell_text(raw) == "":
        return ""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        # A year typed into the date-formatted cell is stored as day 2023 of Excel's calendar
        # (1905-07-15): read it back as the year it was.
        serial = (raw - EXCEL_EPOCH).days
        if raw.year < 1910 and 1990 <= serial <= 2100:
            return f"{serial:04d}"
        return raw.isoformat()
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    m = DATE.match(unicodedata.normalize("NFKC", str(raw)).strip())
    if not m:
        return None
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        if day is not None:
            return dt.date(year, month, day).isoformat()
        if month is not None:
            return dt.date(year, month, 1).isoformat()[:7]
    except ValueError:
        return None
    return f"{year:04d}"


def interpret(raws: list[RawTask], plan: Plan) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """The progress table of the task sheet's rows, with every error and warning found."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    known = set(reported_tasks(plan))
    marks = {t("actuals.illustrative_source", lg) for lg in ("zh", "en")}
    words = "、".join(TASK_PROGRESS_ZH[c] for c in TASK_PROGRESS)
    rows: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for raw in raws:
        task = cell_text(raw.task)
        if task not in known:
            problems.append(actuals_problem("task_unknown", raw.id_loc, value=task))
            continue
        shown = cell_text(raw.progress)
        if shown == "":
            warnings.append(actuals_problem("task_no_progress", raw.loc, "warning", task=task))
            continue
        code = progress_code(raw.progress)
        if code is None:
            problems.append(actuals_problem("task_bad_progress", raw.loc, value=shown, allowed=words))
            continue
        texts = {k: cell_text(getattr(raw, k)) for k in ("evidence", "lead", "reason", "note")}
        if CONTROL_CHARS.search("".join(texts.values())):
            texts = {k: CONTROL_CHARS.sub(" ", v).strip() for k, v in texts.items()}
            warnings.append(actuals_problem("control_chars", raw.loc, "warning"))
        if code == "completed" and not texts["evidence"]:
            problems.append(actuals_problem("task_no_evidence", raw.evidence_loc, task=task))
        if code == "dropped" and not texts["reason"]:
            problems.append(actuals_problem("task_no_reason", raw.reason_loc, task=task))
        as_of = as_of_date(raw.as_of)
        if as_of is None:
            problems.append(actuals_problem("task_bad_date", raw.date_loc, value=cell_text(raw.as_of)))
            as_of = ""
        where = raw.loc.render(lang="en")
        if task in seen:
            problems.append(actuals_problem("task_duplicate", raw.id_loc, task=task, other=seen[task]))
            continue
        seen[task] = where
        rows.append({"task": task, "progress": code, **texts, "as_of": as_of, "location": where,
                     "illustrative": any(m in texts["evidence"] + texts["note"] for m in marks)})
    return frame(rows), problems, warnings
