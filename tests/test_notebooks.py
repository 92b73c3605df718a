"""Notebook tier: nbval on the executed notebooks of both editions, and the defaults run as-is.

The executed notebooks come from the end-to-end build shared with tests/test_site.py. nbval
re-runs each one from its own folder and compares the outputs of the cells marked
``# NBVAL_CHECK_OUTPUT`` (the summary sentences); every other cell must run without error.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import shared_build
from reportkit.config import NOTEBOOKS_DIR, PROJ_ROOT
from reportkit.vocab import LANGS

pytestmark = pytest.mark.e2e


def test_nbval_on_executed_notebooks_of_both_languages():
    site = shared_build()
    notebooks = [str(site / "book" / lang / f"{name}.ipynb") for lang in LANGS for name in ("index", "programme-1", "tasks")]
    code_cells = 0   # nbval makes one test of each code cell
    for nb in notebooks:
        cells = json.loads(open(nb, encoding="utf-8").read())["cells"]
        assert any("NBVAL_CHECK_OUTPUT" in "".join(c["source"]) for c in cells) or "programme" in nb
        code_cells += sum(c["cell_type"] == "code" for c in cells)
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                           "-p", "no:xdist", "--rootdir", str(site), *notebooks],
                          capture_output=True, text=True, cwd=site, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(rf"\b{code_cells} passed\b", proc.stdout), proc.stdout[-2000:]


def test_notebook_defaults_run_from_the_notebooks_folder(tmp_path):
    """A person opening notebooks/summary.ipynb in Jupyter gets a page with no parameters set."""
    import papermill as pm

    out = tmp_path / "summary.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "summary.ipynb"), str(out), cwd=str(NOTEBOOKS_DIR),
                        kernel_name="python3", progress_bar=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", [])]
    html = "".join("".join(d.get("text/html", "")) for d in outputs)
    assert "主要指标中" in html
    # Outside a build a chart is a static SVG (JupyterLab draws it with no script), never the
    # site's HTML figure, whose vegaEmbed call exists only inside the built book.
    charts = [d for d in outputs if "<figure fig-main-completion:" in "".join(d.get("text/plain", ""))]
    assert charts, "the summary's main chart is missing"
    for d in charts:
        svg = "".join(d["image/svg+xml"])
        assert svg.lstrip().startswith("<svg") and "<text" in svg
        assert "text/html" not in d and "vegaEmbed" not in json.dumps(d)
    assert not (PROJ_ROOT / "notebooks" / "summary.ipynb.out").exists()


@pytest.mark.parametrize("name", sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb") if p.stem != "summary"))
def test_every_notebook_runs_all_from_its_defaults(tmp_path, name):
    """"Run all" in JupyterLab with no build before: each page notebook, as it is in notebooks/,
    runs with the parameters it declares (the annual pages too: the latest year with data) and
    shows something; an error in any cell fails here, with the notebook's name."""
    import papermill as pm

    out = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(out), cwd=str(NOTEBOOKS_DIR),
                        kernel_name="python3", progress_bar=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    shown = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
             if o.get("output_type") in ("display_data", "execute_result")]
    assert shown, f"{name}: ran but showed nothing"
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
