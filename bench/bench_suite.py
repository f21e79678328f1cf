"""The suite's wall time: the device-side scenarios in-process and over the DUT bridge on
loopback (against a ``hanota serve-device`` subprocess), and the whole suite in-process.

Each run is ``python -m pytest steps/test_scenarios.py -m "not load"`` in a subprocess, as
``hanota run`` does, one after another (never side by side, so they do not share the CPU).
The device side is picked with the ``tests.harness.side_filter`` plugin (every ``@side-device``
scenario, the 750 kB size-limit downloads included).

Figures: ``suite_inprocess_s``, ``suite_tcp_s``, ``suite_tcp_vs_inprocess`` (the device side),
``suite_full_inprocess_s`` (every scenario but ``@load``), and the scenario counts.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = str(ROOT / "steps" / "test_scenarios.py")
DEVICE_SIDE = ["-p", "tests.harness.side_filter", "--hanota-only-side", "device"]


def _suite(report_dir: Path, *args: str) -> tuple[float, dict[str, int]]:
    """Wall time of one run and its verdict counts."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", SCENARIOS, f"--rootdir={ROOT}", "-q",
                    "-p", "no:cacheprovider", "-m", "not load", f"--hanota-report-dir={report_dir}",
                    *args], cwd=ROOT, env=env, capture_output=True, timeout=1_800, check=False)
    wall = time.perf_counter() - start
    counts: dict[str, int] = {}
    for result in json.loads((report_dir / "results.json").read_text(encoding="utf-8"))["scenarios"]:
        counts[result["verdict"]] = counts.get(result["verdict"], 0) + 1
    return wall, counts


def main(emit: Callable[[str, float | int | str], None]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        inproc_s, inproc = _suite(out / "in-process", *DEVICE_SIDE)
        proc = subprocess.Popen([sys.executable, "-m", "hanota", "serve-device", "--listen",
                                 "127.0.0.1:0", "--kind", "ppmid"], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout is not None
            if not select.select([proc.stdout], [], [], 30)[0]:
                raise RuntimeError("serve-device printed no address")
            url = proc.stdout.readline().strip().removeprefix("listening on ")
            tcp_s, tcp = _suite(out / "tcp", *DEVICE_SIDE, f"--hanota-dut={url}")
        finally:
            proc.terminate()
            proc.wait(10)
        full_s, full = _suite(out / "full")
    emit("suite_device_scenarios", sum(inproc.values()))
    emit("suite_inprocess_verdicts", ", ".join(f"{n} {v}" for v, n in sorted(inproc.items())))
    emit("suite_tcp_verdicts", ", ".join(f"{n} {v}" for v, n in sorted(tcp.items())))
    emit("suite_inprocess_s", inproc_s)
    emit("suite_tcp_s", tcp_s)
    emit("suite_tcp_vs_inprocess", tcp_s / inproc_s)
    emit("suite_full_scenarios", sum(full.values()))
    emit("suite_full_inprocess_s", full_s)
