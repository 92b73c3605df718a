"""The ``reportkit`` command line. Each stage module adds its own sub-command."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from reportkit import __version__
from reportkit.errors import ReportkitError

# Stage modules that contribute sub-commands (each has ``register(subparsers)``).
COMMAND_MODULES = ["inputs.plan", "inputs.synthetic", "inputs.form", "inputs.actuals", "inputs.sample",
                   "evaluation.engine", "publishing.pipeline"]


def default_lang() -> str:
    """The user's language: REPORTKIT_LANG, else zh when the locale is Chinese, else en."""
    env = os.environ.get("REPORTKIT_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG", "")
    return "zh" if env.lower().startswith("zh") else "en"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reportkit",
        description="Bilingual evaluation reports for five-year plans / 规划实施评估报告生成工具",
    )
    parser.add_argument("--version", action="version", version=f"reportkit {__version__}")
    parser.add_argument("--lang", choices=["zh", "en"], default=default_lang(),
                        help="language of messages (default: from REPORTKIT_LANG or the locale)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"reportkit.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ReportkitError as err:
        print(err.render(args.lang), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        from reportkit.i18n import t

        print(t("cli.interrupted", args.lang), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
