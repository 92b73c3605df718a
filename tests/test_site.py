"""End-to-end: build the default mid-term report once, then check the site as readers get it.

The build is shared by this module and tests/test_notebooks.py (one build per test run, also
under pytest-xdist: a file lock and a run marker). A real browser (Debian's chromium, headless,
networking off) opens every page with charts and must find each chart drawn as SVG with marks
and no console message; screenshots of both editions are kept under _build/artifacts/site/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from conftest import E2E_ROOT
from reportkit.config import BUILD_DIR
from reportkit.errors import ReportkitError
from reportkit.publishing import pipeline as build
from reportkit.vocab import LANGS

pytestmark = pytest.mark.e2e
ARTIFACTS = BUILD_DIR / "artifacts" / "site"  # outside _build/<stage>/, which a real build replaces
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def site(e2e_site) -> Path:
    return e2e_site


def pages(html: Path, lang: str) -> set[str]:
    root = html / lang
    return {str(p.relative_to(root)) for p in root.rglob("*.html") if "_static" not in p.parts}


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_layout_and_twins(site):
    html = site / "html"
    assert (html / "index.html").is_file() and (html / ".nojekyll").is_file()
    zh, en = pages(html, "zh"), pages(html, "en")
    assert zh == en, zh ^ en  # every zh page has an en twin and the reverse
    plan_annexes = yaml.safe_load(read(site / "build.yml"))["pages"]
    expected = {f"{p}.html" for p in plan_annexes}
    assert expected <= zh
    # one chapter per annex table of the plan (Dazhou: 4), not a fixed list
    assert sorted(p for p in zh if p.startswith("programme-")) == [f"programme-{n}.html" for n in (1, 2, 3, 4)]
    for name in ("results", "actuals", "reconciliation", "audit"):
        for ext in ("csv", "xlsx"):
            assert (html / "downloads" / f"dazhou-14fyp-urban-housing-midterm-{name}.{ext}").is_file()


def test_no_remote_addresses_in_scripts(site):
    """No CDN anywhere: not even an address a script could load later (thebe, vega schema)."""
    for path in (site / "html").rglob("*.html"):
        for script in re.findall(r"<script[^>]*>(.*?)</script>", read(path), flags=re.S):
            assert not re.search(r"https?://", script), (path, re.findall(r"https?://[^\s\"']+", script)[:3])


def test_no_remote_scripts_or_stylesheets(site):
    remote = re.compile(r"""<(?:script[^>]+src|link[^>]+href)\s*=\s*["']?(?:https?:)?//""", re.I)
    for path in (site / "html").rglob("*.html"):
        assert not remote.search(read(path)), path
    for path in (site / "html").rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?(?:https?:)?//", read(path)), path


def test_every_page_has_banner_switcher_and_language(site):
    html = site / "html"
    for lang, other, banner, tag in (("zh", "en", "示例数据，非官方统计", 'lang="zh-CN"'),
                                     ("en", "zh", "Illustrative data, not official statistics", 'lang="en"')):
        for page in pages(html, lang):
            text = read(html / lang / page)
            assert banner in text, (lang, page)
            assert tag in text[:400], (lang, page)
            m = re.search(r'<a class="btn rk-lang-switch" href="([^"]+)"', text)
            assert m, (lang, page)
            target = (html / lang / page).parent / m.group(1)
            assert target.resolve() == (html / other / page).resolve() and target.is_file(), (lang, page)
            assert "jupyter-book" not in text.lower() or "cell_input" not in text  # code cells hidden
            assert "ctx = context.load_context" not in text, (lang, page)


def test_labels_come_from_the_catalogue_in_the_right_language(site, dazhou_plan):
    html = site / "html"
    for lang in LANGS:
        text = read(html / lang / "indicators.html")
        for ind in dazhou_plan.indicators:
            assert ind.name[lang] in text, (lang, ind.id)
        districts = read(html / lang / "districts.html")
        for name, labels in dazhou_plan.districts.items():
            if name != dazhou_plan.city:
                assert labels[lang] in districts, (lang, name)
    # No Chinese in the English edition's generated pages (a missing translation would show).
    for page in ("index.html", "indicators.html", "programme-1.html", "districts.html", "methodology.html"):
        body = read(html / "en" / page)
        body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
        body = re.sub(r'<a class="btn rk-lang-switch".*?</a>', "", body, flags=re.S)
        visible = re.sub(r"<[^>]+>", " ", body)
        assert not CJK.search(visible), (page, CJK.findall(visible)[:10])


