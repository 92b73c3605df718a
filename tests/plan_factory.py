"""Write plan text exports in the same format as the official document, for parser tests.

The format's quirks are reproduced on purpose: tab-led cells, blank lines between rows, a header
cell on two lines (“十四五”年度 / 合计), a unit line above the table, ``[bookmark: …]`` noise.
"""

from __future__ import annotations

from collections.abc import Sequence


def annex_block(number: int, title: str, unit: str, years: Sequence[int],
                rows: Sequence[tuple[str, str, Sequence[str]]], two_line_total: bool = True) -> str:
    """One annex: rows are (district, total cell, yearly cells) as written."""
    total_header = "\t“十五五”年度\n合计" if two_line_total else "\t“十五五”年度合计"
    lines = [f" 附件{number}", "", f"[bookmark: _Toc{number}]{title}", f"              　单位：{unit}",
             "\t地  区", total_header, f"\t“十五五”{title[:6]}", "\t　备注", "",
             "\t", "\t", *[f"\t{y}年度" for y in years], "\t", ""]
    for name, total, cells in rows:
        lines += [f"\t{name}", f"\t{total}", *[f"\t{c}" for c in cells], "\t", ""]
    return "\n".join(lines) + "\n"


def main_table(rows: Sequence[tuple[str, str, str]], year: int) -> str:
    lines = ["“十五五”时期住房发展主要目标", "\t指标名称", f"\t{year}年目标", "\t属性", ""]
    for name, target, attr in rows:
        lines += [f"\t{name}", f"\t{target}", f"\t{attr}", ""]
    lines += ["\t注：[ ]内为5年累计数。", ""]
    return "\n".join(lines)


def plan_text(annexes: Sequence[str], main: str = "") -> str:
    return "附件\n\n某市“十五五”住房发展规划\n[bookmark: _Hlk1]第一章 总则\n正文。\n\n" + main + "\n正文继续。\n\n" + "".join(annexes)
