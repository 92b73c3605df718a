"""Charts: Altair specs, one theme for both languages, and an offline renderer.

Chart code is never forked per language: every function takes ``lang`` and reads labels from
the locales and the catalogue. :func:`figure` turns a chart into a display object whose HTML
draws it with the vega bundle served once from the site's ``_static`` (no CDN) and whose SVG
(rendered by vl-convert) is the static fallback for print. Ids are deterministic and the same
in every language, so ``fig-<name>`` links work across editions.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from functools import cache
from typing import Any

import altair as alt
import pandas as pd
from markupsafe import Markup, escape

from reportkit.i18n import t
from reportkit.report import palette
from reportkit.report.formatting import is_count
from reportkit.report.labels import figure_id

FONT = "Noto Sans CJK SC"
# One type family per edition (the PDF's too): English charts in Liberation Sans, with the CJK
# face only for a Chinese name that appears in them.
LANG_FONTS = {"zh": FONT, "en": "Liberation Sans, Noto Sans CJK SC"}
BUNDLE_NAME = "vega-bundle.js"
# Status colours: report/palette.py, the one home of badge and chart colours.
STATUS_COLOURS: dict[str, str] = {code: style.fill for code, style in palette.STATUS_STYLES.items()}


def theme() -> dict[str, Any]:
    """The reportkit Altair theme: CJK-capable font everywhere, quiet grid, fixed width."""
    return {
        "config": {
            "font": FONT,
            "title": {"font": FONT, "fontSize": 15, "fontWeight": "bold", "anchor": "start"},
            "axis": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12, "titleFontSize": 12,
                     "gridColor": "#e6e6e6"},
            "legend": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12},
            "header": {"labelFont": FONT, "titleFont": FONT},
            "text": {"font": FONT},
            "view": {"stroke": None, "continuousWidth": 560, "continuousHeight": 300},
            "background": "white",
        }
    }


@cache
def enable_theme() -> None:
    """Register and enable the theme once per process."""
    alt.theme.register("reportkit", enable=True)(theme)


@cache
def javascript_bundle() -> str:
    """vega + vega-lite + vega-embed as one script, wrapped in an IIFE.

    Unwrapped, its top-level ``const`` names clash with Sphinx's own scripts (SyntaxError,
    no chart). The bundle publishes ``window.vegaEmbed`` itself.
    """
    import vl_convert as vlc

    return "/* vega, vega-lite, vega-embed: vl-convert " + vlc.__version__ + " */\n(function(){\n" \
        + vlc.javascript_bundle() + "\n})();\n"


def _json_for_script(obj: Any) -> str:
    """JSON safe to place inside an HTML <script>: no '</' or '<!--' can end the element.

    Both escapes are JSON escapes too (``<\\/``, ``\\u003c``), so the text stays one JSON value.
    """
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029")


def to_svg(spec: dict[str, Any]) -> str:
    """A static SVG of a Vega-Lite spec (for print and for notebook viewers without JS)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec)


# Set to "1" in the kernels of a build: figures then carry the site's interactive HTML.
SITE_ENV = "REPORTKIT_SITE"


