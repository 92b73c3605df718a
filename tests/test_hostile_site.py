"""Hostile text in every input field that reaches the pages, the PDF and the downloads.

One small build (a synthetic 2-district, 1-annex plan, both editions, with the PDF) is fed
``<script>``, ``<img onerror>``, ``javascript:`` links and Markdown/HTML mixes through district
names and labels, units, sources, notes, commentary files and commentary file names. The built
pages must show them as text and never as markup; chart specs inside ``<script>`` must stay one
JSON value; download cells must not start a formula. A second build puts markup into the plan's
title, region and indicator names: either it is escaped, or the build refuses to publish.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
import yaml
from bs4 import BeautifulSoup

from reportkit.errors import ReportkitError
from reportkit.inputs import catalogue, synthetic
from reportkit.inputs import form as template
from reportkit.inputs import plan as plan_mod
from reportkit.publishing import downloads as export
from reportkit.publishing import pipeline as build

pytestmark = pytest.mark.e2e

# District names as the plan writes them (zh) and their English labels in the catalogue.
D1 = "<img src=x onerror=alert(101)>区"
# A district name is a commentary file name, so it may not hold "/" (the catalogue refuses it):
# "</script>" is carried by the English label and the plan title instead.
D2 = "<svg onload=alert(102)><script>区"
D1_EN = "<script>alert(103)</script> Ward [x](javascript:alert(104))"
D2_EN = "</script><svg onload=alert(105)> **Ward** <!-- two"
UNIT_EN = "<u onmouseover=alert(106)>units</u>"
SOURCES = ['=HYPERLINK("http://evil.example","click")', "<script>alert(107)</script>Bureau",
           "@SUM(A1:A9)", '<a href="javascript:alert(108)">stats</a> [s](javascript:alert(109))']
NOTES = ["<img src=x onerror=alert(110)> -1+1", "+cmd|' /C calc'!A0"]
COMMENTARY = """**Bold words** and <script>alert(111)</script> in a line.

