"""The pages of every edition: names, source notebooks, titles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportkit import config as cfg
from reportkit.i18n import t

if TYPE_CHECKING:  # the context module imports nothing from here; this only names the type
    from reportkit.report.context import ReportContext


# Page notebooks in reading order; "programme" is run once per annex table of the plan.
PAGES = ("summary", "indicators", "programme", "districts", "methodology", "data")


ROOT_PAGE = "summary"  # becomes index.html of each edition


# --------------------------------------------------------------------------------------------
# Pages.
@dataclass(frozen=True)
class Page:
    """One page of every edition: its file name, source notebook and extra parameters."""

    name: str
    notebook: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> Path:
        return cfg.NOTEBOOKS_DIR / f"{self.notebook}.ipynb"


def pages_for(annexes: list[int]) -> list[Page]:
    """The book's pages: the fixed chapters plus one chapter per annex table of the plan."""
    out: list[Page] = []
    for name in PAGES:
        if name == "programme":
            out += [Page(f"programme-{a}", "programme", {"annex": int(a)}) for a in annexes]
        else:
            out.append(Page("index" if name == ROOT_PAGE else name, name))
    return out


def page_title(ctx: ReportContext, page: Page, lang: str) -> str:
    """The heading of a page in ``lang`` (programme chapters: the catalogue's indicator name)."""
    if page.notebook == "programme":
        ind = ctx.annex_indicator(page.params["annex"])
        if ind is not None:
            return ind.label(lang)
        return t("report.pages.programme_fallback", lang, annex=page.params["annex"])
    return t(f"report.pages.{page.notebook}", lang)


def markdown_text(text: str) -> str:
    """Plain text safe inside Markdown: every ASCII punctuation mark backslash-escaped.

    Titles come from the plan and its catalogue (input data): without this, ``<img onerror>``
    in an indicator name would reach the page as live HTML through MyST, and ``*`` as emphasis.
    """
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)