class Figure:
    """A chart with its id, title, text description and data table, displayable in Jupyter."""

    def __init__(self, chart: alt.TopLevelMixin, fig_id: str, title: str, description: str,
                 table: pd.DataFrame, lang: str, svg: bool = True, pct: tuple[str, ...] = (),
                 digits: dict[str, int] | None = None):
        enable_theme()
        # how the data table writes its numbers: the pages' formatter (percent columns, decimals)
        self.pct, self.digits = pct, digits or {}
        self.fig_id = fig_id
        self.title = title
        self.description = description
        self.table = table
        self.lang = lang
        self.spec = chart.to_dict()
        self.spec.pop("$schema", None)  # an address is not needed to draw, and the site names none
        self.spec["config"] = _with_font(self.spec.get("config", {}), LANG_FONTS.get(lang, FONT))
        if isinstance(self.spec.get("title"), str):  # long titles wrap instead of being cut off
            self.spec["title"] = {"text": wrap_title(self.spec["title"], lang)}
        # The accessible name and description of the drawn SVG (vega's default is the English
        # "Vega visualization"); the data table below stays the text alternative.
        self.spec["description"] = f"{title}. {description}" if description else title
        self.svg = svg

    def site_spec(self) -> dict[str, Any]:
        """The spec the site draws: as wide as its container at any screen width (the print
        and notebook SVG keep the fixed width, kept in ``usermeta.rkWidth``)."""
        spec = dict(self.spec)
        if isinstance(spec.get("width"), (int, float)):
            spec["usermeta"] = {**spec.get("usermeta", {}), "rkWidth": spec["width"]}
            spec["width"] = "container"
            spec["autosize"] = {"type": "fit-x", "contains": "padding"}
        return spec

    def html(self) -> str:
        """Figure markup: chart container, vegaEmbed call, caption and a reachable data table."""
        vis = f"vis-{self.fig_id}"
        options = {"renderer": "svg", "actions": False}
        script = (
            "(function(){var el=document.getElementById(" + json.dumps(vis) + ");"
            "vegaEmbed(el," + _json_for_script(self.site_spec()) + "," + json.dumps(options) + ")"
            ".catch(function(e){console.error(e);});})();"
        )
        from reportkit.report.tables import frame_html

        return str(Markup(
            '<figure class="rk-figure" id="{fid}">'
            '<div class="rk-vis" id="{vis}" role="img" aria-label="{title}" aria-describedby="{vis}-desc"></div>'
            "<script>{script}</script>"
            '<figcaption><span class="rk-fig-title">{title}</span> '
            '<span class="rk-fig-desc" id="{vis}-desc">{desc}</span></figcaption>'
            '<details class="rk-data"><summary>{summary}</summary>{table}</details>'
            "</figure>"
        ).format(fid=self.fig_id, vis=vis, title=self.title, desc=self.description,
                 script=Markup(script), summary=t("report.figure.data_table", self.lang),
                 table=Markup(frame_html(self.table, self.lang, self.pct, self.digits))))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        # The site's figure (HTML calling vegaEmbed from the site's own bundle) only works inside
        # the built book; JupyterLab would show an empty box. The build's kernels set SITE_ENV, so
        # a notebook opened by hand shows the static SVG, which every Jupyter front end draws.
        site = os.environ.get(SITE_ENV) == "1"
        bundle = {"text/plain": f"<figure {self.fig_id}: {self.title}>"}
        if site:
            bundle["text/html"] = self.html()
        if self.svg or not site:
            bundle["image/svg+xml"] = to_svg(self.spec)
        return bundle


def _with_font(config: Any, font: str) -> Any:
    """The theme's config with every font set to ``font``."""
    if isinstance(config, dict):
        return {k: font if k.endswith("ont") and v == FONT else _with_font(v, font) for k, v in config.items()}
    return config


def wrap_title(text: str, lang: str, width: int | None = None) -> list[str] | str:
    """Break a chart title into lines (Vega titles do not wrap): by words in English, by characters in Chinese."""
    width = width or (30 if lang == "zh" else 60)
    if len(text) <= width:
        return text
    if lang != "zh":
        import textwrap

        return textwrap.wrap(text, width)
    return [text[i:i + width] for i in range(0, len(text), width)]


