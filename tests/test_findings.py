"""Drafted problems and recommendations (report.findings): selected and worded from the
evaluation's own figures, hand-computed here; evaluators' text replaces a draft."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from evaluation_factory import CITY, frame, ind, make_plan
from reportkit.evaluation.engine import run_evaluation
from reportkit.inputs.method import load_method
from reportkit.report import findings

# One annex programme, 2026–2030, target 1,000 (A 500, B 300, C 200), evaluated at end-2028
# (τ = 3/5 = 60 %). The city reports 130 a year, A 100, B 20, C nothing.
PROG = ind("prog", "cumulative", 1000, schedule={"A": [100] * 5, "B": [60] * 5, "C": [40] * 5})
ROWS = ([("prog", CITY, y, 130) for y in (2026, 2027, 2028)]
        + [("prog", "A", y, 100) for y in (2026, 2027, 2028)]
        + [("prog", "B", y, 20) for y in (2026, 2027, 2028)])


def _ctx(tmp_path=None, stage="midterm", as_of=2028, prog=PROG, rows=ROWS):
    plan = make_plan(prog)
    ev = run_evaluation(plan, frame(rows), stage, as_of)
    return SimpleNamespace(plan=plan, results=ev.results, evaluation=ev, meta=ev.meta, stage=stage,
                           as_of=str(as_of), method=load_method().values, commentary_dir=tmp_path)


def _texts(items, lang):
    return [findings.sentence(f, lang) for f in items]


def test_problems_are_drafted_from_the_figures():
    # City: 390 / 1,000 = 39.0 % against E/T = 600 / 1,000 = 60.0 %: R = 0.65 → lagging.
    # B: 60 / 300 = 20.0 % (0.33 of schedule → limited); A: 300 / 500 = 60 % → on track; C: no data.
    zh = _texts(findings.problems(_ctx()), "zh")
    assert zh == [
        "指标prog完成39.0%，低于计划进度60.0%，评估为“滞后”。",
        "乙县有1项目标进度需要关注：指标prog（20.0%）。",
        "1项应报数据缺失，相应目标未能评估（缺失数据未按零计算）：指标prog（丙县）。",
        # C never reported: the gap cannot be judged (the reconciliation says 暂不判定), so the
        # draft says it cannot be checked rather than that the figures disagree
        "指标prog的全市数暂无法与各县（市、区）合计核对：2026年全市130（合计120）、2027年全市130（合计120）、"
        "2028年全市130（合计120），丙县未报送数据，合计不含该地，核对暂不判定。",
    ]
    en = _texts(findings.problems(_ctx()), "en")
    assert en[0].startswith("Indicator prog: 39.0% complete against planned progress of 60.0%")
    assert en[3] == ("Indicator prog: the city figure cannot yet be checked against the counties and districts (2026: 130 "
                     "against 120, 2027: 130 against 120, 2028: 130 against 120): C County did not report, so the total "
                     "leaves it out.")
    # When every district reported and the sum still differs, it is a disagreement, and the draft
    # recommends reconciling the figures (C: 5 a year; 100 + 20 + 5 = 125 against the city's 130).
    ctx = _ctx(rows=ROWS + [("prog", "C", y, 5) for y in (2026, 2027, 2028)])
    assert "指标prog的全市数与各县（市、区）合计不一致：2026年全市130（合计125）、2027年全市130（合计125）、" \
        "2028年全市130（合计125）。" in _texts(findings.problems(ctx), "zh")
    assert "核对全市数与各县（市、区）合计不一致的数据，统一统计口径。" in _texts(findings.recommendations(ctx), "zh")


def test_recommendations_give_the_pace_the_remaining_years_need():
    # Remaining 2 years: (1,000 − 390) / 2 = 305 a year, against 390 / 3 = 130 so far: 2.3 times.
    # Projection at the current pace: 130 × 5 = 650 → 65.0 % < 90.0 % (basically completed).
    zh = _texts(findings.recommendations(_ctx()), "zh")
    assert zh == [
        "加快推进指标prog：剩余2年每年需完成305个，为此前年均完成量的2.3倍，重点督促乙县。",
        "规划调整建议：按当前进度测算，指标prog期末预计完成65.0%，低于“基本完成”标准90.0%，"
        "建议在中期调整中研究该目标及其实施路径。",
        "督促丙县补报缺失数据，健全统计报送制度。",
    ]   # no "核对…不一致": with C unreported nothing is known to disagree (test above)
    assert _texts(findings.recommendations(_ctx()), "en")[0] == (
        "Speed up indicator prog: the remaining 2 years need 305 units a year, 2.3 times the average "
        "pace so far; press B County in particular.")


def test_end_of_term_speaks_in_grades_and_proposes_no_plan_adjustment():
    ctx = _ctx(stage="final", as_of=2028)   # data stop in 2028; the grade is the verdict
    keys = [f.key for f in findings.problems(ctx)] + [f.key for f in findings.recommendations(ctx)]
    assert "adjust" not in keys and "accelerate" not in keys
    # nothing is left to speed up: the shortfall is explained and carried into the next plan
    # (390 of 1,000 by 2028: not completed; B is the district furthest behind)
    assert "follow_up" not in keys and "carry_over" in keys
    assert "深入分析指标prog未全面完成规划目标的原因（乙县差距较大），在下一个五年规划中统筹研究该目标的设定和实施路径。" \
        in _texts(findings.recommendations(ctx), "zh")
    assert not [x for x in _texts(findings.recommendations(ctx), "en") if "slow" in x or "Speed up" in x]


def test_the_districts_to_press_are_those_furthest_behind_schedule():
    """Ranked by schedule ratio R, as the method ranks districts, not by completion: a district with
    a small share done but little due yet is not behind (hand-made: X 30 of 100 due 50 → R 0.6,
    c 0.15 of 200; Y 50 of 100 due 100 → R 0.5, c 0.5; so Y before X although X completed less)."""
    from types import SimpleNamespace as NS

    import pandas as pd

    results = pd.DataFrame([
        {"indicator": "i", "district": "X", "district_zh": "X县", "district_en": "X County", "status": "lagging",
         "completion": 0.15, "schedule_ratio": 0.6},
        {"indicator": "i", "district": "Y", "district_zh": "Y县", "district_en": "Y County", "status": "limited",
         "completion": 0.5, "schedule_ratio": 0.5},
    ])
    ctx = NS(results=results, plan=NS(city="city"))
    assert [d["zh"] for d in findings._worst_districts(ctx, "i")] == ["Y县", "X县"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_draft_is_marked_and_the_evaluators_text_replaces_it(tmp_path, lang):
    ctx = _ctx(tmp_path)
    draft = findings.section(ctx, "problems", lang).text
    assert 'class="rk-findings rk-drafted"' in draft and "rk-drafted-note" in draft
    own = tmp_path / lang / "sections" / "problems.md"
    own.parent.mkdir(parents=True)
    own.write_text("评估组意见：**老旧小区**改造需加快。\n", encoding="utf-8")
    replaced = findings.section(ctx, "problems", lang).text
    assert "rk-drafted" not in replaced and "<strong>老旧小区</strong>" in replaced
    assert "指标prog完成" not in replaced


def test_nothing_to_report_is_said_in_one_sentence_never_an_empty_section():
    rows = [("prog", d, y, v) for d, v in ((CITY, 200), ("A", 100), ("B", 60), ("C", 40)) for y in (2026, 2027, 2028)]
    plan = make_plan(PROG)
    ev = run_evaluation(plan, frame(rows), "midterm", 2028)
    ctx = SimpleNamespace(plan=plan, results=ev.results, evaluation=ev, meta=ev.meta, stage="midterm",
                          as_of="2028", method=load_method().values, commentary_dir=None)
    assert findings.problems(ctx) == [] and findings.recommendations(ctx) == []
    assert "2028年底" in findings.section(ctx, "problems", "zh").text
    assert "rk-drafted" not in findings.section(ctx, "recommendations", "en").text


def test_key_tasks_behind_or_not_started_are_problems_with_a_recommendation(tmp_path):
    """The synthetic plan's task tree with hand-made progress: 2.1.1.2 and 2.2.2.2 lagging,
    2.1.2 not started (tests/test_report_tasks.py has the same tree)."""
    from reportkit.inputs import catalogue, synthetic
    from reportkit.inputs.task_progress import frame as progress_frame

    _, cat_path = synthetic.write_plan(tmp_path, districts=3, annexes=2, tasks=True)
    plan = catalogue.load_plan(cat_path)
    rows = [("2.1.1.2", "lagging", "进度通报"), ("2.2.2.2", "lagging", ""), ("2.1.2", "not_started", ""),
            ("2.2.1", "on_track", "")]
    progress = progress_frame([{"task": t, "progress": p, "evidence": e, "lead": "", "as_of": "2028-06-30",
                                "reason": "", "note": "", "location": f"f.xlsx: T!D{k}", "illustrative": False}
                               for k, (t, p, e) in enumerate(rows, start=5)])
    ctx = SimpleNamespace(plan=plan, task_progress=progress)
    found = findings._task_findings(ctx)
    assert [(f.key, f.values["n"]) for f in found] == [("tasks_lagging", 2), ("tasks_not_started", 1)]
    zh = findings.sentence(found[1], "zh")
    assert zh.startswith("1项重点任务尚未启动：2.1.2 ") and zh.endswith("。")
    assert findings.sentence(found[0], "en").startswith("2 key tasks are behind schedule: 2.1.1.2 ")


def test_a_pace_the_district_already_keeps_is_kept_up_not_sped_up():
    """Front-loaded plan, 1,000 by 2030: due by 2028 703 (A 360 + B 210 + C 133); the city did
    200 a year = 600 (R = 0.85, lagging). The remaining (1,000 − 600) / 2 = 200 a year equals the
    pace so far (1.0 times): keep it up, rather than "speed up … 1.0 times"."""
    prog = ind("prog", "cumulative", 1000, schedule={CITY: [234, 234, 235, 148, 149], "A": [120, 120, 120, 70, 70],
                                                     "B": [70, 70, 70, 45, 45],
                                                     "C": [44, 44, 45, 33, 34]})
    rows = [(r, d, y, v) for y in (2026, 2027, 2028)
            for r, d, v in (("prog", CITY, 200), ("prog", "A", 100), ("prog", "B", 60), ("prog", "C", 40))]
    ctx = _ctx(prog=prog, rows=rows)
    zh = _texts(findings.recommendations(ctx), "zh")
    assert any(x.startswith("保持指标prog推进力度：剩余2年每年需完成200个，与此前年均完成量基本持平") for x in zh), zh
    assert not any("1.0倍" in x for x in zh)
    assert any(x.startswith("Keep up indicator prog: the remaining 2 years need 200 units a year, about the "
                            "average pace so far") for x in _texts(findings.recommendations(ctx), "en"))


def test_a_target_moving_away_is_told_as_the_move_not_a_negative_completion():
    """The default plan's floor area per person: 42.5 (2020) → 42.4 (2023) against a target of 43:
    said as the move (由基期42.5平方米/人变为42.4平方米/人), not as "完成-20.2%"."""
    from reportkit.report.context import load_context

    ctx = load_context(stage="midterm")
    zh = _texts(findings.problems(ctx), "zh")
    assert "城镇居民人均住房建筑面积由基期42.5平方米/人变为42.4平方米/人，与规划目标方向相反，评估为“逆向变化”。" in zh
    assert not [x for x in zh if "完成-" in x]
    en = _texts(findings.problems(ctx), "en")
    assert ("Per-capita housing floor area of urban residents: from 42.5 to 42.4 m² per person since the baseline "
            "year, against the direction of its target (status: moving away from target).") in en
