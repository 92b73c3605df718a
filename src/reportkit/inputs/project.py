"""Evaluation folders: one folder per evaluation, described by its ``evaluation.yml``.

``reportkit init --plan PATH --out DIR`` (:func:`init_project`) makes one: the plan as received
(``plan/``), a drafted catalogue (:mod:`reportkit.inputs.draft`), ``actuals/`` and
``commentary/`` folders, ``evaluation.yml`` and a README of next steps. Every command run inside
the folder (or given ``--project DIR``) reads its files from ``evaluation.yml``
(:func:`find_project`, :func:`load_project`) and writes under the folder's ``_build/``.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportkit.errors import Location, Problem, ReportkitError
from reportkit.files import atomic_write_text
from reportkit.i18n import t
from reportkit.inputs.schema import check_evaluation
from reportkit.vocab import LANGS

PROJECT_FILE = "evaluation.yml"
GROUP = "project"


def _problem(key: str, where: Location | None = None, **params: Any) -> Problem:
    return Problem(key, where, params, group=GROUP)


@dataclass
class Project:
    """An evaluation folder: absolute paths of its inputs, its languages and issuing body."""

    root: Path
    plan: Path
    catalogue: Path
    actuals: Path | None
    commentary: Path | None
    method: Path | None
    languages: list[str]
    issuing_body: dict[str, str] | None = None
    report_date: str | None = None       # YYYY-MM-DD (or YYYY-MM): the cover and the PDF's dates
    report_number: str | None = None     # 文号, printed on the cover when given
    source: Path = field(default_factory=Path)

    @property
    def build_dir(self) -> Path:
        return self.root / "_build"

    def require_actuals(self) -> Path:
        """The filled form; a message naming ``actuals:`` and ``--actuals`` when it is not set."""
        if self.actuals is None:
            raise ReportkitError(_problem("no_actuals", Location(str(self.source)), root=str(self.root)))
        return self.actuals


def find_project(start: Path | None = None) -> Path | None:
    """The evaluation folder holding ``start`` (default: the current folder), or None."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None


def load_project(root: Path) -> Project:
    """Read ``root/evaluation.yml`` (checked: unknown keys, types, languages; files that exist)."""
    root = Path(root).resolve()
    path = root / PROJECT_FILE
    if not path.is_file():
        raise ReportkitError(_problem("not_a_project", Location(str(root)), file=PROJECT_FILE))
    data = check_evaluation(path.read_text(encoding="utf-8"), path)

    def rel(key: str) -> Path | None:
        value = data.get(key)
        return (root / value).resolve() if value else None

    project = Project(root=root, plan=rel("plan"), catalogue=rel("catalogue"), actuals=rel("actuals"),
                      commentary=rel("commentary"), method=rel("method"),
                      languages=list(data.get("languages") or LANGS),
                      issuing_body=data.get("issuing_body"),
                      report_date=str(data["report_date"]) if data.get("report_date") else None,
                      report_number=data.get("report_number"), source=path)
    missing = [_problem("file_missing", Location(str(path)), key=key, path=str(p))
               for key in ("plan", "catalogue", "actuals", "method")
               if (p := getattr(project, key)) is not None and not p.is_file()]
    if missing:
        raise ReportkitError(missing)
    return project


def resolve_project(option: Path | None) -> Project | None:
    """The project of a command: ``--project DIR`` if given, else the folder the command runs in."""
    if option is not None:
        return load_project(Path(option))
    root = find_project()
    return load_project(root) if root else None


# ---- a forgotten --catalogue -------------------------------------------------------------------
MISMATCH = ("unknown_indicator", "unknown_district", "year_outside", "district_blank")


