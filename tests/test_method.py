"""The method file: defaults as docs/METHOD.md states them, overrides, errors, and the generated
methodology table (change the file, the table changes: documentation cannot drift from code)."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from reportkit.config import DEFAULT_METHOD, PROJ_ROOT
from reportkit.errors import ReportkitError
from reportkit.i18n import has, t
from reportkit.inputs import method as method_mod
from reportkit.inputs.method import (
    EXTENSIONS,
    GRADE_CODES,
    INTERNATIONAL_CODES,
    JUDGEMENTS,
    STAGE_EXTENSIONS,
    STATUS_CODES,
    load_method,
    method_extensions,
    method_table,
)


def rules(method, lang: str, section: str) -> dict[str, str]:
    """code → rule text of one section of the generated table."""
    table = method_table(method, lang)
    sec, code, _label, rule = table.columns
    part = table[table[sec] == t(f"method.table.section.{section}", lang)]
    return dict(zip(part[code], part[rule], strict=True))


def test_defaults_are_those_of_method_md():
    m = load_method()
    # METHOD.md §5, §6, end-of-term grades, composite score
    assert m["status"] == {"achieved": 1.0, "ahead": 1.10, "on_track": 0.95, "lagging": 0.60, "limited": 0.0}
    assert m["international"] == {"on_track": 0.95, "acceleration_needed": 0.60, "limited_progress": 0.0}
    assert m["grades"] == {"exceeded": 1.05, "completed": 1.00, "basically_completed": 0.90}
    assert m["composite"]["cap"] == 1.2 and m["composite"]["default_weight"] == 1.0
    assert m["binding"]["warning_below"] == 1.0 and m["midterm_year_index"] == 3
    assert m["qualitative"] == {"met": "on_track", "partly": "lagging", "not_met": "limited", "met_final": "achieved"}


def test_every_code_has_text_in_both_languages():
    keys = [f"status.status.{c}" for c in STATUS_CODES] + [f"status.grade.{c}" for c in GRADE_CODES]
    keys += [f"status.international.{c}" for c in INTERNATIONAL_CODES] + [f"status.judgement.{j}" for j in JUDGEMENTS]
    keys += [f"method.rule.status.{c}" for c in STATUS_CODES] + [f"method.rule.grade.{c}" for c in GRADE_CODES]
    keys += [f"method.extensions.{e}.{part}" for e in EXTENSIONS for part in ("title", "text")]
    for kind in ("cumulative", "level", "ceiling", "floor", "growth", "qualitative"):
        keys.append(f"status.kind.{kind}")
    for lang in ("zh", "en"):
        missing = [k for k in keys if not has(k, lang)]
        assert not missing, (lang, missing)


def test_table_lists_every_value_of_the_file():
    m = load_method()
    for lang in ("zh", "en"):
        text = method_table(m, lang).to_string()
        for group in ("status", "international", "grades"):
            for code, value in m[group].items():
                assert f"{value:.2f}" in text, (lang, group, code)
        assert "1.20" in text  # the composite cap
    assert set(method_table(m, "en")["Code"]) >= set(STATUS_CODES) | set(GRADE_CODES)


def test_table_follows_an_override_file(tmp_path):
    override = tmp_path / "my-method.yml"
    override.write_text("status:\n  ahead: 1.25\n  on_track: 0.9\ngrades:\n  exceeded: 1.08\n"
                        "composite:\n  cap: 1.5\n  weights: {housing: 2}\n", encoding="utf-8")
    en = rules(override, "en", "status")
    assert en["ahead"] == "R ≥ 1.25" and en["on_track"] == "0.90 ≤ R < 1.25"
    assert en["lagging"] == "0.60 ≤ R < 0.90"  # kept from the defaults
    grades = rules(override, "en", "grade")
    assert grades["exceeded"] == "c ≥ 1.08" and grades["completed"] == "1.00 ≤ c < 1.08"
    comp = rules(override, "en", "composite")["composite"]
    assert "min(R, 1.50)" in comp and "housing: 2" in comp
    zh = rules(override, "zh", "status")
    assert zh["ahead"] == "R ≥ 1.25" and "仅限预期性指标" in rules(override, "zh", "grade")["basically_completed"]


def test_table_follows_the_default_file_itself(tmp_path, monkeypatch):
    """Editing src/reportkit/method.yml (here: a copy of it) changes the chapter's table."""
    copy = tmp_path / "method.yml"
    shutil.copy(DEFAULT_METHOD, copy)
    data = yaml.safe_load(copy.read_text(encoding="utf-8"))
    data["status"]["lagging"] = 0.5
    data["international"]["on_track"] = 0.9
    copy.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(method_mod, "DEFAULT_METHOD", copy)
    method_mod._default_values.cache_clear()
    try:
        en = rules(None, "en", "status")
        assert en["lagging"] == "0.50 ≤ R < 0.95" and en["limited"] == "0.00 ≤ R < 0.50"
        assert rules(None, "en", "international")["on_track"] == "observed / required CAGR ≥ 0.90"
        assert rules(None, "zh", "international")["acceleration_needed"] == "0.60 ≤ 比值 < 0.90"
    finally:
        method_mod._default_values.cache_clear()


