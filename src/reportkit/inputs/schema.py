"""The shapes of the catalogue and method files, checked by pydantic before anything reads them.

:func:`check_catalogue` and :func:`check_method` parse a YAML text, validate it against the models
below and turn every schema error into a located :class:`~reportkit.errors.Problem` naming the
file, the line and the field (``indicators[3].kind``), in both languages. Unknown keys are errors
(a misspelt ``atribute`` would otherwise be silently ignored). Checks that need the plan's tables
(a ``main_row`` that the main table lacks, a quote not in the plan) stay in
:mod:`reportkit.inputs.catalogue`.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reportkit.errors import Location, Problem, ReportkitError
from reportkit.vocab import ATTRIBUTES, DISTRICT_TYPES, KINDS, LANGS, STATUS_RANK, TIERS

GROUP = "schema"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Pair(_Strict):
    """A text in both languages. ``en`` may be left out while drafting: the zh edition builds
    without it, the en edition refuses and lists what is missing (:mod:`reportkit.inputs.catalogue`)."""

    zh: str = Field(min_length=1)
    en: str | None = None


class PlanInfo(_Strict):
    id: str = Field(min_length=1)
    name: Pair
    region: Pair
    city: str = Field(min_length=1)
    baseline_year: int
    first_year: int
    last_year: int
    document: str = Field(min_length=1)
    commentary: str | None = None   # evaluators' commentary folder, relative to the catalogue


class District(_Strict):
    name: str = Field(min_length=1)
    en: str | None = None
    id: str | None = None
    type: str | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, v: str | None) -> str | None:
        return None if v is None else _one_of(v, DISTRICT_TYPES)


class BaselineEntry(_Strict):
    value: float
    year: int
    quote: str = Field(min_length=1)


class Proxy(_Strict):
    kind: str
    target: float


class IndicatorEntry(_Strict):
    id: str = Field(min_length=1)
    tier: str
    name: Pair
    unit: Pair
    kind: str
    attribute: str
    quote: str = ""
    reading: Pair | None = None
    main_row: str | None = None
    main_scale: float = 1.0
    annex: int | None = None
    target: float | None = None
    target_text: Pair | None = None
    baseline: BaselineEntry | None = None
    values_from: str | None = None
    proxy: Proxy | None = None
    value_unit: Pair | None = None
    review: bool = False            # drafted by `reportkit init`: a person has not checked it yet

    @field_validator("tier")
    @classmethod
    def _tier(cls, v: str) -> str:
        return _one_of(v, TIERS)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return _one_of(v, KINDS)

    @field_validator("attribute")
    @classmethod
    def _attribute(cls, v: str) -> str:
        return _one_of(v, ATTRIBUTES)


class TaskEntry(_Strict):
    """The English title of one node of the plan's task tree (``3.2.1``), where given.

    The id is a string: unquoted ``3.1`` would be read by YAML as the number 3.1 (and ``3.10``
    as 3.1 too), so numbers are refused rather than converted."""

    id: str = Field(min_length=1, pattern=r"^\d+(\.\d+)*$")
    en: str = Field(min_length=1)


class Catalogue(_Strict):
    schema_version: Literal[1] = 1
    plan: PlanInfo
    districts: list[District] = Field(min_length=1)
    indicators: list[IndicatorEntry] = Field(min_length=1)
    # Targets `reportkit init` found in the prose, to move into `indicators` or delete.
    candidates: list[dict[str, Any]] | None = None
    # The headings of the plan's task chapters (default: 主要任务, 重点任务) and task titles in English.
    task_chapters: list[Annotated[str, Field(min_length=1)]] | None = None
    tasks: list[TaskEntry] | None = None


class StatusCuts(_Strict):
    achieved: float
    ahead: float
    on_track: float
    lagging: float
    limited: float


class Qualitative(_Strict):
    met: str
    partly: str
    not_met: str
    met_final: str

    @field_validator("met", "partly", "not_met", "met_final")
    @classmethod
    def _status(cls, v: str) -> str:
        return _one_of(v, tuple(STATUS_RANK))


class MethodFile(_Strict):
    """A method file: every key optional here (an override names only what it changes); the
    merged values are checked for order and range by :mod:`reportkit.inputs.method`."""

    schema_version: Literal[1] = 1
    midterm_year_index: int | None = None
    status: dict[str, float] | None = None
    binding: dict[str, float] | None = None
    qualitative: dict[str, str] | None = None
    international: dict[str, float] | None = None
    grades: dict[str, float] | None = None
    composite: dict[str, Any] | None = None
    reconciliation: dict[str, float] | None = None
    band: dict[str, Any] | None = None


class EvaluationFile(_Strict):
    """An evaluation folder's ``evaluation.yml``: its files (relative to the folder) and choices."""

    schema_version: Literal[1] = 1
    plan: str = Field(min_length=1)
    catalogue: str = Field(min_length=1)
    actuals: str | None = None
    commentary: str | None = None
    method: str | None = None
    issuing_body: Pair | None = None
    # The report's own date (the cover, the PDF's dates) and number (文号), when the evaluators
    # give them; never the data cut-off.
    report_date: date | str | None = None
    report_number: str | None = None
    languages: list[str] = Field(default_factory=lambda: list(LANGS), min_length=1)

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        for lang in v:
            _one_of(lang, LANGS)
        return v

    @field_validator("report_date")
    @classmethod
    def _date(cls, v: date | str | None) -> date | str | None:
        # checked here, not first when the PDF's cover is typeset at the end of a build
        if v is None or isinstance(v, date):
            return v
        m = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*", str(v))
        try:
            if m is None:
                raise ValueError
            date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
        except ValueError:
            raise ValueError(f"YYYY-MM-DD / YYYY-MM / YYYY ({str(v)[:40]!r})") from None
        return v


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(" / ".join(allowed))   # no words: the message around it is in the user's language
    return value


