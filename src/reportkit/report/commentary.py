"""The evaluators' commentary files: where they are, read contained (regular UTF-8 files inside
the commentary folder) and checked before a build runs anything. Imports nothing of the report
layer, so the context can check them without a circle."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def commentary_path(ctx: Any, lang: str, kind: str, key: str) -> Path | None:
    """``<commentary>/<lang>/<kind>/<key>.md`` if the evaluators wrote one (kind: indicators|districts)."""
    if ctx.commentary_dir is None:
        return None
    path = Path(ctx.commentary_dir) / lang / kind / f"{key}.md"
    return path if (path.is_file() or path.is_symlink()) else None


def _commentary_problem(key: str, path: Path, **params: Any) -> Any:
    from reportkit.errors import Location, report_problem

    return report_problem(key, Location(str(path)), params)


def read_commentary(path: Path, root: Path) -> str:
    """The text of one commentary file, contained: a regular file (no symlink) inside ``root``,
    UTF-8 (a BOM is fine). Anything else is a ReportkitError naming the file."""
    from reportkit.errors import ReportkitError

    path, root = Path(path), Path(root).resolve()
    here = path.parent.resolve() / path.name
    if path.is_symlink() or not path.resolve().is_relative_to(root) or not here.is_relative_to(root):
        raise ReportkitError(_commentary_problem("commentary_outside", path, folder=str(root)))
    if not path.is_file():
        raise ReportkitError(_commentary_problem("commentary_not_file", path))
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReportkitError(_commentary_problem("commentary_encoding", path, line=line)) from None


def check_commentary(root: Path | None) -> None:
    """Read every commentary file once before the build runs anything; all problems at once."""
    from reportkit.errors import ReportkitError

    if root is None or not Path(root).is_dir():
        return
    problems = []
    for path in sorted(Path(root).rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        if path.suffix.lower() != ".md" and path.is_file() and not path.is_symlink():
            continue   # other files are never read (nor published)
        try:
            read_commentary(path, root)
        except ReportkitError as err:
            problems.extend(err.problems)
    if problems:
        raise ReportkitError(problems)
