"""``hanota explore`` throughput: examples per second against the reference device, in process
and over the DUT bridge (a ``hanota serve-device`` subprocess on loopback).

The same seed and budget both ways (100 examples of 30 hub actions, seed 0, no counterexample):
the two runs must agree action for action and frame for frame, so the ratio compares like with
like. Figures: ``explore_inprocess_examples_per_s``, ``explore_bridge_examples_per_s``, the hub
actions per second of each, and ``explore_bridge_vs_inprocess`` (the bridge's time over the
in-process time, the in-run baseline).
"""

from __future__ import annotations

import argparse
import select
import subprocess
import sys
from pathlib import Path

from hanota.conformance.adapters import ReferenceAdapter, TcpAdapter
from hanota.conformance.commands import serve_device
from hanota.conformance.explore.images import Catalogue
from hanota.conformance.explore.machine import ExploreConfig, ExploreResult, explore

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = 100
CAPACITY = 2_048


def _run(dut: object) -> ExploreResult:
    ident = dut.identity  # type: ignore[attr-defined]
    config = ExploreConfig(dut, Catalogue(ident, capacity=CAPACITY, device_specific_files=True),  # type: ignore[arg-type]
                           capacity=CAPACITY, resume=True, can_power_cycle=ident.can_power_cycle,
                           can_reset=ident.can_reset)
    result = explore(config, seed_value=0, examples=EXAMPLES)
    assert not result.actions, f"counterexample against the reference device: {result.violation}"
    return result


#: ``hanota serve-device``'s options; the in-process device is built from the same ones, so the
#: two are one device (its defaults included: Image Page Requests, a device-specific file query).
SERVE_ARGS = ["--listen", "127.0.0.1:0", "--kind", "ppmid", "--max-image-bytes", str(CAPACITY),
              "--no-consumer-refusal", "--no-fragmentation"]


def main(emit) -> None:  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser()
    serve_device.add_arguments(parser)
    inprocess = _run(ReferenceAdapter(serve_device.build_config(parser.parse_args(SERVE_ARGS))))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hanota", "serve-device", *SERVE_ARGS],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        if not select.select([proc.stdout], [], [], 30)[0]:
            raise RuntimeError("serve-device did not start")
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        dut = TcpAdapter.from_url(url, response_timeout_ms=10_000)
        try:
            bridged = _run(dut)
        finally:
            dut.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert (bridged.steps, bridged.frames_checked, bridged.digest) == \
        (inprocess.steps, inprocess.frames_checked, inprocess.digest), \
        "the bridged exploration differs from the in-process one"
    emit("explore_examples", inprocess.examples)
    emit("explore_hub_actions", inprocess.steps)
    emit("explore_inprocess_examples_per_s", inprocess.examples / inprocess.seconds)
    emit("explore_bridge_examples_per_s", bridged.examples / bridged.seconds)
    emit("explore_inprocess_actions_per_s", inprocess.steps / inprocess.seconds)
    emit("explore_bridge_actions_per_s", bridged.steps / bridged.seconds)
    emit("explore_bridge_vs_inprocess", bridged.seconds / inprocess.seconds)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(lambda name, value: print(f"{name}: {value}"))
