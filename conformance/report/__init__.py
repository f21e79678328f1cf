"""The published report: ``report.html``, the signed ``manifest.json``, the rendered
specification and the static index of many reports (docs/report-format.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .manifest import (
    ManifestError,
    VerifyResult,
    load_or_create_installation_key,
    load_private_key,
    verify_manifest,
    write_manifest,
)
from .render import ReportError, render_report

__all__ = [
    "ManifestError", "ReportError", "VerifyResult", "finish_report", "render_report", "suite_commit",
    "verify_manifest", "write_manifest",
]

ROOT = Path(__file__).resolve().parents[2]


def suite_commit(root: Path = ROOT) -> str | None:
    """The checkout's commit (``-dirty`` when it has local changes), or None for an installed copy
    (a wheel's folder is no checkout, even when a virtual environment sits inside one)."""
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=40"],  # noqa: S607
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.stdout.strip()
    return text if out.returncode == 0 and text else None


def finish_report(report_dir: Path, *, signing_key_path: str | None) -> None:
    """Render ``report.html`` and write the signed manifest over every artifact of the run.

    ``signing_key_path`` is a PEM Ed25519 private key; None uses the installation key.
    Raises ReportError (no usable results.json) or ManifestError (unusable key).
    """
    key = load_private_key(signing_key_path) if signing_key_path else load_or_create_installation_key()
    commit = suite_commit()
    render_report(Path(report_dir), suite_commit=commit)
    write_manifest(Path(report_dir), signing_key=key, suite_commit=commit)
