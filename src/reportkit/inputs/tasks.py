"""Stage 1b — the plan's task tree (主要任务): chapters, sections, tasks and the items inside them.

:func:`parse_tasks` reads the lines of a plan's text export (bookmarks already removed by
:func:`reportkit.inputs.plan.read_plan_text`) into the ``tasks`` table (columns
:data:`reportkit.vocab.TASK_COLUMNS`): one row per chapter, section, task and item, with a
stable id (``3.2.1``: chapter number as the plan writes it, then the position inside it).

Nothing here knows a plan. What it relies on:

* a task chapter is a chapter heading (``第X章`` / ``第X部分``) whose title contains one of the
  configured headings (default :data:`DEFAULT_HEADINGS`; the catalogue's ``task_chapters``);
  it ends at the next heading of the same kind or at the annexes (``附件N``);
* headings inside it use the usual numbering styles — ``第X节``, ``一、``, ``（一）``, ``1.`` — and
  nest in the order they first appear: the first style gives the sections, the next the tasks,
  the next the items. With a ``第X节`` style and one other (the default plan), or a single style,
  the levels are section → task or task alone;
* an item without a number is a paragraph that opens with a short lead phrase (``明确对象标准。…``);
  a task counts such paragraphs as items only when it has at least two (a list of measures),
  so a single paragraph that happens to start with a short sentence stays the task's text;
* a heading may continue on the next line (a short line without sentence punctuation), and
  headings may carry stray blanks (``第 三 章``, ``（ 一 ）``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from reportkit.vocab import TASK_COLUMNS

DEFAULT_HEADINGS: tuple[str, ...] = ("主要任务", "重点任务")

NUMERAL = "一二三四五六七八九十百零〇两"
_CN = {c: k for k, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
CHAPTER = re.compile(rf"^第\s*([{NUMERAL}\d]+)\s*(章|部分|篇)\s*(.*)$")
BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")   # the export's anchors, anywhere in a line
ANNEX = re.compile(r"^\s*附\s*件\s*\d+\s*$")
# Numbering styles below a chapter, tried in this order on every line.
STYLES: dict[str, re.Pattern[str]] = {
    "jie": re.compile(rf"^第\s*([{NUMERAL}\d]+)\s*节\s*(.*)$"),
    "dun": re.compile(rf"^([{NUMERAL}]+)\s*[、．.]\s*(.+)$"),
    "paren": re.compile(rf"^[（(]\s*([{NUMERAL}]+)\s*[）)]\s*(.+)$"),
    "arabic": re.compile(r"^(\d{1,2})\s*(?:[、．]|\.(?!\d))\s*(.+)$"),
    "arabic_paren": re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*(.+)$"),
}
LEAD_MAX = 20           # a lead phrase is a first sentence of at most this many characters
SENTENCE_END = "。！？；"
CONTINUATION_MAX = 14   # a heading's second line: short, and no sentence punctuation
# A responsible body named in the text: "住建部门发挥牵头作用", "由市住建局牵头", "牵头单位：…".
LEAD_BODY = (
    re.compile(r"(?:牵头|责任)(?:单位|部门)\s*[:：]\s*([^。；;，,\s]{2,30})"),
    re.compile(r"由([^。；，,、\s]{2,20}?(?:部门|局|委员会|委|办公室|办|政府|中心|厅))(?:负责)?牵头"),
    re.compile(r"([^。；，,、\s]{2,20}?(?:部门|局|委员会|委|办公室|办|政府|中心|厅))(?:发挥)?牵头"),
)


_WIDE = str.maketrans("０１２３４５６７８９", "0123456789")


def normalise(line: str) -> str:
    """A line as headings are matched and titles kept: full-width digits as ASCII, runs of
    blanks (also full-width) as one, none at the ends. Chinese punctuation stays as written
    (NFKC would turn "，" into ",")."""
    return re.sub(r"\s+", " ", line.translate(_WIDE).replace("\u3000", " ")).strip()


def numeral(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 3 → 3; None when it is not a number."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN and c not in "十百" for c in text):
        return None
    total, current = 0, 0
    for c in text:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN[c]
    return total + current


def heading_style(line: str) -> tuple[str, str, bool] | None:
    """(style, title, prose) of a numbered line, or None for an unnumbered one.

    ``prose``: the numbered line is a paragraph (``1. 盘活存量房屋。利用…``); its title is then the
    lead phrase it opens with, and a numbered paragraph without one is not a heading."""
    text = normalise(line)
    for style, pattern in STYLES.items():
        m = pattern.match(text)
        if m and numeral(m.group(1)) is not None:
            title = m.group(2).strip()
            if style != "jie" and _is_prose(title):
                lead = lead_phrase(title)
                return (style, lead, True) if lead else None
            return style, title, False
    return None


def _is_prose(title: str) -> bool:
    """A numbered line that is a sentence of text rather than a heading."""
    return len(title) > 60 or any(title.rstrip("。").count(p) for p in "。；")


def _is_continuation(line: str) -> bool:
    text = normalise(line)
    return (0 < len(text) <= CONTINUATION_MAX and not any(p in text for p in SENTENCE_END + "，,：:")
            and heading_style(text) is None and not CHAPTER.match(text) and not ANNEX.match(text))


def lead_phrase(paragraph: str) -> str | None:
    """The short first sentence a paragraph opens with (``明确对象标准``), or None."""
    text = normalise(paragraph)
    m = re.match(rf"^([^{SENTENCE_END}]{{2,{LEAD_MAX}}})。(.+)$", text)
    return m.group(1).strip() if m and m.group(2).strip() else None


def responsible_body(text: str) -> str:
    """The body the text names as lead (牵头), or empty when it names none."""
    for pattern in LEAD_BODY:
        if m := pattern.search(normalise(text)):
            return m.group(1).strip()
    return ""


@dataclass
class _Node:
    level: str
    title: str
    quote: str
    line: int
    paragraphs: list[tuple[int, str]] = field(default_factory=list)   # (line index, text)
    children: list[_Node] = field(default_factory=list)


def _chapters(lines: Sequence[str], headings: Sequence[str]) -> list[tuple[int, int, int, int, str, str]]:
    """(heading line, body start, body end, number, title, quote) of every task chapter."""
    found = []
    chapter_lines = [(i, m) for i, line in enumerate(lines) if (m := CHAPTER.match(normalise(line)))]
    ordinal = 0
    for k, (i, m) in enumerate(chapter_lines):
        title = m.group(3).strip()
        j = i + 1
        if not title and j < len(lines):   # "第三章" alone, its title on the next line
            title, j = normalise(lines[j]), j + 1
        elif j < len(lines) and _is_continuation(lines[j]):
            title, j = title + normalise(lines[j]), j + 1
        compact = title.replace(" ", "")
        if not any(h.replace(" ", "") in compact for h in headings):
            continue
        ordinal += 1
        end = chapter_lines[k + 1][0] if k + 1 < len(chapter_lines) else len(lines)
        annex = next((x for x in range(j, end) if ANNEX.match(lines[x])), end)
        number = numeral(m.group(1)) or ordinal
        found.append((i, j, annex, number, title, lines[i].strip()))
    return found


def _tree(body: list[tuple[int, str]]) -> list[_Node]:
    """The sections/tasks/items of one chapter body (line number, text)."""
    styles: list[str] = []
    for _i, line in body:
        hs = heading_style(line)
        if hs and hs[0] not in styles:
            styles.append(hs[0])
    levels = ["section", "task", "item"]
    if len(styles) == 1 and styles[0] != "jie":
        levels = ["task", "item"]
    level_of = {s: levels[k] for k, s in enumerate(styles[:len(levels)])}
    roots: list[_Node] = []
    stack: list[_Node] = []   # open headings, outermost first
    order = {"section": 0, "task": 1, "item": 2}
    k = 0
    while k < len(body):
        i, line = body[k]
        k += 1
        text = normalise(line)
        if not text:
            continue
        hs = heading_style(line)
        if hs and hs[0] in level_of:
            level = level_of[hs[0]]
            title, quote = hs[1], line.strip()
            # A heading cut over two lines ("…平稳健康" / "发展").
            while not hs[2] and k < len(body) and _is_continuation(body[k][1]):
                title += normalise(body[k][1])
                quote += body[k][1].strip()
                k += 1
            node = _Node(level, title, quote, i, [(i, line.strip())] if hs[2] else [])
            while stack and order[stack[-1].level] >= order[level]:
                stack.pop()
            (stack[-1].children if stack else roots).append(node)
            stack.append(node)
        elif stack:
            stack[-1].paragraphs.append((i, line.strip()))
    return roots


def _lead_items(node: _Node) -> None:
    """Turn a task's lead-phrase paragraphs into items (when it lists at least two)."""
    for child in node.children:
        _lead_items(child)
    if node.level != "task" or node.children:
        return
    leads = [(p, lead_phrase(p[1])) for p in node.paragraphs]
    if sum(1 for _p, lead in leads if lead) < 2:
        return
    kept = []
    for p, lead in leads:
        if lead:
            node.children.append(_Node("item", lead, p[1], p[0], [p]))
        elif node.children:   # a paragraph after an item continues it
            node.children[-1].paragraphs.append(p)
        else:
            kept.append(p)    # the task's own opening text
    node.paragraphs = kept


