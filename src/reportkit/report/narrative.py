"""Sentences drafted from the numbers: jinja2 templates per language, never typed by hand.

Templates live in ``src/reportkit/templates/<name>.<lang>.html.j2`` and are rendered with HTML
autoescaping, so names and sources from the inputs can never become markup. Evaluators' own
commentary (Markdown files, optional) is rendered here too, with raw HTML disabled, inside a box
that says it is not generated.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from reportkit.config import PACKAGE_DIR
from reportkit.i18n import has, t
from reportkit.report.commentary import (  # noqa: F401 — re-exported
    check_commentary,
    commentary_path,
    read_commentary,
)
from reportkit.report.tables import (
    data_date,
    data_date_text,
    differs_from_annex,
    district_name,
    fmt_num,
    fmt_pct,
    fmt_value,
    grade_text,
    labelled,
    missing,
    status_label,
)
from reportkit.vocab import ADMINISTRATIVE_TYPES, ATTENTION, GRADE_CODES, LIMIT_KINDS, STATUS_CODES

TEMPLATES_DIR = PACKAGE_DIR / "templates"


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def render(template: str, lang: str, **values: Any) -> str:
    """Render ``templates/<name>.<lang>.html.j2`` with ``values`` (escaped)."""
    return _env().get_template(f"{template}.{lang}.html.j2").render(**values).strip()


class Html:
    """Trusted HTML for display in a notebook (text/html output)."""

    def __init__(self, html: str):
        self.text = str(html)

    def _repr_html_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        """Plain text (no memory address: executed notebooks stay comparable and reproducible)."""
        import re

        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", self.text)).strip()


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")


def as_of_text(as_of: str, lang: str) -> str:
    """The evaluation date in words: 2023 → 2023年底 / end of 2023; 2023-06 → 2023年6月底 / end of June 2023."""
    year, _, month = str(as_of).partition("-")
    if lang == "zh":
        return f"{year}年{int(month)}月底" if month else f"{year}年底"
    return f"end of {MONTHS_EN[int(month) - 1]} {year}" if month else f"end of {year}"


def _text(x: Any, lang: str, pct: bool = False, unit_zh: str = "") -> str:
    """Plain text of a number for a sentence ('' when missing, so templates can test it);
    counts (unit 户, 套…) as whole numbers."""
    if missing(x):
        return ""
    return str(fmt_pct(x, lang) if pct else fmt_value(x, unit_zh, lang))


def _counts(codes: pd.Series, lang: str, stage: str | None = None) -> list[dict[str, Any]]:
    vc = codes.fillna("no_data").value_counts()
    return [{"code": c, "n": int(vc[c]), "label": status_label(c, lang, stage),
             "clause": count_clause(c, int(vc[c]), lang, stage)}
            for c in STATUS_CODES if c in vc.index]


def count_clause(code: str, n: int, lang: str, stage: str | None = None) -> str:
    """How many have a status, as a clause: "2 have already achieved their targets" (not
    "2 are target already achieved"); a stage may word it its own way (at the end of term a
    reached target is simply reached)."""
    number = "one" if n == 1 else "other"
    key = f"report.register.count.{code}_{stage}_{number}"
    if not has(key, lang):
        key = f"report.register.count.{code}_{number}"
    return t(key, lang, n=n)


def _district_counts(districts: pd.DataFrame, lang: str, stage: str | None) -> list[dict[str, Any]]:
    """The districts of a programme counted by status, or at the end of term by grade (those
    without a grade, e.g. with no target, by status)."""
    if stage != "final" or "grade" not in districts:
        return _counts(districts["status"], lang, stage)
    return _grades(districts["grade"], lang) + _counts(districts.loc[districts["grade"].isna(), "status"], lang, stage)


def in_sentence(name: str, lang: str, proper: tuple[str, ...] = ()) -> str:
    """A name as it reads inside an English sentence: its first capital lowered ("urban shantytown
    redevelopment"), unless its first word is a proper name (``proper``: the plan's region, its
    districts) or an acronym (capitals or digits inside it: "PM2.5")."""
    if lang != "en" or not name:
        return name
    first = name.split(" ", 1)[0]
    if not first[:1].isupper() or any(ch.isupper() or ch.isdigit() for ch in first[1:]) \
            or any(first == p.split(" ", 1)[0] for p in proper if p):
        return name
    return first[0].lower() + name[1:]




def _grades(codes: pd.Series, lang: str) -> list[dict[str, Any]]:
    vc = codes.dropna().value_counts()
    # "clause": the count as English reads it ("1 exceeded its target"; not "1 was exceeded")
    return [{"code": g, "n": int(vc[g]), "label": t(f"status.grade.{g}", lang),
             "clause": t(f"report.register.grade_count.{g}_{'one' if int(vc[g]) == 1 else 'other'}", lang, n=int(vc[g]))}
            for g in GRADE_CODES if g in vc.index]


def _provisional(rows: pd.DataFrame, lang: str) -> str:
    """"其中2项截至2023年数据，为暂评": the grades resting on data that stop before the end year
    (the earliest such date is named); '' when every grade rests on the last year's data."""
    if "grade_provisional" not in rows:
        return ""
    prov = rows[rows["grade_provisional"] == True]  # noqa: E712 (None is not False)
    if prov.empty:
        return ""
    date = min((data_date(r) for _, r in prov.iterrows()), key=lambda d: (d[:4], d[5:] or "99"))
    return t("status.provisional.summary", lang, n=len(prov), date=data_date_text(date, lang))


