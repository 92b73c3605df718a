"""Sphinx extension: the report's chapter numbers in the site's page titles.

``reportkit build`` writes each page's title led by its number in the printed report
(一、 / （一） / 附件1 in Chinese, 3 / 3.1 / Annex 1 in English; ``publishing.book.page_numbers``,
the rule the PDF and Word file number their headings by) in the ``rk-num`` role:
``# {rk-num}`三、`专项任务（附表）推进情况``. The role is a span of class ``section-number``,
as Sphinx's own section numbers are: the page and the navigation (whose entries are the titles'
text) show the number; print, which numbers its headings itself, drops the span.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes


def number_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
                options: dict | None = None, content: list | None = None) -> tuple[list, list]:
    return [nodes.inline(rawtext, text, classes=["section-number"])], []


def setup(app) -> dict[str, Any]:
    app.add_role("rk-num", number_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