def _finite(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and not pd.isna(x)


def schedule_ratio_bands(rows: pd.DataFrame, lang: str, cuts: dict[str, float],
                         legend: str | None = None) -> alt.Chart:
    """Bars of the schedule ratio R per indicator against 1, with the status cut-offs as rules.

    What the status is computed from is what is drawn (R = A / E, with E from each indicator's
    own schedule), so a longer bar never means a worse progress status. ``rows``: ``label``,
    ``ratio``, ``status``, ``status_label``; rows without R (limits, judgements, no data) are
    left out (the table states them). ``cuts``: {label: value} of the rules to draw.
    """
    data = rows[rows["ratio"].map(_finite).astype(bool)].copy()   # (an empty mask stays a mask)
    data["ratio"] = data["ratio"].astype(float)
    codes = list(dict.fromkeys(data["status"]))
    labels = [data.loc[data["status"] == c, "status_label"].iloc[0] for c in codes]
    legend = legend or t("report.col.status", lang)   # the grade at the end of term
    colour = alt.Color("status_label:N", title=legend,
                       legend=alt.Legend(orient="bottom", columns=2, labelLimit=260),
                       scale=alt.Scale(domain=labels, range=[STATUS_COLOURS.get(c, "#999") for c in codes]))
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=300)),
        x=alt.X("ratio:Q", title=t("report.col.schedule_ratio", lang), axis=alt.Axis(format=".2f")),
        color=colour,
        tooltip=[alt.Tooltip("label:N", title=t("report.col.indicator", lang)),
                 alt.Tooltip("ratio:Q", title=t("report.col.schedule_ratio", lang), format=".2f"),
                 alt.Tooltip("status_label:N", title=legend)],
    )
    lines = pd.DataFrame({"x": list(cuts.values()), "text": list(cuts.keys())}).sort_values("x", kind="stable")
    # a label close to the one before it goes one line up (1.00 and 1.05 would overlap)
    xs, raised = lines["x"].tolist(), []
    for k, x in enumerate(xs):
        raised.append(k > 0 and x - xs[k - 1] < 0.1 and not raised[k - 1])
    lines["raised"] = raised
    rule = alt.Chart(lines).mark_rule(color="#333", strokeDash=[4, 3]).encode(x="x:Q")
    text = alt.Chart(lines[~lines["raised"]]).mark_text(align="left", dx=3, dy=-6, color="#333", fontSize=10).encode(
        x="x:Q", y=alt.value(0), text="text:N")
    if lines["raised"].any():
        text = text + alt.Chart(lines[lines["raised"]]).mark_text(
            align="left", dx=3, dy=-17, color="#333", fontSize=10).encode(x="x:Q", y=alt.value(0), text="text:N")
    return (bars + rule + text).properties(width=380, height=max(60, 28 * len(data)))


def cumulative_planned_vs_actual(data: pd.DataFrame, lang: str, unit: str) -> alt.Chart:
    """Cumulative planned and actual by year (lines with points). ``data``: year, series, value."""
    data = data[data["value"].map(_finite)].copy()
    series = list(dict.fromkeys(data["series"]))
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("year:O", title=t("report.col.year", lang), axis=alt.Axis(labelAngle=0)),
        # the unit in the language's own brackets: 累计（户）, cumulative (households)
        y=alt.Y("value:Q", title=f"{t('report.col.cumulative', lang)}（{unit}）" if lang == "zh"
                else f"{t('report.col.cumulative', lang)} ({unit})"),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=series,
                                                                 range=[palette.SERIES["planned"], palette.SERIES["actual"]][: len(series)])),
        strokeDash=alt.StrokeDash("series:N", legend=None,
                                  scale=alt.Scale(domain=series, range=[[4, 3], [1, 0]][: len(series)])),
        tooltip=["year:O", "series:N", alt.Tooltip("value:Q", format=",.0f")],
    ).properties(width=520, height=260)


