"""Synthetic plans: a plan text export plus its catalogue, of any size, for tests and benchmarks.

The text follows the official export format (tab-led cells, blank lines between rows, a two-line
header cell, a unit line, ``[bookmark: …]`` noise), so it exercises the same parser as a real
plan. Everything is derived from the arguments; nothing refers to the embedded default plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

PERIOD_NAMES = {2021: "十四五", 2026: "十五五", 2031: "十六五"}


def _period(first_year: int) -> str:
    return PERIOD_NAMES.get(first_year, f"{first_year}—{first_year + 4}年")


def annex_block(number: int, title: str, unit: str, years: Sequence[int],
                rows: Sequence[tuple[str, str, Sequence[str]]], two_line_total: bool = True) -> str:
    """One annex table; ``rows`` are (district, total cell, yearly cells) as written."""
    period = _period(years[0]) if years else "十五五"
    total_header = f"\t“{period}”年度\n合计" if two_line_total else f"\t“{period}”年度合计"
    lines = [f" 附件{number}", "", f"[bookmark: _Toc{number}]{title}", f"              　单位：{unit}",
             "\t地  区", total_header, f"\t“{period}”{title[:6]}", "\t　备注", "",
             "\t", "\t", *[f"\t{y}年度" for y in years], "\t", ""]
    for name, total, cells in rows:
        lines += [f"\t{name}", f"\t{total}", *[f"\t{c}" for c in cells], "\t", ""]
    return "\n".join(lines) + "\n"


def main_table(rows: Sequence[tuple[str, str, str]], year: int) -> str:
    """The main indicator table: (name with unit, target as written, attribute)."""
    lines = ["住房发展主要目标", "\t指标名称", f"\t{year}年目标", "\t属性", ""]
    for name, target, attr in rows:
        lines += [f"\t{name}", f"\t{target}", f"\t{attr}", ""]
    lines += ["\t注：[ ]内为5年累计数。", ""]
    return "\n".join(lines)


def plan_text(annexes: Sequence[str], main: str = "", title: str = "某市住房发展规划", body: str = "正文。") -> str:
    """A whole document: title, body text, the main table, then the annexes."""
    return f"附件\n\n{title}\n[bookmark: _Hlk1]第一章 总则\n{body}\n\n{main}\n正文继续。\n\n" + "".join(annexes)


def task_chapter(number: str = "二", heading: str = "重点任务") -> str:
    """A task chapter numbered in a second style: 一、 sections, （一） tasks, 1. items.

    With the export's noise: bookmarks, blanks inside the numbers and a heading cut over two
    lines. Its tree (chapter 2): 2.1 / 2.1.1 (items 2.1.1.1, 2.1.1.2) / 2.1.2 (lead
    市住房城乡建设局) / 2.2 / 2.2.1 / 2.2.2, and 2.2.2 holds two unnumbered lead-phrase items."""
    return "\n".join([
        f"第 {number} 章　{heading}",
        "[bookmark: _Toc101][bookmark: _Toc102]一、 增加保障性住房供给",
        "（一）扩大保障性租赁住房",
        "加快筹集房源，优先面向新市民、青年人。",
        "1. 盘活存量房屋。利用闲置房屋和商业办公用房改建保障性租赁住房。",
        "2．新建一批项目。在产业园区配套建设宿舍型保障性租赁住房。",
        "[bookmark: _Toc103]（ 二 ）完善公租房",
        "管理机制",
        "由市住房城乡建设局牵头，完善公租房准入、轮候和退出管理。",
        "二、提升居住品质",
        "（一）推进老旧小区改造",
        "按年度计划推进城镇老旧小区改造，完善水电气路等配套设施。",
        "（二）加强物业管理",
        "加强物业服务监管。建立物业服务企业信用评价制度，定期公布评价结果。",
        "提高物业服务水平。推广智慧物业，提升居民满意度。",
        "",
        "第三章　保障措施",
        "加强组织领导。",
        "",
    ])


def write_plan(out_dir: Path, *, districts: int = 20, annexes: int = 8, first_year: int = 2026,
               years: int = 5, city: str = "青山市", names: Sequence[str] | None = None,
               prose: str = "", tasks: bool = False) -> tuple[Path, Path]:
    """Write ``plan.txt`` and ``catalogue.yml`` for a plan of the given size; return both paths.

    Indicators: ``annexes`` cumulative annex programmes (district × year schedules, city row =
    sum of districts), plus two main-table indicators with no annex: a level indicator with a
    stated baseline and a five-year cumulative total. With annexes=8 that is 10 indicators.
    ``names`` replaces the districts' names (第1区 …); ``prose`` is added to the plan's text.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    year_list = list(range(first_year, first_year + years))
    names = list(names) if names else [f"第{k + 1}区" for k in range(districts)]
    blocks = []
    for n in range(1, annexes + 1):
        per = {d: [((k + n + j) % 4) * 10 * n for j in range(years)] for k, d in enumerate(names)}
        city_cells = [sum(v[j] for v in per.values()) for j in range(years)]
        rows = [(city, str(sum(city_cells)), [str(v) if v else "" for v in city_cells])]
        rows += [(d, str(sum(v)) if sum(v) else "", [str(x) if x else "" for x in v]) for d, v in per.items()]
        blocks.append(annex_block(n, f"{city}“{_period(first_year)}”第{n}项住房保障计划表", "套", year_list, rows))
    last = year_list[-1]
    main = main_table([("人均住房建筑面积（平方米/人）", "45", "预期性"),
                       ("新增住房供应面积（万平方米）", "[1200]", "预期性")], last)
    body = "全市城镇居民人均住房建筑面积达40平方米。" + prose
    if tasks:
        body += "\n\n" + task_chapter()
    text = plan_text(blocks, main, title=f"{city}“{_period(first_year)}”住房发展规划", body=body)
    plan_path = out_dir / "plan.txt"
    plan_path.write_text(text, encoding="utf-8")
    catalogue = {
        "schema_version": 1,
        "plan": {
            "id": f"synthetic-{districts}d-{annexes + 2}i-{first_year}",
            "name": {"zh": f"{city}“{_period(first_year)}”住房发展规划", "en": f"Synthetic housing plan {first_year}–{last}"},
            "region": {"zh": city, "en": "Qingshan"}, "city": city,
            "baseline_year": first_year - 1, "first_year": first_year, "last_year": last,
            "document": "plan.txt",
        },
        "districts": [{"name": city, "en": "Qingshan City (total)"}]
        + [{"name": d, "en": f"District {k + 1}"} for k, d in enumerate(names)],
        "indicators": [
            {"id": "floor_area", "tier": "main", "name": {"zh": "人均住房建筑面积", "en": "Per-capita floor area"},
             "unit": {"zh": "平方米/人", "en": "m² per person"}, "kind": "level", "attribute": "anticipatory",
             "main_row": "人均住房建筑面积",
             "baseline": {"value": 40, "year": first_year - 1, "quote": "全市城镇居民人均住房建筑面积达40平方米"},
             "quote": "全市城镇居民人均住房建筑面积达40平方米"},
            {"id": "housing_supply", "tier": "main", "name": {"zh": "新增住房供应面积", "en": "New housing supply"},
             "unit": {"zh": "万平方米", "en": "10,000 m²"}, "kind": "cumulative", "attribute": "anticipatory",
             "main_row": "新增住房供应面积", "baseline": None, "quote": "[ ]内为5年累计数"},
        ] + [
            {"id": f"programme_{n}", "tier": "annex", "name": {"zh": f"第{n}项住房保障", "en": f"Housing programme {n}"},
             "unit": {"zh": "套", "en": "units"}, "kind": "cumulative", "attribute": "binding" if n == 1 else "anticipatory",
             "annex": n, "baseline": None, "quote": f"第{n}项住房保障计划表"}
            for n in range(1, annexes + 1)
        ],
    }
    if tasks:   # English titles for some nodes: the others show in Chinese, marked
        catalogue["task_chapters"] = ["重点任务"]
        catalogue["tasks"] = [{"id": "2", "en": "Key tasks"},
                              {"id": "2.1", "en": "Increase the supply of subsidised housing"},
                              {"id": "2.1.1", "en": "Expand subsidised rental housing"},
                              {"id": "2.2", "en": "Raise the quality of living"}]
    cat_path = out_dir / "catalogue.yml"
    cat_path.write_text(yaml.safe_dump(catalogue, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return plan_path, cat_path


# ---- the same plan as a Word file ------------------------------------------------------------
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  '<Default Extension="xml" ContentType="application/xml"/>'
                  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                  'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def _blocks(text: str) -> list[str | list[list[list[str]]]]:
    """The export text as paragraphs (str) and tables (rows of cells of paragraphs)."""
    import re

    text = re.sub(r"\[bookmark:[^\]]*\]", "", text)
    blocks: list[str | list[list[list[str]]]] = []
    table: list[list[list[str]]] | None = None
    row: list[list[str]] | None = None
    for line in text.split("\n"):
        if line.startswith("\t"):
            if table is None:
                table = []
                blocks.append(table)
            if row is None:
                row = []
                table.append(row)
            row.append([line[1:]])
        elif line.strip() == "":
            row = None
        elif row is not None:           # second line of a header cell: a second paragraph
            row[-1].append(line.strip())
        else:
            table = None
            blocks.append(line)
    return blocks


def _styled(cell: str, counter: list[int]) -> str:
    """Numbers as a typist might write them: thousands separators, now and then full-width digits."""
    inner = cell.strip("[]")
    if not inner.isdigit():
        return cell
    counter[0] += 1
    out = f"{int(inner):,}" if int(inner) >= 1000 else inner
    out = cell.replace(inner, out)
    if counter[0] % 3 == 0:
        out = out.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _para(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{_esc(text)}</w:t></w:r></w:p>' if text else "<w:p/>"


def _table_xml(rows: list[list[list[str]]], counter: list[int], styled: bool) -> str:
    """One table; a header row shorter than the next is written with merged cells, as Word does:
    a cell over an empty one below is merged down, a cell over several filled ones spans them."""
    width = max(len(r) for r in rows)
    merges: dict[tuple[int, int], str] = {}     # (row, cell) → tcPr inner xml
    for k in range(len(rows) - 1):
        top, below = rows[k], rows[k + 1]
        if len(top) >= len(below):
            continue
        col = 0
        for j in range(len(top)):
            if col >= len(below):
                break
            if "".join(below[col]).strip() == "":
                merges[(k, j)] = '<w:vMerge w:val="restart"/>'
                merges[(k + 1, col)] = "<w:vMerge/>"
                col += 1
            else:
                span = 1   # over the filled cells below, leaving one column for each cell after it
                while (col + span < len(below) and "".join(below[col + span]).strip()
                       and len(below) - (col + span) >= len(top) - j):
                    span += 1
                merges[(k, j)] = f'<w:gridSpan w:val="{span}"/>'
                col += span
    out = [f"<w:tbl><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/></w:tblPr><w:tblGrid>"
           f"{'<w:gridCol/>' * width}</w:tblGrid>"]
    for k, row in enumerate(rows):
        out.append("<w:tr>")
        for j, cell in enumerate(row):
            props = merges.get((k, j), "")
            paras = [(_styled(p, counter) if styled else p) for p in cell]
            body = "".join(_para(p) for p in paras) if "vMerge/" not in props else "<w:p/>"
            out.append(f"<w:tc>{f'<w:tcPr>{props}</w:tcPr>' if props else ''}{body}</w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def docx_bytes(text: str, styled: bool = True) -> bytes:
    """A Word file holding the plan of a text export: paragraphs, tables with merged header
    cells and (``styled``) numbers with thousands separators and full-width digits."""
    import io
    import zipfile

    counter = [0]
    body = "".join(_para(b) if isinstance(b, str) else _table_xml(b, counter, styled) for b in _blocks(text))
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_W}><w:body>'
                f"{body}<w:sectPr/></w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _RELS),
                           ("word/document.xml", document)):
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def write_docx(text_path: Path, out: Path, styled: bool = True) -> Path:
    """Write the Word file of a plan text export (see :func:`docx_bytes`)."""
    out = Path(out)
    out.write_bytes(docx_bytes(Path(text_path).read_text(encoding="utf-8"), styled))
    return out
