"""Small plans and actuals tables for the engine tests (hand-computed cases)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from reportkit.inputs.catalogue import Baseline, Indicator, Plan

CITY = "Testcity"


YEARS = [2026, 2027, 2028, 2029, 2030]


def ind(iid: str, kind: str, target: float | None, *, attribute: str = "anticipatory",
        schedule: dict[str, list[float]] | None = None, baseline: float | None = None,
        values_from: str | None = None, proxy: dict | None = None, tier: str = "main") -> Indicator:
    """A catalogue indicator; ``schedule`` gives each district's planned flows for 2026–2030."""
    sched = {d: dict(zip(YEARS, flows, strict=True)) for d, flows in (schedule or {}).items()}
    return Indicator(
        id=iid, tier="annex" if schedule else tier, name={"zh": f"指标{iid}", "en": f"Indicator {iid}"},
        unit={"zh": "个", "en": "units"}, kind=kind, attribute=attribute, quote="",
        annex=1 if schedule else None, target=target,
        baseline=Baseline(baseline, 2025, "") if baseline is not None else None,
        values_from=values_from, proxy=proxy, schedule=sched,
        district_targets={d: float(sum(f)) for d, f in (schedule or {}).items()},
    )


def make_plan(*indicators: Indicator) -> Plan:
    districts = {CITY: {"zh": "测试市", "en": "Test City"}, "A": {"zh": "甲区", "en": "A District"},
                 "B": {"zh": "乙县", "en": "B County"}, "C": {"zh": "丙县", "en": "C County"}}
    return Plan(id="test-plan", name={"zh": "测试规划", "en": "Test plan"}, region={"zh": "测试", "en": "Test"},
                city=CITY, baseline_year=2025, first_year=2026, last_year=2030, document=Path("plan.txt"),
                districts=districts, indicators=list(indicators), source=Path("catalogue.yml"))


def frame(rows: list[tuple], ytd: str | None = None) -> pd.DataFrame:
    """Tidy actuals from (indicator, district, year, value[, judgement, status, replaces, location]);
    ``ytd`` = "2028-06" marks the rows of 2028 as year-to-date figures to June (column ``period``)."""
    out = []
    for i, r in enumerate(rows):
        iid, district, year, value, *rest = r
        judgement, status, replaces, location = [*rest, *["", "final", "", ""][len(rest):]]
        out.append({"indicator": iid, "district": district, "year": year,
                    "value": math.nan if value is None else float(value), "judgement": judgement,
                    "source": f"src-{iid}", "status": status, "note": "", "replaces": replaces,
                    "location": location or f"t.csv: line {i + 2}", "illustrative": False})
        if ytd is not None and not ytd.endswith("-12"):   # 2028-12 is the year end: full-year figures
            out[-1]["period"] = ytd if str(year) == ytd[:4] else ""
    return pd.DataFrame(out)


def row(results: pd.DataFrame, iid: str, district: str = CITY) -> pd.Series:
    sel = results[(results["indicator"] == iid) & (results["district"] == district)]
    assert len(sel) == 1, f"{iid} {district}: {len(sel)} rows"
    return sel.iloc[0]


def empty(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA
