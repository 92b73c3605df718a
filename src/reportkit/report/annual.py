"""The annual monitoring report's tables (stage ``annual``): the year's programmes against the
annex's plan, the districts' year, the indicators reported, and the changes since last year.

The figures come from :mod:`reportkit.evaluation.annual` (``ctx.annual``); here they are only
formatted, in the reader's language.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from reportkit.i18n import t
from reportkit.report.tables import (
    HtmlTable,
    _badge,
    badge,
    dash,
    fmt_num,
    fmt_pct,
    fmt_value,
    missing,
)


def _col(key: str, lang: str) -> str:
    """A column heading of the annual pages (``annual.col.<key>``)."""
    return t(f"annual.col.{key}", lang)


# The palette's colour and symbol each year status borrows (report/palette.py): met as achieved,
# short as lagging, no data as no data; nothing planned as not scheduled or no target.
_PALETTE = {"met": "achieved", "short": "lagging", "unplanned": "ahead", "not_scheduled": "not_scheduled",
            "no_plan": "no_target", "no_data": "no_data"}


def annual_badge(code: Any, lang: str) -> Markup:
    """The year's status of a programme (``annual.status.<code>``), as a badge."""
    if missing(code):
        return dash(lang)
    return _badge(_PALETTE[str(code)], t(f"annual.status.{code}", lang))


def _pp(x: Any, lang: str) -> Markup | str:
    """A change of completion in percentage points (+12.3 pp / 提高12.3个百分点 shown as +12.3)."""
    if missing(x):
        return dash(lang)
    text = fmt_num(float(x) * 100, lang, 1)
    return f"+{text}" if float(x) > 0 else str(text)


def _year_cells(ctx: Any, row: Any, lang: str) -> list[Any]:
    unit = row["unit_zh"]
    return [fmt_value(row["planned"], unit, lang), fmt_value(row["actual"], unit, lang),
            fmt_pct(row["annual_completion"], lang), annual_badge(row["annual_status"], lang),
            fmt_value(row["actual_to_date"], unit, lang), fmt_pct(row["completion"], lang), badge(row["status"], lang)]


_YEAR_COLS = ["planned_year", "actual_year_value", "annual_completion", "annual_status",
              "actual_to_date", "completion", "status"]


def city_year_table(ctx: Any, lang: str) -> HtmlTable:
    """The city-wide line of every programme (annex table) for the year."""
    p = ctx.annual.programmes
    rows = [[_programme_name(ctx, r, lang), r[f"unit_{lang}"]] + _year_cells(ctx, r, lang)
            for _, r in p[p["is_city"]].iterrows()]
    return HtmlTable([_col("programme", lang), _col("unit", lang)] + [_col(c, lang) for c in _YEAR_COLS], rows,
                     numeric=(2, 3, 4, 6, 7))


def programme_year_table(ctx: Any, indicator_id: str, lang: str) -> HtmlTable:
    """One programme for the year: the city line, then each district the annex plans for."""
    p = ctx.annual.programmes
    rows = [[ctx.plan.district_label(r["district"], lang)] + _year_cells(ctx, r, lang)
            for _, r in p[p["indicator"] == indicator_id].iterrows()]
    return HtmlTable([_col("district", lang)] + [_col(c, lang) for c in _YEAR_COLS], rows, numeric=(1, 2, 3, 5, 6))


def district_year_table(ctx: Any, district: str, lang: str) -> HtmlTable:
    """One district's year: every programme the annex plans for it."""
    p = ctx.annual.programmes
    rows = [[_programme_name(ctx, r, lang)] + _year_cells(ctx, r, lang)
            for _, r in p[p["district"] == district].iterrows()]
    return HtmlTable([_col("programme", lang)] + [_col(c, lang) for c in _YEAR_COLS], rows, numeric=(1, 2, 3, 5, 6))


def year_status_count_table(ctx: Any, lang: str) -> HtmlTable:
    """How many district lines of the programmes met the year's plan, fell short …"""
    from reportkit.vocab import ANNUAL_STATUSES

    p = ctx.annual.programmes
    d = p[~p["is_city"]]
    rows = [[annual_badge(c, lang), int((p[p["is_city"]]["annual_status"] == c).sum()),
             int((d["annual_status"] == c).sum())]
            for c in ANNUAL_STATUSES if c in set(p["annual_status"])]
    return HtmlTable([_col("annual_status", lang), _col("programmes_city", lang), _col("district_lines", lang)], rows,
                     numeric=(1, 2))


def changes_table(ctx: Any, lang: str, only_changed: bool = True) -> HtmlTable:
    """Status and completion now against the previous year's report (rows whose status changed)."""
    c = ctx.annual.changes
    if only_changed:
        c = c[c["status_changed"]]
    rows = [[r[f"indicator_{lang}"], ctx.plan.district_label(r["district"], lang), badge(r["previous_status"], lang),
             badge(r["status"], lang), fmt_pct(r["previous_completion"], lang), fmt_pct(r["completion"], lang),
             _pp(r["completion_change"], lang)] for _, r in c.iterrows()]
    heads = ["indicator", "district", "previous_status", "status", "previous_completion", "completion",
             "completion_change"]
    return HtmlTable([_col(h, lang) for h in heads], rows, numeric=(4, 5, 6))


