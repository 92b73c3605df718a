"""Regenerate the static plan fixtures in tests/fixtures/plans (run by hand when the format changes)."""

from __future__ import annotations

from pathlib import Path

from plan_factory import annex_block, main_table, plan_text

OUT = Path(__file__).resolve().parent / "fixtures" / "plans"
YEARS = [2026, 2027, 2028, 2029, 2030]
DISTRICTS = ["青山市", "东湖区", "西岭区", "南桥县"]


def synthetic_2026() -> str:
    """A 2026–2030 plan of another city: 4 districts, 5 annex tables, one of them with a
    one-line total header, and a main table."""
    annexes = []
    for n in range(1, 6):
        # district rows: k-th district plans 10*n*k in each of the years k.. ; city = sum
        rows = []
        cols = {d: [(10 * n * (k + 1) if (y - 2026) >= k else 0) for y in YEARS] for k, d in enumerate(DISTRICTS[1:])}
        city = [sum(c[i] for c in cols.values()) for i in range(5)]
        rows.append((DISTRICTS[0], f"{sum(city):,}" if n == 2 else str(sum(city)), [str(v) if v else "" for v in city]))
        for d, c in cols.items():
            rows.append((d, str(sum(c)) if sum(c) else "", [str(v) if v else "" for v in c]))
        annexes.append(annex_block(n, f"青山市“十五五”第{n}项住房计划表", "户", YEARS, rows, two_line_total=(n != 3)))
    main = main_table([("新建住房面积（万平方米）", "[500]", "预期性"),
                       ("住房保障覆盖率（%）", "９０", "约束性"),
                       ("城镇住房品质", "稳步提升", "预期性")], 2030)
    return plan_text(annexes, main)


def with_problems() -> dict[str, str]:
    """Plans whose tables are wrong in one named way each."""
    good_rows = [("青山市", "30", ["10", "20"]), ("东湖区", "10", ["10", ""]), ("西岭区", "20", ["", "20"])]
    arith = [("青山市", "31", ["10", "20"]), ("东湖区", "10", ["10", ""]), ("西岭区", "19", ["", "20"])]
    bad = [("青山市", "30", ["10", "20"]), ("东湖区", "10", ["1,2O0", ""]), ("西岭区", "20", ["", "20"])]
    return {
        "arithmetic-error": plan_text([annex_block(1, "青山市“十五五”计划表", "户", [2026, 2027], arith)]),
        "bad-number": plan_text([annex_block(1, "青山市“十五五”计划表", "户", [2026, 2027], bad)]),
        "good-small": plan_text([annex_block(1, "青山市“十五五”计划表", "户", [2026, 2027], good_rows)]),
        "no-annex": "某市规划\n\n第一章 总则\n本规划没有附表。\n",
    }


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "qingshan-2026-2030.txt").write_text(synthetic_2026(), encoding="utf-8")
    for name, text in with_problems().items():
        (OUT / f"small-{name}.txt").write_text(text, encoding="utf-8")
    truncated = synthetic_2026()
    (OUT / "qingshan-2026-2030-truncated.txt").write_text(truncated.rstrip("\n\t").rsplit("\n", 3)[0] + "\n", encoding="utf-8")