[a link](javascript:alert(112)) [upper](JaVaScRiPt:alert(113)) [ent](&#106;avascript:alert(114))
<javascript:alert(115)> ![pic](x "t") <img src=x onerror=alert(116)>

<div onclick=alert(117)>
*inside a div*
</div>

[ref]: javascript:alert(118)
See [ref] and <a href="vbscript:msgbox(119)">vb</a> and [data](data:text/html;base64,PHNjcmlwdD4=).
"""
# Commentary file names: the district's own file carries D1 in its name; two stray files too.
STRAY_NAMES = ['"><img src=x onerror=alert(120)>.md', "<script>alert(121)<script>.md"]
PAYLOAD = re.compile(r"alert\(\d+\)|msgbox\(\d+\)")
FORMULA = export.FORMULA_START


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _hostile_plan(folder: Path, titles: bool = False) -> tuple[Path, Path, Path]:
    """A synthetic plan with hostile district names (and, with ``titles``, plan and indicator names)."""
    plan_path, cat_path = synthetic.write_plan(folder, districts=2, annexes=1)
    text = plan_path.read_text(encoding="utf-8").replace("第1区", D1).replace("第2区", D2)
    plan_path.write_text(text, encoding="utf-8")
    cat = yaml.safe_load(cat_path.read_text(encoding="utf-8"))
    for d in cat["districts"]:
        d["name"] = d["name"].replace("第1区", D1).replace("第2区", D2)
    cat["districts"][1]["en"], cat["districts"][2]["en"] = D1_EN, D2_EN
    prog = next(i for i in cat["indicators"] if i["id"] == "programme_1")
    prog["unit"]["en"] = UNIT_EN
    if titles:
        cat["plan"]["name"]["zh"] += "<script>alert(130)</script>"
        cat["plan"]["name"]["en"] = "Plan <b onmouseover=alert(131)>T</b> [t](javascript:alert(132))"
        cat["plan"]["region"]["en"] = "<i onclick=alert(133)>Qingshan</i>"
        for ind in cat["indicators"]:
            ind["name"]["en"] += " <img src=x onerror=alert(134)>"
            ind["name"]["zh"] += "<script>alert(135)</script>"
    cat_path.write_text(yaml.safe_dump(cat, allow_unicode=True, sort_keys=False), encoding="utf-8")
    plan = catalogue.load(cat_path, plan_mod.extract(plan_path))
    rows = template.csv_rows(plan)
    for k, row in enumerate(rows):
        row.update(value=10 + k, source=SOURCES[k % len(SOURCES)], note=NOTES[k % len(NOTES)])
    actuals = folder / "actuals.csv"
    actuals.write_bytes(template.csv_bytes(rows))
    return plan_path, cat_path, actuals


def _commentary(folder: Path, indicator_ids: list[str]) -> int:
    n = 0
    for lang in ("zh", "en"):
        for kind, keys in (("indicators", indicator_ids), ("districts", [D1])):
            (folder / lang / kind).mkdir(parents=True, exist_ok=True)
            for key in keys:
                (folder / lang / kind / f"{key}.md").write_text(COMMENTARY, encoding="utf-8")
                n += 1
        for name in STRAY_NAMES:
            (folder / lang / "indicators" / name).write_text(COMMENTARY, encoding="utf-8")
            n += 1
    return n


def _pages(html: Path) -> list[Path]:
    return [p for p in sorted(html.rglob("*.html")) if "_static" not in p.relative_to(html).parts]


def _chart_spec(script: str) -> dict | None:
    """The Vega-Lite spec of a chart script (reportkit.report.charts.Figure.html), parsed as JSON."""
    m = re.fullmatch(r'\(function\(\)\{var el=document\.getElementById\("[\w-]+"\);vegaEmbed\(el,(.*),'
                     r'\{"renderer": "svg", "actions": false\}\)\.catch\(function\(e\)\{console\.error\(e\);\}\);\}\)\(\);',
                     script, re.S)
    return json.loads(m.group(1)) if m else None


def _markup_problems(path: Path) -> tuple[list[str], list[dict]]:
    """(injected markup found, chart specs) in one page: on* attributes, script URLs, foreign scripts."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    bad, specs = [], []
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                bad.append(f"{tag.name}[{name}]")
            squeezed = re.sub(r"[\x00-\x20]", "", text).lower()
            if name in ("href", "src", "action", "formaction", "xlink:href") and \
                    squeezed.startswith(("javascript:", "vbscript:", "data:text")):
                bad.append(f"{tag.name}[{name}={text[:30]}]")
        if tag.name in ("iframe", "object", "embed", "base"):
            bad.append(tag.name)
    for script in soup.find_all("script"):
        text = script.string or ""
        if script.get("src"):
            assert not re.match(r"\s*(\w+:|//)", script["src"]), script["src"]
            continue
        spec = _chart_spec(text)
        if spec is not None:
            specs.append(spec)
        elif PAYLOAD.search(text) or "</" in text:
            bad.append(f"script: {text[:40]}")
    return bad, specs


def _text(path: Path) -> str:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" ")


def _strings(obj) -> list[str]:
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return [obj] if isinstance(obj, str) else []


