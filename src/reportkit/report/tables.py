"""Display tables for the report: escaped HTML, numbers formatted per language, status badges.

A status is always shown as a coloured badge *with its text* (never colour alone). Every value
that comes from inputs is HTML-escaped; only the badges built here are trusted markup.
Missing values are shown as a dash with a hover text, never as 0.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from reportkit.i18n import t
from reportkit.report.formatting import (  # noqa: F401 — re-exported: pages call tables.fmt_num …
    _MONTHS_EN,
    HtmlTable,
    _badge,
    absent,
    attribute_label,
    badge,
    col,
    dash,
    data_date,
    data_date_text,
    default_digits,
    escape_text,
    fmt_num,
    fmt_pair,
    fmt_pct,
    fmt_value,
    frame_html,
    grade_badge,
    grade_text,
    half_up,
    is_count,
    label_or_code,
    labelled,
    missing,
    not_applicable,
    one_language,
    row_num,
    row_pct,
    status_label,
    warning_badge,
)
from reportkit.vocab import GRADE_CODES, STATUS_CODES


# ---- page tables ------------------------------------------------------------------------------
def _status_cell(row: Any, lang: str) -> Markup:
    cell = badge(row["status"], lang, row.get("stage"))
    if row.get("warning") is True:
        cell = Markup("{} {}").format(cell, warning_badge(lang))
    return cell


def _num_unit(x: Any, lang: str) -> Markup | str:
    return fmt_num(x, lang)


def _target(ind: Any, row: Any, lang: str) -> Markup | str:
    """The target as a number in the reported unit; the plan's words for a qualitative target.

    (The catalogue's resolved ``target_text`` of main-table rows keeps the plan's Chinese unit,
    so it is not used for numbers.) A growth target is its rate in % a year; a band shows its
    range (target ± tolerance), the figure the status is judged on.
    """
    if ind.kind == "growth":  # a rate, in % a year
        return ind.target_text.get(lang) or dash(lang)
    if ind.kind == "band" and not missing(row["target"]) and not missing(row.get("band_lower")):
        return Markup(t("report.register.band", lang, target=fmt_num(row["target"], lang),
                        lower=fmt_num(row["band_lower"], lang, 2), upper=fmt_num(row["band_upper"], lang, 2)))
    if ind.kind != "qualitative" and not missing(row["target"]):
        return fmt_value(row["target"], ind.reported_unit["zh"], lang)
    return ind.target_text.get(lang) or dash(lang)


def _rate(x: Any, lang: str) -> Markup | str:
    """An annual growth rate (fraction) as "2.1%/年" / "2.1 % a year"; missing → dash."""
    if missing(x):
        return dash(lang)
    return t("report.indicators.rate", lang, rate=str(fmt_pct(x, lang)).rstrip("%"))


def _indicator_cells(ind: Any, row: Any, lang: str) -> list[Any]:
    """Unit, baseline, target, expected, actual and completion cells of one city-wide row.

    Growth targets are shown as observed annual growth against the target rate (% a year), never
    as a completion in the unit of the values measured (docs/method-extensions.md
    `growth_display`); limits (ceilings, floors, bands) have no completion: they hold or not.
    """
    if ind.kind == "growth":   # judged on rates: no baseline, expected value or completion to show
        return [ind.unit[lang], not_applicable(lang), _target(ind, row, lang), not_applicable(lang),
                _rate(row["observed_rate"], lang), not_applicable(lang)]
    unit = ind.reported_unit["zh"]
    expected, actual = fmt_pair(row["expected"], row["actual"], unit, lang)
    # an empty cell says why: 数据缺失 only where data are due and missing (formatting.data_missing);
    # a target with no schedule (a limit, a qualitative aim) has no expected value: not applicable
    if missing(row["expected"]):
        expected = not_applicable(lang)
    if missing(row["actual"]):
        actual = absent(row, "actual", lang)
    baseline = absent(row, "baseline", lang) if missing(row["baseline"]) else fmt_value(row["baseline"], unit, lang)
    if ind.kind == "qualitative" and not missing(row.get("judgement")):
        # the judgement the status comes from (with the proxy figure of its year, if any)
        words = t(f"status.judgement.{row['judgement']}", lang)
        actual = words if missing(row["actual"]) else Markup("{} ({})").format(words, actual)
    target, completion = _target(ind, row, lang), row_pct(row, "completion", lang)
    if differs_from_annex(row):
        # the plan disagrees with itself: both figures, and completion against both
        target = Markup("{}<br>{}").format(target, t("report.indicators.annex_figure", lang, annex=ind.annex,
                                                                value=fmt_value(row["annex_target"], unit, lang)))
        completion = Markup("{}<br>{}").format(completion, t("report.indicators.annex_figure", lang, annex=ind.annex,
                                                                    value=fmt_pct(row["completion_annex"], lang)))
    return [ind.reported_unit[lang], baseline, target, expected, actual, completion]


def differs_from_annex(row: Any) -> bool:
    """True where a target and its annex's city total disagree (the plan disagrees with itself)."""
    a, b = row.get("annex_target"), row.get("target")
    return not missing(a) and not missing(b) and float(a) != float(b)