def test_key_tasks_page_in_both_editions(site, dazhou_plan):
    """Same rows in the same order in both editions; English titles from the catalogue."""
    html = site / "html"
    rows = {lang: re.findall(r"<tr><td[^>]*>(3\.[\d.]+)</td>", read(html / lang / "tasks.html")) for lang in LANGS}
    assert rows["zh"] == rows["en"] and len(rows["zh"]) == 67
    zh, en = read(html / "zh" / "tasks.html"), read(html / "en" / "tasks.html")
    assert "重点任务推进情况" in zh and "Progress of key tasks" in en
    assert "rk-task-lagging" in zh and "rk-task-lagging" in en
    # the default catalogue translates every title; a responsible body the progress form gives
    # only in Chinese (住建部门) is shown as written and marked, never bare
    import html as html_lib

    from reportkit.i18n import t

    marks = re.findall(r'<span lang="zh">([^<]+)</span> <span class="rk-untranslated" title="([^"]+)"', en)
    assert {html_lib.unescape(hint) for _, hint in marks} <= {t("report.tasks.untranslated_lead_hint", "en")}, marks
    assert "住建部门" in {name for name, _ in marks}
    assert "Define the target groups and standards" in en and "明确对象标准" in zh


def test_figure_ids_are_the_same_in_both_editions(site):
    ids = {lang: {p: re.findall(r'<figure class="rk-figure" id="([^"]+)"', read(site / "html" / lang / p))
                  for p in pages(site / "html", lang)} for lang in LANGS}
    assert ids["zh"] == ids["en"]
    assert sum(len(v) for v in ids["zh"].values()) >= 2 + 2 * 4 + 1


def _search_terms(site, lang: str) -> set[str]:
    text = read(site / "html" / lang / "searchindex.js")
    data = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    return set(data["terms"])


def test_chinese_search_index(site):
    """jieba segments the zh edition: words, not single characters or whole sentences."""
    zh = _search_terms(site, "zh")
    assert {"进度", "指标"} <= zh, sorted(t for t in zh if CJK.search(t))[:20]
    assert "method" in _search_terms(site, "en") or "methodology" in _search_terms(site, "en")


CHART_PAGES = ["index.html", "indicators.html", "programme-1.html", "programme-2.html", "programme-3.html",
               "programme-4.html", "districts.html"]
PROBE = """JSON.stringify(Array.from(document.querySelectorAll('figure.rk-figure')).map(f => {
  const v = f.querySelector('.rk-vis'); const svg = v && v.querySelector('svg.marks');
  return {id: f.id, svg: !!svg, marks: svg ? svg.querySelectorAll('.role-mark path, .role-mark line').length : 0};
}))"""


class Browser:
    """Headless chromium driven over the DevTools pipe: console messages with their level."""

    def __init__(self, profile: Path):
        r1, w1 = os.pipe()  # we write commands → chromium reads fd 3
        r2, w2 = os.pipe()  # chromium writes fd 4 → we read
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
               "--remote-debugging-pipe", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
               "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,2000", "about:blank"]
        self.proc = subprocess.Popen(cmd, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=lambda: (os.dup2(r1, 3), os.dup2(w2, 4)))
        os.close(r1)
        os.close(w2)
        self.out, self.inp = os.fdopen(w1, "wb"), os.fdopen(r2, "rb")
        self.next_id, self.events, self.buf = 0, [], b""

    def _read(self) -> dict:
        while b"\0" not in self.buf:
            chunk = self.inp.read1(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params} | ({"sessionId": session} if session else {})
        self.out.write(json.dumps(msg).encode() + b"\0")
        self.out.flush()
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        import time

        end = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events) and time.monotonic() < end:
            self.events.append(self._read())

    def visit(self, url: str) -> tuple[list[dict], list[str]]:
        """Open ``url``; returns the charts found and every console error/warning/exception."""
        import time

        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable", session)
        self.events.clear()
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired")
        charts: list[dict] = []
        for _ in range(40):  # vegaEmbed draws asynchronously
            charts = json.loads(self.call("Runtime.evaluate", session, expression=PROBE,
                                          returnByValue=True)["result"]["value"])
            if all(c["svg"] for c in charts):
                break
            time.sleep(0.1)
        problems = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                problems.append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                                   for a in p.get("args", [])))
            elif e.get("method") == "Runtime.exceptionThrown":
                problems.append("exception: " + str(p.get("exceptionDetails", {}).get("exception", {})
                                                    .get("description", p)))
            elif e.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                problems.append(f"log.{p['entry']['level']}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        self.call("Target.closeTarget", targetId=target)
        return charts, problems

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is a declared system dependency")
def test_every_chart_draws_offline_in_a_real_browser(site, tmp_path):
    html = site / "html"
    browser = Browser(tmp_path / "profile")
    try:
        drawn = 0
        for lang in LANGS:
            for page in sorted(pages(html, lang)):
                charts, problems = browser.visit((html / lang / page).as_uri())
                assert not problems, (lang, page, problems[:5])
                assert bool(charts) == (page in CHART_PAGES), (lang, page, charts)
                for c in charts:
                    assert c["svg"] and c["marks"] > 0, (lang, page, c)
                drawn += len(charts)
    finally:
        browser.close()
    # 2 on the summary + main indicators pages, 2 per annex chapter, 1 on districts; both editions
    assert drawn == 2 * (2 + 2 * 4 + 1)


def _chromium_screenshot(url: str, profile: Path, screenshot: Path) -> None:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
           "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
           "--virtual-time-budget=8000", "--window-size=1280,2400", "--hide-scrollbars", f"--screenshot={screenshot}", url]
    subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is a declared system dependency")
