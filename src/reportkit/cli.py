"""The ``reportkit`` command line: thin click wrappers over the documented Python API.

Each command parses its options, calls one library function and prints what it returned, in
the user's language (``--lang``, before or after the command; default from ``REPORTKIT_LANG``
or the locale). Nothing here computes anything: the same calls work from a notebook.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reportkit import __version__
from reportkit import config as cfg
from reportkit.errors import Location, Problem, ReportkitError
from reportkit.i18n import t
from reportkit.vocab import LANGS, STAGES


def default_lang() -> str:
    """The user's language: REPORTKIT_LANG, else zh when the locale is Chinese, else en."""
    env = os.environ.get("REPORTKIT_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG", "")
    return "zh" if env.lower().startswith("zh") else "en"


PathType = click.Path(path_type=Path)


def _lang(ctx: click.Context, value: str | None) -> str:
    """The message language: the command's own ``--lang``, else the group's."""
    return value or ctx.find_root().params.get("lang") or default_lang()


def lang_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--lang`` on a command too (``reportkit validate FILE --lang en``)."""
    return click.option("--lang", "cmd_lang", type=click.Choice(list(LANGS)), default=None,
                        help="language of the messages")(func)


def project_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--project DIR``: an evaluation folder (default: the folder the command runs in, if any)."""
    return click.option("--project", "project_dir", type=PathType, default=None,
                        help="evaluation folder with an evaluation.yml (default: the current folder's)")(func)


def _project(ctx: click.Context, value: Path | None):
    """The evaluation folder of a command: its own ``--project``, the group's, or the current folder's."""
    from reportkit.inputs.project import resolve_project

    return resolve_project(value or ctx.find_root().params.get("project_dir"))


def _hint_other_plan(problems: list, actuals: Path, catalogue_given: bool) -> list:
    """Actuals of another plan read against the default one: one message naming --catalogue."""
    if catalogue_given:
        return problems
    from reportkit.inputs.catalogue import load
    from reportkit.inputs.project import other_plan_problem

    hint = other_plan_problem(problems, actuals, load(cfg.DEFAULT_CATALOGUE))
    return [hint] if hint else problems


PLAN_MISMATCH = ("years_mismatch", "main_row_missing", "annex_missing", "annex_district_missing", "quote_not_in_plan")


def _hint_plan_alone(problems: list, plan: Path) -> list:
    """Another plan's file given with the default catalogue: one message naming --catalogue and init."""
    odd = [p for p in problems if p.group == "schema" and p.key in PLAN_MISMATCH]
    if len(odd) < 2 or len(odd) * 2 < len(problems):
        return problems
    return [Problem("plan_needs_catalogue", Location(str(plan)), {"plan": str(plan)}, group="project")]


