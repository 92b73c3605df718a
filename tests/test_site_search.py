"""Search as readers use it: the site's own search page in a real browser (headless chromium,
networking off) is asked for every indicator, programme and district name of the plan, in both
editions, and must list every page that shows the name.

The Chinese edition is the hard case: Sphinx cuts the index into words with jieba but took the
query whole, so 老旧小区 or 住房公积金 found nothing. book/_ext/rk_search.py segments both the
same way, with the plan's names as jieba's user dictionary (publishing/book.py).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from reportkit.publishing.book import search_names
from reportkit.vocab import LANGS
from test_site import CHROMIUM, Browser, pages

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is a declared system dependency")]


@pytest.fixture(scope="module")
def site(e2e_site) -> Path:
    """The shared default mid-term build (tests/conftest.py)."""
    return e2e_site

RESULTS = """(() => {
  if (typeof Search === 'undefined' || !Search._index || Search._pulse_status !== -1
      || !document.querySelector('#search-results .search-summary, #search-results p')) return null;
  return JSON.stringify(Array.from(document.querySelectorAll('#search-results ul.search li a'))
                        .map(a => a.getAttribute('href')));
})()"""


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def shown_on(html: Path, lang: str) -> dict[str, str]:
    """Page → the text its article shows (whitespace removed), for every page of the edition."""
    out = {}
    for page in pages(html, lang):
        soup = BeautifulSoup((html / lang / page).read_text(encoding="utf-8"), "html.parser")
        article = soup.select_one("article.bd-article")
        if article is not None and page not in ("search.html",):
            for el in article.select("script, style"):
                el.decompose()
            out[page] = _squash(article.get_text(" "))
    return out


def search(browser: Browser, url: str) -> list[str]:
    """The pages the search page lists for the query in ``url``."""
    target = browser.call("Target.createTarget", url="about:blank")["targetId"]
    session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    try:
        browser.call("Page.enable", session)
        browser.events.clear()
        browser.call("Page.navigate", session, url=url)
        browser.wait_for("Page.loadEventFired")
        # A guard against a search that never ends, not a speed bound: a busy 2-core machine
        # (another build and a browser running) once left a page without results for two
        # minutes; it is opened once more half-way, then given up on after five minutes.
        start, again = time.monotonic(), True
        while time.monotonic() - start < 300:
            value = browser.call("Runtime.evaluate", session, expression=RESULTS, returnByValue=True)["result"].get("value")
            if value is not None:
                return sorted({href.split("?")[0].split("#")[0] for href in json.loads(value)})
            if again and time.monotonic() - start > 150:
                again = False
                browser.call("Page.navigate", session, url=url)
            time.sleep(0.1)
        raise AssertionError(f"the search did not finish: {url}")
    finally:
        browser.call("Target.closeTarget", targetId=target)


def test_every_catalogue_name_finds_the_pages_that_show_it(site, dazhou_plan, tmp_path):
    plan = dazhou_plan  # the plan the shared build reports on
    html = site / "html"
    browser = Browser(tmp_path / "profile")
    missed: list[str] = []
    searched = 0
    try:
        for lang in LANGS:
            text = shown_on(html, lang)
            names = {ind.label(lang) for ind in plan.indicators}
            names |= {plan.district_label(d, lang) for d in plan.districts}
            for name in sorted(names):
                expected = {page for page, body in text.items() if _squash(name) in body}
                assert expected, (lang, name)  # every name is shown somewhere
                found = set(search(browser, (html / lang / "search.html").as_uri() + "?q=" + quote(name)))
                searched += 1
                if not expected <= found:
                    missed.append(f"{lang} {name!r}: not found on {sorted(expected - found)}")
        # the issue's own examples: parts of names, and names inside longer names
        for query in ("老旧小区", "达川区", "住房公积金"):
            expected = {page for page, body in shown_on(html, "zh").items() if query in body}
            found = set(search(browser, (html / "zh" / "search.html").as_uri() + "?q=" + quote(query)))
            if not expected or not expected <= found:
                missed.append(f"zh {query!r}: shown on {sorted(expected)}, found {sorted(found)}")
    finally:
        browser.close()
    assert searched >= 2 * len(plan.indicators)
    assert not missed, "\n".join(missed)


def test_search_dictionary_holds_the_plans_names(dazhou_plan):
    """The jieba user dictionary: every Chinese indicator and district name, one per line."""
    from types import SimpleNamespace

    names = search_names(SimpleNamespace(plan=dazhou_plan), "zh")
    assert {ind.label("zh") for ind in dazhou_plan.indicators} <= set(names)
    assert {dazhou_plan.district_label(d, "zh") for d in dazhou_plan.districts} <= set(names)
    assert all(not any(c.isspace() for c in n) for n in names)