def test_hostile_text_reaches_pages_pdf_and_downloads_only_as_text(tmp_path, hostile):
    inputs = tmp_path / "in"
    plan_path, cat_path, actuals = _hostile_plan(inputs)
    ids = [i["id"] for i in yaml.safe_load(cat_path.read_text(encoding="utf-8"))["indicators"]]
    hostile["site: commentary files"] = hostile.get("site: commentary files", 0) + _commentary(inputs / "commentary", ids)
    hostile["site: names, units, sources, notes"] = hostile.get("site: names, units, sources, notes", 0) + 4 + 1 + len(SOURCES) + len(NOTES)
    before = _tree_hashes(inputs)
    res = build.build(build.BuildOptions(stage="midterm", langs=["zh", "en"], actuals=actuals, plan=plan_path,
                                         catalogue=cat_path, commentary=inputs / "commentary",
                                         out_root=tmp_path / "out", pdf=True), log=lambda _m: None)
    assert _tree_hashes(inputs) == before  # inputs are read, never written
    html = res.out / "html"

    # 1. No page carries any of it as markup; every chart spec is one JSON value.
    all_specs: dict[str, list[dict]] = {}
    for page in _pages(html):
        bad, specs = _markup_problems(page)
        assert bad == [], (str(page.relative_to(html)), bad)
        all_specs[str(page.relative_to(html))] = specs

    # 2. ... and it did reach the pages, as text (not dropped, not half-parsed).
    zh_d, en_d = _text(html / "zh" / "districts.html"), _text(html / "en" / "districts.html")
    for name in (D1, D2):
        assert name in zh_d, name
    for name in (D1_EN, D2_EN):
        assert name in en_d, name
    assert UNIT_EN in _text(html / "en" / "programme-1.html")
    data_text = _text(html / "en" / "data.html")
    for source in SOURCES:
        assert source in data_text, source
    ind_page = html / "en" / "indicators.html"
    soup = BeautifulSoup(ind_page.read_text(encoding="utf-8"), "html.parser")
    boxes = soup.select("aside.rk-commentary")
    assert boxes, "the commentary was not shown"
    box = boxes[0]
    assert box.find("strong") and box.find("strong").get_text() == "Bold words"   # Markdown works
    assert "<script>alert(111)</script>" in box.get_text()                        # raw HTML is text
    assert "<div onclick=alert(117)>" in box.get_text()
    assert not [a["href"] for a in box.find_all("a", href=True)
                if re.sub(r"\s", "", a["href"]).lower().startswith(("javascript:", "vbscript:", "data:"))]
    district_box = BeautifulSoup((html / "en" / "districts.html").read_text(encoding="utf-8"),
                                 "html.parser").select("aside.rk-commentary")
    assert district_box and D1_EN in district_box[0].get_text()  # the file named after D1 was read
    for page in _pages(html):   # stray commentary files with hostile names are never shown
        assert "alert(120)" not in page.read_text(encoding="utf-8")

    # 3. District names inside chart specs: `</script>` did not end the script; the names are data.
    labels = {s for specs in all_specs.values() for spec in specs for s in _strings(spec)}
    assert D2_EN in labels and D2 in labels and D1_EN in labels

    # 4. The PDF shows the hostile text as text.
    for lang, token in (("en", "alert(103)"), ("zh", "alert(101)")):
        pdf = next((res.out / "pdf").glob(f"*-{lang}.pdf"))
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert token in text.replace("\n", ""), lang

    # 4b. So does the Word file (python-docx escapes it; the document opens).
    from docx import Document

    for lang, token in (("en", "alert(103)"), ("zh", "alert(101)")):
        doc = Document(str(next((res.out / "docx").glob(f"*-{lang}.docx"))))
        text = "".join(p.text for p in doc.paragraphs) + "".join(
            c.text for t in doc.tables for r in t.rows for c in r.cells)
        assert token in text, lang

    # 5. Downloads written by the build are formula-safe; numbers stay numbers.
    downloads = html / "downloads"
    csv_path = next(downloads.glob("*-actuals.csv"))
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    neutralized = sum(str(r[c]).startswith(tuple("'" + f for f in FORMULA)) for r in rows for c in ("source", "note"))
    hostile["downloads: formula cells"] = hostile.get("downloads: formula cells", 0) + neutralized
    assert neutralized >= len(rows)   # every row has a formula-like source or note
    assert rows and all(not str(v).startswith(FORMULA) for r in rows for v in r.values())
    assert "'" + SOURCES[0] in {r["source"] for r in rows}
    ws = openpyxl.load_workbook(next(downloads.glob("*-actuals.xlsx")))["actuals"]
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2, values_only=True):
        for v in row:
            assert not (isinstance(v, str) and v.startswith(FORMULA)), v
        assert isinstance(row[head.index("value")], int | float)


def test_markup_in_plan_titles_is_never_published_as_markup(tmp_path, hostile):
    """Plan title, region and indicator names go through the book's configuration and headings."""
    inputs = tmp_path / "in"
    plan_path, cat_path, actuals = _hostile_plan(inputs, titles=True)
    hostile["site: plan and indicator titles"] = hostile.get("site: plan and indicator titles", 0) + 6
    out = tmp_path / "out"
    opts = build.BuildOptions(stage="midterm", langs=["en"], actuals=actuals, plan=plan_path,
                              catalogue=cat_path, out_root=out, pdf=False)
    try:
        res = build.build(opts, log=lambda _m: None)
    except ReportkitError as err:   # refused before publishing: the page and the markup are named
        keys = {p.key for p in err.problems}
        assert keys == {"markup_injected"}, err.render("en")
        assert all(p.location and p.location.file.startswith("html/") for p in err.problems)
        assert "onmouseover" in err.render("en") or "script" in err.render("en")
        assert not (out / "midterm").exists() and not list(out.glob(".midterm-*"))
        return
    for page in _pages(res.out / "html"):   # or published, with every title escaped
        bad, _ = _markup_problems(page)
        assert bad == [], (page.name, bad)
    assert "<b onmouseover=alert(131)>T</b>" in _text(res.out / "html" / "en" / "index.html")
