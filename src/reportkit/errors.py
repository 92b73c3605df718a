"""User-facing errors: what is wrong and where, in the user's language, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Location:
    """Where a problem is: file, and optionally sheet + cell, CSV line, or a named row."""

    file: str
    sheet: str | None = None
    cell: str | None = None
    line: int | None = None
    row: str | None = None

    def render(self, lang: str = "zh") -> str:
        from reportkit.i18n import t

        parts = [self.file]
        if self.sheet and self.cell:
            parts.append(f"{self.sheet}!{self.cell}")
        elif self.sheet:
            parts.append(self.sheet)
        elif self.cell:
            parts.append(self.cell)
        if self.line is not None:
            parts.append(t("errors.loc_line", lang, n=self.line))
        if self.row:
            parts.append(self.row)
        return ": ".join(parts)


@dataclass
class Problem:
    """One located problem. ``key`` is a message id in the ``group`` locale group (default ``errors``)."""

    key: str
    location: Location | None = None
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"  # "error" | "warning"
    group: str = "errors"    # locale group of ``key`` (a stage may keep its own, e.g. actuals_errors)

    def message(self, lang: str = "zh") -> str:
        from reportkit.i18n import t

        text = t(f"{self.group}.{self.key}", lang, **self.params)
        where = self.location.render(lang) if self.location else ""
        label = t(f"errors.severity_{self.severity}", lang)
        return f"{label} {where}: {text}" if where else f"{label} {text}"


class ReportkitError(Exception):
    """A user error carrying one or more located problems."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__(self.render("en"))

    def render(self, lang: str = "zh") -> str:
        return "\n".join(p.message(lang) for p in self.problems)


def report_problem(key: str, location: Location | None = None, params: dict[str, Any] | None = None,
                   severity: str = "error") -> Problem:
    """A located problem of the report build; its text is ``report.error.<key>``."""
    return Problem(key, location, params or {}, severity, group="report.error")
