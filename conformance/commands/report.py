"""``hanota report DIR``: re-render report.html from the stored results.json and re-sign.

Re-signing must not launder a tampered run: when the directory already carries a manifest,
every file but report.html must still match it, or the command refuses (``--force`` overrides).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hanota.conformance.report import ManifestError, ReportError, render_report, verify_manifest
from hanota.conformance.report.manifest import (
    MANIFEST,
    load_or_create_installation_key,
    load_private_key,
    write_manifest,
)

NAME = "report"
HELP = "re-render a run's report.html from its results.json and re-sign its manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report_dir", metavar="DIR", help="a report directory written by 'hanota run'")
    parser.add_argument("--signing-key", metavar="PEM", default=None,
                        help="Ed25519 private key (PEM); default: the installation key "
                             "($XDG_CONFIG_HOME/hanota/signing-key.pem, created on first use)")
    parser.add_argument("--force", action="store_true",
                        help="re-sign even though files other than report.html changed since the "
                             "last signing")


def run(args: argparse.Namespace) -> int:
    report_dir = Path(args.report_dir)
    if not report_dir.is_dir():
        print(f"hanota report: {report_dir}: not a directory", file=sys.stderr)
        return 2
    try:
        key = load_private_key(args.signing_key) if args.signing_key else load_or_create_installation_key()
    except ManifestError as err:
        print(f"hanota report: {err}", file=sys.stderr)
        return 2
    commit: str | None = None
    if (report_dir / MANIFEST).exists():
        old = verify_manifest(report_dir)
        others = [f for f in old.files if f != "report.html"]
        if (old.problem or others) and not args.force:
            what = old.problem or f"{others[0]}: changed since signing"
            print(f"hanota report: {report_dir}: {what}; refusing to re-sign (use --force)", file=sys.stderr)
            return 1
        commit = str(old.signed.get("suite_commit") or "") or None
    try:
        # The commit is the run's (kept in the old manifest), not this checkout's.
        out = render_report(report_dir, suite_commit=commit if commit else None)
        write_manifest(report_dir, signing_key=key, suite_commit=commit)
    except (ReportError, ManifestError) as err:
        print(f"hanota report: {err}", file=sys.stderr)
        return 1
    print(f"hanota report: wrote {out} and re-signed {report_dir / MANIFEST}", file=sys.stderr)
    return 0


