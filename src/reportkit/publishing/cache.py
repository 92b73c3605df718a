"""The build cache: content hashes of everything a build step reads, and a store keyed by them.

``reportkit build`` re-runs a step only when the hash of its inputs changed (see
:mod:`reportkit.publishing.pipeline`): an executed notebook is keyed by its staged source, parameters,
language, the *content* of the report context, the commentary it may read, reportkit's own
source (code, locales, templates, default method) and the versions of the tools that run it.
Built editions are keyed by their staged book sources, PDFs by the edition's HTML.

Entries live under ``_build/.cache/<kind>/<key>`` (a file or a folder). Writes are atomic
(temporary name + rename), so concurrent builds — e.g. pytest-xdist workers — can share the
cache: two writers of the same key write the same content, the first rename wins.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import math
import os
import shutil
import tempfile
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any

from reportkit import config as cfg

# Tools whose version changes what a notebook, a page or a PDF looks like.
TOOLCHAIN = ("altair", "vl-convert-python", "pandas", "numpy", "jinja2", "markupsafe", "markdown-it-py",
             "nbclient", "ipykernel", "papermill", "jupyter-book", "sphinx", "myst-nb", "myst-parser",
             "sphinx-book-theme", "jieba", "weasyprint", "beautifulsoup4", "openpyxl", "fonttools")
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}


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


def content_hash(obj: Any) -> str:
    """A hash of a value's content, the same in every process (unlike pickle bytes or ``hash``).

    Walks dataclasses, objects' ``__dict__``, mappings (sorted by key), sequences, sets
    (sorted by their elements' hashes), pandas frames/series (columns, dtypes, index, values)
    and numpy arrays. Floats are hashed exactly (``float.hex``); NaN and None stay distinct.
    """
    h = _h()
    _feed(h, obj, set())
    return h.hexdigest()


def _feed(h: Any, obj: Any, active: set[int]) -> None:  # noqa: C901 - one case per kind of value
    import numpy as np
    import pandas as pd

    def tag(name: str) -> None:
        h.update(b"\x00" + name.encode("utf-8") + b"\x00")

    if obj is None or isinstance(obj, bool):
        tag(repr(obj))
    elif isinstance(obj, enum.Enum):
        tag("enum")
        tag(f"{type(obj).__qualname__}.{obj.name}")
    elif isinstance(obj, int | np.integer):
        tag("int")
        tag(str(int(obj)))
    elif isinstance(obj, float | np.floating):
        tag("float")
        f = float(obj)
        tag("nan" if math.isnan(f) else f.hex())
    elif isinstance(obj, str):
        tag("str")
        h.update(hash_bytes(obj).encode("ascii"))
    elif isinstance(obj, bytes):
        tag("bytes")
        h.update(hash_bytes(obj).encode("ascii"))
    elif isinstance(obj, PurePath):
        tag("path")
        tag(obj.as_posix())
    elif obj is pd.NaT or obj is pd.NA:
        tag(repr(obj))
    elif isinstance(obj, pd.Timestamp | np.datetime64 | pd.Timedelta):
        tag(type(obj).__name__)
        tag(str(obj))
    elif id(obj) in active:  # a cycle: name it, don't recurse
        tag("cycle")
        tag(type(obj).__qualname__)
    else:
        active.add(id(obj))
        try:
            _feed_container(h, obj, active, tag, np, pd)
        finally:
            active.discard(id(obj))


def _feed_container(h: Any, obj: Any, active: set[int], tag: Any, np: Any, pd: Any) -> None:
    if isinstance(obj, pd.DataFrame):
        tag("DataFrame")
        _feed(h, [str(c) for c in obj.columns], active)
        _feed(h, [str(t) for t in obj.dtypes], active)
        _feed(h, list(obj.index), active)
        for col in obj.columns:
            _feed(h, obj[col].tolist(), active)
        _feed(h, dict(obj.attrs), active)
    elif isinstance(obj, pd.Series):
        tag("Series")
        _feed(h, [str(obj.name), str(obj.dtype), list(obj.index), obj.tolist()], active)
    elif isinstance(obj, pd.Index):
        tag("Index")
        _feed(h, list(obj), active)
    elif isinstance(obj, np.ndarray):
        tag("ndarray")
        _feed(h, [str(obj.dtype), list(obj.shape), obj.tolist()], active)
    elif isinstance(obj, dict):
        tag("dict")
        items = sorted(((content_hash(k), v) for k, v in obj.items()), key=lambda kv: kv[0])
        for k, v in items:
            tag(k)
            _feed(h, v, active)
    elif isinstance(obj, set | frozenset):
        tag("set")
        for k in sorted(content_hash(x) for x in obj):
            tag(k)
    elif isinstance(obj, list | tuple):
        tag(type(obj).__name__)
        tag(str(len(obj)))
        for x in obj:
            _feed(h, x, active)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        tag(f"dc:{type(obj).__module__}.{type(obj).__qualname__}")
        for f in dataclasses.fields(obj):
            tag(f.name)
            _feed(h, getattr(obj, f.name), active)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        tag(f"obj:{type(obj).__module__}.{type(obj).__qualname__}")
        _feed(h, vars(obj), active)
    elif hasattr(obj, "__slots__"):
        tag(f"slots:{type(obj).__module__}.{type(obj).__qualname__}")
        _feed(h, {s: getattr(obj, s, None) for s in obj.__slots__}, active)
    else:  # anything else must at least have a stable repr (dates, Decimal, …)
        text = repr(obj)
        if " at 0x" in text:
            raise TypeError(f"no content hash for {type(obj).__qualname__}")
        tag(f"repr:{type(obj).__qualname__}")
        tag(text)


# ── the store ──────────────────────────────────────────────────────────────────────────────


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
