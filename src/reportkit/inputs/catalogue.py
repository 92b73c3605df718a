"""The indicator catalogue: plan metadata, districts and indicators, resolved against the tables.

The catalogue YAML (``data/raw/catalogue.yml`` for the default plan) is the one source of truth
for indicator metadata. :func:`load` reads it and, given the extracted plan tables, fills in the
figures the tables hold (main-table targets, annex schedules) so that no figure is typed twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportkit.errors import Location, Problem, ReportkitError
from reportkit.inputs.method import agrees
from reportkit.inputs.schema import parse_catalogue
from reportkit.vocab import ATTRIBUTE_ZH, ATTRIBUTES, KINDS, TIERS


@dataclass(frozen=True)
class Baseline:
    value: float
    year: int
    quote: str


@dataclass
class Indicator:
    """One indicator, with targets resolved from the plan tables where they come from there."""

    id: str
    tier: str
    name: dict[str, str]
    unit: dict[str, str]
    kind: str
    attribute: str
    quote: str
    main_row: str | None = None
    main_scale: float = 1.0
    annex: int | None = None
    target: float | None = None          # city-wide target in `unit` (resolved)
    target_text: dict[str, str] = field(default_factory=dict)
    baseline: Baseline | None = None
    values_from: str | None = None
    proxy: dict[str, Any] | None = None
    value_unit: dict[str, str] | None = None
    reading: dict[str, str] = field(default_factory=dict)   # how the target is read (zh, en)
    # Resolved from the annex table: {district: {year: planned}} and {district: total}.
    schedule: dict[str, dict[int, float]] = field(default_factory=dict)
    district_targets: dict[str, float] = field(default_factory=dict)
    review: bool = False        # drafted by `reportkit init`, not yet checked by a person
    pos: int = -1               # position in the catalogue's indicator list (for located errors)

    def label(self, lang: str) -> str:
        return self.name[lang]

    @property
    def reported_unit(self) -> dict[str, str]:
        """Unit of the values evaluators report (differs from `unit` for growth rates)."""
        return self.value_unit or self.unit


@dataclass
class Plan:
    """A plan: its period, city, districts and indicators."""

    id: str
    name: dict[str, str]
    region: dict[str, str]
    city: str
    baseline_year: int
    first_year: int
    last_year: int
    document: Path
    districts: dict[str, dict[str, str]]     # name as written → {"zh": name, "en": ...}
    indicators: list[Indicator]
    source: Path
    commentary: Path | None = None        # the evaluators' commentary folder this catalogue names
    missing_en: list[Problem] = field(default_factory=list)  # located: English texts left to write
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)  # YAML line of each key

    def at(self, *key: Any) -> Location:
        """The catalogue file and the line of ``key`` (or of its nearest enclosing key)."""
        while key and key not in self.lines:
            key = key[:-1]
        return Location(str(self.source), line=self.lines.get(key))
    task_chapters: tuple[str, ...] = ()          # headings of the task chapters (empty: the defaults)
    task_titles: dict[str, str] = field(default_factory=dict)   # task id → English title
    tasks: pd.DataFrame | None = None            # the task tree with title_en (resolved)
    district_types: dict[str, str] = field(default_factory=dict)   # name → vocab.DISTRICT_TYPES

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def district_label(self, name: str, lang: str) -> str:
        return self.districts[name][lang]


# Ids end up in file names (downloads, PDFs, commentary files): letters, digits, _ . - only,
# never a path (no "/", no "..").
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def safe_id(value: str) -> bool:
    return bool(SAFE_ID.fullmatch(value)) and ".." not in value and len(value) <= 120


def _unsafe(path: Path, field_name: str, value: str) -> ReportkitError:
    return ReportkitError(Problem("catalogue_unsafe_id", Location(str(path), row=field_name),
                                  {"field": field_name, "value": value[:80]}))


def _bad(path: Path, reason: str) -> ReportkitError:
    return ReportkitError(Problem("catalogue_invalid", Location(str(path)), {"reason": reason}))


def _pair(value: Any, what: str, path: Path, missing: list[Problem] | None = None,
          where: Location | None = None) -> dict[str, str]:
    """A zh/en text. A missing English text is collected in ``missing`` (the zh edition builds
    without it; the en edition refuses, listing them) and stands in as the Chinese text."""
    if not isinstance(value, dict) or not value.get("zh"):
        raise _bad(path, f"{what}: needs zh")
    if not value.get("en"):
        if missing is None:
            raise _bad(path, f"{what}: needs both zh and en")
        missing.append(Problem("english_missing", where or Location(str(path)),
                               {"field": what, "zh": str(value["zh"])}, "warning", group="schema"))
        return {"zh": str(value["zh"]), "en": str(value["zh"])}
    return {"zh": str(value["zh"]), "en": str(value["en"])}


def load(path: Path, tables: Any | None = None) -> Plan:
    """Read a catalogue; with ``tables`` (a :class:`reportkit.inputs.plan.PlanTables`) resolve targets.

    Raises ReportkitError naming the catalogue and the field when something is inconsistent,
    including a pointer (``main_row``, ``annex``) that the plan's tables do not have.
    """
    path = Path(path)
    if not path.is_file():
        raise ReportkitError(Problem("file_not_found", params={"path": str(path)}))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _bad(path, str(exc)) from None
    raw, lines = parse_catalogue(text, path)   # shape, types and unknown keys, located by line
    if not isinstance(raw, dict) or "plan" not in raw or "indicators" not in raw:
        raise _bad(path, "expected top-level keys plan, districts, indicators")
    p = raw["plan"]
    if not isinstance(p, dict) or not safe_id(str(p.get("id", ""))):
        raise _unsafe(path, "plan.id", str(p.get("id", "") if isinstance(p, dict) else p))
    def at(*key: Any) -> Location:
        while key and key not in lines:
            key = key[:-1]
        return Location(str(path), line=lines.get(key))

    missing: list[Problem] = []
    problems: list[Problem] = []
    districts = {}
    district_types: dict[str, str] = {}
    for k, d in enumerate(raw.get("districts") or []):
        if "id" in d and not safe_id(str(d["id"])):
            raise _unsafe(path, f"districts[{k}].id", str(d["id"]))
        name = str(d["name"])
        if "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
            raise _unsafe(path, f"districts[{k}].name", name)
        if name in districts:
            problems.append(Problem("duplicate_district", at("districts", k, "name"), {"name": name}, group="schema"))
        districts[name] = _pair({"zh": name, "en": d.get("en")}, f"districts[{k}].en", path, missing,
                                at("districts", k, "name"))
        if d.get("type"):
            district_types[name] = str(d["type"])
    indicators = []
    seen: dict[str, int] = {}
    for pos, item in enumerate(raw["indicators"]):
        iid = str(item.get("id", ""))
        where = f"indicator {iid or '?'}"
        if iid and not safe_id(iid):
            raise _unsafe(path, f"indicators[{len(indicators)}].id", iid)
        if not iid or not iid.replace("_", "").isalnum() or not iid.isascii():
            raise _bad(path, f"{where}: id must be ASCII snake_case")
        if iid in seen:
            problems.append(Problem("duplicate_id", at("indicators", pos, "id"),
                                    {"id": iid, "first": lines.get(("indicators", seen[iid], "id"), "?")},
                                    group="schema"))
            continue
        seen[iid] = pos
        kind, attribute, tier = item.get("kind"), item.get("attribute"), item.get("tier")
        if kind not in KINDS:
            raise _bad(path, f"{where}: kind {kind!r} not in {KINDS}")
        if attribute not in ATTRIBUTES:
            raise _bad(path, f"{where}: attribute {attribute!r} not in {ATTRIBUTES}")
        if tier not in TIERS:
            raise _bad(path, f"{where}: tier {tier!r} not in {TIERS}")
        b = item.get("baseline")
        baseline = Baseline(float(b["value"]), int(b["year"]), str(b["quote"])) if b else None
        pair = {f: _pair(item[f], f"indicators[{pos}].{f}", path, missing, at("indicators", pos, f))
                for f in ("name", "unit", "target_text", "value_unit", "reading") if item.get(f)}
        indicators.append(Indicator(
            id=iid, tier=tier, kind=kind, attribute=attribute,
            name=pair.get("name") or _pair(None, f"{where}.name", path),
            unit=pair.get("unit") or _pair(None, f"{where}.unit", path),
            quote=str(item.get("quote", "")),
            main_row=item.get("main_row"),
            main_scale=float(item.get("main_scale", 1)),
            annex=item.get("annex"),
            target=None if item.get("target") is None else float(item["target"]),
            target_text=pair.get("target_text", {}),
            baseline=baseline,
            values_from=item.get("values_from"),
            proxy=item.get("proxy"),
            value_unit=pair.get("value_unit"),
            reading=pair.get("reading", {}),
            review=bool(item.get("review")), pos=pos,
        ))
    if problems:
        raise ReportkitError(problems)
    ids = {i.id for i in indicators}
    for ind in indicators:
        if ind.values_from and ind.values_from not in ids:
            raise _bad(path, f"indicator {ind.id}: values_from {ind.values_from!r} is not an indicator id")
    plan = Plan(
        id=str(p["id"]), name=_pair(p.get("name"), "plan.name", path, missing, at("plan", "name")),
        region=_pair(p.get("region"), "plan.region", path, missing, at("plan", "region")), city=str(p["city"]),
        baseline_year=int(p["baseline_year"]), first_year=int(p["first_year"]),
        last_year=int(p["last_year"]), document=(path.parent / p["document"]).resolve(),
        districts=districts, indicators=indicators, source=path, district_types=district_types,
        commentary=(path.parent / p["commentary"]).resolve() if p.get("commentary") else None,
        missing_en=missing, lines=lines,
        task_chapters=tuple(str(h) for h in raw.get("task_chapters") or ()),
        task_titles={str(e["id"]): str(e["en"]) for e in raw.get("tasks") or []},
    )
    if plan.city not in districts:
        raise _bad(path, f"plan.city {plan.city!r} is not in districts")
    if tables is not None:
        resolve(plan, tables)
    return plan


def _squash(text: str) -> str:
    """Text without any whitespace: a quote matches the plan however the export broke its lines."""
    return re.sub(r"\s+", "", text.replace("\u3000", ""))


def _schema(key: str, where: Location, **params: Any) -> Problem:
    return Problem(key, where, params, group="schema")


def resolve(plan: Plan, tables: Any) -> Plan:
    """Take targets and schedules from the extracted tables; every check against the plan first.

    Raises ReportkitError listing every problem, each at its catalogue line: years that are not
    the tables' years, a ``main_row`` or ``annex`` the plan lacks, a district of an annex table
    the catalogue does not list, a quote not in the plan word for word (whitespace aside),
    a wrong attribute, a missing target.
    """
    main: pd.DataFrame = tables.main_indicators
    annex: pd.DataFrame = tables.annex_targets
    problems: list[Problem] = []
    table_years = sorted({int(y) for y in annex["year"]}) if len(annex) else []
    if table_years and table_years != plan.years:
        problems.append(_schema("years_mismatch", plan.at("plan", "first_year"), first=plan.first_year,
                                last=plan.last_year, table_first=table_years[0], table_last=table_years[-1]))
    text = _squash(getattr(tables, "text", "") or "")
    annexes = sorted({int(a) for a in annex["annex"]}) if len(annex) else []
    rows_listed = "、".join(str(n) for n in main["name"]) if len(main) else "—"
    for ind in plan.indicators:
        k = ind.pos
        if text:
            if ind.quote and _squash(ind.quote) not in text:
                problems.append(_schema("quote_not_in_plan", plan.at("indicators", k, "quote"),
                                        field=f"indicators[{k}].quote", quote=ind.quote[:60]))
            if ind.baseline and _squash(ind.baseline.quote) not in text:
                problems.append(_schema("quote_not_in_plan", plan.at("indicators", k, "baseline", "quote"),
                                        field=f"indicators[{k}].baseline.quote", quote=ind.baseline.quote[:60]))
        if ind.main_row:
            rows = main[main["name"] == ind.main_row]
            if rows.empty:
                problems.append(_schema("main_row_missing", plan.at("indicators", k, "main_row"),
                                        value=ind.main_row, rows=rows_listed))
                continue
            row = rows.iloc[0]
            if not ind.target_text:
                ind.target_text = {"zh": f"{row['target_text']}{row['unit']}", "en": f"{row['target_text']} {row['unit']}".strip()}
            if pd.notna(row["target"]) and row["target"] != "":
                ind.target = float(row["target"]) * ind.main_scale
            elif ind.proxy:
                ind.target = float(ind.proxy["target"])
            expected_attr = ATTRIBUTE_ZH.get(str(row["attribute"]))
            if expected_attr and expected_attr != ind.attribute:
                problems.append(_schema("attribute_mismatch", plan.at("indicators", k, "attribute"),
                                        value=ind.attribute, plan=str(row["attribute"]), expected=expected_attr))
        if ind.annex is not None:
            rows = annex[annex["annex"] == ind.annex]
            if rows.empty:
                problems.append(_schema("annex_missing", plan.at("indicators", k, "annex"), annex=ind.annex,
                                        annexes="、".join(str(a) for a in annexes) or "—"))
                continue
            for name, grp in rows.groupby("district", sort=False):
                ind.schedule[str(name)] = {int(y): float(v) for y, v in zip(grp["year"], grp["planned"], strict=True)}
                ind.district_targets[str(name)] = float(grp["planned"].sum())
                if str(name) not in plan.districts:
                    problems.append(_schema("annex_district_missing", plan.at("districts"), annex=ind.annex,
                                            district=str(name)))
            if ind.target is None:
                ind.target = ind.district_targets.get(plan.city)
        if ind.target is None and ind.kind != "qualitative":
            problems.append(_schema("no_target", plan.at("indicators", k, "id"), id=ind.id))
            continue
        if not ind.target_text:
            ind.target_text = {"zh": f"{ind.target:g}", "en": f"{ind.target:g}"}
    if problems:
        raise ReportkitError(list({p.message("en"): p for p in problems}.values()))  # one line each
    plan.tasks = _tasks(plan, getattr(tables, "tasks", None))
    return plan


def _tasks(plan: Plan, tree: pd.DataFrame | None) -> pd.DataFrame | None:
    """The task tree with the catalogue's English titles; an id the tree lacks is an error."""
    if tree is None:
        return None
    tree = tree.copy()
    known = set(tree["id"])
    unknown = [i for i in plan.task_titles if i not in known]
    if unknown:
        raise _bad(plan.source, f"tasks: {', '.join(unknown[:5])} not in the plan's task chapter "
                                f"({len(known)} headings and items read)")
    tree["title_en"] = [plan.task_titles.get(i, "") for i in tree["id"]]
    return tree


