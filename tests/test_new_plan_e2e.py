"""From a plan's Word file to a published report, for a plan the project has never seen.

A synthetic 2026–2030 plan with its own districts goes through `reportkit init`, a reviewed
catalogue and a filled form, and `reportkit build` (both languages, site and PDFs); then every
output file is scanned for the default plan's names: nothing of the default plan may leak in.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from reportkit import cli
from reportkit.config import DEFAULT_CATALOGUE
from reportkit.inputs import catalogue, synthetic

pytestmark = pytest.mark.e2e

NAMES = ["东湖区", "西山县", "南岭市", "青山高新区"]
ENGLISH = {"青山市": "Qingshan City (total)", "东湖区": "Donghu District", "西山县": "Xishan County",
           "南岭市": "Nanling City", "青山高新区": "Qingshan High-tech Zone"}


def _default_plan_names(own_text: str) -> list[str]:
    """Every name of the default plan a reader could see (plan, region, districts, indicators),
    less those the new plan's own text contains (both are housing plans: 人均住房建筑面积 …)."""
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))
    names = {"达州", "Dazhou", raw["plan"]["name"]["zh"], raw["plan"]["name"]["en"], raw["plan"]["region"]["zh"],
             raw["plan"]["id"]}
    for d in raw["districts"]:
        names |= {d["name"], d["en"]}
    for ind in raw["indicators"]:
        names |= {ind["name"]["zh"], ind["name"]["en"]}
    return sorted(n for n in names if n and n not in own_text)


def _review(cat: Path) -> None:
    """What the user does with the draft: English texts, reviewed entries, candidates handled."""
    raw = yaml.safe_load(cat.read_text(encoding="utf-8"))
    raw["plan"]["name"]["en"] = "Qingshan 15th Five-Year Housing Plan (2026–2030)"
    raw["plan"]["region"]["en"] = "Qingshan"
    for d in raw["districts"]:
        d["en"] = ENGLISH[d["name"]]
    for k, ind in enumerate(raw["indicators"]):
        if ind["id"] == "annex_1":   # an id copied from the default plan's example catalogue: its
            ind["id"] = "old_residential_renovation"   # example commentary must not follow it here
        ind["name"]["en"] = f"Housing indicator {k + 1}"
        ind["unit"]["en"] = {"套": "units", "平方米/人": "m² per person", "万平方米": "10,000 m²"}[ind["unit"]["zh"]]
        ind.pop("review")
    raw.pop("candidates")
    cat.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _fill(template: Path, plan, out: Path, last_year: int) -> None:
    """The filled form: 90 % of each annex schedule, a level and a yearly flow elsewhere."""
    rows = list(csv.DictReader(io.StringIO(template.read_text(encoding="utf-8-sig"))))
    for row in rows:
        year, ind = int(row["year"]), plan.indicator(row["indicator"])
        if year > last_year:
            continue
        if ind.annex is not None:
            row["value"] = f"{0.9 * ind.schedule[row['district']].get(year, 0):g}"
        else:
            row["value"] = "41" if ind.kind == "level" else "230"
        row["source"] = "青山市住房和城乡建设局"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _texts(root: Path) -> dict[str, str]:
    """The readable text of every output file (PDFs through pdftotext, workbooks unzipped)."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".pdf":
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        elif data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(path) as zf:
                text = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
        else:
            text = data.decode("utf-8", "replace")
        out[str(path.relative_to(root))] = text
    return out


def test_a_new_plan_from_its_word_file_to_a_report_without_the_default_plan(tmp_path, monkeypatch, capsys):
    text_path, _ = synthetic.write_plan(tmp_path / "received", annexes=2, first_year=2026, names=NAMES,
                                        prose="到2030年，全市城镇住房空置率控制在10%以内。")
    docx = synthetic.write_docx(text_path, tmp_path / "received" / "青山市住房发展规划.docx")
    folder = tmp_path / "qingshan"
    assert cli.main(["--lang", "en", "init", "--plan", str(docx), "--out", str(folder)]) == 0

    monkeypatch.chdir(folder)   # every command below uses evaluation.yml
    _review(folder / "catalogue.yml")
    assert cli.main(["--lang", "en", "template", "--format", "csv"]) == 0
    assert cli.main(["--lang", "en", "template"]) == 0   # the workbook too: scanned below
    plan = catalogue.load_plan(folder / "catalogue.yml")
    assert plan.missing_en == [] and plan.years == [2026, 2027, 2028, 2029, 2030]
    _fill(folder / "_build" / "actuals-template.csv", plan, folder / "actuals" / "actuals.csv", 2028)
    yml = folder / "evaluation.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("actuals: null", "actuals: actuals/actuals.csv"),
                   encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["--lang", "en", "validate"]) == 0, capsys.readouterr().err
    assert cli.main(["--lang", "en", "build", "--stage", "midterm", "--no-cache"]) == 0, capsys.readouterr().err

    out = folder / "_build" / "midterm"
    pdfs = sorted(p.name for p in (out / "pdf").glob("*.pdf"))
    assert pdfs == ["qingshan-midterm-en.pdf", "qingshan-midterm-zh.pdf"]
    texts = _texts(out) | {"actuals-template.xlsx": _texts(folder / "_build")["actuals-template.xlsx"]}
    assert "!D7" in texts["actuals-template.xlsx"]   # the corrections example names this form's sheet
    assert any("东湖区" in t for t in texts.values()) and any("Donghu District" in t for t in texts.values())
    site_zh = texts["html/zh/index.html"]
    assert "青山市“十五五”住房发展规划中期评估报告" in site_zh
    assert "2026" in texts["html/zh/programme-1.html"] and "Qingshan" in texts["pdf/qingshan-midterm-en.pdf"]
    names = _default_plan_names(text_path.read_text(encoding="utf-8"))
    assert {"达州", "通川区", "Tongchuan District", "渠县", "Dachuan District", "Dazhu County"} <= set(names)
    leaks = {(name, file) for name in names for file, text in texts.items() if name in text}
    assert leaks == set()
    assert not re.search("示例数据|Illustrative data", texts["html/zh/index.html"] + texts["html/en/index.html"])
