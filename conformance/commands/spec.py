"""``hanota spec --out FILE.html``: the catalogue and features as a readable specification."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hanota.conformance import __version__
from hanota.conformance.report import ReportError, suite_commit

NAME = "spec"
HELP = "render the requirement catalogue and the feature files as one HTML specification"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE.html", help="where to write the document")
    parser.add_argument("--features", default=None, metavar="DIR",
                        help="feature files directory (default: the checkout's features/)")


def run(args: argparse.Namespace) -> int:
    from hanota.conformance.report.spec import render_spec  # pytest-bdd's parser: only when needed

    features = Path(args.features) if args.features else None
    if features is not None and not features.is_dir():
        print(f"hanota spec: {features}: not a directory", file=sys.stderr)
        return 2
    target = Path(args.out)
    if target.is_dir() or not target.parent.is_dir():
        why = "is a directory" if target.is_dir() else f"its directory {target.parent} does not exist"
        print(f"hanota spec: --out {target}: {why}; give the path of an HTML file to write", file=sys.stderr)
        return 2
    try:
        out = render_spec(Path(args.out), features_dir=features, suite_version=__version__,
                          suite_commit=suite_commit())
    except ReportError as err:
        print(f"hanota spec: {err}", file=sys.stderr)
        return 1
    print(f"hanota spec: wrote {out}", file=sys.stderr)
    return 0
