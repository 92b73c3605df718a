"""Display tables for the report: escaped HTML, numbers formatted per language, status badges.

A status is always shown as a coloured badge *with its text* (never colour alone). Every value
that comes from inputs is HTML-escaped; only the badges built here are trusted markup.
Missing values are shown as a dash with a hover text, never as 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from reportkit.i18n import has, t


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


def fmt_num(x: Any, lang: str, digits: int | None = None) -> Markup | str:
    """A number with thousands separators; integers without decimals; missing → dash."""
    if missing(x):
        return dash(lang)
    v = float(x)
    if digits is None:
        digits = 0 if v.is_integer() else (1 if abs(v) >= 10 else 2)
    return f"{v:,.{digits}f}"


def fmt_pct(x: Any, lang: str, digits: int = 1) -> Markup | str:
    """A fraction as a percentage (0.873 → 87.3%); missing → dash."""
    if missing(x) or (isinstance(x, float) and math.isinf(x)):
        return dash(lang)
    return f"{float(x) * 100:.{digits}f}%"


def status_label(code: Any, lang: str) -> str:
    """The reader's words for a status or grade code (from the ``status`` locale group)."""
    if missing(code):
        return t("report.missing", lang)
    return t(f"status.status.{code}", lang)


def badge(code: Any, lang: str) -> Markup:
    """A status badge: colour class + the status text."""
    if missing(code):
        return dash(lang)
    return Markup('<span class="rk-badge rk-status-{}">{}</span>').format(code, status_label(code, lang))


def grade_badge(code: Any, lang: str) -> Markup:
    """An end-of-term grade badge: colour class + the grade text."""
    if missing(code):
        return dash(lang)
    return Markup('<span class="rk-badge rk-status-{}">{}</span>').format(code, t(f"status.grade.{code}", lang))


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
                out.append(Markup("<td{}>{}</td>").format(Markup(cls), "" if cell is None else cell))
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


def frame_html(frame: pd.DataFrame) -> str:
    """A plain escaped HTML table of a DataFrame (chart data tables, downloads preview)."""
    numeric = [k for k, c in enumerate(frame.columns) if pd.api.types.is_numeric_dtype(frame[c])]
    rows = []
    for rec in frame.itertuples(index=False):
        rows.append(["—" if missing(v) else (f"{v:,.4g}" if isinstance(v, float) else str(v)) for v in rec])
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


# ---- page tables ------------------------------------------------------------------------------
def _status_cell(row: Any, lang: str) -> Markup:
    cell = badge(row["status"], lang)
    if row.get("warning") is True:
        cell = Markup("{} {}").format(cell, warning_badge(lang))
    return cell


def _num_unit(x: Any, lang: str) -> Markup | str:
    return fmt_num(x, lang)


def _target(ind: Any, row: Any, lang: str) -> Markup | str:
    """The target as a number in the reported unit; the plan's words for a qualitative target.

    (The catalogue's resolved ``target_text`` of main-table rows keeps the plan's Chinese unit,
    so it is not used for numbers.)
    """
    if ind.kind == "growth":  # a rate beside values in the reported unit: say it in words
        return ind.target_text.get(lang) or dash(lang)
    if ind.kind != "qualitative" and not missing(row["target"]):
        return fmt_num(row["target"], lang)
    return ind.target_text.get(lang) or dash(lang)


def indicator_table(ctx: Any, lang: str, tier: str | tuple[str, ...] = "main") -> HtmlTable:
    """City-wide rows of the given tier(s): baseline, target, actual, completion, time progress, status."""
    tiers = (tier,) if isinstance(tier, str) else tier
    r = ctx.results
    rows = r[(r["district"] == ctx.plan.city) & r["tier"].isin(tiers)]
    final = ctx.stage == "final"
    cols = ["indicator", "unit", "attribute", "baseline", "target", "expected", "actual", "completion",
            "time_progress", "schedule_ratio", "status"] + (["grade"] if final else [])
    out = []
    for _, row in rows.iterrows():
        ind = ctx.plan.indicator(row["indicator"])
        cells = [ind.label(lang), ind.reported_unit[lang], attribute_label(row["attribute"], lang),
                 fmt_num(row["baseline"], lang), _target(ind, row, lang),
                 fmt_num(row["expected"], lang), fmt_num(row["actual"], lang),
                 fmt_pct(row["completion"], lang), fmt_pct(row["time_progress"], lang),
                 fmt_num(row["schedule_ratio"], lang, 2), _status_cell(row, lang)]
        if final:
            cells.append(grade_badge(row["grade"], lang))
        out.append(cells)
    return HtmlTable([col(c, lang) for c in cols], out, numeric=range(3, 10))