def district_year_heatmap(data: pd.DataFrame, lang: str, districts: Sequence[str]) -> alt.Chart:
    """District × year heatmap of actual / planned, diverging around 100 % (red below, blue above).

    ``data``: district (label), year, ratio (fraction or None), text (cell label), cell
    (``value``, ``missing`` or ``no_plan``). A year with nothing planned is white, outlined and
    labelled as such (it is not zero); a missing value is grey with a dash (it is not zero either).
    """
    base = alt.Chart(data).encode(
        x=alt.X("year:O", title=t("report.col.year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("district:N", sort=list(districts), title=None, axis=alt.Axis(labelLimit=260)),
    )
    tooltip = [alt.Tooltip("district:N", title=t("report.col.district", lang)), "year:O",
               alt.Tooltip("text:N", title=t("report.col.actual_vs_planned", lang))]
    # three layers, one per kind of cell: a null ratio must not be dropped by the colour scale
    values = base.transform_filter("datum.cell === 'value'").mark_rect(stroke="white").encode(
        color=alt.Color("ratio:Q", title=t("report.col.actual_vs_planned", lang),
                        scale=alt.Scale(scheme="redblue", domain=[0, 2], domainMid=1, clamp=True),
                        legend=alt.Legend(format="%")),
        tooltip=tooltip)
    missing = base.transform_filter("datum.cell === 'missing'").mark_rect(
        fill=palette.MISSING_FILL, stroke="white").encode(tooltip=tooltip)
    no_plan = base.transform_filter("datum.cell === 'no_plan'").mark_rect(
        fill=palette.NO_PLAN_FILL, stroke="#8c8c8c", strokeDash=[3, 2], strokeWidth=1).encode(tooltip=tooltip)
    cells = values + missing + no_plan
    text = base.mark_text(fontSize=11).encode(
        text="text:N",
        # white on the saturated ends of the scale, dark text on the pale middle
        color=alt.condition("isValid(datum.ratio) && (datum.ratio < 0.35 || datum.ratio > 1.65)",
                            alt.value("white"), alt.value("#222")),
    )
    return (cells + text).properties(width=300, height=max(80, 26 * len(districts)))


def district_scores(data: pd.DataFrame, lang: str, cap: float = 1.2) -> alt.Chart:
    """Horizontal bars of the composite score per district (``district``, ``score``), axis up to the cap.

    Bars keep the order of ``data`` (the ranking: provisional districts, whose data are
    incomplete, after the complete ones, drawn lighter when ``provisional`` is given).
    """
    data = data[data["score"].map(_finite).astype(bool)].copy()
    if "provisional" not in data:
        data["provisional"] = False
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("district:N", sort=list(data["district"]), title=None, axis=alt.Axis(labelLimit=260)),
        color=alt.condition("datum.provisional", alt.value("#9ecae1"), alt.value("#2166ac")),
        x=alt.X("score:Q", title=t("report.col.score", lang),
                scale=alt.Scale(domain=[0, max(cap, float(data["score"].max()) if len(data) else cap)])),
        tooltip=[alt.Tooltip("district:N", title=t("report.col.district", lang)),
                 alt.Tooltip("score:Q", format=".2f", title=t("report.col.score", lang))],
    ).properties(width=400, height=max(60, 26 * len(data)))


def escape_text(text: str) -> str:
    """HTML-escaped text (helper for callers that build captions)."""
    return str(escape(text))


# ---- page figures (one function per figure; the same ids in every language) -----------------
def main_completion_figure(ctx: Any, lang: str) -> Figure:
    """Main indicators: the schedule ratio R (what the status is computed from) against the
    status cut-offs of the method file; completion and planned progress (E/T) in the data table."""
    from reportkit.report.tables import status_label

    r = ctx.results
    rows = r[(r["district"] == ctx.plan.city) & (r["tier"] == "main")]
    data = pd.DataFrame({
        "label": [ctx.plan.indicator(i).label(lang) for i in rows["indicator"]],
        "ratio": rows["schedule_ratio"].astype(float).to_numpy(),
        "completion": rows["completion"].astype(float).to_numpy(),
        "planned": rows["planned_progress"].astype(float).to_numpy(),
        "status": rows["status"].fillna("no_data").to_numpy(),
    })
    data["status_label"] = [status_label(c, lang, ctx.stage) for c in data["status"]]
    status = ctx.method["status"]
    # the rules carry their values only (their meaning is in the description): labels fit
    cuts = {f"{float(status[code]):.2f}": float(status[code]) for code in ("ahead", "on_track", "lagging")}
    title = t("report.indicators.chart_title", lang)
    desc = t("report.indicators.chart_desc", lang, ahead=f"{float(status['ahead']):.2f}",
             on_track=f"{float(status['on_track']):.2f}", lagging=f"{float(status['lagging']):.2f}")
    judged = t("report.col.status", lang)
    if ctx.stage == "final" and "grade" in rows:
        # at the end of term what is due is the target (R is the completion) and the verdict is
        # the grade: bars coloured by grade against the grade thresholds, no mid-term words
        grades = ctx.method["grades"]
        graded = rows["grade"].notna().to_numpy()
        data.loc[graded, "status"] = rows["grade"][graded].to_numpy()
        data.loc[graded, "status_label"] = [t(f"status.grade.{g}", lang) for g in rows["grade"][graded]]
        cuts = {f"{float(grades[g]):.2f}": float(grades[g]) for g in ("exceeded", "completed", "basically_completed")}
        title = t("report.register.chart_title_final", lang)
        desc = t("report.register.chart_desc_final", lang, **{g: f"{float(grades[g]):.2f}" for g in grades})
        judged = t("report.col.grade", lang)
    chart = schedule_ratio_bands(data, lang, cuts, judged).properties(title=title)
    table = data[["label", "ratio", "completion", "planned", "status_label"]].rename(columns={
        "label": t("report.col.indicator", lang), "ratio": t("report.col.schedule_ratio", lang),
        "completion": t("report.col.completion", lang), "planned": t("report.col.planned_progress", lang),
        "status_label": judged})
    return Figure(chart, "fig-main-completion", title, desc, table, lang,
                  pct=(t("report.col.completion", lang), t("report.col.planned_progress", lang)),
                  digits={t("report.col.schedule_ratio", lang): 2})


def _current_values(ctx: Any, indicator_id: str) -> pd.DataFrame:
    from reportkit.inputs.actuals import current

    cur = current(ctx.actuals)
    return cur[cur["indicator"] == indicator_id]


def _as_of_year(ctx: Any) -> int:
    return int(str(ctx.as_of)[:4])


def programme_cumulative_figure(ctx: Any, indicator_id: str, lang: str) -> Figure:
    """City-wide cumulative planned vs actual by year; the actual line stops at a missing year."""
    ind = ctx.plan.indicator(indicator_id)
    city = ctx.plan.city
    schedule = ind.schedule.get(city, {})
    values = _current_values(ctx, indicator_id)
    values = values[values["district"] == city]
    by_year = {int(y): v for y, v in zip(values["year"], values["value"], strict=True) if _finite(v)}
    rows, planned, actual, broken = [], 0.0, 0.0, False
    for year in ctx.plan.years:
        planned += schedule.get(year, 0.0)
        rows.append({"year": year, "series": t("report.series.planned", lang), "value": planned})
        if year <= _as_of_year(ctx) and not broken:
            if year in by_year:
                actual += float(by_year[year])
                rows.append({"year": year, "series": t("report.series.actual", lang), "value": actual})
            else:
                broken = True  # missing is not zero: the cumulative line ends here
    data = pd.DataFrame(rows)
    title = t("report.programme.cumulative_title", lang, name=ind.label(lang), unit=ind.unit[lang])
    chart = cumulative_planned_vs_actual(data, lang, ind.unit[lang]).properties(title=title)
    table = data.pivot(index="year", columns="series", values="value").reset_index()
    table.columns = [t("report.col.year", lang)] + [str(c) for c in table.columns[1:]]
    whole = 0 if is_count(ind.unit["zh"]) else None   # counts as whole numbers, as on the pages
    return Figure(chart, figure_id("fig-annex", ind.annex, "cumulative"), title,
                  t("report.programme.cumulative_desc", lang), table, lang,
                  digits={str(c): whole for c in table.columns[1:]} if whole is not None else None)


def programme_heatmap_figure(ctx: Any, indicator_id: str, lang: str) -> Figure:
    """District × year: actual / planned of each year up to the evaluation year."""
    from reportkit.report.tables import fmt_num, fmt_pct

    ind = ctx.plan.indicator(indicator_id)
    values = _current_values(ctx, indicator_id)
    got = {(d, int(y)): v for d, y, v in zip(values["district"], values["year"], values["value"], strict=True)
           if _finite(v)}
    years = [y for y in ctx.plan.years if y <= _as_of_year(ctx)]
    districts = [d for d in ctx.plan.districts if d in ind.schedule]
    labels = [ctx.plan.district_label(d, lang) for d in districts]
    rows = []
    for d, label in zip(districts, labels, strict=True):
        for y in years:
            plan_v = ind.schedule[d].get(y, 0.0)
            act = got.get((d, y))
            ratio = act / plan_v if act is not None and plan_v > 0 else None
            if plan_v <= 0:  # nothing planned: not a zero, and not missing data
                cell = "no_plan"
                text = t("report.programme.no_plan_done", lang, n=fmt_num(act, lang, 0)) if act \
                    else t("report.programme.no_plan", lang)
            elif act is None:   # due and not reported: missing, said in words (not a bare dash)
                cell, text = "missing", t("report.missing", lang)
            else:
                cell, text = "value", str(fmt_pct(ratio, lang, 0))   # rounded half up, as everywhere
            rows.append({"district": label, "year": y, "ratio": ratio, "text": text, "cell": cell,
                         "planned": plan_v, "actual": act})
    data = pd.DataFrame(rows)
    title = t("report.programme.heatmap_title", lang, name=ind.label(lang))
    chart = district_year_heatmap(data, lang, labels).properties(title=title)
    table = data[["district", "year", "planned", "actual", "text"]].rename(columns={
        "district": t("report.col.district", lang), "year": t("report.col.year", lang),
        "planned": t("report.col.planned", lang), "actual": t("report.col.actual", lang),
        "text": t("report.col.actual_vs_planned", lang)})
    whole = {t("report.col.planned", lang): 0, t("report.col.actual", lang): 0} if is_count(ind.unit["zh"]) else None
    return Figure(chart, figure_id("fig-annex", ind.annex, "heatmap"), title,
                  t("report.programme.heatmap_desc", lang), table, lang, digits=whole)


def composite_figure(ctx: Any, lang: str) -> Figure:
    """Composite score by district, in rank order (provisional districts last, drawn lighter)."""
    from reportkit.report.tables import district_name

    comp = ctx.evaluation.composite.sort_values("composite_rank", na_position="last", kind="stable")
    provisional = comp["provisional"].astype(bool).to_numpy() if "provisional" in comp else [False] * len(comp)
    data = pd.DataFrame({"district": [district_name(ctx, d, p, lang) for d, p in zip(comp["district"], provisional,
                                                                                      strict=True)],
                         "score": comp["composite_score"].astype(float).to_numpy(), "provisional": provisional})
    title = t("report.districts.score_title", lang)
    cap = float(ctx.method["composite"]["cap"])
    chart = district_scores(data, lang, cap).properties(title=title)
    table = data[["district", "score"]].rename(columns={"district": t("report.col.district", lang),
                                                        "score": t("report.col.score", lang)})
    desc = t("report.districts.score_desc", lang, cap=f"{cap:.2f}")
    if any(provisional):
        desc = f"{desc} {t('report.districts.provisional_note', lang)}"
    return Figure(chart, "fig-district-scores", title, desc, table, lang,
                  digits={t("report.col.score", lang): 2})   # scores with two decimals, as in the text