@click.group(help="Bilingual evaluation reports for five-year plans / 规划实施评估报告生成工具",
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportkit", message="%(prog)s %(version)s")
@click.option("--lang", type=click.Choice(list(LANGS)), default=default_lang,
              help="language of messages (default: from REPORTKIT_LANG or the locale)")
@click.option("--project", "project_dir", type=PathType, default=None,
              help="evaluation folder with an evaluation.yml (default: the current folder's)")
def cli(lang: str, project_dir: Path | None) -> None:
    """The command group; ``--lang`` is read by each command through the root context."""


@cli.command("extract", help="read the plan's tables into tidy CSV files")
@click.option("--plan", "plan_path", type=PathType, default=None, show_default="the evaluation's, else the embedded plan",
              help="plan: Word file (.docx) or text export")
@click.option("--out", type=PathType, default=None, show_default="_build/processed of the evaluation, else data/processed",
              help="output folder")
@click.option("--catalogue", type=PathType, default=None,
              help="catalogue with the task chapters' headings and English task titles "
                   "(default: the evaluation's, else the embedded plan's, for the embedded plan)")
@project_option
@lang_option
@click.pass_context
def extract_cmd(ctx: click.Context, plan_path: Path | None, out: Path | None, catalogue: Path | None,
                project_dir: Path | None, cmd_lang: str | None) -> None:
    from reportkit.inputs import catalogue as cat_mod
    from reportkit.inputs import plan

    lang = _lang(ctx, cmd_lang)
    proj = _project(ctx, project_dir)
    plan_path = plan_path or (proj.plan if proj else cfg.DEFAULT_PLAN)
    out = out or (proj.build_dir / "processed" if proj else cfg.PROCESSED_DIR)
    catalogue = catalogue or (proj.catalogue if proj else None)
    # Another plan without its catalogue: its task tree is read under the default headings,
    # without English titles (the embedded catalogue's ids belong to the embedded plan).
    cat = cat_mod.load(catalogue) if catalogue else (
        cat_mod.load(cfg.DEFAULT_CATALOGUE) if Path(plan_path).resolve() == cfg.DEFAULT_PLAN.resolve() else None)
    tables = plan.extract(plan_path, cat.task_chapters or None if cat else None)
    if cat is not None:
        # the catalogue gives the tasks' English titles and says which main-table row an annex
        # schedules: the audit then compares the two (the plan disagreeing with itself)
        resolved = cat_mod.resolve(cat, tables)
        tables = cat_mod.audited(resolved, tables)
        tables.tasks = resolved.tasks
    for w in tables.warnings:
        click.echo(w.message(lang))
    written = plan.write_tables(tables, out)
    audit = tables.plan_audit
    failed = int((~audit["passed"]).sum()) if len(audit) else 0
    click.echo(t("cli.extract_done", lang, annexes=tables.annex_targets["annex"].nunique(),
                 cells=len(tables.annex_targets), indicators=len(tables.main_indicators),
                 checks=len(audit), failed=failed))
    levels = tables.tasks["level"].value_counts()
    click.echo(t("cli.extract_tasks", lang, sections=int(levels.get("section", 0)),
                 tasks=int(levels.get("task", 0)), items=int(levels.get("item", 0))))
    for path in written.values():
        click.echo(f"  {path}")


@cli.command("init", help="make an evaluation folder for a plan: the plan, a drafted catalogue, evaluation.yml")
@click.option("--plan", "plan_path", type=PathType, required=True, help="the plan: Word file (.docx) or text export")
@click.option("--out", type=PathType, required=True, help="the new evaluation folder")
@lang_option
@click.pass_context
def init_cmd(ctx: click.Context, plan_path: Path, out: Path, cmd_lang: str | None) -> None:
    from reportkit.inputs.project import init_project

    lang = _lang(ctx, cmd_lang)
    done = init_project(plan_path, out)
    click.echo(t("project.init_done", lang, root=done.root, indicators=done.indicators, annexes=done.annexes,
                 districts=done.districts, candidates=done.candidates))
    for path in done.files:
        click.echo(f"  {path}")


@cli.command("synthetic-plan", help="write a synthetic plan and catalogue of a given size")
@click.option("--out", type=PathType, required=True, help="output folder")
@click.option("--districts", type=int, default=20, show_default=True, help="number of districts")
@click.option("--annexes", type=int, default=8, show_default=True, help="number of annex programmes")
@click.option("--first-year", type=int, default=2026, show_default=True, help="first plan year")
def synthetic_cmd(out: Path, districts: int, annexes: int, first_year: int) -> None:
    from reportkit.inputs.synthetic import write_plan

    for path in write_plan(out, districts=districts, annexes=annexes, first_year=first_year):
        click.echo(path)


catalogue_option = click.option("--catalogue", type=PathType, default=None,
                                help="indicator catalogue (default: the embedded plan's)")


@cli.command("template", help="write the actuals template to fill (xlsx or csv)")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True,
              help="workbook or tidy CSV")
