"""Another plan in minutes: Word plans, `reportkit init`, catalogue checks against the plan, no leaks."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import yaml

from reportkit import cli
from reportkit import config as cfg
from reportkit.errors import ReportkitError
from reportkit.inputs import catalogue, draft, plan, project, synthetic
from reportkit.publishing.pipeline import BuildOptions, _checked_options

NAMES = ["东湖区", "西山县", "南岭市", "青山高新区", "北坡经开区", "临江新区"]
PROSE = ("到2030年，全市城镇住房空置率控制在10%以内。"
         "全市累计新增住房供应面积约1,200万平方米。"
         "城镇居民人均可支配收入年均增长6.5%。")


@pytest.fixture
def other_plan(tmp_path) -> tuple[Path, Path]:
    return synthetic.write_plan(tmp_path / "src", annexes=3, first_year=2026, names=NAMES, prose=PROSE)


def _tables_equal(a: plan.PlanTables, b: plan.PlanTables, skip: tuple[str, ...] = ()) -> None:
    for name in ("annex_targets", "main_indicators", "plan_audit"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.drop(columns=[c for c in skip if c in left]).equals(
            right.drop(columns=[c for c in skip if c in right])), name


# ---- the plan's Word file ------------------------------------------------------------------
def test_the_text_export_and_the_docx_of_a_plan_give_identical_tables(tmp_path, other_plan):
    text_path, _ = other_plan
    plain = synthetic.write_docx(text_path, tmp_path / "plain.docx", styled=False)
    from_text, from_docx = plan.extract(text_path), plan.extract(plain)
    assert len(from_text.annex_targets) == 3 * (len(NAMES) + 1) * 5
    _tables_equal(from_text, from_docx)


def test_a_typed_docx_with_merged_headers_separators_and_full_width_digits_reads_the_same(tmp_path):
    # Figures in the thousands, so that separators appear; 2026–2030.
    years = list(range(2026, 2031))
    rows = [("青山市", "18000", ["3000", "3500", "4000", "3500", "4000"]),
            ("东湖区", "12000", ["2000", "2500", "2500", "2500", "2500"]),
            ("西山县", "6000", ["1000", "1000", "1500", "1000", "1500"])]
    text = synthetic.plan_text([synthetic.annex_block(1, "青山市“十五五”棚户区改造计划表", "套", years, rows)],
                               synthetic.main_table([("新增住房供应面积（万平方米）", "[1200]", "预期性")], 2030))
    text_path = tmp_path / "plan.txt"
    text_path.write_text(text, encoding="utf-8")
    styled = synthetic.write_docx(text_path, tmp_path / "plan.docx", styled=True)
    xml = zipfile.ZipFile(styled).read("word/document.xml").decode("utf-8")
    # The Word file really is typed differently: merged header cells, 3,000, full-width digits.
    assert 'w:gridSpan w:val="5"' in xml and "<w:vMerge/>" in xml and 'w:vMerge w:val="restart"' in xml
    assert re.search("[0-9],[0-9]{3}<", xml) and re.search("[０-９],[０-９]{3}<", xml)
    a, b = plan.extract(text_path), plan.extract(styled)
    _tables_equal(a, b, skip=("target_text",))   # target_text is the target as written
    assert b.annex_targets.query("district == '东湖区' and year == 2027")["planned"].item() == 2500
    assert b.main_indicators["target"].item() == 1200 and b.main_indicators["target_text"].item() == "[1,200]"
    assert b.plan_audit["passed"].all()


def test_blank_cells_of_a_docx_are_blank_not_zero(tmp_path, other_plan):
    text_path, _ = other_plan
    tables = plan.extract(synthetic.write_docx(text_path, tmp_path / "p.docx"))
    blank = tables.annex_targets[tables.annex_targets["blank"]]
    assert len(blank) > 0 and (blank["planned"] == 0).all()   # read as blank, flagged (never a reported 0)


# ---- the catalogue checked against its plan ------------------------------------------------
def _edit(cat: Path, old: str, new: str) -> Path:
    text = cat.read_text(encoding="utf-8")
    assert old in text, old
    cat.write_text(text.replace(old, new, 1), encoding="utf-8")
    return cat


def _line_of(cat: Path, needle: str) -> int:
    return next(k for k, line in enumerate(cat.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


@pytest.mark.parametrize("old,new,needle,at,zh", [
    ("first_year: 2026", "first_year: 2021", "the catalogue says 2021–2030, but the plan's tables are for 2026–2030",
     "first_year:", "规划表格为2026—2030年"),
    ("quote: 全市城镇居民人均住房建筑面积达40平方米\n", "quote: 全市城镇居民人均住房建筑面积达到45平方米\n",
     "is not in the plan word for word", "quote: 全市城镇居民人均住房建筑面积达到45平方米", "找不到原句"),
    ("annex: 2", "annex: 7", "annex 7 does not exist in the plan (annexes: 1、2、3)", "annex: 7", "没有附件7"),
    ("id: programme_3", "id: programme_2", "indicator id “programme_2” is used twice", "id: programme_2\n", "重复"),
])
def test_a_catalogue_that_does_not_fit_its_plan_fails_at_its_line(other_plan, old, new, needle, at, zh):
    _, cat = other_plan
    _edit(cat, old, new)
    with pytest.raises(ReportkitError) as exc:
        catalogue.load_plan(cat)
    en = exc.value.render("en")
    assert needle in en
    lines = [_line_of(cat, at.rstrip("\n"))] if at != "id: programme_2\n" else \
        [k for k, line in enumerate(cat.read_text(encoding="utf-8").splitlines(), 1) if "id: programme_2" in line][1:]
    assert f"catalogue.yml: line {lines[0]}:" in en, en
    assert zh in exc.value.render("zh") and f"第{lines[0]}行" in exc.value.render("zh")


def test_a_quote_may_differ_from_the_plan_by_whitespace_only(other_plan):
    _, cat = other_plan
    _edit(cat, "quote: 全市城镇居民人均住房建筑面积达40平方米\n", "quote: 全市城镇居民 人均住房建筑面积达40平方米\n")
    catalogue.load_plan(cat)   # no error


def test_districts_without_english_build_in_chinese_and_the_english_edition_lists_them(other_plan):
    _, cat = other_plan
    _edit(cat, "- name: 西山县\n  en: District 2\n", "- name: 西山县\n")
    loaded = catalogue.load_plan(cat)
    assert [p.params["field"] for p in loaded.missing_en] == ["districts[2].en"]
    assert loaded.missing_en[0].location.line == _line_of(cat, "name: 西山县")
    opts = _checked_options(BuildOptions(langs=["zh"], catalogue=cat, actuals=cat))
    assert opts.langs == ["zh"]
    with pytest.raises(ReportkitError) as exc:
        _checked_options(BuildOptions(langs=["zh", "en"], catalogue=cat, actuals=cat))
    text = exc.value.render("en")
    assert "districts[2].en has no English text" in text and "西山县" in text and "--lang zh" in text
    assert "英文版需要以上1处英文名称" in exc.value.render("zh")


def test_the_commentary_is_the_catalogues_never_the_default_plans(other_plan):
    _, cat = other_plan
    assert _checked_options(BuildOptions(catalogue=cat, actuals=cat)).commentary is None
    assert _checked_options(BuildOptions()).commentary == cfg.RAW_DIR / "commentary"
    _edit(cat, "  document: plan.txt\n", "  document: plan.txt\n  commentary: notes\n")
    assert _checked_options(BuildOptions(catalogue=cat, actuals=cat)).commentary == (cat.parent / "notes").resolve()
    with pytest.raises(ReportkitError) as exc:   # and never the default plan's sample actuals
        _checked_options(BuildOptions(catalogue=cat))
    assert "--actuals" in exc.value.render("en")


# ---- reportkit init ------------------------------------------------------------------------
def test_district_types_are_guessed_from_their_names():
    guessed = {n: draft.district_type(n) for n in NAMES}
    assert guessed == {"东湖区": "district", "西山县": "county", "南岭市": "county_city",
                       "青山高新区": "development_zone", "北坡经开区": "development_zone", "临江新区": "development_zone"}
    assert draft.district_type("青山市", is_city=True) == "city"


@pytest.mark.parametrize("name,target,kind", [
    ("新增住房供应面积", "[1200]", "cumulative"), ("住房空置率", "10以内", "ceiling"),
    ("保障覆盖率", "不低于90", "floor"), ("租金年均增长", "5", "growth"), ("人均住房建筑面积", "45", "level"),
])
def test_kinds_are_guessed_from_the_wording(name, target, kind):
    assert draft.guess_kind(name, target, 1.0) == kind
    assert draft.guess_kind(name, "应保尽保", None) == "qualitative"


def test_init_makes_an_evaluation_folder_whose_draft_loads_against_the_plan(tmp_path, other_plan):
    text_path, _ = other_plan
    docx = synthetic.write_docx(text_path, tmp_path / "青山规划.docx")
    out = tmp_path / "qingshan-2026"
    assert cli.main(["--lang", "en", "init", "--plan", str(docx), "--out", str(out)]) == 0
    received = out / "plan" / "青山规划.docx"
    assert received.read_bytes() == docx.read_bytes()   # the plan as received, kept read-only
    assert oct(received.stat().st_mode & 0o777) == "0o444"
    raw = yaml.safe_load((out / "catalogue.yml").read_text(encoding="utf-8"))
    assert raw["plan"]["id"] == "qingshan-2026" and raw["plan"]["first_year"] == 2026 and raw["plan"]["last_year"] == 2030
    assert raw["plan"]["city"] == "青山市"
    assert [d["name"] for d in raw["districts"]] == ["青山市", *NAMES]
    assert [d["type"] for d in raw["districts"]][:4] == ["city", "district", "county", "county_city"]
    inds = {i["id"]: i for i in raw["indicators"]}
    assert set(inds) == {"main_1", "main_2", "annex_1", "annex_2", "annex_3"}
    assert inds["main_2"]["kind"] == "cumulative" and inds["main_1"]["kind"] == "level"
    assert inds["annex_2"]["annex"] == 2 and all(i["review"] is True for i in inds.values())
    words = {c["wording"]: c for c in raw["candidates"]}
    assert set(words) >= {"控制在", "累计", "年均增长"}
    assert words["控制在"]["quote"] == "到2030年，全市城镇住房空置率控制在10%以内"
    assert words["控制在"]["value"] == 10 and words["控制在"]["unit"] == "%"
    assert words["年均增长"]["value"] == 6.5 and all(c["review"] for c in raw["candidates"])
    # The draft loads against the plan: every quote is in it word for word, years and annexes match.
    loaded = project.load_project(out)
    assert loaded.catalogue == (out / "catalogue.yml").resolve() and loaded.actuals is None
    drafted = catalogue.load_plan(loaded.catalogue)
    assert len(drafted.missing_en) == 3 + len(NAMES) + 2 * 5   # plan name, region, city, districts, names+units
    assert (out / "README.md").read_text(encoding="utf-8").count("reportkit template") == 2
    # The report's own settings: issuing body, date and number reach the cover and the PDF's metadata.
    yml = out / "evaluation.yml"
    text = yml.read_text(encoding="utf-8")
    for key, value in (("issuing_body", "{zh: 青山市住房和城乡建设局, en: Qingshan Housing Bureau}"),
                       ("report_date", "2024-03-15"), ("report_number", "青住建〔2024〕12号")):
        text = text.replace(f"{key}: null", f"{key}: {value}")
    yml.write_text(text, encoding="utf-8")
    signed = project.load_project(out)
    assert (signed.issuing_body["en"], signed.report_date, signed.report_number) == (
        "Qingshan Housing Bureau", "2024-03-15", "青住建〔2024〕12号")


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, other_plan, capsys):
    text_path, _ = other_plan
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    assert cli.main(["--lang", "zh", "init", "--plan", str(text_path), "--out", str(tmp_path / "busy")]) == 1
    assert "已存在且不为空" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["x"]


# ---- a forgotten flag: one message naming it --------------------------------------------------
def _filled_form(tmp_path: Path, cat: Path) -> Path:
    from reportkit.inputs.sample import write_sample

    return write_sample(catalogue.load_plan(cat), tmp_path / "filled.xlsx")[0]


def test_another_plans_actuals_without_catalogue_name_the_flag_once(tmp_path, other_plan, capsys):
    _, cat = other_plan
    filled = _filled_form(tmp_path, cat)
    assert cli.main(["--lang", "en", "validate", str(filled)]) == 1
    err = capsys.readouterr().err
    assert err.count("--catalogue") == 1 and "these actuals are for another plan" in err
    assert "通川区" not in err   # not one error per cell listing the default plan's districts
    assert cli.main(["--lang", "zh", "evaluate", "--actuals", str(filled), "--out", str(tmp_path / "e.csv")]) == 1
    err = capsys.readouterr().err
    assert err.count("--catalogue") == 1 and "属于另一部规划" in err
    assert cli.main(["--lang", "en", "build", "--actuals", str(filled), "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert err.count("--catalogue") == 1 and not (tmp_path / "b" / "midterm").exists()
    assert cli.main(["--lang", "en", "validate", str(filled), "--catalogue", str(cat)]) == 0


def test_a_catalogue_without_actuals_names_the_flag(tmp_path, other_plan, capsys):
    _, cat = other_plan
    assert cli.main(["--lang", "en", "build", "--catalogue", str(cat), "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "--actuals" in err and "default sample belongs to the default plan" in err
    assert not (tmp_path / "b").exists()


def test_a_template_with_nothing_to_fill_is_an_error(tmp_path, other_plan, capsys, monkeypatch):
    _, cat = other_plan
    monkeypatch.setattr("reportkit.inputs.form.expected_cells", lambda plan: [])
    out = tmp_path / "t.xlsx"
    assert cli.main(["--lang", "en", "template", "--catalogue", str(cat), "--out", str(out)]) == 1
    assert "asks for no values at all" in capsys.readouterr().err and not out.exists()


def test_commands_inside_an_evaluation_folder_use_its_files(tmp_path, other_plan, capsys, monkeypatch):
    text_path, _ = other_plan
    out = tmp_path / "ev"
    assert cli.main(["init", "--plan", str(text_path), "--out", str(out)]) == 0
    monkeypatch.chdir(out / "commentary")   # a subfolder: the evaluation is found upwards
    assert cli.main(["--lang", "en", "template", "--format", "csv"]) == 0
    assert (out / "_build" / "actuals-template.csv").is_file()
    assert cli.main(["--lang", "en", "validate"]) == 1
    assert "no actuals yet" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--lang", "en", "--project", str(out), "extract"]) == 0
    assert (out / "_build" / "processed" / "annex_targets.csv").is_file()


def test_the_example_plan_in_the_fixtures_reads_the_same_from_word_and_text():
    from conftest import FIXTURES

    text = plan.extract(FIXTURES / "plans" / "qingshan-2026-2030.txt")
    word = plan.extract(FIXTURES / "plans" / "qingshan-2026-2030.docx")
    _tables_equal(text, word, skip=("target_text",))
    assert sorted(word.annex_targets["district"].unique()) == sorted(["青山市", "东湖区", "西岭区", "南桥县"])
    assert word.main_indicators["target"].tolist()[:2] == [500, 90]


def test_another_plans_file_with_the_default_catalogue_names_the_flag_once(tmp_path, capsys):
    from conftest import FIXTURES

    docx = FIXTURES / "plans" / "qingshan-2026-2030.docx"
    assert cli.main(["--lang", "en", "build", "--plan", str(docx), "--no-pdf", "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert err.count("Error") == 1 and "--catalogue" in err and f"reportkit init --plan {docx}" in err


@pytest.mark.parametrize("parts,reason", [
    ({"word/other.xml": "<x/>"}, "no word/document.xml"),
    ({"word/document.xml": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>'}, "declares entities"),
    ({"word/document.xml": "<w:document"}, "document.xml:"),
])
def test_a_word_file_that_is_not_one_is_a_located_error(tmp_path, parts, reason):
    path = tmp_path / "plan.docx"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(ReportkitError) as exc:
        plan.extract(path)
    assert [p.key for p in exc.value.problems] == ["plan_bad_docx"]
    assert reason in exc.value.render("en") and "plan.docx" in exc.value.render("en")
    assert "无法读取该 Word 文件" in exc.value.render("zh")
