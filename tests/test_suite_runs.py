"""The whole suite passes against the reference device, and gives the same verdicts on every run
(issue 5, "What must be shown"): one run per rule set with zero failures and errors, then the
quick scenarios under 20 seeds with zero differences in verdicts (one test per seed, so
pytest-xdist spreads them), and one seed twice over.

Each run is ``pytest steps/test_scenarios.py`` in a process of its own (``tests.mutants.forked``),
read back from its ``results.json``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from tests.mutants.runner import Run, pytest_args, run_scenarios, short

SEEDS = tuple(range(1, 21))
#: What the 20-seed run covers: every DCC-side requirement whose scenarios are quick, and the
#: device-side OTA, activation and authenticity ones (small images), so 21 runs stay feasible.
SEED_SELECTION = ("SECMP7-OTA", "SECMP7-ACT", "SECMP7-AUTH", "SECMP7-HHT", "SECMP7-ALERT-001",
                  "SECMP7-ALERT-003", "SECMP7-ALERT-004", "SECMP7-SUP-002", "SECMP7-INV-002",
                  "SECMP7-IMG-002", "SECMP7-IMG-005")

def _problems(run: Run) -> list[str]:
    return [f"{short(n)}: {run.verdicts[n]}: {run.reasons.get(n, '')[:400]}"
            for n in run.with_verdict("fail", "error", "not-tested")]


@pytest.mark.slow
@pytest.mark.parametrize("rules", ["wg-2016", "as-implemented"])
def test_the_whole_suite_passes_against_the_reference_device(rules: str) -> None:
    run = run_scenarios(pytest_args(rules=rules, markers=None))
    assert run.verdicts, f"no scenario ran:\n{run.output}"
    problems = _problems(run)
    assert not problems, "scenarios that do not pass against the reference world:\n" + "\n".join(problems)


@functools.cache
def _seed_run(seed: int) -> Run:
    """The quick scenarios of the seed selection under one seed (once per test process)."""
    return run_scenarios(pytest_args(seed=seed, requirements=SEED_SELECTION))


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS[1:])
def test_every_seed_gives_the_verdicts_of_the_first(seed: int) -> None:
    """Twenty seeds, zero differences in verdicts: each seed is a test of its own (pytest-xdist
    spreads them), compared with the first seed's run."""
    reference = _seed_run(SEEDS[0]).verdicts
    assert reference, f"no scenario ran:\n{_seed_run(SEEDS[0]).output}"
    run = _seed_run(seed)
    differences = sorted(short(n) for n in set(reference) | set(run.verdicts)
                         if run.verdicts.get(n) != reference.get(n))
    assert not differences, (f"verdicts differ between seed {SEEDS[0]} and seed {seed} over "
                             f"{len(reference)} quick scenarios: {differences}")


@pytest.mark.slow
def test_one_seed_twice_gives_the_same_run() -> None:
    first = _seed_run(SEEDS[0])
    again = run_scenarios(pytest_args(seed=SEEDS[0], requirements=SEED_SELECTION))
    assert first.verdicts, f"no scenario ran:\n{first.output}"
    assert again.verdicts == first.verdicts and again.reasons == first.reasons


IHD_PICS = """\
[device]
kind = "ihd"
manufacturer_code = 0x1234
image_type = 0x0101
file_version = 0x01000000

[features]
fragmentation = true
resume = true
consumer_refusal = true
device_specific_files = true
zigbee_ota_images = true
"""
#: Device-side scenarios of these requirements reach the device through the DCC, which refuses
#: an IHD under the as-implemented rules: before the catalogue's scope, they failed for an IHD.
IHD_SELECTION = ("SECMP7-ALERT-002", "SECMP7-ACT-004")


def _ihd_run(tmp_path: Path, rules: str, **options: Any) -> Run:
    pics = tmp_path / "ihd.toml"
    pics.write_text(IHD_PICS, encoding="utf-8")
    return run_scenarios(pytest_args(rules=rules, pics=str(pics), **options))


def test_an_ihd_is_out_of_scope_of_the_sec_as_implemented(tmp_path: Path) -> None:
    """SECMP7-INFO-004: under as-implemented an IHD gets not applicable, with the reason, for
    every device-side scenario; the DCC-side ones still run (they pair a PPMID)."""
    run = _ihd_run(tmp_path, "as-implemented", requirements=IHD_SELECTION)
    assert run.verdicts, run.output
    assert not _problems(run), _problems(run)
    not_applicable = run.with_verdict("not-applicable")
    # the device-side scenario of alert (c) that an IHD failed before
    assert any(n.endswith("carries_the_version_read_from_the_device_under_test") for n in not_applicable)
    for nodeid in not_applicable:
        assert "IHDs were dropped from the final scope" in run.reasons[nodeid], run.reasons[nodeid]
    assert run.with_verdict("pass"), "the DCC-side scenarios of alert (c) must still run"


def test_an_ihd_is_in_scope_of_the_working_group_rules(tmp_path: Path) -> None:
    run = _ihd_run(tmp_path, "wg-2016", requirements=IHD_SELECTION)
    assert run.verdicts and not run.with_verdict("not-applicable", "fail", "error"), run.verdicts


@pytest.mark.slow
def test_the_whole_suite_gives_an_ihd_no_fail_under_the_sec_as_implemented(tmp_path: Path) -> None:
    run = _ihd_run(tmp_path, "as-implemented", markers=None)
    assert run.verdicts, f"no scenario ran:\n{run.output}"
    assert not _problems(run), "\n".join(_problems(run))


def test_a_figure_the_dcc_does_not_declare_makes_its_scenarios_not_applicable(tmp_path: Path) -> None:
    """SECMP7-ALERT-006/007: the stagger and the service level come from the DCC's PIXIT; the
    suite invents none (no 1 s, no 24 h of its own)."""
    pixit = tmp_path / "dcc.toml"
    pixit.write_text('[alerts]\nversion_confirmation_delay = "30 minutes"\n', encoding="utf-8")
    run = run_scenarios([*pytest_args(requirements=("SECMP7-ALERT-007",)), "--hanota-dcc-pixit", str(pixit)])
    assert run.verdicts, run.output
    assert not run.with_verdict("fail", "error", "pass"), run.verdicts
    for nodeid in run.with_verdict("not-applicable"):
        assert "the DCC declares no figure for the alert service level" in run.reasons[nodeid], \
            run.reasons[nodeid]
