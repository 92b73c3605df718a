"""Unit tests of the report stage: notebook parameters, pages and toc, narrative, safe markup."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from reportkit.config import NOTEBOOKS_DIR
from reportkit.errors import ReportkitError
from reportkit.publishing import book, notebooks
from reportkit.report import charts, narrative, pages, tables

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def test_every_page_notebook_exists_and_documents_its_parameters():
    names = {p.stem for p in NOTEBOOKS}
    assert set(pages.PAGES) <= names
    for path in NOTEBOOKS:
        params = notebooks.notebook_parameters(path)
        for name in ("stage", "lang", "as_of", "actuals_file", "method_file", "commentary_dir", "pdf_langs"):
            assert name in params, (path.name, name)
            assert params[name].help, (path.name, name)
        # the annual report's own pages belong to stage annual (report.pages.ANNUAL_PAGES)
        stage = "annual" if path.stem in set(pages.ANNUAL_PAGES) - set(pages.PAGES) else "midterm"
        assert params["stage"].default == stage and params["lang"].default == "zh"
    assert notebooks.notebook_parameters(NOTEBOOKS_DIR / "programme.ipynb")["annex"].type is int


def test_notebook_code_cells_are_thin():
    """Notebooks call reportkit; no function or class is defined in them."""
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            src = "".join(cell["source"])
            assert "def " not in src and "class " not in src, path.name
            if cell["cell_type"] == "code":
                assert not cell["outputs"], f"{path.name}: committed with outputs"


def test_unknown_and_mistyped_parameters_are_errors():
    nb = NOTEBOOKS_DIR / "programme.ipynb"
    with pytest.raises(ReportkitError) as err:
        notebooks.check_parameters(nb, {"stage": "final", "anex": 2})
    assert [p.key for p in err.value.problems] == ["nb_unknown_parameter"]
    assert "anex" in err.value.render("en")
    with pytest.raises(ReportkitError) as err:
        notebooks.check_parameters(nb, {"annex": "2", "lang": 3})
    assert sorted(p.key for p in err.value.problems) == ["nb_parameter_type", "nb_parameter_type"]
    with pytest.raises(ReportkitError):  # a bool is not an int here
        notebooks.check_parameters(nb, {"annex": True})
    full = notebooks.check_parameters(nb, {"annex": 3, "lang": "en"})
    assert full["annex"] == 3 and full["lang"] == "en" and full["stage"] == "midterm"


def _nb(tmp_path, source: str):
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]},
                                           "source": source, "outputs": [], "execution_count": None}],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    return path


@pytest.mark.parametrize("line", [
    "x = 1  # untyped",
    "x: int = 1",                      # no help
    "x: int = 'one'  # wrong default",
    "x: list = []  # unsupported type",
    "x: str = ''  # the plan's file",  # a quote breaks papermill's own parser
])
def test_bad_parameter_cells_are_located_errors(tmp_path, line):
    with pytest.raises(ReportkitError) as err:
        notebooks.notebook_parameters(_nb(tmp_path, line))
    assert err.value.problems[0].key == "nb_bad_parameter_line"
    assert "x.ipynb" in err.value.render("zh")


def test_toc_has_one_programmes_chapter_with_a_section_per_annex_in_order():
    toc = book.edition_toc([1, 2, 5])
    files = [c["file"] for c in toc["chapters"]]
    assert files == ["indicators", "programmes", "tasks", "districts", "problems", "recommendations",
                     "methodology", "data"]
    programmes = toc["chapters"][1]
    assert [s["file"] for s in programmes["sections"]] == ["programme-1", "programme-2", "programme-5"]
    assert all("sections" not in c for c in toc["chapters"] if c is not programmes)
    assert toc["root"] == "index"
    assert [p.name for p in pages.pages_for([3])] == [
        "index", "indicators", "programmes", "programme-3", "tasks", "districts", "problems", "recommendations",
        "methodology", "data"]
    # A plan without a task chapter has no key tasks chapter.
    assert "tasks" not in [c["file"] for c in book.edition_toc([1], tasks=False)["chapters"]]
    assert "tasks" not in [p.name for p in pages.pages_for([3], tasks=False)]
    # A plan without annex tables has no programmes chapter (never an empty one): the chapters
    # after it move up.
    assert [c["file"] for c in book.edition_toc([])["chapters"]] == [
        "indicators", "tasks", "districts", "problems", "recommendations", "methodology", "data"]
    assert not any(p.name.startswith("programme") for p in pages.pages_for([]))
    assert book.page_numbers(book.edition_toc([]), "zh")["tasks"] == "三、"


def test_as_of_in_words():
    assert narrative.as_of_text("2023", "zh") == "2023年底"
    assert narrative.as_of_text("2023-06", "zh") == "2023年6月底"
    assert narrative.as_of_text("2023-06", "en") == "end of June 2023"
    assert narrative.as_of_text("2025", "en") == "end of 2025"


def test_missing_is_a_dash_never_zero():
    for lang in ("zh", "en"):
        assert "—" in str(tables.fmt_num(float("nan"), lang)) and "0" not in str(tables.fmt_num(None, lang))
        assert "—" in str(tables.fmt_pct(None, lang))
    assert tables.fmt_pct(0.873, "en") == "87.3%"
    assert tables.fmt_num(1234.0, "zh") == "1,234"


def test_table_cells_are_escaped_badges_are_not():
    html = tables.HtmlTable(["<b>h</b>"], [["<script>alert(1)</script>"], [tables.badge("lagging", "zh")]]).html()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;h" in html
    assert '<span class="rk-badge rk-status-lagging"><span class="rk-symbol" aria-hidden="true">▼</span>滞后</span>' in html


def test_chart_spec_cannot_close_its_script():
    text = charts._json_for_script({"name": "</script><script>alert(1)</script>"})
    assert "</script>" not in text and "<\\/script>" in text


def test_commentary_markdown_has_no_raw_html_or_js_links():
    html = narrative.markdown_to_html("**ok** <img src=x onerror=alert(1)> [x](javascript:alert(1))\n\n<script>a</script>")
    assert "<strong>ok</strong>" in html
    assert "<img" not in html and "<script>" not in html and 'href="javascript:' not in html


def test_figure_ids_are_language_independent_and_ascii():
    assert charts.figure_id("fig-annex", 2, "heatmap") == "fig-annex-2-heatmap"
    a = charts.figure_id("district", "通川区")
    assert a.isascii() and a == charts.figure_id("district", "通川区") and a != charts.figure_id("district", "达川区")


def _ctx(dazhou_plan, rows):
    """A context with hand-made results for the city (three main indicators)."""
    base = {"district": dazhou_plan.city, "tier": "main", "warning": None, "completion": None}
    results = pd.DataFrame([{**base, **r} for r in rows])
    composite = pd.DataFrame({"district": ["通川区", "达川区", "渠县"], "composite_score": [0.5, 1.1, 0.8]})
    return SimpleNamespace(results=results, plan=dazhou_plan, as_of="2023", stage="midterm",
                           meta={"time_progress": 0.6}, evaluation=SimpleNamespace(composite=composite))


def test_summary_sentences_are_drafted_from_the_numbers(dazhou_plan):
    # Worked by hand: 3 main indicators: 1 ahead, 2 lagging, one of them binding with a warning.
    ctx = _ctx(dazhou_plan, [
        {"indicator": "per_capita_floor_area", "indicator_zh": "甲", "indicator_en": "A", "status": "ahead"},
        {"indicator": "public_rental_coverage", "indicator_zh": "乙", "indicator_en": "B", "status": "lagging",
         "warning": True, "completion": 0.5},
        {"indicator": "old_residential_renovation", "indicator_zh": "丙", "indicator_en": "C", "status": "lagging"},
    ])
    zh = str(narrative.summary(ctx, "zh"))
    assert "截至2023年底（序时进度60.0%），3项主要指标中，1项快于预期，2项滞后；其中1项约束性指标预警。" in zh
    assert "乙（滞后，完成率50.0%，预警）；丙（滞后）" in zh
    # Districts below 1, lowest first: 通川区 0.50, 渠县 0.80 (达川区 1.10 is not behind).
    assert "通川区（0.50）、渠县（0.80）。" in zh
    en = str(narrative.summary(ctx, "en"))
    assert ("the status of the 3 main indicators is “ahead of schedule” for 1 and “lagging: acceleration needed”"
            " for 2; 1 binding indicator carries a warning.") in en
    assert "Tongchuan District (0.50) and Qu County (0.80)" in en


def test_a_section_without_commentary_is_left_out_and_an_example_is_marked(tmp_path):
    (tmp_path / "en" / "districts").mkdir(parents=True)
    (tmp_path / "en" / "districts" / "A.md").write_text("Works are late.", encoding="utf-8")
    ctx = SimpleNamespace(commentary_dir=tmp_path, illustrative=True)
    assert str(narrative.commentary_section(ctx, "zh", [("districts", "A", "甲")], "report.districts.commentary_heading")) == ""
    html = str(narrative.commentary_section(ctx, "en", [("districts", "A", "A District"), ("districts", "B", "B")],
                                            "report.districts.commentary_heading"))
    assert html.count("<aside") == 1 and "The evaluation team&#39;s view</h2>" in html
    assert "Evaluation team&#39;s view (example): A District" in html


def test_commentary_is_placed_per_language_and_escaped(tmp_path):
    (tmp_path / "zh" / "indicators").mkdir(parents=True)
    (tmp_path / "zh" / "indicators" / "old_residential_renovation.md").write_text(
        "改造进度受**资金**影响。<script>alert(1)</script>", encoding="utf-8")
    ctx = SimpleNamespace(commentary_dir=tmp_path)
    box = narrative.commentary(ctx, "zh", "indicators", "old_residential_renovation", "<老旧小区>")
    html = str(box)
    assert "<strong>资金</strong>" in html and "<script>" not in html
    assert "评估组意见：&lt;老旧小区&gt;" in html
    assert narrative.commentary(ctx, "en", "indicators", "old_residential_renovation", "x") is None
    assert narrative.commentary(SimpleNamespace(commentary_dir=None), "zh", "indicators", "x", "x") is None


def test_cli_build_stops_on_invalid_actuals_with_located_messages(tmp_path, capsys):
    from reportkit import cli

    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,district,year,value,source,status,note\n"
                   "old_residential_renovation,通川区,2021,abc,x,final,\n", encoding="utf-8")
    out = tmp_path / "out"
    code = cli.main(["--lang", "zh", "build", "--actuals", str(bad), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "bad.csv" in err and "abc" in err and "Traceback" not in err
    # nothing published, no staging left behind: at most the (released) lock file of the stage
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert left in ([], [".midterm.lock"]), left


def test_final_summary_counts_grades(dazhou_plan):
    # Worked by hand: grades completed, completed, not_completed → 2 完成, 1 未完成.
    ctx = _ctx(dazhou_plan, [
        {"indicator": "a", "indicator_zh": "甲", "indicator_en": "A", "status": "achieved", "grade": "completed"},
        {"indicator": "b", "indicator_zh": "乙", "indicator_en": "B", "status": "achieved", "grade": "completed"},
        {"indicator": "c", "indicator_zh": "丙", "indicator_en": "C", "status": "limited", "grade": "not_completed"},
    ])
    ctx.stage = "final"
    # the verdict leads the summary (issue 13)
    assert "期末评估结论：3项主要指标中，完成2项、未完成1项。" in str(narrative.summary(ctx, "zh"))
    # an indicator is not "exceeded": it exceeded its target (clauses, report.register.grade_count)
    assert "End-of-term verdict: of the 3 main indicators, 2 completed their targets and 1 did not complete its target." in str(
        narrative.summary(ctx, "en"))


def test_every_parameter_a_notebook_receives_is_used():
    """No parameter is injected, checked and hashed only to be ignored: each one is passed on."""
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
                         and "parameters" not in c.get("metadata", {}).get("tags", []))
        for name in notebooks.notebook_parameters(path):
            assert re.search(rf"\b{name}\b", code), (path.name, name)


def test_notebook_markdown_reads_as_text_and_matches_its_templates(tmp_path):
    """Headings in Jupyter are text (the Chinese edition), not ``{{ }}``; the build renders the
    template kept in the cell's metadata. A notebook whose text lags its template fails here."""
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
        assert cells, path.name
        for cell in cells:
            text = "".join(cell["source"])
            assert "{{" not in text and "{%" not in text, (path.name, text)
            assert "template" in cell["metadata"]["reportkit"], path.name
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        assert not notebooks.refresh_markdown(copy), f"{path.name}: run notebooks.refresh_markdown on it"