def readings_table(ctx: Any, lang: str) -> HtmlTable:
    """How each target is read (the catalogue's ``reading``): kind, the plan's target, the note."""
    def target(ind: Any) -> Any:
        # main-table figures in the reader's language (their resolved text keeps the plan's unit)
        if ind.main_row and ind.target is not None and ind.kind not in ("qualitative", "growth"):
            sep = "" if lang == "zh" else " "
            return f"{fmt_value(ind.target, ind.unit['zh'], lang)}{sep}{ind.unit[lang]}"
        return ind.target_text.get(lang) or dash(lang)

    out = [[ind.label(lang), t(f"status.kind.{ind.kind}", lang), target(ind), ind.reading.get(lang) or dash(lang)]
           for ind in ctx.plan.indicators]
    return HtmlTable([col("indicator", lang), col("kind", lang), col("target", lang), col("reading", lang)], out)


def indicator_table(ctx: Any, lang: str, tier: str | tuple[str, ...] = "main") -> HtmlTable:
    """City-wide rows of the given tier(s): baseline, target, actual, completion, time progress, status."""
    tiers = (tier,) if isinstance(tier, str) else tier
    r = ctx.results
    rows = r[(r["district"] == ctx.plan.city) & r["tier"].isin(tiers)]
    # one judging column: the grade at the end of term (a status where no grade applies), as in
    # the district tables; a status next to a grade would read as two verdicts on one figure
    cols = ["indicator", "unit", "attribute", "baseline", "target", "expected", "actual", "completion",
            "planned_progress", "schedule_ratio", _judged_by(ctx)]
    out = []
    for _, row in rows.iterrows():
        ind = ctx.plan.indicator(row["indicator"])
        unit, base, target, expected, actual, completion = _indicator_cells(ind, row, lang)
        out.append([ind.label(lang), unit, attribute_label(row["attribute"], lang), base, target,
                    expected, actual, completion, row_pct(row, "planned_progress", lang),
                    row_num(row, "schedule_ratio", lang, 2), _judgement_cell(ctx, row, lang)])
    return HtmlTable([col(c, lang) for c in cols], out, numeric=range(3, 10))


def status_count_table(ctx: Any, lang: str) -> HtmlTable:
    """How many city-wide targets have each status, main indicators and all targets."""
    r = ctx.results
    city = r[r["district"] == ctx.plan.city]
    main = city[city["tier"] == "main"]
    rows = []
    if _judged_by(ctx) == "grade":   # the end of term counts grades; targets without one by status
        rows = [[grade_badge(g, lang), int((main["grade"] == g).sum()), int((city["grade"] == g).sum())]
                for g in GRADE_CODES if (city["grade"] == g).any()]
        city, main = city[city["grade"].isna()], main[main["grade"].isna()]
    codes = [c for c in STATUS_CODES if c in set(city["status"].fillna("no_data"))]
    rows += [[badge(c, lang, ctx.stage), int((main["status"].fillna("no_data") == c).sum()),
              int((city["status"].fillna("no_data") == c).sum())] for c in codes]
    heads = [col(_judged_by(ctx), lang), t("report.summary.main_indicators", lang), t("report.summary.all_targets", lang)]
    return HtmlTable(heads, rows, numeric=(1, 2))