def audited(plan: Plan, tables: Any) -> Any:
    """``tables`` with the plan checked against itself: each main-table target against its annex's
    city total (check ``main_vs_annex``, appended to a copy of ``plan_audit``).

    A disagreement (老旧小区改造: [20]万户 = 200,000 against annex 2's 205,987) is a finding, not
    passed. Only the catalogue knows which main-table row an annex schedules, so this runs once
    the catalogue is resolved; the tables given are not changed.
    """
    from dataclasses import replace

    rows = []
    for ind in plan.indicators:
        if not ind.main_row or ind.annex is None or ind.target is None:
            continue
        total = ind.district_targets.get(plan.city)
        if total is None:  # no city row: the districts' sum is what the annex schedules
            total = sum(ind.district_targets.values())
        rows.append({"annex": ind.annex, "check": "main_vs_annex", "district": plan.city, "column": "total",
                     "expected": ind.target, "found": total, "passed": agrees(ind.target, total)})
    audit = tables.plan_audit
    if not rows or (len(audit) and (audit["check"] == "main_vs_annex").any()):
        return tables
    extra = pd.DataFrame(rows, columns=list(audit.columns))
    return replace(tables, plan_audit=pd.concat([audit, extra], ignore_index=True) if len(audit) else extra)


def open_plan(catalogue_path: Path | str | None = None,
              plan_path: Path | str | None = None) -> tuple[Plan, Any]:
    """A catalogue (default: the embedded plan's) resolved against the tables of its plan.

    ``plan_path`` replaces the document the catalogue names. Returns the plan and its tables
    (:class:`reportkit.inputs.plan.PlanTables`). The one place a plan is loaded.
    """
    from reportkit.config import DEFAULT_CATALOGUE
    from reportkit.inputs import plan as plan_tables

    cat = load(Path(catalogue_path) if catalogue_path else DEFAULT_CATALOGUE)
    tables = plan_tables.extract(Path(plan_path) if plan_path else cat.document, cat.task_chapters or None)
    plan = resolve(cat, tables)
    return plan, audited(plan, tables)


def load_plan(catalogue_path: Path | str | None = None, plan_path: Path | str | None = None) -> Plan:
    """The plan of a catalogue (default: the embedded one), resolved against its tables."""
    return open_plan(catalogue_path, plan_path)[0]


def load_default() -> Plan:
    """The embedded default plan, resolved against freshly extracted tables."""
    return load_plan()
