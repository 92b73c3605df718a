"""reportkit: reproducible bilingual evaluation reports for five-year plans.

``reportkit.evaluate(plan, actuals, stage, as_of, method)`` is the Python API behind
``reportkit evaluate``; it is imported on first use so that ``import reportkit`` stays light.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("reportkit")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+src"

__all__ = ["__version__", "evaluate", "run_evaluation"]


def __getattr__(name: str) -> Any:
    if name in ("evaluate", "run_evaluation"):
        from reportkit.evaluation.engine import engine as evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module 'reportkit' has no attribute {name!r}")
