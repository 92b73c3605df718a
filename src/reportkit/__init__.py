"""reportkit: reproducible bilingual evaluation reports for five-year plans.

The Python API behind the ``reportkit`` commands, imported on first use so that
``import reportkit`` stays light:

- ``reportkit.load_plan(catalogue=None, plan=None)`` — a catalogue resolved against its plan's tables;
- ``reportkit.evaluate(plan, actuals, stage, as_of, method)`` — the results table
  (``run_evaluation`` gives every table of the evaluation);
- ``reportkit.build(reportkit.BuildOptions(stage="midterm"))`` — the site and PDFs.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("reportkit")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+src"

_API = {"evaluate": "reportkit.evaluation.engine", "run_evaluation": "reportkit.evaluation.engine",
        "load_plan": "reportkit.inputs.catalogue", "build": "reportkit.publishing.pipeline",
        "BuildOptions": "reportkit.publishing.pipeline"}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'reportkit' has no attribute {name!r}")
