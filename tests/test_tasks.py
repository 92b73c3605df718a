"""The plan's task tree (主要任务): the default plan against a list typed from the document, a
second numbering style, the export's noise, plans without a task chapter, the catalogue's part."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportkit.config import DEFAULT_CATALOGUE, DEFAULT_PLAN
from reportkit.errors import ReportkitError
from reportkit.inputs import catalogue, plan, synthetic
from reportkit.inputs.tasks import (
    heading_style,
    lead_phrase,
    numeral,
    parse_tasks,
    responsible_body,
    untranslated,
)

PLANS = Path(__file__).resolve().parent / "fixtures" / "plans"

# 第三章 主要任务 of the default plan, typed from the document: section → its numbered tasks.
DAZHOU_SECTIONS = {
    "健全住房市场体系，促进房地产市场平稳健康发展": [
        "落实城市主体责任制", "稳定住房供应规模，完善住宅用地机制", "加大房地产市场监管力度",
        "强化住房金融风险管控", "推动川渝房地产市场战略合作"],
    "完善住房保障体系，多元化增加保障性住房供应": [
        "积极发展保障性租赁住房", "进一步规范发展公租房", "稳步推进棚户区改造", "适时发展共有产权住房",
        "加快完善保障性住房管理机制", "全面推动川渝两地住房保障共建共享多级互动"],
    "规范发展住房租赁市场": [
        "加快培育专业化市场供应主体", "鼓励住房租赁消费", "多主体、多渠道扩充租赁房源",
        "建设住房租赁管理服务平台", "规范住房租赁市场管理"],
    "大力提升居住品质，打造高品质生活宜居地": [
        "加快城镇老旧小区改造，助推实施城市更新行动", "全面提升住房品质", "完善居住配套", "推动适老宜居社区建设"],
    "加快物业服务转型升级发展，助推城市基层治理能力提升": [
        "加强物业服务制度建设", "提升物业服务能力助推基层治理", "夯实物业服务业发展基础", "强化保障增强产业发展动力"],
    "改革完善住房公积金制度，保障缴存职工基本住房需求": [
        "进一步扩大受益群体覆盖面", "加强逾期管理确保资金安全", "加强全市住房公积金管理服务平台",
        "全面提升监管水平", "提升管理服务质效", "推进川渝住房公积金一体化发展"],
}
# The tasks that list measures by lead phrase (each paragraph opens with one), and those phrases.
DAZHOU_ITEMS = {
    "3.1.4": ["坚决贯彻“房住不炒”", "持续抓好“问题楼盘”化解处置"],
    "3.2.1": ["明确对象标准", "丰富市场主体", "多渠道筹集房源", "加强监督管理", "落实政策支持", "加强示范引领"],
    "3.2.2": ["发挥基本保障作用", "货币补贴和实物保障并举", "健全公租房后期管理机制"],
    "3.4.1": ["明确范围，把握重点", "摸清底数，编制规划", "因地制宜，分类改造", "多方参与，形成合力",
              "完善资金筹措机制", "注重长效管理", "注重历史文化保护", "融入城市更新，系统化提升城市品质"],
    "3.4.2": ["提高规划设计水平", "加强住宅工程质量安全监管"],
    "3.4.4": ["推动新建居住区适老化设施建设", "加快推进老旧小区适老化改造"],
    "3.5.2": ["加强党建引领", "构建物业服务监管机制", "提升物业服务公共应急能力", "建立物业纠纷化解处理机制"],
    "3.5.3": ["建立物业服务业统筹推进机制", "严格执行项目招投标制度", "推行物业服务价格调整机制",
              "完善住宅专项维修资金制度", "推进物业服务业智慧化", "完善物业服务产业体系"],
    "3.5.4": ["加强物业服务业人才培养", "加大物业服务业政策支持力度", "开展物业服务业发展跟踪监测",
              "营造物业服务业发展氛围"],
}


def test_default_plan_tree_matches_the_document(dazhou_tables):
    tree = dazhou_tables.tasks
    chapter = tree[tree["level"] == "chapter"]
    assert list(chapter["id"]) == ["3"] and list(chapter["title_zh"]) == ["主要任务"]
    sections = tree[tree["level"] == "section"]
    assert list(sections["title_zh"]) == list(DAZHOU_SECTIONS)          # 6, the two cut headings joined
    assert list(sections["id"]) == [f"3.{k}" for k in range(1, 7)]
    tasks = tree[tree["level"] == "task"]
    assert len(tasks) == 30
    for s, (title, expected) in enumerate(DAZHOU_SECTIONS.items(), start=1):
        mine = tasks[tasks["parent"] == f"3.{s}"]
        assert list(mine["title_zh"]) == expected, title
        assert list(mine["id"]) == [f"3.{s}.{k}" for k in range(1, len(expected) + 1)]
    items = tree[tree["level"] == "item"]
    assert {p: list(g["title_zh"]) for p, g in items.groupby("parent", sort=False)} == DAZHOU_ITEMS
    assert len(items) == 37
    assert tree["id"].is_unique


def test_default_plan_quotes_and_lead(dazhou_tables):
    text = plan.read_plan_text(DEFAULT_PLAN)
    tree = dazhou_tables.tasks.set_index("id")
    for node_id in ("3", "3.2.1", "3.2.1.1", "3.6.6"):
        assert tree.loc[node_id, "quote"] in text
    assert tree.loc["3.2.1.1", "quote"].startswith("明确对象标准。主要面向符合条件的新市民")
    assert "[bookmark" not in "".join(tree["quote"])
    # The one body the chapter names as lead: 住建部门发挥牵头作用 (in 持续抓好“问题楼盘”化解处置).
    assert dict(zip(tree.index[tree["lead"] != ""], tree["lead"][tree["lead"] != ""], strict=True)) == {
        "3.1.4.2": "住建部门"}
    lines = text.split("\n")
    assert lines[int(tree.loc["3.4", "line"]) - 1].strip().startswith("第四节")


def test_second_numbering_style_with_noise():
    """一、 sections, （一） tasks, 1./2． items, bookmarks, blanks in numbers, a cut heading."""
    tree = parse_tasks(synthetic.task_chapter().split("\n"), ["重点任务"]).drop(columns=["quote"])
    got = [tuple(r) for r in tree[["id", "level", "parent", "title_zh", "lead"]].itertuples(index=False)]
    assert got == [
        ("2", "chapter", "", "重点任务", ""),
        ("2.1", "section", "2", "增加保障性住房供给", ""),
        ("2.1.1", "task", "2.1", "扩大保障性租赁住房", ""),
        ("2.1.1.1", "item", "2.1.1", "盘活存量房屋", ""),
        ("2.1.1.2", "item", "2.1.1", "新建一批项目", ""),
        ("2.1.2", "task", "2.1", "完善公租房管理机制", "市住房城乡建设局"),
        ("2.2", "section", "2", "提升居住品质", ""),
        ("2.2.1", "task", "2.2", "推进老旧小区改造", ""),
        ("2.2.2", "task", "2.2", "加强物业管理", ""),
        ("2.2.2.1", "item", "2.2.2", "加强物业服务监管", ""),
        ("2.2.2.2", "item", "2.2.2", "提高物业服务水平", ""),
    ]   # 第三章 保障措施 ends the chapter: 加强组织领导。 is not read


def test_tasks_directly_under_the_chapter_and_arabic_numbers():
    lines = ["第四章 重点任务", "1. 建设租赁住房", "正文。", "2、改造老旧小区", "（1）完善设施", "（2）加装电梯",
             "第五章 保障措施"]
    tree = parse_tasks(lines)
    assert list(zip(tree["id"], tree["level"], tree["title_zh"], strict=True)) == [
        ("4", "chapter", "重点任务"), ("4.1", "section", "建设租赁住房"), ("4.2", "section", "改造老旧小区"),
        ("4.2.1", "task", "完善设施"), ("4.2.2", "task", "加装电梯")]
    one_style = parse_tasks(["第四章 重点任务", "一、建设租赁住房", "二、改造老旧小区"])
    assert list(one_style["level"]) == ["chapter", "task", "task"]


def test_numerals_and_headings():
    assert [numeral(x) for x in ("一", "十", "十二", "二十", "二十三", "3", "一百零五", "甲")] == [
        1, 10, 12, 20, 23, 3, 105, None]
    assert heading_style("（ 三 ）推进改造") == ("paren", "推进改造", False)
    assert heading_style("　　四、强化管控") == ("dun", "强化管控", False)
    assert heading_style("2025年完成改造。") is None          # a year is not a number heading
    assert heading_style("10.5万套任务已下达。") is None
    assert heading_style("一是加强领导，二是完善机制。") is None
    assert lead_phrase("明确对象标准。主要面向新市民。") == "明确对象标准"
    assert lead_phrase("只有一句。") is None                   # nothing after the lead: not an item
    assert lead_phrase("坚持“房子是用来住的，不是用来炒的”定位，落实房地产市场平稳健康发展城市主体责任制。后文") is None
    assert responsible_body("由市住房公积金中心牵头，各县配合。") == "市住房公积金中心"
    assert responsible_body("牵头单位：市住建局") == "市住建局"
    assert responsible_body("加强部门协作。") == ""


def test_a_single_lead_phrase_paragraph_is_not_an_item():
    """3.3.5 is one paragraph opening with a short sentence: the task's text, not a list."""
    tree = parse_tasks(["第一章 主要任务", "一、规范市场", "推动落实合同网签备案制度。立足供需关系。"])
    assert list(tree["level"]) == ["chapter", "task"]