def parse_tasks(lines: Sequence[str], headings: Sequence[str] | None = None) -> pd.DataFrame:
    """The task tree of the plan's task chapter(s); an empty table when the plan has none."""
    headings = tuple(headings) if headings else DEFAULT_HEADINGS
    lines = [BOOKMARK.sub("", line) for line in lines]
    rows: list[dict[str, object]] = []

    def emit(node: _Node, node_id: str, parent: str) -> None:
        texts = [p for _i, p in node.paragraphs]
        own = " ".join(texts if node.level == "item" else [node.title, *texts])
        rows.append({"id": node_id, "level": node.level, "parent": parent, "title_zh": node.title,
                     "title_en": "", "lead": responsible_body(own), "quote": node.quote,
                     "line": node.line + 1})
        for n, child in enumerate(node.children, start=1):
            emit(child, f"{node_id}.{n}", node_id)

    for head, start, end, number, title, quote in _chapters(lines, headings):
        roots = _tree([(i, lines[i]) for i in range(start, end)])
        for root in roots:
            _lead_items(root)
        chapter = _Node("chapter", title, quote, head, children=roots)
        emit(chapter, str(number), "")
    frame = pd.DataFrame(rows, columns=TASK_COLUMNS)
    frame["line"] = frame["line"].astype(int)
    return frame


def untranslated(plan: object) -> list[tuple[str, str]]:
    """(id, Chinese title) of every node of a resolved plan's task tree without an English title."""
    tree = getattr(plan, "tasks", None)
    if tree is None or tree.empty:
        return []
    rows = tree[tree["title_en"].astype(str).str.strip() == ""]
    return list(zip(rows["id"], rows["title_zh"], strict=True))
