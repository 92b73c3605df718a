"""The build cache: content hashes of everything a build step reads, and a store keyed by them.

``reportkit build`` re-runs a step only when the hash of its inputs changed (see
:mod:`reportkit.publishing.pipeline`): an executed notebook is keyed by its staged source, parameters,
language, the *content* of the report context, the commentary it may read, reportkit's own
source (code, locales, templates, default method) and the versions of the tools that run it.
Built editions are keyed by their staged book sources, PDFs by the edition's HTML.

Entries live under ``_build/.cache/<kind>/<key>`` (a file or a folder). Writes are atomic
(temporary name + rename), so concurrent builds — e.g. pytest-xdist workers — can share the
cache: two writers of the same key write the same content, the first rename wins. A build killed
while storing an entry leaves only its temporary copy, never read; the prune removes it later.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from reportkit import config as cfg

# Tools whose version changes what a notebook, a page or a PDF looks like.
TOOLCHAIN = ("altair", "vl-convert-python", "pandas", "numpy", "jinja2", "markupsafe", "markdown-it-py",
             "nbclient", "ipykernel", "papermill", "jupyter-book", "sphinx", "myst-nb", "myst-parser",
             "sphinx-book-theme", "jieba", "weasyprint", "beautifulsoup4", "openpyxl", "fonttools",
             "python-docx")
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}
STALE_TEMPORARY = 3600   # seconds: a temporary copy this old was left by a writer that was killed


def _h() -> Any:
    return hashlib.sha256()


def hash_bytes(*parts: bytes | str) -> str:
    """sha256 of the parts, each length-prefixed (so ``("ab", "c")`` ≠ ``("a", "bc")``)."""
    h = _h()
    for p in parts:
        b = p.encode("utf-8") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()


def tree_hash(root: Path, exclude: Iterable[str] = ()) -> str:
    """Hash of a folder: every file's relative path and bytes, in sorted order.

    A missing folder hashes as ``absent`` (different from an empty one). ``exclude``: file or
    folder names left out anywhere in the tree.
    """
    root = Path(root)
    if not root.exists():
        return hash_bytes("absent")
    if root.is_file():
        return hash_bytes("file", root.read_bytes())
    skip = SKIP_DIRS | set(exclude)
    h = _h()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in sorted(files):
            if name in skip or name.endswith((".pyc", ".pyo")):
                continue
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            h.update(hash_bytes(rel, path.read_bytes()).encode("ascii"))
    return h.hexdigest()


@cache
def code_fingerprint() -> str:
    """reportkit's own source: code, locales, templates, default method (``src/reportkit/**``)."""
    return tree_hash(cfg.PACKAGE_DIR)


@cache
def toolchain_fingerprint() -> str:
    """Python's and the rendering tools' versions (an upgrade re-renders everything)."""
    import sys

    parts = [sys.version]
    for name in TOOLCHAIN:
        try:
            parts.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} absent")
    return hash_bytes(*parts)


# ── content hash of Python values ──────────────────────────────────────────────────────────


class Cache:
    """Files and folders under ``root/<kind>/<key>``; ``enabled=False`` makes every lookup miss
    and every store a no-op (``reportkit build --no-cache``)."""

    def __init__(self, root: Path | None = None, enabled: bool = True):
        self.root = Path(root) if root is not None else cfg.BUILD_DIR / ".cache"
        self.enabled = enabled

    def path(self, kind: str, key: str, suffix: str = "") -> Path:
        return self.root / kind / f"{key}{suffix}"

    def get(self, kind: str, key: str, suffix: str = "") -> Path | None:
        """The cached file or folder, or None. A hit is touched (the prune keeps recent ones)."""
        if not self.enabled:
            return None
        p = self.path(kind, key, suffix)
        if not p.exists():
            return None
        try:
            os.utime(p)
        except OSError:
            pass
        return p

    def put_file(self, kind: str, key: str, src: Path, suffix: str = "") -> None:
        """Copy ``src`` into the cache (atomically)."""
        if not self.enabled:
            return
        dest = self.path(kind, key, suffix)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_dir(self, kind: str, key: str, src: Path) -> None:
        """Copy the folder ``src`` into the cache (copied under a temporary name, then renamed)."""
        if not self.enabled:
            return
        dest = self.path(kind, key)
        if dest.exists():
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        try:
            shutil.copytree(src, tmp, dirs_exist_ok=True)
            os.rename(tmp, dest)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not dest.exists():
                raise

    def prune(self, max_bytes: int = 2 << 30) -> None:
        """Drop the least recently used entries until the cache is under ``max_bytes``."""
        if not self.enabled or not self.root.is_dir():
            return
        entries = []
        for kind in self.root.iterdir():
            if not kind.is_dir():
                continue
            for entry in kind.iterdir():
                if entry.name.startswith("."):
                    _drop_stale_temporary(entry)
                    continue
                size = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file()) if entry.is_dir() \
                    else entry.stat().st_size
                entries.append((entry.stat().st_mtime, size, entry))
        total = sum(s for _, s, _ in entries)
        for _, size, entry in sorted(entries, key=lambda e: e[0]):
            if total <= max_bytes:
                break
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            total -= size


def _drop_stale_temporary(entry: Path) -> None:
    """Remove a temporary copy (``.<key>.XXXX``, see :meth:`Cache.put_file`) that a build killed
    while storing it left behind; it is never read, and would otherwise stay for good. A recent
    one may belong to a build storing it right now, so it is kept."""
    try:
        if time.time() - entry.lstat().st_mtime < STALE_TEMPORARY:
            return
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    except OSError:
        pass
