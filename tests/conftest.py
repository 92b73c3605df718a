"""Shared fixtures: the default plan, extracted once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportkit import catalogue, plan
from reportkit.config import DEFAULT_CATALOGUE, DEFAULT_PLAN

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def dazhou_tables() -> plan.PlanTables:
    return plan.extract(DEFAULT_PLAN)


@pytest.fixture(scope="session")
def dazhou_plan(dazhou_tables) -> catalogue.Plan:
    return catalogue.load(DEFAULT_CATALOGUE, dazhou_tables)