@click.option("--out", type=PathType, default=None, help="output file (default: _build/actuals-template.<format>)")
@catalogue_option
@project_option
@lang_option
@click.pass_context
def template_cmd(ctx: click.Context, fmt: str, out: Path | None, catalogue: Path | None,
                 project_dir: Path | None, cmd_lang: str | None) -> None:
    from reportkit.inputs.catalogue import load_plan
    from reportkit.inputs.form import expected_cells, write_template

    proj = _project(ctx, project_dir)
    plan = load_plan(catalogue or (proj.catalogue if proj else None), proj.plan if proj and not catalogue else None)
    cells = len(expected_cells(plan))
    if cells == 0:   # a form with nothing to fill is a catalogue that does not fit its plan
        raise ReportkitError(Problem("template_empty", Location(str(plan.source)), group="project"))
    path = write_template(plan, out or (proj.build_dir if proj else cfg.BUILD_DIR) / f"actuals-template.{fmt}", fmt)
    click.echo(t("actuals.template_written", _lang(ctx, cmd_lang), path=path, cells=cells))


@cli.command("validate", help="check a filled actuals workbook or tidy CSV")
@click.argument("path", type=PathType, required=False)
@catalogue_option
@project_option
@lang_option
@click.pass_context
def validate_cmd(ctx: click.Context, path: Path | None, catalogue: Path | None, project_dir: Path | None,
                 cmd_lang: str | None) -> None:
    from reportkit.inputs.actuals import read_actuals
    from reportkit.inputs.catalogue import load_plan

    lang = _lang(ctx, cmd_lang)
    proj = _project(ctx, project_dir)
    plan = load_plan(catalogue or (proj.catalogue if proj else None), proj.plan if proj and not catalogue else None)
    # What the catalogue still lacks: English texts (the en edition needs them), unreviewed drafts.
    for p in plan.missing_en:
        click.echo(p.message(lang))
    for ind in plan.indicators:
        if ind.review:
            click.echo(Problem("review_left", plan.at("indicators", ind.pos, "review"), {"id": ind.id},
                               "warning", group="project").message(lang))
    path = path or (proj.require_actuals() if proj else cfg.DEFAULT_ACTUALS)
    result = read_actuals(path, plan, lang=lang)
    problems = _hint_other_plan(result.problems, path, bool(catalogue or proj))
    for p in problems + (result.warnings if problems is result.problems else []):
        click.echo(p.message(lang), err=p.severity == "error")
    if result.problems:
        click.echo(t("actuals.summary_problems", lang, errors=len(problems),
                     warnings=len(result.warnings)), err=True)
        ctx.exit(1)
    click.echo(result.summary(plan, lang))
    from reportkit.inputs.tasks import untranslated

    missing_en = untranslated(plan)
    if missing_en:   # the English edition shows these in Chinese, marked
        click.echo(t("actuals.tasks_untranslated", lang, n=len(missing_en)))
        for task_id, title in missing_en:
            click.echo(f"  {task_id} {title}")
    click.echo(t("actuals.summary_ok", lang))


@cli.command("sample-actuals", help="write illustrative (not official) actuals for the plan")
@click.option("--out", type=PathType, default=None,
              show_default="_build/sample-actuals.xlsx of the evaluation, else data/raw/actuals/sample-actuals.xlsx",
              help="output workbook")
@click.option("--seed", type=int, default=None, help="random seed (default: the sample's own)")
@catalogue_option
@project_option
@lang_option
@click.pass_context
def sample_cmd(ctx: click.Context, out: Path | None, seed: int | None, catalogue: Path | None,
               project_dir: Path | None, cmd_lang: str | None) -> None:
    from reportkit.inputs.catalogue import load_plan
    from reportkit.inputs.sample import SEED, write_sample

    proj = _project(ctx, project_dir)
    plan = load_plan(catalogue or (proj.catalogue if proj else None), proj.plan if proj and not catalogue else None)
    out = out or (proj.build_dir / "sample-actuals.xlsx" if proj else cfg.DEFAULT_ACTUALS)
    seed = SEED if seed is None else seed
    path, n = write_sample(plan, out, seed)
    click.echo(t("actuals.sample_written", _lang(ctx, cmd_lang), path=path, values=n, seed=seed))