def city_rows(ctx: Any) -> pd.DataFrame:
    """One row per indicator for the whole city (the plan's own row)."""
    r = ctx.results
    return r[r["district"] == ctx.plan.city]


def summary(ctx: Any, lang: str) -> Html:
    """The summary chapter's opening sentences: counts by status, attention list, districts behind."""
    city = city_rows(ctx)
    main = city[city["tier"] == "main"]
    graded = ctx.stage == "final" and "grade" in city
    attention = []
    for _, row in city.iterrows():
        # at the end of term a target needs attention by its grade (not completed, basically
        # completed), and is named by it, not by the mid-term status words
        by_grade = graded and not missing(row["grade"])
        if (row["grade"] in ("not_completed", "basically_completed") if by_grade else row["status"] in ATTENTION) \
                or row["warning"] is True:
            attention.append({"name": row[f"indicator_{lang}"],
                              "status": grade_text(row, lang) if by_grade else status_label(row['status'], lang, ctx.stage),
                              # growth rates are judged on rates, limits hold or not: no completion %
                              "completion": "" if row.get("kind") in ("growth", *LIMIT_KINDS)
                              else _text(row["completion"], lang, pct=True),
                              "warning": row["warning"] is True})
    comp = ctx.evaluation.composite
    comp = comp[comp["composite_score"].notna()].sort_values("composite_score", kind="stable")
    prov = comp["provisional"] if "provisional" in comp else pd.Series(False, index=comp.index)
    behind = [{"name": district_name(ctx, d, bool(p), lang), "score": f"{s:.2f}"}
              for d, s, p in zip(comp["district"], comp["composite_score"], prov, strict=True) if s < 1][:3]
    values = {
        "as_of": as_of_text(ctx.as_of, lang), "tp": fmt_pct(ctx.meta["time_progress"], lang),
        "n_main": len(main), "counts": _counts(main["status"], lang, ctx.stage),
        "n_warning": int((main["warning"] == True).sum()),  # noqa: E712 (None is not False)
        "n_all": len(city), "counts_all": _counts(city["status"], lang, ctx.stage),
        "attention": attention, "behind": behind,
        "no_data": int((city["status"] == "no_data").sum()),
        "inconsistencies": [{"name": row[f"indicator_{lang}"], "target": _text(row["target"], lang, False, row["unit_zh"]),
                             "annex": ctx.plan.indicator(row["indicator"]).annex,
                             "annex_total": _text(row["annex_target"], lang, False, row["unit_zh"]),
                             "unit": row[f"unit_{lang}"]}
                            for _, row in city.iterrows() if differs_from_annex(row)],
        "grades": _grades(main["grade"], lang) if ctx.stage == "final" and "grade" in main else [],
        "grades_all": _grades(city["grade"], lang) if graded else [],
        "n_ungraded_all": int(city["grade"].isna().sum()) if graded else 0,
        "n_ungraded": int(main["grade"].isna().sum()) if ctx.stage == "final" and "grade" in main else 0,
        "provisional": _provisional(main, lang) if ctx.stage == "final" else "",
    }
    return Html(render("summary", lang, **values))


