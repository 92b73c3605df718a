"""Shared fixtures: the default plan extracted once per session, and the end-to-end build that
the site, notebook, PDF, determinism and publishing tests share (built once per test run)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import settings

from reportkit.config import BUILD_DIR, DEFAULT_CATALOGUE, DEFAULT_PLAN
from reportkit.inputs import catalogue, plan
from reportkit.publishing import pipeline
from reportkit.vocab import LANGS

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


# Fixtures that build a book end to end (Jupyter Book, WeasyPrint, Word): a test using one is in
# the e2e tier whatever its module says, so `make test-fast` stays a unit and property tier.
BUILD_FIXTURES = frozenset({"e2e_site", "editions", "word_editions"})


def pytest_collection_modifyitems(items):
    for item in items:
        if BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


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


# ---- the shared end-to-end build -----------------------------------------------------------
E2E_ROOT = BUILD_DIR / "e2e"
PUBLISHED = ("html", "book", "pdf", "docx", "build.yml")


@cache
def shared_build(stage: str = "midterm") -> Path:
    """``_build/e2e/<stage>`` built once per test run (xdist workers wait for each other): the
    mid-term build most tests share, and the end-of-term one the register scan reads."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
    E2E_ROOT.mkdir(parents=True, exist_ok=True)
    marker = E2E_ROOT / ("run-id" if stage == "midterm" else f"run-id-{stage}")
    with open(E2E_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (marker.is_file() and marker.read_text() == run and (E2E_ROOT / stage / "build.yml").is_file()):
            marker.unlink(missing_ok=True)
            shutil.rmtree(E2E_ROOT / stage, ignore_errors=True)  # from a fresh state
            pipeline.build(pipeline.BuildOptions(stage=stage, langs=list(LANGS), jobs=2, out_root=E2E_ROOT),
                        log=lambda _msg: None)
            marker.write_text(run)
    return E2E_ROOT / stage


def start_cli(args: list[str], **popen) -> subprocess.Popen:
    """``python -m reportkit.cli ARGS`` as a subprocess in a session of its own (so its process
    group can be killed like a crashed machine's), text output unbuffered (progress read live)."""
    kwargs = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True} | popen
    return subprocess.Popen([sys.executable, "-m", "reportkit.cli", *args], start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, **kwargs)


def published_files(root: Path) -> dict[str, Path]:
    """Relative path → file, for what a build publishes (hidden files and caches of tools that
    other tests run inside the shared build, e.g. nbval's, are not the build's output)."""
    out: dict[str, Path] = {}
    for name in PUBLISHED:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for f in files:
            rel = f.relative_to(root)
            if any(part.startswith(".") and part != ".nojekyll" or part == "__pycache__" for part in rel.parts):
                continue
            out[rel.as_posix()] = f
    return out


@pytest.fixture(scope="session")
def e2e_site() -> Path:
    """The shared default mid-term build, both languages, site and PDFs."""
    return shared_build()
