"""Incremental builds: a step runs again exactly when something it reads changed.

Unit tests of the keys (content hash of the context, tree hashes, notebook keys), then two
build sequences: the shared end-to-end build (tests/test_site.py) rebuilt with nothing changed
(nothing executed, same bytes), and a small English-only build through a changed actual value
and back.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import replace

import pytest

from conftest import E2E_ROOT, published_files, shared_build
from reportkit.config import DEFAULT_ACTUALS, PROJ_ROOT
from reportkit.publishing import cache
from reportkit.publishing import pipeline as build
from reportkit.report import context, pages
from reportkit.vocab import LANGS


def _bench():
    spec = importlib.util.spec_from_file_location("rk_bench_run", PROJ_ROOT / "bench" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def default_context():
    return context.load_context(stage="midterm")


def _bumped(ctx, indicator: str, district: str, year: int, delta: float = 1.0):
    """The context with one actual value changed, as the engine would recompute it."""
    from reportkit.evaluation.engine import run_evaluation

    actuals = ctx.actuals.copy()
    mask = (actuals["indicator"] == indicator) & (actuals["district"] == district) & (actuals["year"] == year)
    assert mask.sum() == 1
    actuals.loc[mask, "value"] += delta
    ev = run_evaluation(ctx.plan, actuals, ctx.stage, ctx.as_of, ctx.method_path)
    return replace(ctx, actuals=actuals, results=ev.results, evaluation=ev)


def _prints(ctx) -> dict[str, str]:
    return {page.name: pages.fingerprint(pages.page_view(ctx, page.notebook, **page.params))
            for page in pages.pages_for(ctx.annexes)}


def test_page_fingerprints_are_stable_and_see_only_what_the_page_shows(default_context):
    ctx = default_context
    before = _prints(ctx)
    assert _prints(ctx) == before                                  # stable
    annex1 = ctx.annex_indicator(1)
    district = next(d for d in ctx.plan.districts if d != ctx.plan.city and d in annex1.schedule)
    after = _prints(_bumped(ctx, annex1.id, district, ctx.plan.first_year))
    changed = sorted(name for name in before if before[name] != after[name])
    # the page of annex 1 and the pages that aggregate every value (the drafted problems and
    # recommendations too, the programmes chapter's overview of city totals); not the other
    # programmes or the methodology, which do not show it
    assert "programme-1" in changed and "programme-2" not in changed and "methodology" not in changed
    assert set(changed) <= {"programme-1", "programmes", "index", "indicators", "districts", "problems",
                            "recommendations", "data"}
    assert "tasks" not in changed


def test_changed_task_progress_reruns_the_tasks_page_and_the_drafted_findings(default_context):
    ctx = default_context
    before = _prints(ctx)
    progress = ctx.task_progress.copy()
    progress.loc[0, "progress"] = "lagging" if progress.loc[0, "progress"] != "lagging" else "on_track"
    after = _prints(replace(ctx, task_progress=progress))
    # the tasks chapter and the drafted problems and recommendations, which name lagging tasks
    assert sorted(name for name in before if before[name] != after[name]) == ["problems", "recommendations", "tasks"]


def test_a_page_view_holds_only_what_the_page_reads(default_context):
    view = pages.page_view(default_context, "programme", annex=2)
    ind = default_context.annex_indicator(2)
    assert set(view.results["indicator"]) == {ind.id} and set(view.actuals["indicator"]) <= {ind.id}
    assert view.tables is None and view.inputs == {} and view.evaluation.composite is None
    method = pages.page_view(default_context, "methodology")
    assert method.results is None and method.actuals is None   # reading them fails loudly
    assert default_context.results is not None                 # views are copies


def test_notebook_key_covers_source_parameters_language_and_reads(tmp_path):
    staged = tmp_path / "page.ipynb"
    staged.write_text('{"cells": []}', encoding="utf-8")
    params = {"lang": "en", "annex": 1}
    key = build.notebook_key(staged, params, "en", "view-1")
    assert build.notebook_key(staged, params, "en", "view-1") == key     # stable
    assert build.notebook_key(staged, params | {"annex": 2}, "en", "view-1") != key
    assert build.notebook_key(staged, params, "zh", "view-1") != key
    assert build.notebook_key(staged, params, "en", "view-2") != key
    staged.write_text('{"cells": [1]}', encoding="utf-8")             # source (or a rendered heading)
    assert build.notebook_key(staged, params, "en", "view-1") != key


def test_commentary_files_are_part_of_the_views_that_show_them(default_context, tmp_path):
    folder = tmp_path / "commentary"
    (folder / "en" / "indicators").mkdir(parents=True)
    with_folder = replace(default_context, commentary_dir=folder)
    base = _prints(with_folder)
    (folder / "en" / "indicators" / "x.md").write_text("Note.", encoding="utf-8")
    after = _prints(with_folder)
    assert after["indicators"] != base["indicators"] and after["programme-1"] != base["programme-1"]
    assert after["methodology"] == base["methodology"] and after["data"] == base["data"]


def test_code_fingerprint_covers_locales_and_method():
    """The package hash is over src/reportkit/** — locales and method.yml included."""
    from reportkit.config import LOCALES_DIR, PACKAGE_DIR

    assert LOCALES_DIR.is_relative_to(PACKAGE_DIR) and (PACKAGE_DIR / "method.yml").is_file()
    assert cache.code_fingerprint() == cache.tree_hash(PACKAGE_DIR)


@pytest.mark.e2e
def test_unchanged_rebuild_executes_nothing_and_publishes_the_same_site(tmp_path):
    """Same options as the shared build, another output folder: every notebook, both editions
    and both PDFs and Word files come from the cache the shared build filled, and the bytes are the same."""
    first = shared_build()
    again = build.build(build.BuildOptions(stage="midterm", langs=list(LANGS), jobs=2, out_root=tmp_path),
                        log=lambda _msg: None)
    assert again.stats == {"notebooks_run": 0, "notebooks_cached": 2 * len(again.pages), "editions_built": 0,
                           "editions_cached": 2, "pdfs_built": 0, "pdfs_cached": 2, "docx_built": 0,
                           "docx_cached": 2}
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
    n = len(a.pages)   # one edition: one notebook per page
    assert a.stats["notebooks_run"] == n and a.stats["editions_built"] == 1
    before = {r: p.read_bytes() for r, p in published_files(a.out).items()}

    what = bench.bump_one_actual(original, actuals)
    assert "372 → 373" in what   # annex 1, Tongchuan, 2021 in the sample (the form's first value)
    b = build.build(opts, log=lambda _msg: None)
    # only the pages that show the value run again (programme-1 and the pages of totals), the
    # other programmes and the methodology come from the cache; the edition is rebuilt
    assert 0 < b.stats["notebooks_run"] < n and b.stats["notebooks_run"] + b.stats["notebooks_cached"] == n
    assert b.stats["editions_built"] == 1
    text = (b.out / download).read_text(encoding="utf-8-sig")
    assert (b.out / download).read_bytes() != before[download]
    assert any(",373.0," in line for line in text.splitlines()), "the new value is not published"
    assert not any(",372.0," in line for line in text.splitlines())
    # Sphinx re-read only the changed pages in the environment it kept; what it published is
    # what a build from nothing (no cache, no kept environment) publishes, byte for byte.
    fresh = build.build(replace(opts, out_root=tmp_path / "fresh", cache=False), log=lambda _msg: None)
    assert fresh.stats["editions_built"] == 1 and fresh.stats["notebooks_cached"] == 0
    kept, scratch = published_files(b.out), published_files(fresh.out)
    assert sorted(kept) == sorted(scratch)
    assert [r for r in kept if kept[r].read_bytes() != scratch[r].read_bytes()] == []

    shutil.copyfile(original, actuals)      # the value put back
    c = build.build(opts, log=lambda _msg: None)
    assert c.stats["notebooks_run"] == 0 and c.stats["notebooks_cached"] == n
    assert c.stats["editions_built"] == 0
    after = {r: p.read_bytes() for r, p in published_files(c.out).items()}
    assert sorted(after) == sorted(before)
    assert [r for r in before if before[r] != after[r]] == []


@pytest.mark.e2e
def test_an_edition_rebuilt_from_unchanged_sources_in_its_kept_environment_is_complete(tmp_path):
    """A code change re-keys an edition whose sources did not change: Sphinx then finds nothing
    out of date and writes nothing, and the kept edition must come out whole (static files
    included), the same bytes as the first time."""
    from reportkit.publishing import book

    src = tmp_path / "en"
    shutil.copytree(shared_build() / "book" / "en", src)
    kept = {"en": tmp_path / "kept"}
    first = book.build_editions({"en": src}, tmp_path / "w1", 1, lambda _m: None, kept)["en"]
    before = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
    again = book.build_editions({"en": src}, tmp_path / "w2", 1, lambda _m: None, kept)["en"]
    after = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert any(str(p).startswith("_static/") for p in after)
    assert sorted(map(str, after)) == sorted(map(str, before))
    assert [p for p in before if before[p] != after[p]] == []
    # a changed stylesheet (no page changed): Sphinx would write nothing and copy nothing; the
    # edition starts afresh and publishes the new stylesheet
    css = src / "_static" / "reportkit.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.rk-probe { color: #123456; }\n", encoding="utf-8")
    third = book.build_editions({"en": src}, tmp_path / "w3", 1, lambda _m: None, kept)["en"]
    assert ".rk-probe" in (third / "_static" / "reportkit.css").read_text(encoding="utf-8")