def city_changes_table(ctx: Any, lang: str) -> HtmlTable:
    """Every city-wide target: completion now and a year earlier, whether or not its status changed."""
    c = ctx.annual.changes
    rows = [[r[f"indicator_{lang}"], badge(r["previous_status"], lang), badge(r["status"], lang),
             fmt_pct(r["previous_completion"], lang), fmt_pct(r["completion"], lang), _pp(r["completion_change"], lang)]
            for _, r in c[c["is_city"]].iterrows()]
    heads = ["indicator", "previous_status", "status", "previous_completion", "completion", "completion_change"]
    return HtmlTable([_col(h, lang) for h in heads], rows, numeric=(3, 4, 5))


def reported_table(ctx: Any, lang: str) -> HtmlTable:
    """Whether each indicator was reported for the year: city-wide, and by how many districts."""
    r = ctx.annual.reported
    rows = []
    for _, x in r.iterrows():
        districts = (f"{x['districts_reported']}/{x['districts_expected']}" if x["districts_expected"]
                     else t("annual.no_district_lines", lang))
        gone = "、" if lang == "zh" else ", "
        rows.append([x[f"indicator_{lang}"], t(f"annual.tier.{x['tier']}", lang),
                     t("annual.answer_yes" if x["city_reported"] else "annual.answer_no", lang), districts,
                     gone.join(ctx.plan.district_label(d, lang) for d in x["missing_districts"]) or dash(lang)])
    heads = ["indicator", "tier", "city_reported", "districts_reported", "missing_districts"]
    return HtmlTable([_col(h, lang) for h in heads], rows)


def _programme_name(ctx: Any, row: Any, lang: str) -> str:
    return t("annual.programme_name", lang, annex=int(row["annex"]), name=row[f"indicator_{lang}"])


def year_summary(ctx: Any, lang: str) -> str:
    """The year in one paragraph: programme lines that met the year's plan, fell short, had no data,
    and the city targets whose status changed since the previous report."""
    a = ctx.annual
    p = a.programmes
    planned = p[p["annual_status"].isin(("met", "short", "no_data"))]
    changed = a.changes[a.changes["status_changed"] & a.changes["is_city"]]
    key = "annual.lead_first" if a.previous_year is None else "annual.lead"
    return t(key, lang, year=a.year, previous=a.previous_year or "", lines=len(planned),
             met=int((planned["annual_status"] == "met").sum()), short=int((planned["annual_status"] == "short").sum()),
             no_data=int((planned["annual_status"] == "no_data").sum()), changed=len(changed))


def lead_html(ctx: Any, lang: str) -> str:
    """The year in one paragraph (:func:`year_summary`)."""
    return str(Markup('<p class="rk-lead">{}</p>').format(year_summary(ctx, lang)))


def reading_html(lang: str) -> str:
    """How the annual report reads the year: the rule of docs/method-extensions.md `annual`."""
    return str(Markup("<p>{}</p>").format(t("method.extensions.annual.text", lang)))


def first_year(ctx: Any) -> bool:
    """True when the year is the plan's first: no previous annual report to compare with."""
    return ctx.annual.previous_year is None


def changes_html(ctx: Any, lang: str, city: bool) -> str:
    """What changed since the previous report: the city's targets (``city``), or every target and
    district line whose status changed."""
    if first_year(ctx):
        return str(Markup("<p>{}</p>").format(t("annual.heading.changes_first", lang)))
    if city:
        return str(Markup("<h3>{}</h3>{}").format(t("annual.heading.changes_city", lang),
                                                Markup(city_changes_table(ctx, lang).html())))
    return str(Markup("<h3>{}</h3>{}").format(t("annual.heading.changes_changed", lang),
                                            Markup(changes_table(ctx, lang).html())))


def programme_sections(ctx: Any, lang: str) -> str:
    """Every annex programme's year, one section each (city line first, then the districts)."""
    from reportkit.report.labels import figure_id

    p = ctx.annual.programmes
    blocks = []
    for ind_id in dict.fromkeys(p["indicator"]):
        row = p[p["indicator"] == ind_id].iloc[0]
        blocks.append(Markup('<section class="rk-annual-programme" id="{}"><h2>{}</h2>{}</section>').format(
            figure_id("annual", ind_id), _programme_name(ctx, row, lang),
            Markup(programme_year_table(ctx, ind_id, lang).html())))
    return str(Markup("").join(blocks))


def district_sections(ctx: Any, lang: str) -> str:
    """Every district's year, one section each (the city-wide lines are on the summary page)."""
    from reportkit.report.labels import figure_id

    p = ctx.annual.programmes
    blocks = []
    for district in ctx.plan.districts:
        if district == ctx.plan.city or district not in set(p["district"]):
            continue
        blocks.append(Markup('<section class="rk-annual-district" id="{}"><h2>{}</h2>{}</section>').format(
            figure_id("annual-district", district), ctx.plan.district_label(district, lang),
            Markup(district_year_table(ctx, district, lang).html())))
    return str(Markup("").join(blocks))
