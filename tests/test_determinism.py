"""Same inputs, same bytes: a second clean build of the default report equals the shared one.

The shared end-to-end build (tests/test_site.py, site + PDFs, both languages) is compared with
one more build made here from nothing: no cache (``cache=False``: every notebook executed,
both Sphinx editions and both PDFs made again), another output folder, another time. Every
published file must have the same bytes: pages, search indexes, static files, download tables
(CSV, xlsx), executed notebooks, the pickled context, build.yml, the PDFs and the Word files.
"""

from __future__ import annotations

import pytest

from conftest import published_files, shared_build
from reportkit.publishing import pipeline as build
from reportkit.vocab import LANGS

pytestmark = pytest.mark.e2e




def test_a_second_clean_build_has_the_same_bytes(tmp_path):
    first = shared_build()
    second = build.build(build.BuildOptions(stage="midterm", langs=list(LANGS), jobs=2, out_root=tmp_path,
                                            cache=False), log=lambda _msg: None)
    assert second.stats["notebooks_run"] == 2 * len(second.pages) and second.stats["notebooks_cached"] == 0
    assert second.stats["editions_built"] == 2 and second.stats["pdfs_built"] == 2
    assert second.stats["docx_built"] == 2
    a, b = published_files(first), published_files(second.out)
    assert sorted(a) == sorted(b)
    # the comparison covers every kind of output, not an empty or partial tree
    for needed in ("html/zh/index.html", "html/en/searchindex.js", "book/en/programme-1.ipynb",
                   "pdf/dazhou-14fyp-urban-housing-midterm-zh.pdf",
                   "docx/dazhou-14fyp-urban-housing-midterm-en.docx",
                   "html/downloads/dazhou-14fyp-urban-housing-midterm-results.xlsx",
                   "html/downloads/dazhou-14fyp-urban-housing-midterm-actuals.csv", "build.yml"):
        assert needed in a, needed
    differ = [rel for rel in a if a[rel].read_bytes() != b[rel].read_bytes()]
    assert not differ, differ[:20]


def test_executed_notebooks_carry_no_run_times_or_random_ids():
    """What made notebooks differ between runs is gone: papermill/nbclient times, nbformat's
    random cell ids, counts continuing in a reused kernel, IPython history warnings."""
    import json

    site = shared_build()
    for path in sorted((site / "book").glob("*/*.ipynb")):
        text = path.read_text(encoding="utf-8")
        for word in ("start_time", "end_time", "duration", "iopub.execute_input", "History logging"):
            assert word not in text, (path.name, word)
        nb = json.loads(text)
        counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code" and c["execution_count"]]
        assert counts == list(range(1, len(counts) + 1)), (path.name, counts)
        injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
        assert len(injected) == 1 and injected[0]["id"] == "injected-parameters", path.name
