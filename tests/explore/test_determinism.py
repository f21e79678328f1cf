"""Same seed, same run: the transcripts of every example (hub actions and the device's frames,
with their times and octets) and the counterexample agree across processes that differ in their
hash seed and in what they imported, and with this process.

Hypothesis mixes constants found in the source of the process's local modules into its draws;
the second process imports a module full of integer constants first, which made the same seed
generate other examples before the explorer pinned that pool
(``machine.process_independent_generation``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis.internal.conjecture import providers

from hanota.conformance.explore.machine import explore, process_independent_generation

from .helpers import reference
from .same_seed import Run, outcomes

ROOT = Path(__file__).resolve().parents[2]


def _in_a_new_process(runs: list[Run], *, hash_seed: str, tmp_path: Path, imports: list[str]) -> Any:
    # local code full of integer constants, as a plugin or the user's own module may be
    (tmp_path / "explore_constants.py").write_text(
        "TABLE = (" + ", ".join(str(v) for v in range(3, 255, 2)) + ")\n")
    path = os.pathsep.join(p for p in (str(tmp_path), str(ROOT), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "tests.explore.same_seed", json.dumps({"runs": runs, "import": imports})],
        cwd=ROOT, env=dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=path),
        capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-2_000:]
    return json.loads(done.stdout.splitlines()[-1])


def _same_everywhere(runs: list[Run], tmp_path: Path) -> list[list[Any]]:
    here = outcomes(runs)
    plain = _in_a_new_process(runs, hash_seed="0", tmp_path=tmp_path, imports=[])
    other = _in_a_new_process(runs, hash_seed="4242", tmp_path=tmp_path, imports=["explore_constants"])
    for i, (faults, seed, examples) in enumerate(runs):
        what = f"seed {seed}, {examples} examples, faults {faults or 'none'}"
        assert plain[i] == other[i], f"{what}: two processes ran differently: {plain[i][:5]} {other[i][:5]}"
        assert here[i] == plain[i], f"{what}: this process ran differently: {here[i][:5]} {plain[i][:5]}"
    return here


def test_same_seed_same_transcripts_in_every_process(tmp_path: Path) -> None:
    clean, faulty = _same_everywhere([([], 7, 10), (["bad-query-next-image"], 0, 30)], tmp_path)
    assert clean[4] is None and clean[0] >= 10
    assert faulty[4] is not None and "query-identity" in faulty[4] and faulty[5]


@pytest.mark.slow
def test_same_seed_same_transcripts_in_every_process_500_examples(tmp_path: Path) -> None:
    (run,) = _same_everywhere([([], 4, 500)], tmp_path)
    assert run[4] is None and run[0] >= 500


def test_hanota_explore_in_its_own_process_same_run_as_in_this_one(tmp_path: Path) -> None:
    """The case first seen: ``hanota explore`` on its own and the same seed under pytest (the
    command's own path: its settings, its device and catalogue; what the processes imported is
    the test above's part, as these two import much the same)."""
    from hanota.conformance.cli import main

    args = ["explore", "--seed", "4", "--examples", "10", "--report-dir"]
    assert main([*args, str(tmp_path / "here")]) == 0
    done = subprocess.run([sys.executable, "-m", "hanota", *args, str(tmp_path / "there")], cwd=ROOT,
                          env=dict(os.environ, PYTHONHASHSEED="99"), capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2_000:]
    here, there = (json.loads((tmp_path / d / "exploration.json").read_text()) for d in ("here", "there"))
    assert len(here["transcript_digest"]) == 64
    same = ("examples", "steps", "frames_checked", "transcript_digest", "counterexample")
    assert {k: here[k] for k in same} == {k: there[k] for k in same}


def test_the_pool_is_pinned_while_exploring_and_left_as_found() -> None:
    """Fails when hypothesis moves its pool of local constants (then the pin must follow it)."""
    collect = providers._get_local_constants
    assert len(collect()) > 0, "this project's modules give hypothesis constants to draw from"
    with process_independent_generation():
        assert len(providers._get_local_constants()) == 0
    assert providers._get_local_constants is collect
    explore(reference(), seed_value=0, examples=1)
    assert providers._get_local_constants is collect
