"""The key tasks chapter (重点任务推进情况): the plan's task tree beside the progress reported.

Everything starts from :func:`task_rows`, one row per task and item the form asks about, with
the progress reported on the form's task sheet or ``no_report`` when nothing was reported (a
missing report is never "not started"). :func:`attention_tasks` is the list a problems and
recommendations chapter builds on: lagging and not-started tasks with their evidence.

English titles come from the catalogue (``tasks:``); where one is missing the English edition
shows the Chinese title with a visible marker, never a silent mix of languages.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from reportkit.i18n import t
from reportkit.report.formatting import has_chinese
from reportkit.report.narrative import Html, as_of_text, render
from reportkit.report.tables import HtmlTable, dash, data_date_text, missing, one_language
from reportkit.vocab import TASK_ATTENTION, TASK_NO_REPORT, TASK_PROGRESS, TASK_REPORTED_LEVELS

# Display order of the table: what needs attention first, then the rest.
DISPLAY_ORDER: tuple[str, ...] = (*TASK_ATTENTION, "dropped", TASK_NO_REPORT, "on_track", "completed")
# Columns of the count table, best to worst, then not reported.
COUNT_ORDER: tuple[str, ...] = (*TASK_PROGRESS, TASK_NO_REPORT)
ROW_COLUMNS = ["id", "level", "section", "title_zh", "title_en", "progress", "evidence", "reason",
               "lead", "as_of", "note", "illustrative"]


def has_tasks(ctx: Any) -> bool:
    """Whether the plan has a task chapter (otherwise the chapter says so and shows nothing)."""
    tree = getattr(ctx.plan, "tasks", None)
    return tree is not None and bool(tree["level"].isin(TASK_REPORTED_LEVELS).any())


def _section_of(tree: pd.DataFrame) -> dict[str, str]:
    """Each node's section id (its chapter's id where the chapter has no sections)."""
    parent = dict(zip(tree["id"], tree["parent"], strict=True))
    level = dict(zip(tree["id"], tree["level"], strict=True))
    out = {}
    for node in tree["id"]:
        cur = node
        while level[cur] not in ("section", "chapter") and parent.get(cur):
            cur = parent[cur]
        out[node] = cur
    return out


def task_rows(ctx: Any) -> pd.DataFrame:
    """Every task and item in plan order with its reported progress (``no_report`` when none).

    The responsible body is the one reported, else the one the plan names.
    """
    if not has_tasks(ctx):
        return pd.DataFrame(columns=ROW_COLUMNS)
    tree = ctx.plan.tasks
    section = _section_of(tree)
    nodes = tree[tree["level"].isin(TASK_REPORTED_LEVELS)]
    progress = ctx.task_progress if ctx.task_progress is not None else pd.DataFrame(columns=["task"])
    reported = {str(r["task"]): r for _, r in progress.iterrows()}
    rows = []
    for node in nodes.itertuples(index=False):
        rep = reported.get(str(node.id))
        rows.append({
            "id": node.id, "level": node.level, "section": section[node.id],
            "title_zh": node.title_zh, "title_en": node.title_en,
            "progress": rep["progress"] if rep is not None else TASK_NO_REPORT,
            "evidence": rep["evidence"] if rep is not None else "",
            "reason": rep["reason"] if rep is not None else "",
            "lead": (rep["lead"] if rep is not None and rep["lead"] else node.lead) or "",
            "as_of": rep["as_of"] if rep is not None else "",
            "note": rep["note"] if rep is not None else "",
            "illustrative": bool(rep["illustrative"]) if rep is not None else False,
        })
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def attention_tasks(ctx: Any) -> pd.DataFrame:
    """Lagging and not-started tasks and items (plan order, lagging first), with their evidence:
    what the problems and recommendations build on."""
    rows = task_rows(ctx)
    rows = rows[rows["progress"].isin(TASK_ATTENTION)]
    order = {code: k for k, code in enumerate(TASK_ATTENTION)}
    return rows.sort_values("progress", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def section_counts(ctx: Any) -> pd.DataFrame:
    """Tasks and items per section and progress code (columns :data:`COUNT_ORDER`, then total)."""
    rows = task_rows(ctx)
    sections = [s for s in dict.fromkeys(rows["section"])]
    table = pd.DataFrame(0, index=pd.Index(sections, name="section"), columns=[*COUNT_ORDER, "total"])
    for sec, code in zip(rows["section"], rows["progress"], strict=True):
        table.loc[sec, code] += 1
        table.loc[sec, "total"] += 1
    return table


# ---- display ----------------------------------------------------------------------------------
def title(node_id: str, title_zh: str, title_en: str, lang: str) -> Markup:
    """A task's title in ``lang``; in English without a catalogue title: the Chinese, marked."""
    if lang == "zh":
        return escape(title_zh)
    if not missing(title_en):
        return escape(title_en)
    return _untranslated(title_zh, "report.tasks.untranslated_hint", lang)


def _untranslated(text: str, why: str, lang: str) -> Markup:
    """Chinese on an English page, as written, marked untranslated with the reason ``why`` (a key)."""
    return Markup('<span lang="zh">{}</span> <span class="rk-untranslated" title="{}">{}</span>').format(
        text, t(why, lang), t("report.tasks.untranslated", lang))


