"""Problems and recommendations drafted from the evaluation (中期评估报告 五、六).

Each drafted sentence rests on a figure that the report shows elsewhere (the indicator and
programme tables, the district ranking, the reconciliation): the rules below only select and
order what the evaluation already computed. Evaluators replace a drafted section with their own
Markdown (``<commentary>/<lang>/sections/<section>.md``); until they do, the section is marked
as a draft.

The selection rules, in one place:

* problems — key tasks reported as lagging or not started (``report.tasks.attention_tasks``);
  city-level targets that need attention (statuses in ``vocab.ATTENTION``, worst
  first; at the end of term, grade ``not_completed``), binding indicators below their warning
  line, districts with targets that need attention, values due but not reported, years where
  the city's figure and the districts' sum disagree, and the plan's own inconsistencies
  (``plan_*`` checks that do not agree);
* recommendations — for each city target that needs attention, the pace the remaining years
  require and the districts furthest behind on it; for binding warnings, securing the target;
  reporting what is missing; reconciling the figures; at mid-term, re-examining a target whose
  projection at the current pace stays below the "basically completed" grade (规划调整建议);
  aligning the plan's own figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from markupsafe import Markup

from reportkit.i18n import has, t
from reportkit.report.narrative import (
    Html,
    as_of_text,
    commentary_path,
    in_sentence,
    markdown_to_html,
    read_commentary,
)
from reportkit.report.tables import fmt_num, fmt_pct, grade_text, missing, status_label
from reportkit.vocab import ATTENTION, STATUS_RANK

SECTIONS: tuple[str, ...] = ("problems", "recommendations")
WORST_DISTRICTS = 3   # districts named per lagging target
SHORT_GRADES = ("not_completed", "basically_completed")   # end-of-term grades that fall short


@dataclass(frozen=True)
class Finding:
    """One drafted sentence: a locale key under ``report.findings.<section>`` and its values.

    Values are language-free: ``{"zh": …, "en": …}`` pairs for names, numbers for figures (keys
    listed in ``pct`` are fractions shown as percentages), lists of pairs for name lists.
    """

    section: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    pct: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Selection (language-free).
def _pair(row: pd.Series, stem: str) -> dict[str, str]:
    return {"zh": str(row[f"{stem}_zh"]), "en": str(row[f"{stem}_en"])}


def _city(ctx: Any) -> pd.DataFrame:
    r = ctx.results
    return r[r["district"] == ctx.plan.city]


def _needs_attention(rows: pd.DataFrame, stage: str) -> pd.DataFrame:
    """Rows whose status needs attention; at the end of term a graded row counts by its grade
    (not completed or only basically completed), since the grade is the verdict there."""
    bad = rows["status"].isin(ATTENTION)
    if stage == "final" and "grade" in rows:
        graded = rows["grade"].notna()
        bad = (graded & rows["grade"].isin(SHORT_GRADES)) | (~graded & bad)
    out = rows[bad].copy()
    out["_rank"] = out["status"].map(STATUS_RANK).fillna(len(STATUS_RANK))
    return out.sort_values(["_rank", "completion"], kind="stable", na_position="last")


def _unit(row: Any) -> dict[str, str]:
    """The unit a row's values are in (the reported unit where the results carry one)."""
    return _pair(row, "value_unit") if "value_unit_zh" in row else _pair(row, "unit")


def _worst_districts(ctx: Any, indicator: str) -> list[dict[str, str]]:
    r = ctx.results
    rows = r[(r["indicator"] == indicator) & (r["district"] != ctx.plan.city) & r["status"].isin(ATTENTION)]
    # the furthest behind schedule first: the method ranks districts by R, not by completion
    rows = rows.sort_values("schedule_ratio", kind="stable", na_position="last").head(WORST_DISTRICTS)
    return [_pair(row, "district") for _, row in rows.iterrows()]