def other_plan_problem(problems: list[Problem], actuals: Path | str, plan: Any) -> Problem | None:
    """One message naming ``--catalogue`` when actuals read against the default plan fail mostly
    because they name another plan's indicators, districts or years (instead of one error per
    cell listing the default plan's districts)."""
    odd = [p for p in problems if p.key in MISMATCH]
    names = list(dict.fromkeys(str(p.params.get("value", "")) for p in odd if p.params.get("value")))
    # A few misspelt names in the right plan's form are errors to fix cell by cell; many distinct
    # unknown names, making most of the problems, are a form of another plan.
    if len(names) < 3 or len(odd) * 2 < len(problems):
        return None
    examples = names[:4]
    return _problem("other_plan", Location(str(actuals)), plan=plan.name["zh"] + " / " + plan.name["en"],
                    n=len(odd), examples="、".join(examples) or "—")


# ---- reportkit init ------------------------------------------------------------------------------
@dataclass
class InitResult:
    root: Path
    files: list[Path]
    indicators: int
    annexes: int
    districts: int
    candidates: int
    missing_en: int


def _plan_id(out: Path, plan_path: Path) -> str:
    for name in (out.name, plan_path.stem):
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
        if slug and slug[0].isalnum() and len(slug) <= 80 and ".." not in slug:
            return slug
    return ""


def init_project(plan_path: Path, out: Path) -> InitResult:
    """Make an evaluation folder for a plan (.docx or text export); nothing is written when the
    plan cannot be read or ``out`` is a folder that is not empty."""
    from reportkit.inputs import plan as plan_mod
    from reportkit.inputs.draft import catalogue_yaml, draft_catalogue

    plan_path, out = Path(plan_path), Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReportkitError(_problem("init_not_empty", Location(str(out))))
    tables = plan_mod.extract(plan_path)   # a plan that cannot be read stops here
    document = f"plan/{plan_path.name}"
    data = draft_catalogue(tables, document, plan_path.stem)
    if (plan_id := _plan_id(out, plan_path)):
        data["plan"]["id"] = plan_id
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan").mkdir()
    received = out / "plan" / plan_path.name
    shutil.copyfile(plan_path, received)
    os.chmod(received, 0o444)   # as received: read-only
    files = [received]
    header = t("project.catalogue_header", "zh", plan=plan_path.name) + "\n" + t(
        "project.catalogue_header", "en", plan=plan_path.name)
    files.append(atomic_write_text(out / "catalogue.yml", catalogue_yaml(data, header)))
    for folder in ("actuals", *(f"commentary/{lang}/{part}" for lang in LANGS for part in ("indicators", "districts"))):
        (out / folder).mkdir(parents=True, exist_ok=True)
        (out / folder / ".gitkeep").write_text("", encoding="utf-8")
    files.append(atomic_write_text(out / PROJECT_FILE, _evaluation_yml(document)))
    files.append(atomic_write_text(out / "README.md", _readme(out, data)))
    n_en = 3 + len(data["districts"]) + 2 * len(data["indicators"])
    return InitResult(out, files, len(data["indicators"]),
                      sum(1 for i in data["indicators"] if i.get("annex") is not None),
                      len(data["districts"]), len(data["candidates"]), n_en)


def _evaluation_yml(document: str) -> str:
    return "\n".join([
        "# " + t("project.yml_header", "zh"),
        "# " + t("project.yml_header", "en"),
        "schema_version: 1",
        f"plan: {document}",
        "catalogue: catalogue.yml",
        "actuals: null          # " + t("project.yml_actuals", "en"),
        "commentary: commentary",
        "method: null           # " + t("project.yml_method", "en"),
        "issuing_body: null     # " + t("project.yml_issuer", "en"),
        "report_date: null      # " + t("project.yml_report_date", "en"),
        "report_number: null    # " + t("project.yml_report_number", "en"),
        "languages: [zh, en]",
        "",
    ])


def _readme(out: Path, data: dict[str, Any]) -> str:
    parts = []
    for lang in LANGS:
        parts.append(t("project.readme", lang, title=data["plan"]["name"]["zh"], folder=out.name,
                       first=data["plan"]["first_year"], last=data["plan"]["last_year"]))
    return "\n\n".join(parts) + "\n"