@cli.command("evaluate", help="evaluate the plan against its actuals (METHOD.md)")
@click.option("--actuals", type=PathType, default=None, show_default="the evaluation's, else the sample actuals",
              help="filled actuals workbook or tidy CSV")
@click.option("--stage", type=click.Choice(list(STAGES)), default="midterm", show_default=True)
@click.option("--as-of", "as_of", default=None, help="YYYY or YYYY-MM inside the plan period (default: the stage's year)")
@click.option("--method", type=PathType, default=None, help="method file overriding the defaults")
@catalogue_option
@click.option("--out", type=PathType, default=None,
              help="output .csv or .xlsx (default: data/processed/evaluation-<stage>.csv, or the evaluation's _build/)")
@project_option
@lang_option
@click.pass_context
def evaluate_cmd(ctx: click.Context, actuals: Path | None, stage: str, as_of: str | None, method: Path | None,
                 catalogue: Path | None, out: Path | None, project_dir: Path | None, cmd_lang: str | None) -> None:
    from reportkit.evaluation.engine import evaluate_files, write_evaluation

    lang = _lang(ctx, cmd_lang)
    proj = _project(ctx, project_dir)
    if proj:
        catalogue = catalogue or proj.catalogue
        method = method or proj.method
        actuals = actuals or proj.require_actuals()
        out = out or proj.build_dir / f"evaluation-{stage}.csv"
    elif catalogue and not actuals and Path(catalogue).resolve() != cfg.DEFAULT_CATALOGUE.resolve():
        raise ReportkitError(Problem("no_actuals_flag", Location(str(catalogue)), group="project"))
    actuals = actuals or cfg.DEFAULT_ACTUALS
    try:
        ev, warnings = evaluate_files(actuals, stage=stage, as_of=as_of, method=method, catalogue=catalogue)
    except ReportkitError as err:
        raise ReportkitError(_hint_other_plan(err.problems, actuals, bool(catalogue))) from None
    for w in warnings:
        click.echo(w.message(lang))
    written = write_evaluation(ev, out or cfg.PROCESSED_DIR / f"evaluation-{stage}.csv")
    click.echo(t("status.cli.done", lang, rows=len(ev.results), as_of=ev.meta["as_of"],
                 tau=f"{ev.meta['time_progress']:.2f}"))
    for code, n in ev.results["status"].value_counts().items():
        click.echo(f"  {t(f'status.status.{code}', lang)}: {n}")
    flagged = int((ev.results["warning"] == True).sum())  # noqa: E712 (None is not False here)
    if flagged:
        click.echo(t("status.cli.warnings", lang, n=flagged))
    bad = ev.reconciliation[ev.reconciliation["agrees"] == False]  # noqa: E712
    if len(bad):
        click.echo(t("status.cli.mismatches", lang, n=len(bad)))
    for path in written:
        click.echo(f"  {path}")


@cli.command("build", help="build the evaluation report: site and PDFs, both languages")
@click.option("--stage", type=click.Choice(list(STAGES)), default="midterm", show_default=True)
@click.option("--lang", "langs", default=None, show_default="the evaluation's languages, else zh,en",
              help="editions to build, comma-separated")
@click.option("--actuals", type=PathType, default=None, help="actuals workbook or CSV (default: sample)")
@click.option("--as-of", "as_of", default="", help="evaluation date YYYY or YYYY-MM (default: the stage's)")
@click.option("--year", type=int, default=None,
              help="stage annual: the plan year reported (its annual monitoring report, _build/annual-<year>/)")
@click.option("--method", type=PathType, default=None, help="method file (default: built-in)")
@click.option("--plan", type=PathType, default=None, help="plan: .docx or text export (default: the catalogue's)")
@catalogue_option
@click.option("--commentary", type=PathType, default=None,
              help="evaluators' commentary folder (default: the one the catalogue names, if any)")
