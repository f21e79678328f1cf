"""The ``hanota`` command line (also ``python -m conformance``).

Each subcommand lives in its own module under ``conformance/commands/`` exposing
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; this file only
collects them. Exit codes are a public contract: 0 success/valid, 1 failure/invalid,
2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from . import __version__, commands

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


def _command_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        found.append(importlib.import_module(f"{commands.__name__}.{info.name}"))
    return found


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (the option and what is wrong with it); ``-h`` shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} -h')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hanota",
        description="Conformance suite for OTA firmware updates of GB smart-metering HAN devices "
        "(IHD, PPMID) under SECMP0007.",
    )
    parser.add_argument("--version", action="version", version=f"hanota {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show Python tracebacks (of the suite and of failing scenarios)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _command_modules():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if extra and not getattr(args, "_accepts_extra", False):
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("hanota: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (hanota inspect --json | head): not an error
        _quiet_stdout()
        return EXIT_OK
    except Exception as err:  # a defect of the suite: one line, the traceback with --debug
        if args.debug:
            raise
        text = str(err).strip().splitlines()
        print(f"hanota {args.command}: internal error: {type(err).__name__}: "
              f"{text[0] if text else ''} (run 'hanota --debug {args.command} ...' for the traceback)",
              file=sys.stderr)
        return EXIT_INVALID


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
