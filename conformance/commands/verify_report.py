"""``hanota verify-report DIR [--public-key PEM]``: is this report exactly what was signed?

Exit 0 valid (the key's fingerprint is printed), 1 invalid with one line naming the file,
2 usage error (no such directory, unreadable key).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hanota.conformance.report.manifest import ManifestError, load_public_key, verify_manifest

NAME = "verify-report"
HELP = "check a report directory against its signed manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report_dir", metavar="DIR", help="the report directory")
    parser.add_argument("--public-key", metavar="PEM", default=None,
                        help="Ed25519 public key (PEM) the report must be signed with; without it the "
                             "key recorded in the manifest is used and its fingerprint printed")


def run(args: argparse.Namespace) -> int:
    report_dir = Path(args.report_dir)
    if not report_dir.is_dir():
        print(f"hanota verify-report: {report_dir}: not a directory", file=sys.stderr)
        return 2
    try:
        key = load_public_key(args.public_key) if args.public_key else None
    except ManifestError as err:
        print(f"hanota verify-report: {err}", file=sys.stderr)
        return 2
    result = verify_manifest(report_dir, key)
    if result.valid:
        print(f"{report_dir}: {result.message()}")
        if key is None:
            print("note: checked against the key recorded in the manifest itself; compare its "
                  "fingerprint with the signer's published one, or pass --public-key", file=sys.stderr)
        return 0
    print(f"{report_dir}: {result.message()}", file=sys.stderr)
    return 1