def _due_missing(ctx: Any) -> pd.DataFrame:
    r = ctx.results
    return r[r["status"] == "no_data"]


def _disagreements(ctx: Any, prefix: str) -> pd.DataFrame:
    """Reconciliation rows of ``prefix`` checks that disagree. A year where some districts did not
    report cannot be judged (``agrees`` is empty) but its gap is still shown when there is one."""
    rec = ctx.evaluation.reconciliation
    if rec is None or rec.empty:
        return pd.DataFrame(columns=["check", "indicator", "year", "city_value", "district_sum",
                                     "districts_missing", "agrees"])
    rec = rec[rec["check"].astype(str).str.startswith(prefix)]
    unjudged = rec["agrees"].isna() & (rec["city_value"] != rec["district_sum"]) & rec["district_sum"].notna()
    return rec[(rec["agrees"] == False) | unjudged]  # noqa: E712 (None is not False)


def _indicator_pair(ctx: Any, indicator_id: str) -> dict[str, str]:
    ind = ctx.plan.indicator(indicator_id)
    return {"zh": ind.label("zh"), "en": ind.label("en")}


def _district_pairs(ctx: Any, names: Any) -> list[dict[str, str]]:
    if missing(names):
        return []
    items = names if isinstance(names, list | tuple) else str(names).split(",")
    return [{"zh": ctx.plan.district_label(n.strip(), "zh"), "en": ctx.plan.district_label(n.strip(), "en")}
            for n in items if str(n).strip()]


def problems(ctx: Any) -> list[Finding]:
    """The drafted 存在的主要问题, in reading order."""
    out: list[Finding] = []
    tp = ctx.meta["time_progress"]
    for _, row in _needs_attention(_city(ctx), ctx.stage).iterrows():
        # measured against the share of the target due (E/T: an annex's own schedule), which is
        # what the status is computed from; τ where the results carry no planned progress
        planned = row.get("planned_progress")
        values = {"name": _pair(row, "indicator"), "completion": row["completion"],
                  "tp": tp if missing(planned) else planned,
                  "status": {lg: status_label(row["status"], lg, ctx.stage) for lg in ("zh", "en")}}
        if ctx.stage == "final" and not missing(row.get("grade")):
            # a provisional grade says so (截至2023年数据，暂评), as in the tables
            values["grade"] = {lg: grade_text(row, lg) for lg in ("zh", "en")}
            out.append(Finding("problems", "graded", values, ("completion",)))
        elif row["status"] == "deteriorating" and not missing(row.get("baseline")) and not missing(row.get("actual")):
            # a negative completion ("完成-20.2%") says less than the move itself: from B to A
            unit = _unit(row)
            out.append(Finding("problems", "deteriorating", {**values, "baseline": row["baseline"],
                                                             "actual": row["actual"], "unit": unit}))
        elif missing(row["completion"]):
            out.append(Finding("problems", "attention", values))
        else:
            out.append(Finding("problems", "lagging", values, ("completion", "tp")))
    for _, row in _city(ctx)[_city(ctx)["warning"] == True].iterrows():  # noqa: E712 (None is not False)
        out.append(Finding("problems", "binding_warning", {"name": _pair(row, "indicator")}))
    r = ctx.results
    districts = r[(r["district"] != ctx.plan.city) & r["status"].isin(ATTENTION)]
    for _district, rows in districts.groupby("district", sort=False):
        rows = rows.sort_values("completion", kind="stable", na_position="last")
        items = [{"zh": f"{x['indicator_zh']}（{fmt_pct(x['completion'], 'zh')}）",
                  "en": f"{x['indicator_en']} ({fmt_pct(x['completion'], 'en')})"} for _, x in rows.iterrows()]
        out.append(Finding("problems", "district_behind",
                           {"district": _pair(rows.iloc[0], "district"), "items": items, "n": len(rows)}))
    gaps = _due_missing(ctx)
    if not gaps.empty:
        items = [{"zh": f"{x['indicator_zh']}（{x['district_zh']}）", "en": f"{x['indicator_en']} ({x['district_en']})"}
                 for _, x in gaps.iterrows()]
        out.append(Finding("problems", "missing", {"n": len(gaps), "items": items}))
    out += _task_findings(ctx)
    for indicator, rows in _disagreements(ctx, "actual_").groupby("indicator", sort=False):
        years = [{"zh": f"{int(x['year'])}年全市{fmt_num(x['city_value'], 'zh')}（合计{fmt_num(x['district_sum'], 'zh')}）",
                  "en": f"{int(x['year'])}: {fmt_num(x['city_value'], 'en')} against {fmt_num(x['district_sum'], 'en')}"}
                 for _, x in rows.iterrows()]
        absent = list(dict.fromkeys(n for names in rows["districts_missing"].dropna() for n in str(names).split(",")))
        # a gap where districts did not report is not a disagreement: it cannot be checked yet
        # (the data chapter's reconciliation says 暂不判定 for the same rows)
        key = "unreconciled_unjudged" if rows["agrees"].isna().all() and absent else "unreconciled"
        out.append(Finding("problems", key, {
            "name": _indicator_pair(ctx, indicator), "years": years, "absent": _district_pairs(ctx, absent)}))
    for _, row in _disagreements(ctx, "plan_").iterrows():
        out.append(Finding("problems", "plan_inconsistent", {
            "name": _indicator_pair(ctx, row["indicator"]), "city": row["city_value"], "sum": row["district_sum"]}))
    return out