def status_count_table(ctx: Any, lang: str) -> HtmlTable:
    """How many city-wide targets have each status, main indicators and all targets."""
    r = ctx.results
    city = r[r["district"] == ctx.plan.city]
    main = city[city["tier"] == "main"]
    codes = [c for c in ("achieved", "ahead", "on_track", "lagging", "limited", "deteriorating",
                         "not_scheduled", "no_target", "no_data") if c in set(city["status"].fillna("no_data"))]
    rows = [[badge(c, lang), int((main["status"].fillna("no_data") == c).sum()),
             int((city["status"].fillna("no_data") == c).sum())] for c in codes]
    heads = [col("status", lang), t("report.pages.indicators", lang), t("report.summary.all_targets", lang)]
    return HtmlTable(heads, rows, numeric=(1, 2))


def programme_district_table(ctx: Any, indicator_id: str, lang: str) -> HtmlTable:
    """Districts of one annex programme, ranked by schedule ratio (city row first)."""
    r = ctx.results
    rows = r[r["indicator"] == indicator_id].copy()
    city = rows[rows["district"] == ctx.plan.city]
    rest = rows[rows["district"] != ctx.plan.city].sort_values(
        ["district_rank"], na_position="last", kind="stable")
    cols = ["rank", "district", "target", "expected", "actual", "completion", "schedule_ratio", "status",
            "missing_years"]
    out = []
    for _, row in pd.concat([city, rest]).iterrows():
        rank = "" if missing(row["district_rank"]) else str(int(row["district_rank"]))
        out.append([rank, ctx.plan.district_label(row["district"], lang), fmt_num(row["target"], lang),
                    fmt_num(row["expected"], lang), fmt_num(row["actual"], lang),
                    fmt_pct(row["completion"], lang), fmt_num(row["schedule_ratio"], lang, 2),
                    _status_cell(row, lang), "" if missing(row["missing_years"]) else str(row["missing_years"])])
    return HtmlTable([col(c, lang) for c in cols], out, numeric=range(2, 7))


def pace_table(ctx: Any, indicator_id: str, lang: str) -> HtmlTable:
    """Required pace for the remaining years against the pace so far, and the projection."""
    r = ctx.results
    rows = r[r["indicator"] == indicator_id]
    cols = ["district", "required_pace", "pace_so_far", "acceleration", "projection", "projected_completion"]
    out = [[ctx.plan.district_label(row["district"], lang), fmt_num(row["required_pace"], lang),
            fmt_num(row["pace_so_far"], lang), fmt_num(row["acceleration"], lang, 2),
            fmt_num(row["projection"], lang), fmt_pct(row["projected_completion"], lang)]
           for _, row in rows.iterrows()]
    return HtmlTable([col(c, lang) for c in cols], out, numeric=range(1, 6))


def composite_table(ctx: Any, lang: str) -> HtmlTable:
    """Composite score per district with its rank and the programmes it averages."""
    comp = ctx.evaluation.composite.sort_values("composite_rank", na_position="last", kind="stable")
    out = []
    for _, row in comp.iterrows():
        used = [] if missing(row["indicators_used"]) else str(row["indicators_used"]).split(",")
        names = "、".join(ctx.plan.indicator(i).label(lang) for i in used) if lang == "zh" else \
            ", ".join(ctx.plan.indicator(i).label(lang) for i in used)
        out.append(["" if missing(row["composite_rank"]) else str(int(row["composite_rank"])),
                    ctx.plan.district_label(row["district"], lang),
                    fmt_num(row["composite_score"], lang, 2), names or t("report.districts.no_score", lang)])
    return HtmlTable([col("rank", lang), col("district", lang), col("score", lang), col("programmes", lang)],
                     out, numeric=(2,))