def test_plan_without_task_chapter_has_an_empty_tree(tmp_path):
    tables = plan.extract(PLANS / "qingshan-2026-2030.txt")
    assert tables.tasks.empty and list(tables.tasks.columns) == list(plan.TASK_COLUMNS)
    named = plan.extract(PLANS / "qingshan-2026-2030.txt", ["重点任务"])
    assert named.tasks.empty and [w.key for w in named.warnings] == ["plan_no_task_chapter"]
    plan.write_tables(tables, tmp_path)
    assert plan.load_tables(tmp_path).tasks.empty


def test_tasks_csv_round_trip(dazhou_tables, tmp_path):
    written = plan.write_tables(dazhou_tables, tmp_path)
    assert "tasks.csv" in written
    back = plan.load_tables(tmp_path).tasks
    assert back.equals(dazhou_tables.tasks.astype({"line": int}))


def test_catalogue_titles_and_headings(tmp_path):
    plan_path, cat_path = synthetic.write_plan(tmp_path, districts=3, annexes=2, tasks=True)
    p, tables = catalogue.open_plan(cat_path)
    en = dict(zip(p.tasks["id"], p.tasks["title_en"], strict=True))
    assert en["2.1.1"] == "Expand subsidised rental housing" and en["2.1.2"] == ""
    assert [i for i, _ in untranslated(p)] == ["2.1.1.1", "2.1.1.2", "2.1.2", "2.2.1", "2.2.2", "2.2.2.1",
                                              "2.2.2.2"]
    # A heading the catalogue configures replaces the defaults.
    text = cat_path.read_text(encoding="utf-8").replace("- 重点任务", "- 实施任务")
    cat_path.write_text(text, encoding="utf-8")
    with pytest.raises(ReportkitError) as err:   # its titles now name ids the (empty) tree lacks
        catalogue.open_plan(cat_path)
    assert "2.1.1" in err.value.render("en")


def test_catalogue_task_ids_must_be_quoted(tmp_path):
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8").replace('{id: "3.1", en:', "{id: 3.1, en:")
    bad = tmp_path / "catalogue.yml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ReportkitError) as err:
        catalogue.load(bad)
    (problem,) = err.value.problems
    assert problem.location.line == text.split("\n").index(
        next(line for line in text.split("\n") if "{id: 3.1, en:" in line)) + 1
    assert "tasks[1].id" in problem.message("en")


def test_default_catalogue_translates_every_task(dazhou_plan):
    assert len(dazhou_plan.tasks) == 74 and untranslated(dazhou_plan) == []
