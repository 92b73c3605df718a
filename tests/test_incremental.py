"""Incremental builds: a step runs again exactly when something it reads changed.

Unit tests of the keys (content hash of the context, tree hashes, notebook keys), then two
build sequences: the shared end-to-end build (tests/test_site.py) rebuilt with nothing changed
(nothing executed, same bytes), and a small English-only build through a changed actual value
and back.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from reportkit.config import DEFAULT_ACTUALS, PROJ_ROOT
from reportkit.publishing import cache
from reportkit.publishing import pipeline as build
from reportkit.report import context
from reportkit.vocab import LANGS
from test_determinism import published_files
from test_site import E2E_ROOT, shared_build


def _bench():
    spec = importlib.util.spec_from_file_location("rk_bench_run", PROJ_ROOT / "bench" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@dataclass
class Thing:
    name: str
    frame: pd.DataFrame
    tags: set[str]
    extra: dict


def _thing(value: float = 1.5) -> Thing:
    frame = pd.DataFrame({"district": ["通川区", "达川区"], "value": [value, math.nan],
                          "note": pd.Series([None, "x"], dtype=object)})
    return Thing("达州", frame, {"b", "a", "城"}, {"z": [1, 2], "a": (None, math.nan)})


HASH_IN_CHILD = """
import math, sys
import pandas as pd
sys.path.insert(0, {tests!r})
from test_incremental import _thing
from reportkit.publishing.cache import content_hash
print(content_hash(_thing()))
"""


def test_content_hash_is_the_same_in_another_process():
    """Set order and object ids change with the process (PYTHONHASHSEED); the hash must not."""
    here = cache.content_hash(_thing())
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", HASH_IN_CHILD.format(tests=str(Path(__file__).parent))],
                             capture_output=True, text=True, env={"PYTHONHASHSEED": seed, "PATH": ""}, check=True)
        assert out.stdout.strip() == here


def test_content_hash_sees_one_value_and_keeps_missing_apart():
    base = cache.content_hash(_thing())
    assert cache.content_hash(_thing(1.5000000000000002)) != base   # the next float up
    assert cache.content_hash(_thing(math.nan)) != base
    t = _thing()
    t.frame.loc[0, "note"] = math.nan                                 # None and NaN are not the same
    assert cache.content_hash(t) != base
    t = _thing()
    t.tags.add("d")
    assert cache.content_hash(t) != base
    t = _thing()
    t.frame = t.frame[["value", "district", "note"]]                  # column order is content
    assert cache.content_hash(t) != base


def test_tree_hash_sees_content_names_and_absence(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.md").write_text("one", encoding="utf-8")
    first = cache.tree_hash(tmp_path)
    (tmp_path / "a" / "__pycache__").mkdir()
    (tmp_path / "a" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert cache.tree_hash(tmp_path) == first                          # caches are not sources
    (tmp_path / "a" / "x.md").write_text("two", encoding="utf-8")
    assert cache.tree_hash(tmp_path) != first
    (tmp_path / "a" / "x.md").write_text("one", encoding="utf-8")
    (tmp_path / "a" / "x.md").rename(tmp_path / "a" / "y.md")
    assert cache.tree_hash(tmp_path) != first
    assert cache.tree_hash(tmp_path / "none") != cache.tree_hash(tmp_path / "a")


def _context(tmp_path: Path, value: float = 1.0) -> context.ReportContext:
    frame = pd.DataFrame({"indicator": ["x"], "value": [value]})
    return context.ReportContext(stage="midterm", as_of="2023", plan=None, tables=None, actuals=frame,
                               results=frame, evaluation=None, method={"k": 1}, method_path=tmp_path / "m.yml",
                               illustrative=True, commentary_dir=tmp_path / "commentary")


def test_notebook_key_covers_everything_a_notebook_reads(tmp_path, monkeypatch):
    staged = tmp_path / "page.ipynb"
    staged.write_text('{"cells": []}', encoding="utf-8")
    ctx = _context(tmp_path)
    common = build.notebook_inputs_hash(ctx)
    params = {"lang": "en", "annex": 1}
    key = build.notebook_key(staged, params, "en", common)
    assert build.notebook_key(staged, params, "en", common) == key     # stable
    assert build.notebook_key(staged, params | {"annex": 2}, "en", common) != key
    assert build.notebook_key(staged, params, "zh", common) != key
    assert build.notebook_key(staged, params, "en", build.notebook_inputs_hash(_context(tmp_path, 2.0))) != key
    staged.write_text('{"cells": [1]}', encoding="utf-8")             # source (or a rendered heading)
    assert build.notebook_key(staged, params, "en", common) != key
    # evaluators' commentary: a notebook reads the files, not the context
    (tmp_path / "commentary" / "en" / "indicators").mkdir(parents=True)
    (tmp_path / "commentary" / "en" / "indicators" / "x.md").write_text("Note.", encoding="utf-8")
    assert build.notebook_inputs_hash(ctx) != common
    with_note = build.notebook_inputs_hash(ctx)
    # reportkit's own source (code, locales, templates, default method) and the tool versions
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "other code")
    assert build.notebook_inputs_hash(ctx) != with_note
    monkeypatch.undo()
    monkeypatch.setattr(cache, "toolchain_fingerprint", lambda: "other tools")
    assert build.notebook_inputs_hash(ctx) != with_note


def test_code_fingerprint_covers_locales_and_method():
    """The package hash is over src/reportkit/** — locales and method.yml included."""
    from reportkit.config import LOCALES_DIR, PACKAGE_DIR

    assert LOCALES_DIR.is_relative_to(PACKAGE_DIR) and (PACKAGE_DIR / "method.yml").is_file()
    assert cache.code_fingerprint() == cache.tree_hash(PACKAGE_DIR)


@pytest.mark.e2e
def test_unchanged_rebuild_executes_nothing_and_publishes_the_same_site(tmp_path):
    """Same options as the shared build, another output folder: every notebook, both editions
    and both PDFs come from the cache the shared build filled, and the bytes are the same."""
    first = shared_build()
    again = build.build(build.BuildOptions(stage="midterm", langs=list(LANGS), jobs=2, out_root=tmp_path),
                        log=lambda _msg: None)
    assert again.stats == {"notebooks_run": 0, "notebooks_cached": 18, "editions_built": 0,
                           "editions_cached": 2, "pdfs_built": 0, "pdfs_cached": 2}
    a, b = published_files(first), published_files(again.out)
    assert sorted(a) == sorted(b)
    assert [r for r in a if a[r].read_bytes() != b[r].read_bytes()] == []
    assert first.parent == E2E_ROOT  # the shared build itself is untouched


@pytest.mark.e2e
def test_one_changed_value_reruns_the_pages_and_reverting_it_reruns_nothing(tmp_path):
    bench = _bench()
    original = tmp_path / "original.xlsx"
    actuals = tmp_path / "actuals.xlsx"     # the file the evaluator edits in place
    shutil.copyfile(DEFAULT_ACTUALS, original)
    shutil.copyfile(original, actuals)
    opts = build.BuildOptions(stage="midterm", langs=["en"], jobs=2, out_root=tmp_path / "out",
                              cache_dir=tmp_path / "cache", pdf=False, actuals=actuals)
    download = "html/downloads/dazhou-14fyp-urban-housing-midterm-actuals.csv"
    a = build.build(opts, log=lambda _msg: None)
    assert a.stats["notebooks_run"] == 9 and a.stats["editions_built"] == 1
    before = {r: p.read_bytes() for r, p in published_files(a.out).items()}

    what = bench.bump_one_actual(original, actuals)
    assert "372 → 373" in what   # annex 1, Tongchuan, 2021 in the sample (the form's first value)
    b = build.build(opts, log=lambda _msg: None)
    # every page reads the whole context: all pages run again, the edition is rebuilt
    assert b.stats["notebooks_run"] == 9 and b.stats["notebooks_cached"] == 0
    assert b.stats["editions_built"] == 1
    text = (b.out / download).read_text(encoding="utf-8-sig")
    assert (b.out / download).read_bytes() != before[download]
    assert any(",373.0," in line for line in text.splitlines()), "the new value is not published"
    assert not any(",372.0," in line for line in text.splitlines())

    shutil.copyfile(original, actuals)      # the value put back
    c = build.build(opts, log=lambda _msg: None)
    assert c.stats["notebooks_run"] == 0 and c.stats["notebooks_cached"] == 9
    assert c.stats["editions_built"] == 0
    after = {r: p.read_bytes() for r, p in published_files(c.out).items()}
    assert sorted(after) == sorted(before)
    assert [r for r in before if before[r] != after[r]] == []