# --------------------------------------------------------------------------------------------
def _lines(node: yaml.Node, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Line (1-based) of every key and list item of a composed YAML document, by path."""
    out: dict[tuple[Any, ...], int] = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, key.value)
            out[path] = key.start_mark.line + 1
            out.update({k: v for k, v in _lines(value, path).items() if k != path})
    elif isinstance(node, yaml.SequenceNode):
        for k, item in enumerate(node.value):
            out.update(_lines(item, (*prefix, k)))
    return out


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _problems(err: ValidationError, path: Path, lines: dict[tuple[Any, ...], int]) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        known = next((loc[:k] for k in range(len(loc), -1, -1) if loc[:k] in lines), ())
        line = lines.get(known)
        kind = e["type"]
        key = kind if kind in KNOWN_ERRORS else "other"
        detail = str(e.get("ctx", {}).get("error", "")) or e["msg"]
        problems.append(Problem(key, Location(str(path), line=line), {
            "field": _field(loc), "detail": detail.removeprefix("Value error, ")}, group=GROUP))
    return problems


KNOWN_ERRORS = ("missing", "extra_forbidden", "string_type", "int_type", "int_parsing", "float_type",
                "float_parsing", "dict_type", "list_type", "model_type", "value_error", "literal_error",
                "string_too_short", "too_short", "bool_type", "string_pattern_mismatch")


def _parse(text: str, path: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ReportkitError(Problem("yaml", Location(str(path), line=mark.line + 1 if mark else None),
                                     {"detail": str(getattr(exc, "problem", exc))}, group=GROUP)) from None
    return data, (_lines(node) if node is not None else {})


def _validated(model: type[BaseModel], text: str, path: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """A YAML file's data and the line of every key, after ``model`` checked its shape;
    ReportkitError with every located problem."""
    data, lines = _parse(text, path)
    try:
        model.model_validate(data if data is not None else {})
    except ValidationError as err:
        raise ReportkitError(_problems(err, path, lines)) from None
    return data, lines


def check_catalogue(text: str, path: Path) -> dict[str, Any]:
    """The catalogue's data, after its shape was checked; ReportkitError with every located problem."""
    return parse_catalogue(text, path)[0]


def parse_catalogue(text: str, path: Path) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
    """:func:`check_catalogue`, plus the line of every key (by path) for later located errors."""
    return _validated(Catalogue, text, path)


def check_method(text: str, path: Path) -> dict[str, Any]:
    """A method file's data, after its shape was checked (unknown keys, types)."""
    return _validated(MethodFile, text, path)[0] or {}


def check_evaluation(text: str, path: Path) -> dict[str, Any]:
    """An ``evaluation.yml``'s data, after its shape was checked."""
    return _validated(EvaluationFile, text, path)[0]
