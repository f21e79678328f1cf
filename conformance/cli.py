"""The ``hanota`` command line (also ``python -m conformance``).

Each subcommand lives in its own module under ``conformance/commands/`` exposing
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; this file only
collects them. Exit codes are a public contract: 0 success/valid, 1 failure/invalid,
2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from . import commands

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hanota",
        description="Conformance suite for OTA firmware updates of GB smart-metering HAN devices "
        "(IHD, PPMID) under SECMP0007.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