def _lead(lead: Any, lang: str) -> Markup:
    """The responsible body as the form gives it; on an English page a name given only in
    Chinese is shown as written and marked untranslated, like a task title."""
    text = one_language(lead, lang)
    if not text:
        return dash(lang)
    if lang == "en" and has_chinese(text):
        return _untranslated(text, "report.tasks.untranslated_lead_hint", lang)
    return escape(text)


def section_title(ctx: Any, section_id: str, lang: str) -> Markup:
    node = ctx.plan.tasks.set_index("id").loc[section_id]
    return Markup("{} {}").format(section_id, title(section_id, node["title_zh"], node["title_en"], lang))


def progress_label(code: str, lang: str) -> str:
    return t(f"status.task_progress.{code}", lang)


def progress_badge(code: str, lang: str) -> Markup:
    """A progress badge: colour class + the words (never colour alone)."""
    return Markup('<span class="rk-badge rk-task-{}">{}</span>').format(code, progress_label(code, lang))


def counts_table(ctx: Any, lang: str) -> HtmlTable:
    """Per section: how many tasks and items have each progress, and how many were not reported."""
    counts = section_counts(ctx)
    rows = []
    for sec, rec in counts.iterrows():
        rows.append([section_title(ctx, str(sec), lang), *[int(rec[c]) for c in COUNT_ORDER], int(rec["total"])])
    if len(counts) > 1:
        rows.append([Markup("<strong>{}</strong>").format(t("report.tasks.total", lang)),
                     *[int(counts[c].sum()) for c in COUNT_ORDER], int(counts["total"].sum())])
    cols = [t("report.tasks.col_section", lang), *[progress_label(c, lang) for c in COUNT_ORDER],
            t("report.tasks.col_total", lang)]
    return HtmlTable(cols, rows, numeric=range(1, len(cols)), caption=t("report.tasks.counts_caption", lang),
                     css="rk-table rk-task-counts")


def _evidence(row: Any, lang: str) -> Markup | str:
    # a cell written in both languages ("示例：… / illustrative: …") in the reader's only
    parts = [escape(one_language(row["evidence"], lang))] if row["evidence"] else []
    if row["reason"]:
        parts.append(Markup("{}{}").format(t("report.tasks.reason_prefix", lang), one_language(row["reason"], lang)))
    return Markup("<br>").join(parts) if parts else dash(lang)


def task_table(ctx: Any, lang: str) -> HtmlTable:
    """Every task and item: lagging and not started first (with evidence), then the rest."""
    rows = task_rows(ctx)
    order = {code: k for k, code in enumerate(DISPLAY_ORDER)}
    rows = rows.sort_values("progress", key=lambda s: s.map(order), kind="stable")
    out = []
    for _, r in rows.iterrows():
        name = title(r["id"], r["title_zh"], r["title_en"], lang)
        if r["level"] == "item":   # an item reads as part of its task
            name = Markup('<span class="rk-task-item">{}</span>').format(name)
        out.append([r["id"], name, progress_badge(r["progress"], lang), _evidence(r, lang),
                    _lead(r["lead"], lang), r["as_of"] or dash(lang)])
    cols = [t(f"report.tasks.col_{c}", lang) for c in ("id", "task", "progress", "evidence", "lead", "as_of")]
    return HtmlTable(cols, out, caption=t("report.tasks.table_caption", lang), css="rk-table rk-task-table")


def _year_month(as_of: Any) -> tuple[int, int]:
    """(year, month) of an evaluation date: "2025" is the end of 2025, "2023-06" June 2023."""
    year, _, month = str(as_of).partition("-")
    return int(year), int(month or 12)


def narrative(ctx: Any, lang: str) -> Html:
    """The chapter's opening sentences: the tree's size, counts by progress, what needs attention."""
    if not has_tasks(ctx):
        return Html(Markup('<div class="rk-narrative"><p>{}</p></div>').format(t("report.tasks.none", lang)))
    tree = ctx.plan.tasks
    rows = task_rows(ctx)
    chapters = tree[tree["level"] == "chapter"]
    attention = attention_tasks(ctx)
    # the progress reports carry their own date, which may be older than the evaluation's: the
    # chapter says which (a task verdict resting on a report from years before is not hidden)
    dates = sorted(str(d) for d in rows["as_of"] if str(d or "").strip())
    latest = dates[-1] if dates else ""   # YYYY-MM-DD (inputs.task_progress checks the date)
    values = {
        "as_of": as_of_text(ctx.as_of, lang),
        "reported": data_date_text(latest, lang) if latest else "",
        "stale": bool(latest) and tuple(int(x) for x in latest.split("-")[:2]) < _year_month(ctx.as_of),
        "chapters": [str(title(i, z, e, lang)) for i, z, e in
                     zip(chapters["id"], chapters["title_zh"], chapters["title_en"], strict=True)],
        "n_sections": int((tree["level"] == "section").sum()),
        "n_tasks": int((rows["level"] == "task").sum()), "n_items": int((rows["level"] == "item").sum()),
        "n_reported": int((rows["progress"] != TASK_NO_REPORT).sum()),
        "counts": [{"label": progress_label(c, lang), "n": int((rows["progress"] == c).sum())}
                   for c in TASK_PROGRESS if (rows["progress"] == c).any()],
        "n_missing": int((rows["progress"] == TASK_NO_REPORT).sum()),
        "attention": [{"id": r["id"], "title": title(r["id"], r["title_zh"], r["title_en"], lang),
                       "label": progress_label(r["progress"], lang)} for _, r in attention.head(6).iterrows()],
        "n_attention": len(attention),
    }
    return Html(render("tasks", lang, **values))