def _judged_by(ctx: Any) -> str:
    """The column that judges a row: the grade at the end of term, the status before."""
    return "grade" if ctx.stage == "final" and "grade" in ctx.results else "status"


def _judgement_cell(ctx: Any, row: Any, lang: str) -> Markup:
    """A row's judgement: its grade at the end of term (a row without one, e.g. with
    no target, keeps its status), its status before."""
    if _judged_by(ctx) == "grade" and not missing(row["grade"]):
        return grade_badge(row["grade"], lang, row)
    return _status_cell(row, lang)


def programme_district_table(ctx: Any, indicator_id: str, lang: str) -> HtmlTable:
    """Districts of one annex programme, ranked by schedule ratio (city row first)."""
    r = ctx.results
    rows = r[r["indicator"] == indicator_id].copy()
    city = rows[rows["district"] == ctx.plan.city]
    rest = rows[rows["district"] != ctx.plan.city].sort_values(
        ["district_rank"], na_position="last", kind="stable")
    cols = ["rank", "district", "target", "expected", "actual", "completion", "planned_progress", "schedule_ratio",
            _judged_by(ctx), "missing_years"]
    out = []
    unit = ctx.plan.indicator(indicator_id).reported_unit["zh"]
    for _, row in pd.concat([city, rest]).iterrows():
        rank = "" if missing(row["district_rank"]) else str(int(row["district_rank"]))
        expected, actual = fmt_pair(row["expected"], row["actual"], unit, lang)
        out.append([rank, ctx.plan.district_label(row["district"], lang), fmt_value(row["target"], unit, lang),
                    expected, actual,
                    row_pct(row, "completion", lang), row_pct(row, "planned_progress", lang),
                    row_num(row, "schedule_ratio", lang, 2),
                    _judgement_cell(ctx, row, lang), "" if missing(row["missing_years"]) else str(row["missing_years"])])
    return HtmlTable([col(c, lang) for c in cols], out, numeric=range(2, 8))


def pace_table(ctx: Any, indicator_id: str, lang: str) -> HtmlTable:
    """Required pace for the remaining years against the pace so far, and the projection."""
    r = ctx.results
    rows = r[r["indicator"] == indicator_id]
    cols = ["district", "required_pace", "pace_so_far", "acceleration", "projection", "projected_completion"]
    unit = ctx.plan.indicator(indicator_id).reported_unit["zh"]
    out = [[ctx.plan.district_label(row["district"], lang), fmt_value(row["required_pace"], unit, lang),
            fmt_value(row["pace_so_far"], unit, lang), fmt_num(row["acceleration"], lang, 2),
            fmt_value(row["projection"], unit, lang), fmt_pct(row["projected_completion"], lang)]
           for _, row in rows.iterrows()]
    return HtmlTable([col(c, lang) for c in cols], out, numeric=range(1, 6))


def outlook_table(ctx: Any, lang: str) -> HtmlTable:
    """Levels, stocks and growth targets of the city (METHOD.md, pace and projection; international
    view): the annual growth the remaining years require against the growth so far, the value
    projected for the end of the plan at that pace and its completion, and the CAGR view."""
    r = ctx.results
    rows = r[(r["district"] == ctx.plan.city) & r["kind"].isin(("level", "stock", "growth"))]
    # at the end of term nothing remains to project: the period's required and achieved growth,
    # the end value and its completion (the remaining-years columns would all be empty)
    final = ctx.stage == "final"
    fields = ("required_rate", "observed_rate", "actual", "completion") if final else \
        ("required_pace", "pace_so_far", "projection", "projected_completion")
    out = []
    for _, row in rows.iterrows():
        ind = ctx.plan.indicator(row["indicator"])
        intl = row.get("international_status")
        required, achieved, value, completion = (row[f] for f in fields)
        # for these kinds the paces are annual growth rates (METHOD.md pace: (T/A)^(1/n) − 1)
        out.append([ind.label(lang), fmt_pct(required, lang), fmt_pct(achieved, lang),
                    fmt_value(value, ind.reported_unit["zh"], lang), ind.reported_unit[lang] or "",
                    fmt_pct(completion, lang),
                    dash(lang) if missing(intl) else t(f"status.international.{intl}", lang)])
    cols = ["indicator", "required_rate_period", "observed_rate_period", "end_value", "unit", "completion",
            "international_status"] if final else \
        ["indicator", "required_rate", "observed_rate", "projection", "unit", "projected_completion",
         "international_status"]
    caption = t("report.indicators.outlook_caption_final" if final else "report.indicators.outlook_caption", lang)
    return HtmlTable([col(c, lang) for c in cols], out, caption=caption, numeric=(1, 2, 3, 5))