@click.option("--jobs", type=int, default=2, show_default=True, help="notebooks run in parallel (processes)")
@click.option("--out", type=PathType, default=None, show_default="_build of the evaluation, else _build",
              help="output root")
@click.option("--pdf/--no-pdf", default=True, help="also typeset one PDF and write one Word file per edition")
@click.option("--cache/--no-cache", default=True,
              help="reuse notebooks, editions and PDFs whose inputs are unchanged (_build/.cache)")
@click.option("--cache-dir", "cache_dir", type=PathType, default=None, show_default="_build/.cache",
              help="folder of the build cache (e.g. one per CI job or test)")
@project_option
@click.pass_context
def build_cmd(ctx: click.Context, stage: str, langs: str | None, actuals: Path | None, as_of: str,
              year: int | None, method: Path | None, plan: Path | None, catalogue: Path | None, commentary: Path | None,
              jobs: int, out: Path | None, pdf: bool, cache: bool, cache_dir: Path | None,
              project_dir: Path | None) -> None:
    from reportkit.publishing.pipeline import BuildOptions, build

    proj = _project(ctx, project_dir)
    settings: dict[str, Any] = {}
    if proj:
        catalogue = catalogue or proj.catalogue
        plan = plan or proj.plan
        method = method or proj.method
        commentary = commentary or proj.commentary
        actuals = actuals or proj.require_actuals()
        langs = langs or ",".join(proj.languages)
        out = out or proj.build_dir
        settings = {"issuer": proj.issuing_body, "report_date": proj.report_date,
                    "report_number": proj.report_number}
    elif catalogue and not actuals and Path(catalogue).resolve() != cfg.DEFAULT_CATALOGUE.resolve():
        raise ReportkitError(Problem("no_actuals_flag", Location(str(catalogue)), group="project"))
    langs = langs or ",".join(LANGS)
    out = out or cfg.BUILD_DIR
    opts = BuildOptions(stage=stage, langs=[x.strip() for x in langs.split(",") if x.strip()],
                        actuals=actuals, as_of=as_of, method=method, plan=plan, catalogue=catalogue,
                        commentary=commentary, jobs=max(1, jobs), out_root=out,
                        msg_lang=_lang(ctx, None), pdf=pdf, cache=cache, cache_dir=cache_dir, year=year,
                        **settings)
    try:
        build(opts, log=click.echo)
    except ReportkitError as err:
        problems = _hint_other_plan(err.problems, actuals or cfg.DEFAULT_ACTUALS, bool(catalogue))
        raise ReportkitError(_hint_plan_alone(problems, plan) if plan and not catalogue else problems) from None


def commands() -> list[str]:
    """The names of every command (the README documents each: tests/test_project.py)."""
    return sorted(cli.commands)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (1: a user error, already explained; 2: bad usage)."""
    args = list(sys.argv[1:] if argv is None else argv)
    lang = _peek_lang(args)
    try:
        result = cli.main(args=args, prog_name="reportkit", standalone_mode=False)
    except click.exceptions.Exit as stop:
        return int(stop.exit_code)
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.exceptions.Abort:
        click.echo(t("cli.interrupted", lang), err=True)
        return 130
    except ReportkitError as err:
        click.echo(err.render(lang), err=True)
        return 1
    except KeyboardInterrupt:
        click.echo(t("cli.interrupted", lang), err=True)
        return 130
    return int(result or 0)


def _peek_lang(args: list[str]) -> str:
    """The message language given anywhere on the line (errors are shown in it)."""
    for k, a in enumerate(args):
        if a == "--lang" and k + 1 < len(args) and args[k + 1] in LANGS:
            return args[k + 1]
        if a.startswith("--lang=") and a.split("=", 1)[1] in LANGS:
            return a.split("=", 1)[1]
    return default_lang()


if __name__ == "__main__":
    sys.exit(main())
