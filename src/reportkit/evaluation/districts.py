"""Districts compared: the rank by R within each programme and the composite score (METHOD.md,
Districts), where missing data never improves a rank."""

from __future__ import annotations

import pandas as pd

from reportkit.inputs.catalogue import Plan
from reportkit.inputs.method import (
    Method,
)


def _rank(results: pd.DataFrame, city: str) -> pd.Series:
    """Rank districts by R within each annex indicator (1 = best; ties share the rank)."""
    rank = pd.Series(float("nan"), index=results.index)
    mask = results["has_schedule"] & (results["district"] != city) & results["schedule_ratio"].notna()
    for _, grp in results[mask].groupby("indicator"):
        rank.loc[grp.index] = grp["schedule_ratio"].rank(ascending=False, method="min")
    return rank


def _composite(results: pd.DataFrame, plan: Plan, method: Method) -> pd.DataFrame:
    """Mean of min(R, cap) over each district's annex indicators with a target (weighted).

    Missing data never improves a rank (METHOD.md, Districts): a district with an indicator due
    (E > 0) and no value is ``provisional`` and ranks after every district with complete data;
    the indicators scored and left out are listed, each left-out one with its status (why).
    """
    cap = float(method["composite"]["cap"])
    rows = []
    annex = results[results["has_schedule"] & (results["district"] != plan.city)]
    for district in [d for d in plan.districts if d in set(annex["district"])]:
        grp = annex[(annex["district"] == district) & (annex["target"].fillna(0) > 0)]
        used = grp[grp["schedule_ratio"].notna()]
        left = grp[grp["schedule_ratio"].isna()]
        weights = [method.weight(i) for i in used["indicator"]]
        total = sum(weights)
        score = (sum(w * min(r, cap) for w, r in zip(weights, used["schedule_ratio"], strict=True)) / total
                 if total > 0 else None)
        rows.append({
            "district": district, "district_zh": plan.districts.get(district, {}).get("zh", district),
            "district_en": plan.districts.get(district, {}).get("en", district), "composite_score": score,
            "indicators_used": ",".join(used["indicator"]) or None,
            "indicators_excluded": ",".join(left["indicator"]) or None,
            "excluded_because": ",".join(f"{i}:{s}" for i, s in zip(left["indicator"], left["status"], strict=True))
            or None,
            # due and not reported (no_data with something expected): the score is incomplete
            "provisional": bool(((left["status"] == "no_data") & (left["expected"].fillna(0) > 0)).any()),
            "weights": ",".join(f"{i}:{w:g}" for i, w in zip(used["indicator"], weights, strict=True)) or None,
            "cap": cap,
        })
    out = pd.DataFrame(rows, columns=["district", "district_zh", "district_en", "composite_score",
                                      "indicators_used", "indicators_excluded", "excluded_because",
                                      "provisional", "weights", "cap"])
    out["composite_score"] = out["composite_score"].astype(float)
    out["provisional"] = out["provisional"].astype(bool)
    # complete districts first (1 = best, ties share the rank), provisional ones after them
    complete = out["composite_score"].where(~out["provisional"]).rank(ascending=False, method="min")
    later = out["composite_score"].where(out["provisional"]).rank(ascending=False, method="min")
    n_complete = int(complete.notna().sum())
    out["composite_rank"] = complete.fillna(later + n_complete).astype("Int64")
    return out
