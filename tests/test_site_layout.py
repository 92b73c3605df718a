"""The site as readers see it at a desktop (1280 px) and a phone (390 px) width, measured in a
real browser (headless chromium over the DevTools pipe, networking off): no page is wider than
the screen, the status column of every table is on screen, and no two boxes of text, charts
or images overlap. Screenshots of a few pages at both widths are kept under _build/artifacts/site/.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from reportkit.i18n import t
from reportkit.vocab import LANGS
from test_site import ARTIFACTS, CHROMIUM, Browser, pages

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is a declared system dependency")]
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def site(e2e_site) -> Path:
    """The shared default mid-term build (tests/conftest.py)."""
    return e2e_site

# Boxes: every text node's line boxes (Range client rects) and every chart SVG / image; two boxes
# overlap when they share more than a sliver (line boxes of one paragraph may touch).
LAYOUT_PROBE = r"""(statusLabel) => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const shown = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
      const r = e.getBoundingClientRect();
      if ((s.overflow !== 'visible' || s.clip !== 'auto') && (r.width <= 1 || r.height <= 1)) return false;
    }
    return true;
  };
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim() || !n.parentElement || n.parentElement.closest('script, style, svg, noscript')) continue;
    if (!shown(n.parentElement)) continue;
    const closed = n.parentElement.closest('details:not([open])');  // only its summary is shown
    if (closed && !n.parentElement.closest('summary')) continue;
    const range = document.createRange(); range.selectNodeContents(n);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1 || r.right <= 0 || r.left >= vw) continue;
      boxes.push({r, el: n.parentElement, what: n.textContent.trim().slice(0, 30)});
    }
  }
  for (const el of document.querySelectorAll('.rk-vis > svg, article img')) {
    const r = el.getBoundingClientRect();
    if (r.width >= 2 && r.height >= 2 && shown(el)) boxes.push({r, el, what: '<' + el.tagName.toLowerCase() + ' ' + (el.closest('figure') || el).id + '>'});
  }
  const overlaps = [];
  for (let i = 0; i < boxes.length && overlaps.length < 10; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (w > 2 && h > 0.15 * Math.min(a.r.height, b.r.height) && h > 2)
        overlaps.push(a.what + ' × ' + b.what + ' @' + Math.round(a.r.left) + ',' + Math.round(a.r.top));
    }
  }
  const hiddenStatus = [];
  for (const table of document.querySelectorAll('table.rk-table')) {
    const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
    const k = heads.indexOf(statusLabel);
    if (k < 0) continue;
    const wrap = table.closest('.rk-table-wrap') || table.parentElement;
    const box = wrap.getBoundingClientRect();
    for (const tr of table.querySelectorAll('tbody tr')) {
      const td = tr.children[k]; if (!td) continue;
      const r = td.getBoundingClientRect();
      if (r.left < Math.max(0, box.left) - 1 || r.right > Math.min(vw, box.right) + 1)
        hiddenStatus.push(td.textContent.trim().slice(0, 20) + ' ' + Math.round(r.left) + '–' + Math.round(r.right) + ' of ' + Math.round(Math.min(vw, box.right)));
    }
  }
  // a chart whose row labels (a vertical axis's label column) take most of its width leaves no
  // room for the bars: on a phone, rk-charts.js caps them at 40 % of the chart's box
  const squeezed = [];
  for (const svg of document.querySelectorAll('.rk-vis > svg')) {
    const box = svg.parentElement.getBoundingClientRect();
    for (const axis of svg.querySelectorAll('g.role-axis[aria-label^="Y-axis"]')) {
      const g = axis.querySelector('g.role-axis-label'); if (!g) continue;
      const r = g.getBoundingClientRect();
      if (r.width > 0.45 * Math.min(box.width, vw))
        squeezed.push((svg.closest('figure') || svg).id + ': labels ' + Math.round(r.width) + ' of ' + Math.round(box.width) + ' px');
    }
  }
  return JSON.stringify({width: document.documentElement.scrollWidth, vw, overlaps, hiddenStatus, squeezed,
                         boxes: boxes.length});
}"""


def measure(browser: Browser, url: str, width: int, lang: str, shot: Path | None = None) -> dict:
    """Open ``url`` at ``width`` CSS px; the layout probe's findings (and a screenshot)."""
    target = browser.call("Target.createTarget", url="about:blank")["targetId"]
    session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    try:
        browser.call("Page.enable", session)
        browser.call("Runtime.enable", session)
        browser.call("Emulation.setDeviceMetricsOverride", session, width=width, height=900,
                     deviceScaleFactor=1, mobile=width < 600)
        browser.events.clear()
        browser.call("Page.navigate", session, url=url)
        browser.wait_for("Page.loadEventFired")
        drawn = "Array.from(document.querySelectorAll('.rk-vis')).every(v => v.querySelector('svg.marks'))"
        for _ in range(50):  # vegaEmbed draws asynchronously, and again after resizing to its container
            if browser.call("Runtime.evaluate", session, expression=drawn, returnByValue=True)["result"]["value"]:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        expr = f"({LAYOUT_PROBE})({json.dumps(t('report.col.status', lang))})"
        found = json.loads(browser.call("Runtime.evaluate", session, expression=expr,
                                        returnByValue=True)["result"]["value"])
        if shot is not None:
            data = browser.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True)["data"]
            shot.write_bytes(base64.b64decode(data))
        return found
    finally:
        browser.call("Target.closeTarget", targetId=target)


SHOTS = {"index", "indicators", "programme-1", "districts"}


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_the_screen_without_overlaps(site, tmp_path, width):
    """Every page of both editions: no wider than the screen, the status column visible, no
    overlapping boxes (e.g. the language link over the title, a chart over its caption)."""
    html = site / "html"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser = Browser(tmp_path / "profile")
    problems: list[str] = []
    try:
        for lang in LANGS:
            for page in sorted(pages(html, lang)):
                if page in ("search.html",):
                    continue
                stem = page.removesuffix(".html")
                shot = ARTIFACTS / f"{lang}-{stem}-{width}.png" if stem in SHOTS else None
                found = measure(browser, (html / lang / page).as_uri(), width, lang, shot)
                assert found["boxes"] > 20, (lang, page, found)
                if found["width"] > found["vw"]:
                    problems.append(f"{lang}/{page} @{width}: page {found['width']} px wide")
                problems += [f"{lang}/{page} @{width}: status off screen: {s}" for s in found["hiddenStatus"][:3]]
                problems += [f"{lang}/{page} @{width}: overlap: {o}" for o in found["overlaps"][:3]]
                problems += [f"{lang}/{page} @{width}: chart squeezed by its labels: {c}" for c in found["squeezed"][:3]]
    finally:
        browser.close()
    assert not problems, "\n".join(problems)