def district_set(plan: Any, districts: list[str], lang: str) -> str:
    """How to name a set of districts from their catalogue types: "7个县（市、区）和2个功能区" /
    "7 counties, cities and districts and 2 development zones" — never "9个县（市、区）" for a set
    with functional zones. Without types, every unit counts as a county, city or district."""
    types = getattr(plan, "district_types", {}) or {}
    zones = sum(1 for d in districts if types.get(d) == "development_zone")
    admin = sum(1 for d in districts if types.get(d, "district") in ADMINISTRATIVE_TYPES)
    parts = []
    for n, key in ((admin, "admin"), (zones, "zones")):
        if n:
            parts.append(t(f"report.district_set.{key}{'_one' if n == 1 else ''}", lang, n=n))
    return t("report.district_set.and", lang).join(parts)


def programme(ctx: Any, indicator_id: str, lang: str) -> Html:
    """The opening sentences of an annex programme chapter."""
    ind = ctx.plan.indicator(indicator_id)
    rows = ctx.results[ctx.results["indicator"] == indicator_id]
    city = rows[rows["district"] == ctx.plan.city]
    row = city.iloc[0] if len(city) else None
    districts = rows[rows["district"] != ctx.plan.city]

    def v(col: str, pct: bool = False) -> str:
        return "" if row is None else _text(row[col], lang, pct, ind.reported_unit["zh"])

    values = {
        "as_of": as_of_text(ctx.as_of, lang), "name": ind.label(lang), "unit": ind.unit[lang],
        "name_in_sentence": in_sentence(ind.label(lang), lang, (ctx.plan.region.get("en", ""),
                                                                 *(d.get("en", "") for d in ctx.plan.districts.values()))),
        "actual": v("actual"), "target": v("target"), "expected": v("expected"),
        "completion": v("completion", True), "ratio": "" if row is None or missing(row["schedule_ratio"]) else str(fmt_num(row["schedule_ratio"], lang, 2)),
        "status": status_label(row['status'], lang, ctx.stage) if row is not None and row["status"] else
        t("report.missing", lang),
        "missing_years": "" if row is None or missing(row["missing_years"]) else str(row["missing_years"]),
        "n_districts": len(districts), "district_set": district_set(ctx.plan, list(districts["district"]), lang),
        "counts": _district_counts(districts, lang, ctx.stage),
        "grade": grade_text(row, lang) if ctx.stage == "final" and row is not None and "grade" in row
        and not missing(row["grade"]) else "",
        # a target already reached needs nothing more a year: said in words, never "0 a year"
        "reached": ctx.stage != "final" and row is not None and row["status"] == "achieved",
        "required": v("required_pace"), "so_far": v("pace_so_far"),
        "annex": ind.annex, "annex_total": v("annex_target") if row is not None and differs_from_annex(row) else "",
        "completion_annex": v("completion_annex", True),
    }
    return Html(render("programme", lang, **values))


def methodology(ctx: Any, lang: str) -> Html:
    """Definitions with the numbers of this evaluation (time progress worked out)."""
    plan = ctx.plan
    total = 12 * (plan.last_year - plan.baseline_year)
    meta = ctx.meta
    values = {
        "first": plan.first_year, "last": plan.last_year, "baseline": plan.baseline_year,
        "stage": t(f"report.stage.{ctx.stage}", lang, year=str(ctx.as_of)[:4]), "as_of": as_of_text(ctx.as_of, lang),
        "months": meta.get("months_elapsed"), "total_months": total,
        "tp": f"{meta['time_progress']:.2f}",
        "warning_below": f"{float(ctx.method['binding']['warning_below']):.2f}",
    }
    return Html(render("methodology", lang, **values))


