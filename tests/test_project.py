"""Promises the project makes about itself: documented targets and commands, CI, style."""

from __future__ import annotations

import re
import subprocess
import sys

from reportkit.cli import commands
from reportkit.config import PROJ_ROOT

MAKEFILE = (PROJ_ROOT / "Makefile").read_text(encoding="utf-8")
README = (PROJ_ROOT / "README.md").read_text(encoding="utf-8")


def _phony() -> list[str]:
    names: list[str] = []
    for block in re.findall(r"^\.PHONY:((?:.*\\\n)*.*)$", MAKEFILE, flags=re.M):
        names += block.replace("\\\n", " ").split()
    return names


def test_help_is_the_default_goal():
    assert re.search(r"^\.DEFAULT_GOAL := help$", MAKEFILE, flags=re.M)


def test_every_phony_target_has_a_one_line_help():
    documented = set(re.findall(r"^([a-zA-Z_-]+):.*## .+$", MAKEFILE, flags=re.M))
    assert _phony(), "no .PHONY targets found"
    assert sorted(set(_phony()) - documented) == []
    assert sorted(documented - set(_phony())) == []


def test_make_help_lists_every_target():
    out = subprocess.run(["make", "--no-print-directory", "-C", str(PROJ_ROOT), "help"],
                         capture_output=True, text=True, check=True).stdout
    for target in _phony():
        assert f"make {target} " in out, target


def test_every_cli_command_is_in_the_readme():
    assert commands()
    for name in commands():
        assert f"reportkit {name}" in README or f"reportkit --lang en {name}" in README, name


def test_readme_promises_the_two_commands_and_ci_runs_the_test_one():
    assert "make midterm" in README and "make test" in README
    ci = (PROJ_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, flags=re.M)


def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests"], cwd=PROJ_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
