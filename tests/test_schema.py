"""Catalogue and method files are checked by their schema (pydantic) before anything reads them:
every problem names the file, the line and the field, in both languages."""

from __future__ import annotations

import shutil

import pytest

from reportkit.config import DEFAULT_CATALOGUE, DEFAULT_METHOD
from reportkit.errors import ReportkitError
from reportkit.inputs import catalogue, method, schema


def _catalogue(tmp_path, old: str, new: str, count: int = 1):
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "catalogue.yml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path, text[: text.index(old)].count("\n") + 1   # the line of the change


def _problems(path, load=catalogue.load):
    with pytest.raises(ReportkitError) as err:
        load(path)
    return err.value


def test_the_default_catalogue_and_method_pass():
    schema.check_catalogue(DEFAULT_CATALOGUE.read_text(encoding="utf-8"), DEFAULT_CATALOGUE)
    schema.check_method(DEFAULT_METHOD.read_text(encoding="utf-8"), DEFAULT_METHOD)


def test_an_unknown_key_is_named_with_its_line_in_both_languages(tmp_path):
    path, line = _catalogue(tmp_path, "    attribute: binding", "    atribute: binding")
    err = _problems(path)
    keys = [p.key for p in err.problems]
    assert "extra_forbidden" in keys and "missing" in keys   # the typo, and the field it hid
    zh, en = err.render("zh"), err.render("en")
    assert f"catalogue.yml: 第{line}行" in zh, zh
    assert f"line {line}" in en and "atribute" in en and "unknown field" in en
    assert "未知字段" in zh and "Traceback" not in en


def test_a_wrong_kind_lists_the_allowed_ones(tmp_path):
    path, line = _catalogue(tmp_path, "kind: cumulative", "kind: cumulativ")
    err = _problems(path)
    (problem,) = err.problems
    assert problem.key == "value_error" and problem.location.line == line
    assert "cumulative" in err.render("en") and "kind" in err.render("zh")


def test_a_comma_in_an_unquoted_flow_mapping_is_caught(tmp_path):
    """``{zh: 约7万笔, en: about 70,000 loans}`` is YAML for en: "about 70" plus a key "000 loans":
    the first version of the default catalogue had it; the schema refuses it."""
    path, line = _catalogue(tmp_path, 'en: "about 70,000 loans (running total at the end of the period)"',
                            "en: about 70,000 loans (running total at the end of the period)")
    err = _problems(path)
    assert [p.key for p in err.problems] == ["extra_forbidden"]
    assert err.problems[0].location.line == line and "000 loans" in err.render("en")


def test_district_type_and_new_kinds(tmp_path):
    """District types come from a closed list; stock and band are kinds."""
    path, line = _catalogue(tmp_path, "type: development_zone}", "type: zone}")
    err = _problems(path)
    assert [p.key for p in err.problems] == ["value_error"] and err.problems[0].location.line == line
    assert "development_zone" in err.render("en")
    plan = catalogue.load(DEFAULT_CATALOGUE)
    kinds = {i.id: i.kind for i in plan.indicators}
    assert kinds["housing_fund_contributions"] == "stock" and kinds["housing_fund_loan_ratio"] == "band"
    assert all(i.reading.get("zh") and i.reading.get("en") for i in plan.indicators)
    assert plan.district_types["达州经开区"] == "development_zone" and plan.district_types["万源市"] == "county_city"


def test_a_number_that_is_text_and_a_missing_section(tmp_path):
    path, _ = _catalogue(tmp_path, "baseline_year: 2020", "baseline_year: twenty")
    assert [p.key for p in _problems(path).problems] == ["int_parsing"]
    bad = tmp_path / "empty.yml"
    bad.write_text("plan: {}\n", encoding="utf-8")
    err = _problems(bad)
    assert {p.params["field"] for p in err.problems} >= {"plan.id", "districts", "indicators"}


def test_broken_yaml_is_located(tmp_path):
    bad = tmp_path / "catalogue.yml"
    bad.write_text("plan:\n  id: x\n  name: {zh: 甲\n", encoding="utf-8")
    err = _problems(bad)
    assert err.problems[0].key == "yaml" and err.problems[0].location.line is not None


def test_method_file_types_and_unknown_keys_are_located(tmp_path):
    path = tmp_path / "method.yml"
    path.write_text("schema_version: 1\nstatus:\n  ahead: lots\nweigths: {}\n", encoding="utf-8")
    with pytest.raises(ReportkitError) as err:
        method.load_method(path)
    got = {(p.key, p.location.line) for p in err.value.problems}
    assert ("float_parsing", 3) in got and ("extra_forbidden", 4) in got
    shutil.copyfile(DEFAULT_METHOD, tmp_path / "same.yml")
    method.load_method(tmp_path / "same.yml")


@pytest.mark.parametrize("value", ["2024-13-01", "2024-02-30", "March 2024", "24-03-15"])
def test_a_report_date_that_is_no_date_is_located_when_the_settings_are_read(tmp_path, value):
    """Refused with its line when evaluation.yml is read, not at the PDF cover at the end of a build."""
    path = tmp_path / "evaluation.yml"
    path.write_text(f"plan: plan.txt\ncatalogue: catalogue.yml\nreport_date: '{value}'\n", encoding="utf-8")
    with pytest.raises(ReportkitError) as err:
        schema.check_evaluation(path.read_text(encoding="utf-8"), path)
    assert [p.key for p in err.value.problems] == ["value_error"]
    assert err.value.problems[0].location.line == 3
    zh, en = err.value.render("zh"), err.value.render("en")
    assert "report_date" in en and value in en and "第3行" in zh


@pytest.mark.parametrize("value", ["2024-03-15", "2024-03", "2024"])
def test_a_report_date_of_a_day_month_or_year_passes(tmp_path, value):
    path = tmp_path / "evaluation.yml"
    path.write_text(f"plan: plan.txt\ncatalogue: catalogue.yml\nreport_date: '{value}'\n", encoding="utf-8")
    assert schema.check_evaluation(path.read_text(encoding="utf-8"), path)["report_date"] == value
