"""End-to-end: build the default mid-term report once, then check the site as readers get it.

The build is shared by this module and tests/test_notebooks.py (one build per test run, also
under pytest-xdist: a file lock and a run marker). A real browser (Debian's chromium, headless,
networking off) opens every page with charts and must find each chart drawn as SVG with marks
and no console message; screenshots of both editions are kept under _build/midterm/artifacts/.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
import yaml

from reportkit import build
from reportkit.config import BUILD_DIR, LANGS

pytestmark = pytest.mark.e2e
E2E_ROOT = BUILD_DIR / "e2e"
ARTIFACTS = BUILD_DIR / "midterm" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def shared_build() -> Path:
    """``_build/e2e/midterm`` built once per test run (xdist workers wait for each other)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
    E2E_ROOT.mkdir(parents=True, exist_ok=True)
    marker = E2E_ROOT / "run-id"
    with open(E2E_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (marker.is_file() and marker.read_text() == run and (E2E_ROOT / "midterm" / "build.yml").is_file()):
            marker.unlink(missing_ok=True)
            shutil.rmtree(E2E_ROOT / "midterm", ignore_errors=True)  # from a fresh state
            build.build(build.BuildOptions(stage="midterm", langs=list(LANGS), jobs=2, out_root=E2E_ROOT),
                        log=lambda _msg: None)
            marker.write_text(run)
    return E2E_ROOT / "midterm"


@pytest.fixture(scope="module")
def site() -> Path:
    return shared_build()


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
    for name in ("results", "actuals"):
        for ext in ("csv", "xlsx"):
            assert (html / "downloads" / f"dazhou-14fyp-urban-housing-midterm-{name}.{ext}").is_file()


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
            assert "ctx = build.load_context" not in text, (lang, page)


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


def test_figure_ids_are_the_same_in_both_editions(site):
    ids = {lang: {p: re.findall(r'<figure class="rk-figure" id="([^"]+)"', read(site / "html" / lang / p))
                  for p in pages(site / "html", lang)} for lang in LANGS}
    assert ids["zh"] == ids["en"]
    assert sum(len(v) for v in ids["zh"].values()) >= 2 + 2 * 4 + 1


def test_chinese_search_index(site):
    index = read(site / "html" / "zh" / "searchindex.js")
    assert "完成率" in index or "完成" in index
    assert "Completion" not in index or "完成" in index


def _chromium(url: str, profile: Path, screenshot: Path | None = None) -> tuple[str, str]:
    """DOM after scripts ran, and the browser's log, with every network request refused."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
           "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=8000", "--window-size=1280,2000", "--hide-scrollbars"]
    cmd += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    proc = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=120)
    return proc.stdout, proc.stderr


CHART_PAGES = ["index.html", "indicators.html", "programme-1.html", "programme-2.html", "programme-3.html",
               "programme-4.html", "districts.html"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is a declared system dependency")
def test_every_chart_draws_offline_in_a_real_browser(site):
    html = site / "html"
    jobs = [(lang, page) for lang in LANGS for page in CHART_PAGES]

    def run(job):
        lang, page = job
        with tempfile.TemporaryDirectory() as profile:
            return job, _chromium((html / lang / page).as_uri(), Path(profile))

    with ThreadPoolExecutor(max_workers=2) as pool:  # threads only wait for browser processes
        results = list(pool.map(run, jobs))
    drawn = 0
    for (lang, page), (dom, log) in results:
        console = [ln for ln in log.splitlines() if ":CONSOLE" in ln]
        assert not console, (lang, page, console[:5])
        vis = re.findall(r'<div class="rk-vis" id="([^"]+)"[^>]*>(.*?)</div>\s*<script', dom, flags=re.S)
        figures = re.findall(r'<figure class="rk-figure"', dom)
        assert figures and len(vis) == len(figures), (lang, page, len(vis), len(figures))
        for vid, inner in vis:
            assert '<svg class="marks"' in inner, (lang, page, vid)
            assert re.search(r'class="mark-(rect|line|symbol)[^"]*role-mark', inner), (lang, page, vid)
            assert "<path" in inner, (lang, page, vid)
            drawn += 1
    assert drawn == 2 * (2 + 2 * 4 + 1)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is a declared system dependency")
def test_screenshots_of_both_editions(site):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in LANGS:
        for page in ("index", "programme-2", "districts"):
            shot = ARTIFACTS / f"{lang}-{page}.png"
            with tempfile.TemporaryDirectory() as profile:
                _chromium((site / "html" / lang / f"{page}.html").as_uri(), Path(profile), shot)
            assert shot.is_file() and shot.stat().st_size > 20_000, shot


def test_failed_build_leaves_the_last_good_site(site, tmp_path):
    """A validation error stops the build before anything is published, with located messages."""
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,district,year,value,source,status,note\n"
                   "old_residential_renovation,通川区,2021,abc,x,final,\n", encoding="utf-8")
    before = sorted(p.name for p in (site / "html" / "zh").iterdir())
    with pytest.raises(Exception) as err:
        build.build(build.BuildOptions(actuals=bad, out_root=E2E_ROOT, jobs=1), log=lambda _m: None)
    assert "bad.csv" in str(getattr(err.value, "render", lambda lang: str(err.value))("en"))
    assert sorted(p.name for p in (site / "html" / "zh").iterdir()) == before
    assert not [p for p in E2E_ROOT.iterdir() if p.name.startswith(".midterm-")]