def district_name(ctx: Any, district: str, provisional: bool, lang: str) -> str:
    """A district's name, marked (暂列 / provisional) when its score misses data that were due."""
    name = ctx.plan.district_label(district, lang)
    return t("report.districts.provisional_name", lang, name=name) if provisional else name


def composite_table(ctx: Any, lang: str) -> HtmlTable:
    """Composite score per district with its rank and the programmes it averages."""
    comp = ctx.evaluation.composite.sort_values("composite_rank", na_position="last", kind="stable")
    sep = "、" if lang == "zh" else ", "
    out = []
    for _, row in comp.iterrows():
        used = [] if missing(row["indicators_used"]) else str(row["indicators_used"]).split(",")
        names = sep.join(ctx.plan.indicator(i).label(lang) for i in used)
        left = [] if missing(row.get("excluded_because")) else str(row["excluded_because"]).split(",")
        why = sep.join(t("report.districts.excluded_item", lang, name=ctx.plan.indicator(i).label(lang),
                         why=t(f"status.status.{code}", lang)) for i, code in (x.split(":", 1) for x in left))
        out.append(["" if missing(row["composite_rank"]) else str(int(row["composite_rank"])),
                    district_name(ctx, row["district"], bool(row.get("provisional")), lang),
                    fmt_num(row["composite_score"], lang, 2), names or t("report.districts.no_score", lang),
                    why or dash(lang)])
    return HtmlTable([col("rank", lang), col("district", lang), col("score", lang), col("programmes", lang),
                      col("excluded", lang)], out, numeric=(2,))


def scorecard(ctx: Any, district: str, lang: str) -> HtmlTable:
    """One district across the plan's programmes (the indicators with a district schedule)."""
    r = ctx.results
    rows = r[(r["district"] == district)]
    cols = ["indicator", "target", "expected", "actual", "completion", "planned_progress", "schedule_ratio",
            _judged_by(ctx)]

    def unit(iid: str) -> str:
        return ctx.plan.indicator(iid).reported_unit["zh"]

    out = [[ctx.plan.indicator(row["indicator"]).label(lang), fmt_value(row["target"], unit(row["indicator"]), lang),
            *fmt_pair(row["expected"], row["actual"], unit(row["indicator"]), lang), row_pct(row, "completion", lang),
            row_pct(row, "planned_progress", lang), row_num(row, "schedule_ratio", lang, 2),
            _judgement_cell(ctx, row, lang)] for _, row in rows.iterrows()]
    return HtmlTable([col(c, lang) for c in cols], out, numeric=range(1, 7))


def scorecards(ctx: Any, lang: str) -> str:
    """Every district's scorecard with its composite score, as one HTML block."""
    from reportkit.report.labels import figure_id

    comp = ctx.evaluation.composite.set_index("district")
    blocks = []
    for district in ctx.plan.districts:
        if district == ctx.plan.city or district not in comp.index:
            continue
        score = comp.loc[district, "composite_score"]
        provisional = bool(comp.loc[district, "provisional"]) if "provisional" in comp else False
        blocks.append(Markup(
            '<section class="rk-scorecard" id="{sid}"><h3>{name}</h3><p>{score}</p>'
            "{table}</section>").format(sid=figure_id("district", district), name=ctx.plan.district_label(district, lang),
                                        score=labelled(col("score", lang), Markup("<strong>{}</strong>").format(
                                            t("report.districts.provisional_name", lang, name=fmt_num(score, lang, 2))
                                            if provisional else fmt_num(score, lang, 2)), lang),
                                        table=Markup(scorecard(ctx, district, lang).html())))
    return str(Markup("").join(blocks))