def _task_items(rows: pd.DataFrame) -> list[dict[str, str]]:
    return [{"zh": f"{r['id']} {r['title_zh']}", "en": f"{r['id']} {r['title_en'] or r['title_zh']}"}
            for _, r in rows.iterrows()]


def _task_findings(ctx: Any) -> list[Finding]:
    """Key tasks reported as lagging or not started (report.tasks.attention_tasks)."""
    from reportkit.report.tasks import attention_tasks, has_tasks

    if getattr(ctx, "task_progress", None) is None or not has_tasks(ctx):
        return []
    att = attention_tasks(ctx)
    out = []
    for code in ("lagging", "not_started"):
        rows = att[att["progress"] == code]
        if len(rows):
            out.append(Finding("problems", f"tasks_{code}", {"n": len(rows), "items": _task_items(rows)}))
    return out


def recommendations(ctx: Any) -> list[Finding]:
    """The drafted 下一步工作建议 (and, at mid-term, 规划调整建议), in reading order."""
    out: list[Finding] = []
    years_left = ctx.plan.last_year - int(str(ctx.as_of)[:4])
    basic = float(ctx.method["grades"]["basically_completed"])
    for _, row in _needs_attention(_city(ctx), ctx.stage).iterrows():
        values = {"name": _pair(row, "indicator"), "worst": _worst_districts(ctx, row["indicator"]),
                  "unit": _unit(row)}
        pace, acc = row.get("required_pace"), row.get("acceleration")
        if ctx.stage == "midterm" and row["kind"] == "cumulative" and not missing(pace) and years_left > 0:
            values.update(pace=pace, years=years_left, acceleration=acc)
            # a pace needed about equal to the pace so far (1.0 times) is kept up, not sped up
            steady = not missing(acc) and round(float(acc), 1) == 1.0
            out.append(Finding("recommendations", "keep_pace" if steady else "accelerate", values))
        else:   # at the end of term nothing is left to speed up: the shortfall goes to the next plan
            out.append(Finding("recommendations", "carry_over" if ctx.stage == "final" else "follow_up", values))
        proj = row.get("projected_completion")
        if ctx.stage == "midterm" and not missing(proj) and math.isfinite(float(proj)) and float(proj) < basic:
            out.append(Finding("recommendations", "adjust", {"name": values["name"], "projection": proj,
                                                             "basic": basic}, ("projection", "basic")))
    for _, row in _city(ctx)[_city(ctx)["warning"] == True].iterrows():  # noqa: E712
        out.append(Finding("recommendations", "binding", {"name": _pair(row, "indicator")}))
    if any(f.key.startswith("tasks_") for f in _task_findings(ctx)):
        n = sum(f.values["n"] for f in _task_findings(ctx))
        out.append(Finding("recommendations", "tasks", {"n": n}))
    gaps = _due_missing(ctx)
    if not gaps.empty:
        places = list(dict.fromkeys(gaps["district"]))
        out.append(Finding("recommendations", "report_data",
                           {"places": [{"zh": ctx.plan.district_label(p, "zh"), "en": ctx.plan.district_label(p, "en")}
                                       for p in places]}))
    if (_disagreements(ctx, "actual_")["agrees"] == False).any():   # noqa: E712 (judged ones only)
        out.append(Finding("recommendations", "reconcile"))
    if not _disagreements(ctx, "plan_").empty:
        out.append(Finding("recommendations", "align_plan"))
    return out