def test_screenshots_of_both_editions(site):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in LANGS:
        for page in ("index", "programme-2", "districts"):
            shot = ARTIFACTS / f"{lang}-{page}.png"
            with tempfile.TemporaryDirectory() as profile:
                _chromium_screenshot((site / "html" / lang / f"{page}.html").as_uri(), Path(profile), shot)
            assert shot.is_file() and shot.stat().st_size > 20_000, shot


def test_failed_build_leaves_the_last_good_site(site, tmp_path):
    """A validation error stops the build before anything is published, with located messages."""
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,district,year,value,source,status,note\n"
                   "old_residential_renovation,通川区,2021,abc,x,final,\n", encoding="utf-8")
    before = sorted(p.name for p in (site / "html" / "zh").iterdir())
    with pytest.raises(ReportkitError) as err:
        build.build(build.BuildOptions(actuals=bad, out_root=E2E_ROOT, jobs=1), log=lambda _m: None)
    assert 'bad.csv: line 2: "abc" is not a number' in err.value.render("en")
    assert sorted(p.name for p in (site / "html" / "zh").iterdir()) == before
    assert not [p for p in E2E_ROOT.iterdir() if p.name.startswith(".midterm-")]


def test_another_plan_end_of_term_one_language(tmp_path):
    """Nothing is Dazhou's: a 2026–2030 plan with 3 annexes and 4 districts, final stage, English
    only, a method file that changes the composite cap (the methodology page must show it)."""
    from reportkit.inputs import catalogue, plan, sample, synthetic

    plan_path, cat_path = synthetic.write_plan(tmp_path / "plan", districts=4, annexes=3, first_year=2026)
    tables = plan.extract(plan_path)
    p = catalogue.resolve(catalogue.load(cat_path), tables)
    actuals, _ = sample.write_sample(p, tmp_path / "actuals.xlsx")
    method = tmp_path / "method.yml"
    method.write_text("composite:\n  cap: 1.5\n", encoding="utf-8")
    result = build.build(build.BuildOptions(stage="final", langs=["en"], actuals=actuals, method=method,
                                            plan=plan_path, catalogue=cat_path, jobs=2, out_root=tmp_path / "out"),
                         log=lambda _m: None)
    html = result.html
    assert sorted(x.name for x in html.iterdir()) == [".nojekyll", "downloads", "en", "index.html"]
    names = pages(html, "en")
    assert sorted(n for n in names if n.startswith("programme-")) == ["programme-1.html", "programme-2.html",
                                                                      "programme-3.html"]
    assert "Housing programme 2" in read(html / "en" / "programme-2.html")
    assert "tasks.html" not in names     # the plan has no task chapter: no key tasks chapter
    assert "rk-lang-switch" not in read(html / "en" / "index.html")  # one edition: nothing to switch to
    assert "1.50" in read(html / "en" / "methodology.html")
    assert result.context.as_of == "2030"
    assert "Grade" in read(html / "en" / "indicators.html")


def test_pdfs_are_linked_from_the_data_page_and_the_landing_page(site):
    html = site / "html"
    pdfs = sorted(p.name for p in (html / "downloads").glob("*.pdf"))
    assert len(pdfs) == len(LANGS)
    for lang in LANGS:
        page = read(html / lang / "data.html")
        for name in pdfs:
            assert f'href="../downloads/{name}"' in page, (lang, name)
    landing = read(html / "index.html")
    for name in pdfs:
        assert f'href="downloads/{name}"' in landing, name
    # the landing page: both editions, each PDF with its size
    for lang in LANGS:
        assert f'<section class="rk-edition" lang="{lang}">' in landing and f'href="{lang}/index.html"' in landing
    for name in pdfs:
        size = (html / "downloads" / name).stat().st_size
        shown = f"{round(size / 1000)} KB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"
        assert shown in landing, (name, size)


def test_no_links_out_of_the_site(site):
    """An intranet copy must not send readers to the internet; it also catches text that
    Markdown turned into a link by mistake (``METHOD.md`` read as a web address)."""
    out = re.compile(r"""<a\s[^>]*href\s*=\s*["']?(?:https?:)?//""", re.I)
    for path in (site / "html").rglob("*.html"):
        assert not out.search(read(path)), (path, out.findall(read(path))[:3])
