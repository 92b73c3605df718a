"""Colours and accessible charts: one palette (report/palette.py) for badges and charts, each
status its own hue and symbol, text contrast at least 4.5:1 (WCAG AA), localized chart
descriptions, and a heatmap that tells "nothing planned" from zero and from missing."""

from __future__ import annotations

import colorsys
import re

import pandas as pd
import pytest

from reportkit.config import BOOK_DIR
from reportkit.i18n import t
from reportkit.report import charts, palette, tables
from reportkit.vocab import GRADE_CODES, STATUS_CODES


def test_contrast_is_computed_as_wcag_says():
    assert palette.contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert palette.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near-miss
    assert palette.contrast("#2166ac", "#2166ac") == pytest.approx(1.0)


@pytest.mark.parametrize("code", list(STATUS_CODES) + list(GRADE_CODES))
def test_every_badge_text_has_contrast(code):
    style = palette.STATUS_STYLES[code]
    assert palette.contrast(style.fill, style.text) >= 4.5, (code, style)
    assert style.symbol.strip()


@pytest.mark.parametrize("cls", list(palette.OTHER_STYLES))
def test_other_badges_have_contrast(cls):
    background, text = palette.OTHER_STYLES[cls]
    assert palette.contrast(background, text) >= 4.5


def _hue(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


def test_progress_statuses_have_distinct_hues_and_symbols():
    """achieved and ahead were two greens 1.31:1 apart; now every progress status has its own
    hue (≥ 25° apart on the colour wheel) and its own symbol."""
    codes = ["achieved", "ahead", "on_track", "lagging", "limited"]
    hues = {c: _hue(palette.STATUS_STYLES[c].fill) for c in codes}
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            d = abs(hues[a] - hues[b]) % 360
            assert min(d, 360 - d) >= 25, (a, b, hues[a], hues[b])
    symbols = [palette.STATUS_STYLES[c].symbol for c in STATUS_CODES if c not in ("not_scheduled", "no_target")]
    assert len(set(symbols)) == len(symbols)


def test_one_palette_for_badges_css_and_charts():
    css = palette.palette_css()
    for code, style in palette.STATUS_STYLES.items():
        assert f".rk-status-{code} {{ background: {style.fill}; color: {style.text};" in css
        assert charts.STATUS_COLOURS[code] == style.fill
    # the site's stylesheet carries no status colour of its own
    site_css = (BOOK_DIR / "_static" / "reportkit.css").read_text(encoding="utf-8")
    assert not re.search(r"\.rk-status-\w+[^{]*\{[^}]*background", site_css)
    badge = str(tables.badge("ahead", "zh"))
    assert "rk-status-ahead" in badge and palette.STATUS_STYLES["ahead"].symbol in badge
    assert 'aria-hidden="true"' in badge and t("status.status.ahead", "zh") in badge


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chart_has_localized_description_and_container_width(lang):
    data = pd.DataFrame({"district": ["A", "B"], "score": [0.8, 1.1]})
    fig = charts.Figure(charts.district_scores(data, lang), "fig-x", t("report.districts.score_title", lang),
                        t("report.districts.score_desc", lang, cap="1.20"), data, lang)
    assert fig.spec["description"].startswith(t("report.districts.score_title", lang))
    assert "Vega" not in fig.spec["description"]
    site = fig.site_spec()
    assert site["width"] == "container" and site["usermeta"]["rkWidth"] == fig.spec["width"]
    assert isinstance(fig.spec["width"], int)  # print and notebook SVG keep a fixed width
    assert 'aria-describedby="vis-fig-x-desc"' in fig.html() and 'id="vis-fig-x-desc"' in fig.html()
    fonts = {v for k, v in fig.spec["config"].items() if k == "font"}
    assert fonts == {charts.LANG_FONTS[lang]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_heatmap_marks_no_plan_apart_from_zero_and_missing(lang):
    rows = pd.DataFrame([
        {"district": "A", "year": 2021, "ratio": 0.5, "text": "50%", "cell": "value"},
        {"district": "A", "year": 2022, "ratio": None, "text": t("report.programme.no_plan", lang), "cell": "no_plan"},
        {"district": "B", "year": 2021, "ratio": None, "text": "—", "cell": "missing"},
        {"district": "B", "year": 2022, "ratio": 0.0, "text": "0%", "cell": "value"},
    ])
    spec = charts.district_year_heatmap(rows, lang, ["A", "B"]).to_dict()
    svg = charts.to_svg(spec)
    assert t("report.programme.no_plan", lang) in svg and "0%" in svg and "—" in svg
    fills = re.findall(r'fill="(#[0-9a-fA-F]{6})"', svg)
    assert palette.NO_PLAN_FILL in fills and palette.MISSING_FILL in fills
    scale = spec["layer"][0]["layer"][0]["encoding"]["color"]["scale"] if "layer" in spec["layer"][0] \
        else spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale["domainMid"] == 1  # diverges around 100 %
