"""``hanota publish REPORT_DIR... --out SITE_DIR``: a static index of many reports.

Exit 0 when every report's signature and files check out (and, with ``--public-key``, it is
signed by a trusted key), 1 when any does not (the page is still written and says which),
2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hanota.conformance.report.manifest import ManifestError, load_public_key
from hanota.conformance.report.publish import publish

NAME = "publish"
HELP = "build a static site listing many reports, each signature checked"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report_dirs", nargs="+", metavar="REPORT_DIR", help="report directories")
    parser.add_argument("--out", required=True, metavar="SITE_DIR", help="the site directory to write")
    parser.add_argument("--public-key", action="append", default=[], metavar="PEM",
                        help="a trusted Ed25519 public key (repeatable); without any, each report is "
                             "checked against the key recorded in its own manifest")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    if out.exists() and not out.is_dir():
        print(f"hanota publish: --out {args.out}: a file, not a directory; give the site directory to write",
              file=sys.stderr)
        return 2
    dirs = [Path(d) for d in args.report_dirs]
    for d in dirs:
        if not d.is_dir():
            print(f"hanota publish: {d}: not a directory", file=sys.stderr)
            return 2
        r = d.resolve()
        if out == r or out.is_relative_to(r) or r.is_relative_to(out):
            print(f"hanota publish: --out {out} and {d} overlap; choose a separate site directory",
                  file=sys.stderr)
            return 2
    try:
        keys = [load_public_key(p) for p in args.public_key]
    except ManifestError as err:
        print(f"hanota publish: {err}", file=sys.stderr)
        return 2
    listed = publish(dirs, out, trusted_keys=keys)
    bad = [p for p in listed if p.status != "valid"]
    for p in bad:
        print(f"hanota publish: {p.source}: {p.status}: {p.status_text}", file=sys.stderr)
    print(f"hanota publish: wrote {out / 'index.html'} ({len(listed)} report(s), {len(bad)} not valid)",
          file=sys.stderr)
    return 1 if bad else 0
