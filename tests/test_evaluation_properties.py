"""Properties of the evaluation engine (hypothesis): monotonicity and exact threshold boundaries."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation_factory import CITY, YEARS, frame, ind, make_plan, row
from reportkit.evaluation.engine import (
    classify_grade,
    classify_international,
    classify_status,
    evaluate,
)
from reportkit.inputs.method import STATUS_RANK, load_method

FAST = settings(max_examples=40, deadline=None)
flows = st.lists(st.integers(-50, 400), min_size=5, max_size=5)
as_of = st.tuples(st.sampled_from(YEARS), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}")


@FAST
@given(schedule=st.lists(st.integers(0, 300), min_size=5, max_size=5), actual=flows, when=as_of,
       bump_year=st.integers(0, 4), delta=st.integers(0, 500))
def test_more_cumulative_actual_never_lowers(schedule, actual, when, bump_year, delta):
    target = max(sum(schedule), 1)
    plan = make_plan(ind("x", "cumulative", target, schedule={CITY: schedule}))
    more = list(actual)
    more[bump_year] += delta
    # the as_of year's figure is its year-to-date one, declared as such
    a = row(evaluate(plan, frame([("x", CITY, y, v) for y, v in zip(YEARS, actual, strict=True)], ytd=when),
                     "midterm", when), "x")
    b = row(evaluate(plan, frame([("x", CITY, y, v) for y, v in zip(YEARS, more, strict=True)], ytd=when),
                     "midterm", when), "x")
    assert b["completion"] >= a["completion"]
    if a["status"] in STATUS_RANK:
        assert b["status"] in STATUS_RANK and STATUS_RANK[b["status"]] >= STATUS_RANK[a["status"]]


@FAST
@given(base=st.floats(1, 100), gain=st.floats(0.5, 100), value=st.floats(0.1, 300), delta=st.floats(0, 100),
       when=as_of)
def test_more_level_actual_never_lowers(base, gain, value, delta, when):
    plan = make_plan(ind("lv", "level", base + gain, baseline=base))
    year = int(when[:4])
    a = row(evaluate(plan, frame([("lv", CITY, year, value)], ytd=when), "midterm", when), "lv")
    b = row(evaluate(plan, frame([("lv", CITY, year, value + delta)], ytd=when), "midterm", when), "lv")
    assert b["completion"] >= a["completion"] - 1e-12
    assert STATUS_RANK[b["status"]] >= STATUS_RANK[a["status"]]


thresholds = st.tuples(
    st.integers(0, 30), st.integers(5, 40), st.integers(1, 20), st.integers(1, 60),
).map(lambda t: {"limited": t[0] / 100, "lagging": (t[0] + t[1]) / 100,
                 "on_track": (t[0] + t[1] + t[2]) / 100, "ahead": (t[0] + t[1] + t[2] + t[3]) / 100})


def _method_file(status: dict[str, float]) -> Path:
    """A user's method file with these status thresholds (read back through load_method)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, encoding="utf-8") as fh:
        yaml.safe_dump({"status": status}, fh)
    return Path(fh.name)


@FAST
@given(status=thresholds)
def test_status_boundaries_sit_at_the_method_file(status):
    path = _method_file(status)
    try:
        method = load_method(path)
    finally:
        path.unlink()
    bands = [("ahead", "on_track"), ("on_track", "lagging"), ("lagging", "limited"), ("limited", "deteriorating")]
    for upper, lower in bands:
        x = status[upper]
        assert classify_status(x, method) == upper
        assert classify_status(math.nextafter(x, -math.inf), method) == lower
    # end to end: E = 1 (a plan of 1 in the first year, as_of that year), T = 1000, A = x → R = x
    plan = make_plan(ind("x", "cumulative", 1000, schedule={CITY: [1, 0, 0, 0, 999]}))
    for upper, lower in bands:
        x = status[upper]
        at = row(evaluate(plan, frame([("x", CITY, 2026, x)]), "midterm", 2026, method), "x")
        assert at["schedule_ratio"] == x and at["status"] == upper
        below = row(evaluate(plan, frame([("x", CITY, 2026, math.nextafter(x, -math.inf))]), "midterm", 2026, method), "x")
        assert below["status"] == lower


@FAST
@given(cuts=st.tuples(st.integers(0, 40), st.integers(1, 40), st.integers(1, 60)),
       grades=st.tuples(st.integers(50, 99), st.integers(1, 20), st.integers(1, 20)))
def test_international_and_grade_boundaries(cuts, grades):
    lim, acc, on = cuts[0] / 100, (cuts[0] + cuts[1]) / 100, (cuts[0] + cuts[1] + cuts[2]) / 100
    basic, done, over = grades[0] / 100, (grades[0] + grades[1]) / 100, (grades[0] + grades[1] + grades[2]) / 100
    method = load_method(None)
    method.values["international"] = {"on_track": on, "acceleration_needed": acc, "limited_progress": lim}
    method.values["grades"] = {"exceeded": over, "completed": done, "basically_completed": basic}
    for x, upper, lower in ((on, "on_track", "acceleration_needed"), (acc, "acceleration_needed", "limited_progress"),
                            (lim, "limited_progress", "deterioration")):
        assert classify_international(x, method) == upper
        assert classify_international(math.nextafter(x, -math.inf), method) == lower
    for x, upper, lower in ((over, "exceeded", "completed"), (done, "completed", "basically_completed"),
                            (basic, "basically_completed", "not_completed")):
        assert classify_grade(x, False, method) == upper
        assert classify_grade(math.nextafter(x, -math.inf), False, method) == lower
    assert classify_grade(math.nextafter(done, -math.inf), True, method) == "not_completed"