def scorecard(ctx: Any, district: str, lang: str) -> HtmlTable:
    """One district across the plan's programmes (the indicators with a district schedule)."""
    r = ctx.results
    rows = r[(r["district"] == district)]
    cols = ["indicator", "target", "expected", "actual", "completion", "schedule_ratio", "status"]
    out = [[ctx.plan.indicator(row["indicator"]).label(lang), fmt_num(row["target"], lang),
            fmt_num(row["expected"], lang), fmt_num(row["actual"], lang), fmt_pct(row["completion"], lang),
            fmt_num(row["schedule_ratio"], lang, 2), _status_cell(row, lang)] for _, row in rows.iterrows()]
    return HtmlTable([col(c, lang) for c in cols], out, numeric=range(1, 6))


def scorecards(ctx: Any, lang: str) -> str:
    """Every district's scorecard with its composite score, as one HTML block."""
    from reportkit.report.labels import figure_id

    comp = ctx.evaluation.composite.set_index("district")
    blocks = []
    for district in ctx.plan.districts:
        if district == ctx.plan.city or district not in comp.index:
            continue
        score = comp.loc[district, "composite_score"]
        blocks.append(Markup(
            '<section class="rk-scorecard" id="{sid}"><h3>{name}</h3><p>{label}: <strong>{score}</strong></p>'
            "{table}</section>").format(sid=figure_id("district", district), name=ctx.plan.district_label(district, lang),
                                        label=col("score", lang), score=fmt_num(score, lang, 2),
                                        table=Markup(scorecard(ctx, district, lang).html())))
    return str(Markup("").join(blocks))


def method_rules_table(ctx: Any, lang: str) -> HtmlTable:
    """The methodology chapter's rules and thresholds, generated from the method values used."""
    from reportkit.inputs.method import method_table

    frame = method_table(ctx.method, lang)
    return HtmlTable(list(frame.columns), frame.astype(str).values.tolist())


def method_extensions_table(lang: str) -> HtmlTable:
    """Decisions where METHOD.md is silent, from the method locale."""
    from reportkit.inputs.method import method_extensions

    frame = method_extensions(lang)
    return HtmlTable(list(frame.columns), frame.astype(str).values.tolist())


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
        out.append([str(source) or t("report.missing", lang), names, len(grp),
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
        out.append([name, label_or_code("report.data.check", str(row["check"]), lang), district, str(row["column"]), fmt_num(row["expected"], lang), fmt_num(row["found"], lang), result])
    return HtmlTable([col(c, lang) for c in ("indicator", "check", "district", "column", "expected_value",
                                             "found_value", "result")], out, numeric=(4, 5))


def fingerprints_table(ctx: Any, lang: str) -> HtmlTable:
    """sha256 of every input file the evaluation read."""
    out = [[t(f"report.data.input.{k}", lang), ctx.input_paths[k],
            Markup("<code>{}</code>").format(v)] for k, v in ctx.inputs.items()]
    return HtmlTable([col("file", lang), "", col("sha256", lang)], out)


def downloads(ctx: Any, lang: str) -> str:
    """Links to the download tables, relative to an edition's page (``../downloads/``)."""
    from reportkit.report.context import docx_file_name, download_names

    items = []
    for name, files in download_names(ctx).items():
        links = Markup(" · ").join(
            Markup('<a href="../downloads/{f}" download>{ext}</a>').format(f=f, ext=f.rsplit(".", 1)[1].upper())
            for f in files)
        items.append(Markup("<li>{}: {}</li>").format(t(f"report.data.{name}", lang), links))
    pdfs = getattr(ctx, "pdf_files", {})  # written by the build's last step when it makes PDFs
    if pdfs:
        links = Markup(" · ").join(
            Markup('<a href="../downloads/{f}" hreflang="{l}" download>{name}</a>').format(
                f=f, l=other, name=t("report.switch_to", other)) for other, f in pdfs.items())
        items.append(Markup("<li>{}: {}</li>").format(t("report.data.pdf", lang), links))
        # the Word editions are written with the PDFs (publishing.docx), next to them
        links = Markup(" · ").join(
            Markup('<a href="../downloads/{f}" hreflang="{l}" download>{name}</a>').format(
                f=docx_file_name(ctx.plan.id, ctx.stage, other), l=other, name=t("report.switch_to", other))
            for other in pdfs)
        items.append(Markup("<li>{}: {}</li>").format(t("report.data.docx", lang), links))
    return str(Markup('<ul class="rk-downloads">{}</ul>').format(Markup("").join(items)))


def version_line(ctx: Any, lang: str) -> str:
    """The generator's version, for the data chapter."""
    return str(Markup('<p class="rk-version">{}</p>').format(t("report.data.version", lang, version=ctx.version)))
