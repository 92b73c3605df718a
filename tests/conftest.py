"""Shared fixtures: the default plan, extracted once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from reportkit.config import DEFAULT_CATALOGUE, DEFAULT_PLAN
from reportkit.inputs import catalogue, plan

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Property tests explore the same cases on every run, so CI is reproducible; set
# HYPOTHESIS_PROFILE=explore to search new cases locally.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))



@pytest.fixture
def hostile(record_property):
    """Count hostile cases a test tried: ``hostile["what"] += 1``; summed at the end of the run."""
    counts: dict[str, int] = {}
    yield counts
    for what, n in counts.items():
        record_property(f"hostile:{what}", n)


def pytest_terminal_summary(terminalreporter):
    """List how many hostile/fuzzed inputs each reader was given (works under pytest-xdist)."""
    totals: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", []):
                if isinstance(name, str) and name.startswith("hostile:") and report.when == "teardown":
                    totals[name[8:]] = totals.get(name[8:], 0) + int(value)
    if totals:
        terminalreporter.section("hostile inputs tried")
        for what, n in sorted(totals.items()):
            terminalreporter.write_line(f"{what}: {n}")


@pytest.fixture(scope="session")
def dazhou_tables() -> plan.PlanTables:
    return plan.extract(DEFAULT_PLAN)


@pytest.fixture(scope="session")
def dazhou_plan(dazhou_tables) -> catalogue.Plan:
    return catalogue.load(DEFAULT_CATALOGUE, dazhou_tables)
