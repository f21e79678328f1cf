"""The installable tool (issue 15): the wheel holds one import name, ``hanota``, and works from
any directory once installed into a fresh virtual environment.

Built with ``pip wheel --no-deps``, installed with its declared dependencies (so a missing
runtime dependency fails here), then ``hanota run`` from a directory outside the checkout.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# one worker runs the three (.ci/run distributes by group): the wheel is built once, not waited for
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


def _run(argv: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def _build_and_install(base: Path) -> None:
    built = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(base / "dist"),
                  str(ROOT)], cwd=base)
    assert built.returncode == 0, built.stderr[-2000:]
    venv.create(base / "env", with_pip=True)
    (wheel,) = (base / "dist").glob("*.whl")
    install = _run([str(base / "env" / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=base)
    assert install.returncode == 0, install.stderr[-2000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, Path]:
    """(the wheel, the fresh environment's bin directory) with the wheel installed: built once
    per run, the xdist workers sharing it (the first builds it under a lock)."""
    own = tmp_path_factory.getbasetemp()
    base = own / "wheel" if worker_id == "master" else own.parent / "wheel"
    base.mkdir(exist_ok=True)
    bin_dir = base / "env" / "bin"
    with (base / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (base / "ready").exists():
            _build_and_install(base)
            (base / "ready").touch()
    (wheel,) = (base / "dist").glob("*.whl")
    return wheel, bin_dir


def test_the_wheel_holds_one_import_name_and_the_features(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"hanota"}
    features = sorted(p.name for p in (ROOT / "features").glob("*.feature"))
    assert features and all(f"hanota/features/{name}" in names for name in features)
    assert "hanota/pytest.ini" in names
    assert "hanota/conformance/requirements.yaml" in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [line for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert not any("asn1crypto" in line for line in requires)  # nothing imports it
    entry_points = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
    assert entry_points is not None
    assert "pytest11" not in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_hanota_run_works_outside_the_checkout(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, bin_dir = installed
    proc = _run([str(bin_dir / "hanota"), "run", "--report-dir", "report", "--requirements",
                 "SECMP7-IMG-001,SECMP7-AUTH-001"], cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-2000:])
    data = json.loads((tmp_path / "report" / "results.json").read_text())
    verdicts = {s["verdict"] for s in data["scenarios"]}
    assert verdicts == {"pass"}, verdicts
    assert (tmp_path / "report" / "report.html").is_file()
    assert (tmp_path / "report" / "manifest.json").is_file()


def test_no_generic_top_level_modules_and_no_plugin_elsewhere(installed: tuple[Path, Path],
                                                             tmp_path: Path) -> None:
    _, bin_dir = installed
    python = str(bin_dir / "python")
    for name in ("protocol", "conformance", "steps"):
        proc = _run([python, "-c", f"import {name}"], cwd=tmp_path)
        assert proc.returncode != 0, f"'import {name}' works in the installed environment"
    (tmp_path / "test_other.py").write_text("def test_other():\n    assert True\n")
    proc = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_other.py"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "hanota" not in proc.stdout
    helped = _run([python, "-m", "pytest", "--help"], cwd=tmp_path)
    assert "--hanota-dut" not in helped.stdout  # the plugin is not loaded into this session