@pytest.mark.parametrize("stage", ["midterm", "final"])
def test_sections_that_need_time_left_are_staged_before_the_end_of_term_only(tmp_path, stage):
    """The required pace (倒逼进度: what each remaining year must achieve) has no meaning once the
    period is over: its heading and table are left out of the end-of-term page; the levels'
    outlook reads as the period's growth instead of a projection."""
    from reportkit.report.context import load_context

    ctx = load_context(stage=stage)
    for page, lang in ((pages.Page("programme-1", "programme", {"annex": 1}), "zh"),
                       (pages.Page("indicators", "indicators"), "en")):
        dest = tmp_path / f"{page.name}-{lang}.ipynb"
        notebooks.stage_notebook(ctx, page, lang, dest)
        text = dest.read_text(encoding="utf-8")
        if page.notebook == "programme":
            assert ("倒逼进度" in text and "pace_table" in text) == (stage == "midterm")
        else:
            assert ("Growth of levels over the plan period" in text) == (stage == "final")
            assert ("Outlook for levels" in text) == (stage == "midterm")
        assert '"stages"' not in text   # the build's own metadata does not reach the book
    cols = tables.outlook_table(ctx, "zh").columns
    assert (cols[1:4] == ["规划要求年均增速", "规划期实际年均增速", "期末值"]) == (stage == "final")
    assert ("剩余年份所需年均增速" in cols) == (stage == "midterm")
