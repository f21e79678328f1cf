"""Readable modules: none of the harness, the steps, the DCC side, the codec or the rest of the
package runs past 700 lines."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 700


def test_harness_and_step_modules_stay_under_the_limit():
    paths = [*(ROOT / "conformance" / "harness").glob("*.py"), *(ROOT / "steps").glob("*.py"),
             ROOT / "conformance" / "dcc_side.py", ROOT / "conformance" / "plugin.py"]
    long = {p.relative_to(ROOT).as_posix(): n for p in paths
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= LIMIT}
    assert len(paths) > 10 and not long, f"modules of {LIMIT} lines or more: {long}"


def test_no_module_of_the_package_reaches_the_limit():
    paths = [p for folder in ("protocol", "conformance", "steps") for p in (ROOT / folder).rglob("*.py")]
    long = {p.relative_to(ROOT).as_posix(): n for p in paths
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= LIMIT}
    assert len(paths) > 50 and not long, f"modules of {LIMIT} lines or more: {long}"