# --------------------------------------------------------------------------------------------
# Wording.
def _word(value: Any, key: str, finding: Finding, lang: str) -> Any:
    if isinstance(value, dict) and lang in value:
        return value[lang]
    if isinstance(value, list):
        sep = "、" if lang == "zh" else ", "
        return sep.join(str(v[lang]) if isinstance(v, dict) else str(v) for v in value)
    if key in finding.pct:
        return fmt_pct(value, lang)
    if key == "acceleration":
        return "" if missing(value) else f"{float(value):.1f}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt_num(value, lang)
    return value


def sentence(finding: Finding, lang: str) -> str:
    """The finding in ``lang`` (plain text; the caller escapes it)."""
    values = {k: _word(v, k, finding, lang) for k, v in finding.values.items()}
    key = finding.key
    # Optional clauses have their own keys, so no sentence ends in an empty "(…)".
    for extra in ("worst", "absent"):
        if finding.values.get(extra) and has(f"report.findings.{finding.section}.{key}_{extra}", lang):
            key = f"{key}_{extra}"
    # one of a thing in the singular ("1 value due was not reported"), where the language words it so
    if finding.values.get("n") == 1 and has(f"report.findings.{finding.section}.{key}_one", lang):
        key = f"{key}_one"
    text = t(f"report.findings.{finding.section}.{key}", lang, **values)
    # a name inside an English sentence reads in lower case ("Follow per-capita housing floor area …")
    name = values.get("name")
    if lang == "en" and isinstance(name, str) and name and not text.startswith(name):
        text = text.replace(name, in_sentence(name, lang), 1)
    return text


def section(ctx: Any, name: str, lang: str) -> Html:
    """One section: the evaluators' text when they wrote one, else the draft, marked as such
    (with nothing to report, one sentence says so: a section is never printed empty)."""
    path = commentary_path(ctx, lang, "sections", name)
    if path is not None:
        body = markdown_to_html(read_commentary(path, ctx.commentary_dir))
        return Html(Markup('<div class="rk-findings rk-evaluators" lang="{}">{}</div>').format(lang, Markup(body)))
    items = problems(ctx) if name == "problems" else recommendations(ctx)
    if not items:
        text = t("report.findings.none", lang, as_of=as_of_text(ctx.as_of, lang)) if name == "problems" \
            else t("report.findings.none_recommendations", lang)
        return Html(Markup('<div class="rk-findings" lang="{}"><p>{}</p></div>').format(lang, text))
    lis = Markup("").join(Markup("<li>{}</li>").format(sentence(f, lang)) for f in items)
    return Html(Markup(
        '<div class="rk-findings rk-drafted" lang="{lang}"><p class="rk-drafted-note">{note}</p>'
        '<ol class="rk-findings-list">{items}</ol></div>').format(
        lang=lang, note=t("report.findings.drafted", lang), items=lis))