def method_rules_table(ctx: Any, lang: str) -> HtmlTable:
    """The methodology chapter's rules and thresholds, generated from the method values used."""
    from reportkit.inputs.method import method_table

    frame = _without_codes(method_table(ctx.method, lang), lang)
    return HtmlTable(list(frame.columns), frame.astype(str).values.tolist())


def method_extensions_table(lang: str, stage: str = "") -> HtmlTable:
    """Decisions where METHOD.md is silent, from the method locale (with ``stage``'s own rules)."""
    from reportkit.inputs.method import method_extensions

    frame = _without_codes(method_extensions(lang, stage), lang)
    return HtmlTable(list(frame.columns), frame.astype(str).values.tolist())


def _without_codes(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A method table as readers see it: the machine codes (``on_track``, ``stock``) stay in the
    method file, the CSV downloads and docs/, not in the chapter (both languages alike)."""
    return frame.drop(columns=[t("method.table.columns.code", lang)], errors="ignore")


def sources_table(ctx: Any, lang: str) -> HtmlTable:
    """Every source cited by the actuals used, with the number of values (and preliminary ones)."""
    from reportkit.inputs.actuals import current

    cur = current(ctx.actuals)
    cur = cur[cur["value"].notna() | (cur["judgement"].fillna("") != "")]
    out = []
    for source, grp in cur.groupby("source", sort=True):
        inds = list(dict.fromkeys(grp["indicator"]))
        names = ("、" if lang == "zh" else ", ").join(
            ctx.plan.indicator(i).label(lang) for i in inds if any(x.id == i for x in ctx.plan.indicators))
        out.append([one_language(source, lang) or t("report.missing", lang), names, len(grp),
                    int((grp["status"] == "preliminary").sum())])
    return HtmlTable([col("source", lang), col("indicator", lang), col("values", lang), col("preliminary", lang)],
                     out, numeric=(2, 3))


def warnings_table(ctx: Any, lang: str) -> HtmlTable:
    """The warnings raised while reading the actuals (each with its cell), as the build printed them."""
    from reportkit.i18n import t as tr

    out = [[p.location.render(lang) if p.location else "", tr(f"{p.group}.{p.key}", lang, **p.params)]
           for p in getattr(ctx, "warnings", [])]
    if not out:
        out = [["", t("report.data.warnings_none", lang)]]
    return HtmlTable([col("place", lang), col("warning", lang)], out)


def audit_table(ctx: Any, lang: str) -> HtmlTable:
    """The plan's own arithmetic checks (row totals, city vs districts)."""
    a = ctx.tables.plan_audit
    out = []
    for _, row in a.iterrows():
        ind = ctx.annex_indicator(int(row["annex"]))
        name = ind.label(lang) if ind else t("report.pages.programme_fallback", lang, annex=int(row["annex"]))
        district = ctx.plan.district_label(row["district"], lang) if row["district"] in ctx.plan.districts \
            else str(row["district"])
        ok = bool(row["passed"])
        result = Markup('<span class="rk-badge rk-audit-{}">{}</span>').format(
            "ok" if ok else "bad", t("report.data.passed" if ok else "report.data.failed", lang))
        out.append([name, label_or_code("report.data.check", str(row["check"]), lang), district, _audit_column(row["column"], lang), fmt_num(row["expected"], lang), fmt_num(row["found"], lang), result])
    return HtmlTable([col(c, lang) for c in ("indicator", "check", "district", "column", "expected_value",
                                             "found_value", "result")], out, numeric=(4, 5))


def _audit_column(column: Any, lang: str) -> str:
    """The plan table's column an audit row checks: a year, or the row total (合计 / Total),
    never the code ``total``."""
    return t("report.register.audit_column_total", lang) if str(column) == "total" else str(column)


def _check_badge(ok: bool | None, lang: str) -> Markup:
    """The result of a check: agrees, disagrees or not judged (some districts did not report)."""
    key = {True: "passed", False: "failed", None: "undecided"}[ok]
    css = {True: "ok", False: "bad", None: "open"}[ok]
    return Markup('<span class="rk-badge rk-audit-{}">{}</span>').format(css, t(f"report.data.{key}", lang))


def reconciliation_table(ctx: Any, lang: str) -> HtmlTable:
    """The reported city figures against the sum of the districts, year by year (METHOD.md
    reconciliation): every year that does not agree, with the districts that did not report;
    the years that agree are counted in the caption (all of them are in the download)."""
    rec = ctx.evaluation.reconciliation
    rec = rec[rec["check"] == "actual_city_vs_districts"] if rec is not None and len(rec) else rec
    if rec is None or rec.empty:
        return HtmlTable([col("indicator", lang)], [[t("report.data.reconciliation_none", lang)]])
    agree = rec["agrees"] == True  # noqa: E712 (None: some districts did not report)
    out = []
    for _, row in rec[~agree].iterrows():
        ind = ctx.plan.indicator(row["indicator"])
        absent = [ctx.plan.district_label(d.strip(), lang) for d in str(row["districts_missing"]).split(",")
                  if not missing(row["districts_missing"]) and d.strip()]
        ok = None if pd.isna(row["agrees"]) else bool(row["agrees"])
        out.append([ind.label(lang), str(int(row["year"])), fmt_num(row["city_value"], lang),
                    fmt_num(row["district_sum"], lang), fmt_num(row["difference"], lang),
                    ("、" if lang == "zh" else ", ").join(absent) or dash(lang), _check_badge(ok, lang)])
    caption = t("report.data.reconciliation_caption", lang, n=int(len(rec)), agree=int(agree.sum()))
    if not out:
        out = [[t("report.data.reconciliation_all_agree", lang), "", "", "", "", "", ""]]
    return HtmlTable([col(c, lang) for c in ("indicator", "year", "city_value", "district_sum", "difference",
                                             "not_reported", "result")], out, caption=caption, numeric=(2, 3, 4))


def corrections_table(ctx: Any, lang: str) -> HtmlTable:
    """Every correction applied (METHOD.md corrections): the value replaced and the value used,
    each with its place in the evaluators' files; corrections naming no existing value too."""
    values = {str(r["location"]): r["value"] for _, r in ctx.actuals.iterrows()} if ctx.actuals is not None else {}
    out = []
    for entry, used in [(e, True) for e in ctx.meta.get("corrections", [])] + \
                       [(e, False) for e in ctx.meta.get("unmatched_corrections", [])]:
        old = values.get(entry["replaces"]) if used else None
        out.append([entry["replaces"], fmt_num(old, lang) if used else t("report.data.correction_unmatched", lang),
                    entry["used"], fmt_num(values.get(entry["used"]), lang)])
    if not out:
        out = [[t("report.data.corrections_none", lang), "", "", ""]]
    return HtmlTable([col(c, lang) for c in ("replaced_location", "old_value", "used_location", "new_value")],
                     out, numeric=(1, 3))


def baselines_table(ctx: Any, lang: str) -> HtmlTable:
    """Baselines taken from the reported actuals because the plan states none (marked as such)."""
    r = ctx.results
    rows = r[r["baseline_from"] == "actuals"] if r is not None and "baseline_from" in r else r.iloc[0:0]
    out = [[ctx.plan.indicator(x["indicator"]).label(lang), ctx.plan.district_label(x["district"], lang),
            fmt_num(x["baseline"], lang), x.get(f"value_unit_{lang}") or x.get(f"unit_{lang}") or "",
            str(int(x["baseline_year"])) if not missing(x["baseline_year"]) else dash(lang)]
           for _, x in rows.iterrows()]
    if not out:
        out = [[t("report.data.baselines_none", lang), "", "", "", ""]]
    return HtmlTable([col(c, lang) for c in ("indicator", "district", "baseline", "unit", "year")], out,
                     numeric=(2,))


def fingerprints_table(ctx: Any, lang: str) -> HtmlTable:
    """sha256 of every input file the evaluation read."""
    out = [[t(f"report.data.input.{k}", lang), ctx.input_paths[k],
            Markup("<code>{}</code>").format(v)] for k, v in ctx.inputs.items()]
    return HtmlTable([col("file", lang), "", col("sha256", lang)], out)


def downloads(ctx: Any, lang: str) -> str:
    """Links to the download tables, relative to an edition's page (``../downloads/``)."""
    from reportkit.report.context import docx_file_name, download_names, edition_name

    items = []
    for name, files in download_names(ctx).items():
        links = Markup(" · ").join(
            Markup('<a href="../downloads/{f}" download>{ext}</a>').format(f=f, ext=f.rsplit(".", 1)[1].upper())
            for f in files)
        items.append(Markup("<li>{}</li>").format(labelled(t(f"report.data.{name}", lang), links, lang)))
    from reportkit.report.context import reader_workbook_name
    from reportkit.vocab import LANGS

    links = Markup(" · ").join(
        Markup('<a href="../downloads/{f}" hreflang="{l}" download>{name}</a>').format(
            f=reader_workbook_name(ctx.plan.id, edition_name(ctx.stage, ctx.as_of), other), l=other, name=t("report.switch_to", other))
        for other in LANGS)
    items.append(Markup("<li>{}</li>").format(labelled(t("report.data.reader_workbook", lang), links, lang)))
    pdfs = getattr(ctx, "pdf_files", {})  # written by the build's last step when it makes PDFs
    if pdfs:
        links = Markup(" · ").join(
            Markup('<a href="../downloads/{f}" hreflang="{l}" download>{name}</a>').format(
                f=f, l=other, name=t("report.switch_to", other)) for other, f in pdfs.items())
        items.append(Markup("<li>{}</li>").format(labelled(t("report.data.pdf", lang), links, lang)))
        # the Word editions are written with the PDFs (publishing.docx), next to them
        links = Markup(" · ").join(
            Markup('<a href="../downloads/{f}" hreflang="{l}" download>{name}</a>').format(
                f=docx_file_name(ctx.plan.id, edition_name(ctx.stage, ctx.as_of), other), l=other, name=t("report.switch_to", other))
            for other in pdfs)
        items.append(Markup("<li>{}</li>").format(labelled(t("report.data.docx", lang), links, lang)))
    return str(Markup('<ul class="rk-downloads">{}</ul>').format(Markup("").join(items)))


def version_line(ctx: Any, lang: str) -> str:
    """The generator's version, for the data chapter."""
    return str(Markup('<p class="rk-version">{}</p>').format(t("report.data.version", lang, version=ctx.version)))


def programme_overview_table(ctx: Any, lang: str, link: Any = None) -> HtmlTable:
    """One row per annex table: the programme (linked to its section page by ``link(annex)``),
    target, actual, completion and judgement (:func:`_judgement_cell`) of the city as a whole.
    An annex table without a catalogue indicator or without a result keeps its row, with dashes."""
    r = ctx.results
    rows = []
    for annex in ctx.annexes:
        ind = ctx.annex_indicator(annex)
        name = ind.label(lang) if ind is not None else t("report.pages.programme_fallback", lang, annex=annex)
        cell: Any = Markup('<a href="{}">{}</a>').format(link(annex), name) if link else name
        found = r[(r["indicator"] == ind.id) & (r["district"] == ctx.plan.city)] if ind is not None else r.iloc[0:0]
        if found.empty:
            values = [dash(lang)] * 5
        else:
            row = found.iloc[0]
            _unit, _base, target, _expected, actual, completion = _indicator_cells(ind, row, lang)
            values = [ind.reported_unit[lang], target, actual, completion, _judgement_cell(ctx, row, lang)]
        rows.append([t("report.programmes.annex", lang, annex=annex), cell, *values])
    heads = [t("report.programmes.col_annex", lang), t("report.programmes.col_programme", lang)] + \
        [col(c, lang) for c in ("unit", "target", "actual", "completion", _judged_by(ctx))]
    return HtmlTable(heads, rows, numeric=(3, 4, 5))
