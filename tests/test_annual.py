"""The annual monitoring report (stage ``annual``, docs/method-extensions.md `annual`).

Figures computed by hand from data/raw/actuals/sample-actuals.xlsx (sheet 附件2 城镇老旧小区改造规模,
附件4 筹集保障性租赁住房 and the 更正 Fixes sheet) and the plan's annex tables
(data/raw/dazhou-14th-fyp-urban-housing-plan.txt, 附件2 and 附件4; the main table's 20万户 for the
city-wide 老旧小区 target).
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from reportkit import cli
from reportkit.errors import ReportkitError
from reportkit.evaluation.annual import annual_status, changes_between
from reportkit.publishing import pipeline
from reportkit.report import annual as annual_tables
from reportkit.report.context import edition_name, load_context
from reportkit.report.pages import ANNUAL_PAGES, pages_for


@pytest.fixture(scope="module")
def ctx2022():
    return load_context("annual", "2022")


def _line(ctx, indicator: str, district: str) -> pd.Series:
    p = ctx.annual.programmes
    rows = p[(p["indicator"] == indicator) & (p["district"] == district)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_annual_completion_of_old_compounds_2022_by_hand(ctx2022):
    # 附件2 城镇老旧小区改造: the plan's 2022 column and the sample's 2022 actuals (E/F column).
    #   达州市  actual 30,706 / planned 49,746 = 0.617256…  short of the year's plan
    #   通川区  actual  7,406 / planned 10,688 = 0.692927…  short
    #   达川区  actual  4,505 / planned 20,328 = 0.221616…  short
    #   渠县    actual  8,996 / planned  5,100 = 1.763922…  met (more than planned)
    # Cumulative to the end of 2022 (2021 + 2022 actuals) against the five-year totals:
    #   达州市  27,057 + 30,706 = 57,763 / 200,000 (main table: 20万户) = 0.288815
    #   通川区  12,863 +  7,406 = 20,269 / 50,471 = 0.401597…
    #   达川区   2,716 +  4,505 =  7,221 / 70,836 = 0.101940…
    expected = {
        "达州市": (49746, 30706, 30706 / 49746, "short", 57763, 57763 / 200000),
        "通川区": (10688, 7406, 7406 / 10688, "short", 20269, 20269 / 50471),
        "达川区": (20328, 4505, 4505 / 20328, "short", 7221, 7221 / 70836),
        "渠县": (5100, 8996, 8996 / 5100, "met", 4022 + 8996, None),   # 13,018 done to date
    }
    for district, (planned, actual, completion, status, to_date, cum) in expected.items():
        row = _line(ctx2022, "old_residential_renovation", district)
        assert row["year"] == 2022
        assert row["planned"] == planned and row["actual"] == actual
        assert math.isclose(row["annual_completion"], completion, rel_tol=1e-12)
        assert row["annual_status"] == status
        assert row["actual_to_date"] == to_date
        if cum is not None:
            assert math.isclose(row["completion"], cum, rel_tol=1e-12)
    assert round(_line(ctx2022, "old_residential_renovation", "通川区")["annual_completion"], 4) == 0.6929
    assert round(_line(ctx2022, "old_residential_renovation", "达川区")["annual_completion"], 4) == 0.2216


def test_annual_completion_uses_the_correction(ctx2022):
    # 附件4 筹集保障性租赁住房, 通川区 2022: the Fixes sheet replaces 附件4!F7 by 487;
    # the annex plans 600 for 2022 → 487 / 600 = 0.811666…; nothing was planned for 2021 (blank),
    # so the cumulative figure is 487 against the five-year 1,800 = 0.270555…
    row = _line(ctx2022, "affordable_rental_housing", "通川区")
    assert row["planned"] == 600 and row["actual"] == 487
    assert math.isclose(row["annual_completion"], 487 / 600, rel_tol=1e-12)
    assert math.isclose(row["completion"], 487 / 1800, rel_tol=1e-12)


def test_changes_since_last_year_by_hand(ctx2022):
    c = ctx2022.annual.changes
    assert ctx2022.annual.previous_year == 2021

    def one(indicator, district):
        rows = c[(c["indicator"] == indicator) & (c["district"] == district)]
        assert len(rows) == 1
        return rows.iloc[0]

    # 老旧小区 city-wide: end of 2021 27,057 / 200,000 = 0.135285; end of 2022 0.288815;
    # change 0.15353 (15.4 percentage points); lagging both years → not a status change.
    old = one("old_residential_renovation", "达州市")
    assert math.isclose(old["previous_completion"], 27057 / 200000, rel_tol=1e-12)
    assert math.isclose(old["completion_change"], 30706 / 200000, rel_tol=1e-9)
    assert old["previous_status"] == old["status"] == "lagging" and not old["status_changed"]
    # 保障性租赁住房 通川区: nothing due in 2021 (not yet scheduled) → lagging at the end of 2022
    # (487 against the 600 due: R = 0.81): a status change, listed.
    ar = one("affordable_rental_housing", "通川区")
    assert (ar["previous_status"], ar["status"], bool(ar["status_changed"])) == ("not_scheduled", "lagging", True)
    table = annual_tables.changes_table(ctx2022, "en")
    cells = [[str(x) for x in r] for r in table.rows]
    assert any("Tongchuan District" in r and "+15.4" not in r and "+27.1" in r for r in cells)
    assert len(table) == int(c["status_changed"].sum())
    city = annual_tables.city_changes_table(ctx2022, "zh")
    renov = [r for r in city.rows if r[0] == "城镇老旧小区改造规模"]
    assert [str(x) for x in renov[0][3:]] == ["13.5%", "28.9%", "+15.4"]


def test_changes_missing_is_never_a_change_from_zero():
    now = pd.DataFrame({"indicator": ["a", "b"], "district": ["X", "X"], "indicator_zh": ["甲", "乙"],
                        "indicator_en": ["A", "B"], "district_zh": ["X", "X"], "district_en": ["X", "X"],
                        "is_city": [True, True], "status": ["lagging", "no_data"], "completion": [0.4, None]})
    before = pd.DataFrame({"indicator": ["a", "b"], "district": ["X", "X"], "status": ["no_data", "no_data"],
                           "completion": [None, None]})
    out = changes_between(now, before)
    assert pd.isna(out.loc[0, "completion_change"]) and bool(out.loc[0, "status_changed"])
    assert pd.isna(out.loc[1, "completion_change"]) and not bool(out.loc[1, "status_changed"])
    first = changes_between(now, None)   # the plan's first year: no previous report
    assert not first["status_changed"].any() and first["previous_status"].isna().all()


def test_every_annual_status_has_text_in_both_languages():
    from reportkit.i18n import t
    from reportkit.vocab import ANNUAL_STATUSES

    for code in ANNUAL_STATUSES:
        assert t(f"annual.status.{code}", "zh") != t(f"annual.status.{code}", "en")


@pytest.mark.parametrize(("planned", "actual", "status"), [
    (100.0, 100.0, "met"), (100.0, 99.0, "short"), (100.0, None, "no_data"), (0.0, None, "not_scheduled"),
    (0.0, 0.0, "not_scheduled"), (0.0, 5.0, "unplanned"), (None, 5.0, "no_plan"),
])
def test_annual_status_rules(planned, actual, status):
    assert annual_status(planned, actual) == status


def test_first_year_has_no_previous_report():
    ctx = load_context("annual", "2021")
    assert ctx.annual.previous_year is None and not ctx.annual.changes["status_changed"].any()
    assert "第一年" in annual_tables.changes_html(ctx, "zh", city=True)
    assert "first year" in annual_tables.changes_html(ctx, "en", city=False)


def test_pages_and_folder_of_the_annual_edition():
    names = [p.name for p in pages_for([1, 2], stage="annual")]
    assert names == ["index", "annual-programmes", "annual-districts", "annual-indicators", "methodology", "data"]
    assert [p.notebook for p in pages_for([1, 2], stage="annual")] == list(ANNUAL_PAGES)
    assert edition_name("annual", "2022") == "annual-2022" and edition_name("midterm", "2023") == "midterm"
    assert pipeline.BuildOptions(stage="annual", year=2022).folder == "annual-2022"
    assert pipeline.BuildOptions(stage="midterm").folder == "midterm"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_year_outside_the_plan_is_a_located_error(tmp_path, capsys, lang):
    code = cli.main(["build", "--stage", "annual", "--year", "2030", "--no-pdf", "--out", str(tmp_path),
                     "--lang", lang])
    err = capsys.readouterr().err
    assert code == 1 and "--year" in err and "2030" in err and "2021" in err and "2025" in err
    assert ("规划期" in err) if lang == "zh" else ("plan period" in err)
    assert "Traceback" not in err and not (tmp_path / "annual-2030").exists()


def test_annual_needs_a_year_and_other_stages_take_none(tmp_path):
    with pytest.raises(ReportkitError) as err:
        pipeline.build(pipeline.BuildOptions(stage="annual", out_root=tmp_path, pdf=False), log=lambda _m: None)
    assert [p.key for p in err.value.problems] == ["annual_needs_year"]
    assert "--year" in err.value.render("zh") and "--year" in err.value.render("en")
    with pytest.raises(ReportkitError) as err:
        pipeline.build(pipeline.BuildOptions(stage="midterm", year=2022, out_root=tmp_path, pdf=False),
                       log=lambda _m: None)
    assert [p.key for p in err.value.problems] == ["year_not_annual"]


@pytest.mark.e2e
def test_annual_build_has_its_pages_in_both_languages(tmp_path):
    opts = pipeline.BuildOptions(stage="annual", year=2022, out_root=tmp_path, pdf=False, cache=False)
    result = pipeline.build(opts, log=lambda _m: None)
    out = tmp_path / "annual-2022"
    assert result.out == out and (out / "build.yml").is_file()
    names = ["index", "annual-programmes", "annual-districts", "annual-indicators", "methodology", "data"]
    for lang in ("zh", "en"):
        for name in names:
            assert (out / "html" / lang / f"{name}.html").is_file(), (lang, name)
    zh = (out / "html" / "zh" / "annual-programmes.html").read_text(encoding="utf-8")
    en = (out / "html" / "en" / "annual-programmes.html").read_text(encoding="utf-8")
    # 通川区 老旧小区 2022: 7,406 of 10,688 planned = 69.3 %
    assert "10,688" in zh and "7,406" in zh and "69.3%" in zh and "年度完成率" in zh
    assert "10,688" in en and "69.3%" in en and "Annual completion" in en
    # the same section ids in both languages
    sections = [re.findall(r'<section class="rk-annual-programme" id="([^"]+)"', s) for s in (zh, en)]
    assert sections[0] == sections[1] and len(sections[0]) == 4
    downloads = sorted(p.name for p in (out / "html" / "downloads").iterdir())
    assert "dazhou-14fyp-urban-housing-annual-2022-results.csv" in downloads
    assert "年度监测" in (out / "html" / "index.html").read_text(encoding="utf-8")


def test_another_plan_with_other_years_and_districts(tmp_path):
    """Nothing is Dazhou's: a synthetic 2026–2030 plan, its 2027 report from a tidy table."""
    from reportkit.evaluation.annual import annual_report
    from reportkit.evaluation.engine import run_evaluation
    from reportkit.inputs import synthetic
    from reportkit.inputs.catalogue import open_plan

    _text, cat = synthetic.write_plan(tmp_path / "src", districts=2, annexes=1, first_year=2026,
                                      names=["甲区", "乙区"])
    plan, _tables = open_plan(cat, None)
    ind = next(i for i in plan.indicators if i.schedule)
    # write_plan: district k of annex n plans ((k + n + j) % 4) * 10 * n in year j (n = 1):
    #   甲区 (k=0): 2026 10, 2027 20;  乙区 (k=1): 2026 20, 2027 30
    assert ind.schedule["甲区"][2027] == 20 and ind.schedule["乙区"][2027] == 30
    rows = [(ind.id, "甲区", 2026, 10.0), (ind.id, "甲区", 2027, 25.0), (ind.id, "乙区", 2026, 20.0)]
    actuals = pd.DataFrame([{"indicator": i, "district": d, "year": y, "value": v} for i, d, y, v in rows])
    ev = run_evaluation(plan, actuals, "annual", "2027")
    report = annual_report(plan, actuals, ev)
    p = report.programmes.set_index("district")
    assert report.year == 2027 and report.previous_year == 2026
    assert p.loc["甲区", "annual_completion"] == 25 / 20 and p.loc["甲区", "annual_status"] == "met"
    # 乙区 reported nothing for 2027: no data, never zero
    assert p.loc["乙区", "annual_status"] == "no_data" and pd.isna(p.loc["乙区", "actual"])
    assert pd.isna(p.loc["乙区", "annual_completion"])
    with pytest.raises(ReportkitError) as err:
        pipeline._checked_options(pipeline.BuildOptions(stage="annual", year=2025, catalogue=cat, actuals=cat,
                                                         langs=["zh"]))
    assert "2026" in err.value.render("zh") and "2030" in err.value.render("en")


def test_an_annual_page_opened_with_no_year_reports_the_latest_year_with_data(tmp_path):
    """Run all in JupyterLab with the defaults: the latest year with a reported value (the
    sample reports to 2025); actuals that stop in 2022 give 2022; no year is ever guessed
    from the clock. A build still has to name its year (test above)."""
    from reportkit.report import pages
    from reportkit.report.context import latest_reported_year

    assert latest_reported_year() == "2025"
    assert pages.page_context("annual_summary", stage="annual").as_of == "2025"
    two_years = tmp_path / "to-2022.csv"
    two_years.write_text("indicator,district,year,value,source\n"
                         "shantytown_renovation,达州市,2021,1500,x\n"
                         "shantytown_renovation,达州市,2022,1200,x\n", encoding="utf-8")
    assert latest_reported_year(actuals_file=str(two_years)) == "2022"
    view = pages.page_context("annual_summary", stage="annual", actuals_file=str(two_years))
    assert view.as_of == "2022" and view.stage == "annual"
