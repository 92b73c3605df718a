"""The evaluation date (as_of) of a stage: the end of a year or of a month within the plan."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportkit.errors import Location, ReportkitError
from reportkit.inputs.catalogue import Plan
from reportkit.inputs.method import (
    Method,
    as_method,
    method_problem,
)
from reportkit.vocab import STAGES

_AS_OF = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?\s*$")


# --------------------------------------------------------------------------- time
@dataclass(frozen=True)
class AsOf:
    """The evaluation date: the end of ``year`` (month 12) or the end of ``year-month``."""

    year: int
    month: int = 12

    @property
    def label(self) -> str:
        return str(self.year) if self.month == 12 else f"{self.year}-{self.month:02d}"

    def months_since(self, baseline_year: int) -> int:
        """Months from the end of the baseline year to this date."""
        return 12 * (self.year - baseline_year - 1) + self.month


def parse_as_of(value: AsOf | int | str | None, plan: Plan, stage: str = "midterm",
                method: Method | None = None) -> AsOf:
    """The as_of of a stage (default) or given as YYYY / YYYY-MM; outside the plan → error."""
    if stage not in STAGES:
        raise ReportkitError(method_problem("bad_stage", Location("--stage"), {"value": stage}))
    if value is None or (isinstance(value, str) and not value.strip()):
        m = method or as_method(None)
        if stage == "annual":   # a yearly report is for the year it is asked for, never a default one
            raise ReportkitError(method_problem("annual_needs_year", Location("--year"), {
                "first": plan.first_year, "last": plan.last_year}))
        if stage == "final":
            return AsOf(plan.last_year)
        year = min(plan.first_year + int(m["midterm_year_index"]) - 1, plan.last_year)
        return AsOf(year)
    if isinstance(value, AsOf):
        as_of = value
    else:
        match = _AS_OF.match(str(value))
        if not match or (match.group(2) and not 1 <= int(match.group(2)) <= 12):
            raise ReportkitError(method_problem("bad_as_of", Location("--as-of"), {"value": value}))
        as_of = AsOf(int(match.group(1)), int(match.group(2) or 12))
    if not plan.first_year <= as_of.year <= plan.last_year:
        raise ReportkitError(method_problem("as_of_outside", Location("--as-of"), {
            "value": as_of.label, "first": plan.first_year, "last": plan.last_year}))
    return as_of
