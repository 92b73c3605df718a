"""The indicator catalogue agrees with the plan: pointers resolve, quotes are verbatim, no figure twice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from reportkit.config import DEFAULT_CATALOGUE
from reportkit.errors import ReportkitError
from reportkit.inputs import catalogue, plan


def _plan_text(p: catalogue.Plan) -> str:
    return plan.read_plan_text(p.document)


def test_every_quote_is_in_the_plan_word_for_word(dazhou_plan):
    text = _plan_text(dazhou_plan)
    for ind in dazhou_plan.indicators:
        assert ind.quote and ind.quote in text, ind.id
        if ind.baseline:
            assert ind.baseline.quote in text, ind.id
            assert f"{ind.baseline.value:g}" in ind.baseline.quote, ind.id


def test_every_main_table_row_and_annex_has_exactly_one_indicator(dazhou_plan, dazhou_tables):
    rows = [i.main_row for i in dazhou_plan.indicators if i.main_row]
    assert sorted(rows) == sorted(dazhou_tables.main_indicators["name"])
    annexes = [i.annex for i in dazhou_plan.indicators if i.annex is not None]
    assert sorted(annexes) == sorted(dazhou_tables.annex_targets["annex"].unique())


def test_targets_come_from_the_tables(dazhou_plan):
    ind = {i.id: i for i in dazhou_plan.indicators}
    # main table [20]万户 × 10000 户/万户
    assert ind["old_residential_renovation"].target == 200_000
    # annex 2 city total 40389+49746+42886+42920+30046 = 205987
    assert ind["old_residential_renovation"].district_targets["达州市"] == 205_987
    assert ind["old_residential_renovation"].schedule["开江县"] == {2021: 1881, 2022: 1634, 2023: 1656, 2024: 735, 2025: 448}
    assert ind["shantytown_renovation"].target == 6505  # no main row: the annex city total
    assert ind["affordable_rental_housing"].target == 8000
    assert ind["per_capita_floor_area"].target == 43 and ind["per_capita_floor_area"].baseline.value == 42.5
    assert ind["public_rental_coverage"].target == 100  # 应保尽保 judged through its proxy floor


def test_catalogue_types_no_figure_the_tables_hold():
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))
    for item in raw["indicators"]:
        if item.get("main_row") or item.get("annex") is not None:
            assert "target" not in item, item["id"]


def test_kinds_agree_with_the_plans_notation(dazhou_plan, dazhou_tables):
    main = dazhou_tables.main_indicators.set_index("name")
    for ind in dazhou_plan.indicators:
        if ind.main_row and main.loc[ind.main_row, "cumulative"]:
            assert ind.kind == "cumulative", ind.id


def test_districts_and_period_agree_with_the_annexes(dazhou_plan, dazhou_tables):
    assert list(dazhou_plan.districts) == list(dict.fromkeys(dazhou_tables.annex_targets["district"]))
    assert sorted(dazhou_tables.annex_targets["year"].unique()) == dazhou_plan.years
    assert set(dazhou_tables.main_indicators["target_year"]) == {dazhou_plan.last_year}
    assert dazhou_plan.city in dazhou_plan.districts


def test_ids_are_stable_ascii_and_unique(dazhou_plan):
    ids = [i.id for i in dazhou_plan.indicators]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids)


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    assert old in text
    out = tmp_path / "catalogue.yml"
    out.write_text(text.replace(old, new, 1).replace(
        "document: dazhou", f"document: {DEFAULT_CATALOGUE.parent}/dazhou"), encoding="utf-8")
    return out


@pytest.mark.parametrize("old,new,needle", [
    ("main_row: 城镇居民人均住房建筑面积", "main_row: 城镇居民人均住房面积", "is not a row of the plan's main indicator table"),
    ("annex: 3", "annex: 9", "annex 9 does not exist in the plan (annexes: 1、2、3、4)"),
    ("attribute: binding", "attribute: anticipatory", "the plan's main table says 约束性"),
    ("kind: level", "kind: levels", "kind has a wrong value; expected cumulative / level / stock"),
    ("{name: 渠县, en: Qu County, type: county}", "{name: 渠 县, en: Qu County, type: county}",
     "has a row “渠县” that is not in districts"),
])
def test_catalogue_disagreeing_with_the_tables_fails(tmp_path, dazhou_tables, old, new, needle):
    path = _broken_copy(tmp_path, old, new)
    with pytest.raises(ReportkitError) as exc:
        catalogue.load(path, dazhou_tables)
    assert needle in exc.value.render("en")
    assert "catalogue.yml" in exc.value.render("zh")
