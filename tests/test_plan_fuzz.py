"""Fuzzing the plan parser: whatever the text, a result or a located user error — never a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plan_factory import annex_block, plan_text
from reportkit.errors import ReportkitError
from reportkit.inputs import plan

CELL = st.one_of(
    st.sampled_from(["", "0", "12", "1,234", "１２３", "1,2O0", "abc", "[3000]", "应保尽保", "-5", "3.5", "\u3000"]),
    st.text(max_size=8),
)


def _check(text: str, tmp: Path, hostile: dict) -> None:
    path = tmp / "plan.txt"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    hostile["plan parser"] = hostile.get("plan parser", 0) + 1
    try:
        tables = plan.extract(path)
    except ReportkitError as err:
        for problem in err.problems:
            assert problem.location is not None and problem.location.file == str(path)
            assert problem.message("zh") and problem.message("en")
        return
    assert set(tables.annex_targets["blank"]) <= {True, False}
    assert (tables.annex_targets.loc[tables.annex_targets["blank"], "planned"] == 0).all()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.text(min_size=1, max_size=5).filter(lambda s: s.strip() and "\n" not in s and "\t" not in s),
                               CELL, st.lists(CELL, min_size=0, max_size=6)), min_size=1, max_size=6),
       years=st.lists(st.integers(1900, 2100), min_size=1, max_size=6, unique=True))
def test_fuzzed_tables_give_result_or_located_error(tmp_path, hostile, rows, years):
    clean = [(n, c.replace("\n", " ").replace("\t", " "), [x.replace("\n", " ").replace("\t", " ") for x in cells])
             for n, c, cells in rows]
    _check(plan_text([annex_block(1, "某市计划表", "户", years, clean)]), tmp_path, hostile)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("\t\n 附件1２年度合计单位：户地区达州市[bookmark: x]0123456789,.注属性指标名称目标")), max_size=400))
def test_fuzzed_raw_text_gives_result_or_located_error(tmp_path, hostile, text):
    _check(text, tmp_path, hostile)


def test_oversized_plan_is_refused_quickly(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(plan.MAX_PLAN_BYTES + 1)
    try:
        plan.extract(big)
    except ReportkitError as err:
        assert err.problems[0].key == "plan_too_large"
    else:
        raise AssertionError("an oversized file was accepted")
