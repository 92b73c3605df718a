"""The package's layers import only downwards: inputs → evaluation → report → publishing → cli.

Foundation modules (config, errors, files, i18n, vocab) may be imported by every layer and
import no layer themselves. docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
from pathlib import Path

from reportkit.config import PACKAGE_DIR

LAYERS = {"config": 0, "errors": 0, "files": 0, "i18n": 0, "vocab": 0, "__init__": 5,
          "inputs": 1, "evaluation": 2, "report": 3, "publishing": 4, "cli": 5}


def _layer(module: str) -> int:
    """The layer of ``reportkit.x.y`` (the first part after ``reportkit``)."""
    parts = module.split(".")
    return LAYERS[parts[1]] if len(parts) > 1 else 0


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "reportkit":
            names = [node.module] if node.module != "reportkit" else [f"reportkit.{a.name}" for a in node.names]
            out += [(n, node.lineno) for n in names if n != "reportkit.__version__"]
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "reportkit"]
    return out


def test_every_module_imports_only_its_own_layer_or_below():
    wrong = []
    modules = sorted(PACKAGE_DIR.rglob("*.py"))
    assert len(modules) > 20
    for path in modules:
        rel = path.relative_to(PACKAGE_DIR).with_suffix("")
        own = LAYERS[rel.parts[0]]
        for target, line in _imports(path):
            if target == "reportkit.__version__" or target == "reportkit":
                continue
            if _layer(target) > own:
                wrong.append(f"{rel}:{line} imports {target}")
    assert wrong == []


def test_every_layer_is_a_subpackage_and_the_cli_is_one_module():
    for name, level in LAYERS.items():
        if 1 <= level <= 4:
            assert (PACKAGE_DIR / name / "__init__.py").is_file(), name
    assert not list(PACKAGE_DIR.rglob("register*")) and (PACKAGE_DIR / "cli.py").is_file()
    for path in PACKAGE_DIR.rglob("*.py"):
        if path.name != "cli.py":
            text = path.read_text(encoding="utf-8")
            assert "argparse" not in text and "def register(" not in text, path.name