@pytest.mark.parametrize("text, where", [
    ("status:\n  ahaed: 1.2\n", "status.ahaed"),                      # a typo is not ignored
    ("status:\n  ahead: 0.9\n", "status"),                            # ahead below on_track
    ("grades:\n  exceeded: high\n", "grades.exceeded"),               # not a number
    ("composite:\n  cap: 0\n", "composite.cap"),                      # must be positive
    ("qualitative:\n  met: fine\n", "qualitative.met"),               # not a status code
    ("status: [1, 2]\n", "status"),                                   # not a mapping
    ("status: {ahead: 1.2\n", None),                                  # not YAML
])
def test_bad_method_files_are_located(tmp_path, text, where):
    path = tmp_path / "bad.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReportkitError) as err:
        load_method(path)
    for lang in ("zh", "en"):
        msg = err.value.render(lang)
        assert str(path) in msg and (where is None or where in msg)


def test_extensions_are_documented_in_both_languages():
    doc = (PROJ_ROOT / "docs" / "method-extensions.md").read_text(encoding="utf-8")
    ids = set(re.findall(r"`([a-z_]+)`", doc))
    assert set(EXTENSIONS) <= ids, set(EXTENSIONS) - ids
    for lang in ("zh", "en"):
        table = method_extensions(lang)
        assert len(table) == len(EXTENSIONS) and table.iloc[:, 2].str.len().min() > 20
    # a stage's own rules: documented, shown in that stage's methodology chapter only
    for stage, codes in STAGE_EXTENSIONS.items():
        assert set(codes) <= ids, set(codes) - ids
        for lang in ("zh", "en"):
            table = method_extensions(lang, stage)
            assert list(table.iloc[len(EXTENSIONS):, 0]) == list(codes) and table.iloc[:, 2].str.len().min() > 20


def test_every_reason_and_check_code_of_the_engine_has_text():
    """Codes written by the evaluation (reason=…, check=…) all have labels in both languages."""
    folder = PROJ_ROOT / "src" / "reportkit" / "evaluation"
    source = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py")) if p.name != "annual.py")
    reasons = set(re.findall(r'reason="([a-z_]+)"', source))
    reasons |= set(re.findall(r'"(missing_years|no_value|nothing_planned_yet)"', source))
    checks = set(re.findall(r'check="([a-z_]+)"', source))
    assert len(reasons) >= 8 and len(checks) == 3
    for lang in ("zh", "en"):
        assert [r for r in reasons if not has(f"status.reason.{r}", lang)] == []
        assert [c for c in checks if not has(f"status.check.{c}", lang)] == []
