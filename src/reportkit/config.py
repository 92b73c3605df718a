"""Project paths, anchored to the project root (never to the current directory)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJ_ROOT = PACKAGE_DIR.parents[1]

DATA_DIR = PROJ_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
BOOK_DIR = PROJ_ROOT / "book"
BUILD_DIR = PROJ_ROOT / "_build"
LOCALES_DIR = PACKAGE_DIR / "locales"

# The embedded default plan (Dazhou 14th FYP urban housing) — data only, no code depends on it.
DEFAULT_PLAN = RAW_DIR / "dazhou-14th-fyp-urban-housing-plan.txt"
DEFAULT_CATALOGUE = RAW_DIR / "catalogue.yml"
DEFAULT_ACTUALS = RAW_DIR / "actuals" / "sample-actuals.xlsx"
DEFAULT_METHOD = PACKAGE_DIR / "method.yml"