# ---- evaluators' commentary -------------------------------------------------------------------
def markdown_to_html(text: str) -> str:
    """Evaluators' Markdown as HTML: raw HTML is escaped, unsafe links are dropped."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    return md.render(text)


def commentary(ctx: Any, lang: str, kind: str, key: str, heading: str) -> Html | None:
    """The commentary box for one indicator or district, or None when there is none."""
    path = commentary_path(ctx, lang, kind, key)
    if path is None:
        return None
    body = markdown_to_html(read_commentary(path, Path(ctx.commentary_dir)))
    html = Markup(
        '<aside class="rk-commentary" lang="{lang}"><p class="rk-commentary-label">{label}</p>'
        "{body}</aside>").format(lang=lang, body=Markup(body),
                                 label=labelled(t("report.commentary.example" if getattr(ctx, "illustrative", False)
                                                  else "report.commentary.label", lang), heading, lang))
    return Html(html)


def commentary_section(ctx: Any, lang: str, items: list[tuple[str, str, str]], heading: str = "") -> Html:
    """Every commentary box for ``items`` — (kind, key, heading) — under the section ``heading``
    (a locale key); a section without commentary is left out, heading and all, never printed empty."""
    boxes = [b for kind, key, name in items if (b := commentary(ctx, lang, kind, key, name)) is not None]
    if not boxes:
        return Html("")
    title = Markup('<h2 class="rk-commentary-heading">{}</h2>').format(t(heading, lang)) if heading else ""
    return Html(title + Markup("").join(Markup(b.text) for b in boxes))


def key_figures(ctx: Any, lang: str) -> Html:
    """The first screen's verdict in tiles: the main indicators counted by grade (end of term) or
    by status, each tile in its status colour and symbol, and a button to the edition's PDF."""
    from markupsafe import Markup

    from reportkit.report.palette import STATUS_STYLES

    main = city_rows(ctx)
    main = main[main["tier"] == "main"]
    graded = ctx.stage == "final" and "grade" in main and main["grade"].notna().any()
    if graded:
        items = [(g["code"], g["n"], g["label"]) for g in _grades(main["grade"], lang)]
    else:
        items = [(c["code"], c["n"], c["label"]) for c in _counts(main["status"], lang, ctx.stage)]
    tiles = Markup("").join(
        Markup('<div class="rk-kpi rk-status-{code}"><span class="rk-kpi-n">{n}</span>'
               '<span class="rk-kpi-label"><span aria-hidden="true">{sym}</span> {label}</span></div>').format(
            code=code, n=n, label=label, sym=STATUS_STYLES[code].symbol if code in STATUS_STYLES else "")
        for code, n, label in items)
    head = t("report.summary.kpi_grades" if graded else "report.summary.kpi_status", lang, n=len(main))
    pdf = (ctx.pdf_files or {}).get(lang)
    button = Markup('<a class="rk-pdf-button" href="../downloads/{f}" download>{label}</a>').format(
        f=pdf, label=t("report.summary.pdf_button", lang)) if pdf else ""
    return Html(Markup('<section class="rk-kpis" aria-label="{head}"><p class="rk-kpi-head">{head}</p>'
                       '<div class="rk-kpi-row">{tiles}</div>{button}</section>').format(
        head=head, tiles=tiles, button=button))


def programmes(ctx: Any, lang: str) -> Html:
    """The programmes chapter's opening: how many annex programmes, and their statuses (at the
    end of term their grades instead), counted on the city rows the chapter's table shows."""
    city = city_rows(ctx)
    sep = t("report.programmes.sep", lang)
    # English counts read as clauses ("2 are lagging and need to accelerate"); Chinese counts
    # programmes with 项 ("2项滞后"), not the 个 of the districts' clauses
    counts = sep.join(c["clause"] if lang == "en" else t("report.programmes.count", lang, n=c["n"], label=c["label"])
                      for c in _counts(city["status"], lang, ctx.stage))
    parts = [t("report.programmes.intro", lang, n=len(ctx.annexes))]
    grades = ""
    if ctx.stage == "final" and "grade" in city:   # the end of term is judged by grades
        grades = sep.join(t("report.programmes.grade_count", lang, n=g["n"], label=g["label"])
                          for g in _grades(city["grade"], lang))
        if grades:
            parts.append(t("report.programmes.grades", lang, counts=grades))
    # statuses only before the end: once the period is over they repeat the grades in other words
    if counts and not grades:
        parts.append(t("report.programmes.status", lang, as_of=as_of_text(ctx.as_of, lang), counts=counts))
    return Html(Markup('<div class="rk-narrative" lang="{}"><p>{}</p></div>').format(
        lang, Markup("" if lang == "zh" else " ").join(parts)))
