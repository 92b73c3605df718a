"""Sphinx extension: an incremental build publishes what a clean build publishes.

reportkit keeps each edition's Sphinx environment between builds, so a changed value re-reads
only the pages that changed. Sphinx then loads the old search index and prunes the re-read
pages from it, but keeps every word that only those pages held, with no page left: the old
figures stay in ``searchindex.js`` as empty entries. Dropping emptied words after the prune
makes the index the same, byte for byte, as a clean build's (tests/test_incremental.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sphinx.search import IndexBuilder

_prune = IndexBuilder.prune


def _prune_and_forget(self: IndexBuilder, docnames: Iterable[str]) -> None:
    _prune(self, docnames)
    for mapping in (self._mapping, self._title_mapping):
        for word in [w for w, names in mapping.items() if not names]:
            del mapping[word]


def setup(app: Any) -> dict[str, Any]:
    IndexBuilder.prune = _prune_and_forget   # this Sphinx process builds one edition of ours only
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
