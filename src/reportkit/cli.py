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
from reportkit.errors import ReportkitError
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


@click.group(help="Bilingual evaluation reports for five-year plans / 规划实施评估报告生成工具",
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportkit", message="%(prog)s %(version)s")
@click.option("--lang", type=click.Choice(list(LANGS)), default=default_lang,
              help="language of messages (default: from REPORTKIT_LANG or the locale)")
def cli(lang: str) -> None:
    """The command group; ``--lang`` is read by each command through the root context."""


@cli.command("extract", help="read the plan's tables into tidy CSV files")
@click.option("--plan", "plan_path", type=PathType, default=cfg.DEFAULT_PLAN, show_default="embedded plan",
              help="plan text export")
@click.option("--out", type=PathType, default=cfg.PROCESSED_DIR, show_default="data/processed",
              help="output folder")
@lang_option
@click.pass_context
def extract_cmd(ctx: click.Context, plan_path: Path, out: Path, cmd_lang: str | None) -> None:
    from reportkit.inputs import plan

    lang = _lang(ctx, cmd_lang)
    tables = plan.extract(plan_path)
    for w in tables.warnings:
        click.echo(w.message(lang))
    written = plan.write_tables(tables, out)
    audit = tables.plan_audit
    failed = int((~audit["passed"]).sum()) if len(audit) else 0
    click.echo(t("cli.extract_done", lang, annexes=tables.annex_targets["annex"].nunique(),
                 cells=len(tables.annex_targets), indicators=len(tables.main_indicators),
                 checks=len(audit), failed=failed))
    for path in written.values():
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
@lang_option
@click.pass_context
def template_cmd(ctx: click.Context, fmt: str, out: Path | None, catalogue: Path | None,
                 cmd_lang: str | None) -> None:
    from reportkit.inputs.catalogue import load_plan
    from reportkit.inputs.form import expected_cells, write_template

    plan = load_plan(catalogue)
    path = write_template(plan, out or cfg.BUILD_DIR / f"actuals-template.{fmt}", fmt)
    click.echo(t("actuals.template_written", _lang(ctx, cmd_lang), path=path, cells=len(expected_cells(plan))))


@cli.command("validate", help="check a filled actuals workbook or tidy CSV")
@click.argument("path", type=PathType)
@catalogue_option
@lang_option
@click.pass_context
def validate_cmd(ctx: click.Context, path: Path, catalogue: Path | None, cmd_lang: str | None) -> None:
    from reportkit.inputs.actuals import read_actuals
    from reportkit.inputs.catalogue import load_plan

    lang = _lang(ctx, cmd_lang)
    plan = load_plan(catalogue)
    result = read_actuals(path, plan, lang=lang)
    for p in result.problems + result.warnings:
        click.echo(p.message(lang), err=p.severity == "error")
    if result.problems:
        click.echo(t("actuals.summary_problems", lang, errors=len(result.problems),
                     warnings=len(result.warnings)), err=True)
        ctx.exit(1)
    click.echo(result.summary(plan, lang))
    click.echo(t("actuals.summary_ok", lang))


@cli.command("sample-actuals", help="write illustrative (not official) actuals for the plan")
@click.option("--out", type=PathType, default=cfg.DEFAULT_ACTUALS, show_default="data/raw/actuals/sample-actuals.xlsx",
              help="output workbook")
@click.option("--seed", type=int, default=None, help="random seed (default: the sample's own)")
@catalogue_option
@lang_option
@click.pass_context
def sample_cmd(ctx: click.Context, out: Path, seed: int | None, catalogue: Path | None,
               cmd_lang: str | None) -> None:
    from reportkit.inputs.catalogue import load_plan
    from reportkit.inputs.sample import SEED, write_sample

    seed = SEED if seed is None else seed
    path, n = write_sample(load_plan(catalogue), out, seed)
    click.echo(t("actuals.sample_written", _lang(ctx, cmd_lang), path=path, values=n, seed=seed))


@cli.command("evaluate", help="evaluate the plan against its actuals (METHOD.md)")
@click.option("--actuals", type=PathType, default=cfg.DEFAULT_ACTUALS, show_default="the sample actuals",
              help="filled actuals workbook or tidy CSV")
@click.option("--stage", type=click.Choice(list(STAGES)), default="midterm", show_default=True)
@click.option("--as-of", "as_of", default=None, help="YYYY or YYYY-MM inside the plan period (default: the stage's year)")
@click.option("--method", type=PathType, default=None, help="method file overriding the defaults")
@catalogue_option
@click.option("--out", type=PathType, default=None,
              help="output .csv or .xlsx (default: data/processed/evaluation-<stage>.csv)")
@lang_option
@click.pass_context
def evaluate_cmd(ctx: click.Context, actuals: Path, stage: str, as_of: str | None, method: Path | None,
                 catalogue: Path | None, out: Path | None, cmd_lang: str | None) -> None:
    from reportkit.evaluation.engine import evaluate_files, write_evaluation

    lang = _lang(ctx, cmd_lang)
    ev, warnings = evaluate_files(actuals, stage=stage, as_of=as_of, method=method, catalogue=catalogue)
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
@click.option("--lang", "langs", default=",".join(LANGS), show_default=True,
              help="editions to build, comma-separated")
@click.option("--actuals", type=PathType, default=None, help="actuals workbook or CSV (default: sample)")
@click.option("--as-of", "as_of", default="", help="evaluation date YYYY or YYYY-MM (default: the stage's)")
@click.option("--method", type=PathType, default=None, help="method file (default: built-in)")
@click.option("--plan", type=PathType, default=None, help="plan text export (default: the catalogue's)")
@catalogue_option
@click.option("--commentary", type=PathType, default=None,
              help="evaluators' commentary folder (default: data/raw/commentary)")
@click.option("--jobs", type=int, default=2, show_default=True, help="notebooks run in parallel (processes)")
@click.option("--out", type=PathType, default=cfg.BUILD_DIR, show_default="_build", help="output root")
@click.option("--pdf/--no-pdf", default=True, help="also typeset one PDF and write one Word file per edition")
@click.option("--cache/--no-cache", default=True,
              help="reuse notebooks, editions and PDFs whose inputs are unchanged (_build/.cache)")
@click.pass_context
def build_cmd(ctx: click.Context, stage: str, langs: str, actuals: Path | None, as_of: str,
              method: Path | None, plan: Path | None, catalogue: Path | None, commentary: Path | None,
              jobs: int, out: Path, pdf: bool, cache: bool) -> None:
    from reportkit.publishing.pipeline import BuildOptions, build

    opts = BuildOptions(stage=stage, langs=[x.strip() for x in langs.split(",") if x.strip()],
                        actuals=actuals, as_of=as_of, method=method, plan=plan, catalogue=catalogue,
                        commentary=commentary, jobs=max(1, jobs), out_root=out,
                        msg_lang=_lang(ctx, None), pdf=pdf, cache=cache)
    build(opts, log=click.echo)


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
