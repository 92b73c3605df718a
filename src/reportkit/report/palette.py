"""The report's colours: one home for status badges (site and PDF) and chart marks.

Every status has its own hue (not two greens a shade apart) and its own symbol, and is always
shown with its words, so neither colour vision nor print in grey is needed to tell statuses
apart. Badge text is checked against its background (WCAG contrast ≥ 4.5:1, tests/test_palette.py).
The site's and the PDF's badge CSS is generated from this table (``palette_css``), and charts
take their colours from it, so a badge and a bar of the same status have the same colour.
"""

from __future__ import annotations

from typing import NamedTuple

from reportkit.vocab import GRADE_CODES, STATUS_CODES


class Style(NamedTuple):
    fill: str    # badge background, chart mark
    text: str    # badge text
    symbol: str  # shown before the words (aria-hidden: the words say it)


# Colour-blind-safe hues (green, purple, blue, orange, red, wine, greys), each dark enough
# for white text.
STATUS_STYLES: dict[str, Style] = {
    "achieved": Style("#1b7837", "#ffffff", "✓"),
    "ahead": Style("#5e3c99", "#ffffff", "▲"),
    "on_track": Style("#2166ac", "#ffffff", "●"),
    "lagging": Style("#a84e00", "#ffffff", "▼"),
    "limited": Style("#c2185b", "#ffffff", "▽"),
    "deteriorating": Style("#5c0a14", "#ffffff", "↓"),
    # limits (ceilings, floors, bands): held, or a deviation — a risk, in its own hue
    "held": Style("#1b7837", "#ffffff", "◎"),
    "breached": Style("#762a83", "#ffffff", "✕"),
    "above_band": Style("#762a83", "#ffffff", "+"),
    "below_band": Style("#762a83", "#ffffff", "−"),
    "not_scheduled": Style("#616161", "#ffffff", "–"),
    "no_target": Style("#616161", "#ffffff", "–"),
    "no_data": Style("#e8e8e8", "#222222", "○"),
    # end-of-term grades share the hues of the statuses they resemble
    "exceeded": Style("#1b7837", "#ffffff", "✓"),
    "completed": Style("#2166ac", "#ffffff", "●"),
    "basically_completed": Style("#a84e00", "#ffffff", "▼"),
    "not_completed": Style("#c2185b", "#ffffff", "▽"),
}
assert set(STATUS_CODES) | set(GRADE_CODES) <= set(STATUS_STYLES)

# Other badges: the binding-indicator warning, the plan audit's pass / fail.
OTHER_STYLES: dict[str, tuple[str, str]] = {  # css class → (background, text)
    "rk-warning": ("#ffffff", "#b2182b"),
    "rk-audit-ok": ("#1b7837", "#ffffff"),
    "rk-audit-bad": ("#b2182b", "#ffffff"),
    "rk-audit-open": ("#5c5c5c", "#ffffff"),   # not judged: some districts did not report
}
# Series in line charts: planned (grey, dashed) and actual (blue).
SERIES = {"planned": "#616161", "actual": "#2166ac"}
MISSING_FILL = "#d9d9d9"   # a cell without data
NO_PLAN_FILL = "#fbfbf2"   # a cell with nothing planned (outlined, labelled): not zero, not missing


def status_colour(code: str) -> str:
    return STATUS_STYLES[code].fill if code in STATUS_STYLES else STATUS_STYLES["no_data"].fill


def _luminance(colour: str) -> float:
    """Relative luminance of ``#rrggbb`` (WCAG 2.x)."""
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 … 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def palette_css() -> str:
    """The badge colours as CSS (``_static/rk-palette.css``, also inlined into the PDF)."""
    lines = ["/* Generated from reportkit.report.palette: status badges (colour + symbol + words). */"]
    for code, s in STATUS_STYLES.items():
        border = "1px dashed #666" if s.fill == STATUS_STYLES["no_data"].fill else "none"
        lines.append(f".rk-status-{code} {{ background: {s.fill}; color: {s.text}; border: {border}; }}")
    for cls, (bg, fg) in OTHER_STYLES.items():
        border = f"1px solid {fg}" if bg == "#ffffff" else "none"
        lines.append(f".{cls} {{ background: {bg}; color: {fg}; border: {border}; }}")
    lines.append(".rk-badge .rk-symbol { margin-right: .25em; }")
    return "\n".join(lines) + "\n"
