"""The suite catches what it claims (issue 5): every named fault of the reference device, hub and
DCC makes at least one scenario of the requirement it breaks fail, with a message that names the
expectation. The mutation table (variant -> scenarios that failed) is printed (``-s``) and
written to a temporary file whose path is printed. See docs/mutation-testing.md.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from hanota.conformance.catalogue import load_catalogue
from tests.mutants.runner import Run, baseline_key, caught_by, format_table, run_all, selected, short
from tests.mutants.table import KNOWN_SURVIVORS, MUTANTS, NOT_MUTATED, Mutant, all_fault_names

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outcome() -> tuple[dict[Mutant, Run], dict[tuple[Any, ...], Run]]:
    runs, baselines = run_all(MUTANTS)
    table = format_table(MUTANTS, runs, baselines)
    out = Path(tempfile.mkdtemp(prefix="hanota-mutation-")) / "mutation-table.md"
    out.write_text(table + "\n", encoding="utf-8")
    print(f"\nMutation table (also in {out}):\n{table}")
    return runs, baselines


def test_every_named_fault_is_in_the_table() -> None:
    listed = {(m.layer, m.fault) for m in MUTANTS}
    missing = sorted(f"{layer}:{f}" for layer, faults in all_fault_names().items()
                     for f in faults if (layer, f) not in listed)
    assert not missing, f"faults of the reference models with no row in tests/mutants/table.py: {missing}"


def test_every_mandatory_requirement_is_broken_by_some_fault() -> None:
    broken = {r for m in MUTANTS if m.name not in KNOWN_SURVIVORS for r in m.requirements}
    mandatory = {r.id for r in load_catalogue() if r.level == "mandatory"}
    uncovered = sorted(mandatory - broken - set(NOT_MUTATED))
    assert not uncovered, ("mandatory requirements that no caught fault breaks (add a fault to a "
                           f"reference model and a row to tests/mutants/table.py): {uncovered}")
    assert not set(NOT_MUTATED) - mandatory, "NOT_MUTATED lists a requirement that is not mandatory"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[f"{m.name}@{m.rules}" for m in MUTANTS])
def test_variant_is_caught(mutant: Mutant, outcome: tuple[dict[Mutant, Run], dict[tuple[Any, ...], Run]],
                           request: pytest.FixtureRequest) -> None:
    if mutant.name in KNOWN_SURVIVORS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_SURVIVORS[mutant.name], strict=True))
    runs, baselines = outcome
    run, base = runs[mutant], baselines[baseline_key(mutant)]
    mine = selected(mutant, base)
    assert mine, f"no scenario ran for {mutant.requirements}:\n{base.output}"
    broken = [short(n) for n in mine if base.verdicts[n] not in ("pass", "not-applicable")]
    if len(broken) == len(mine):
        pytest.fail(f"every scenario of {mutant.requirements} fails against the faultless reference: "
                    f"{broken}")
    caught = caught_by(mutant, run, base)
    assert caught, (f"variant {mutant.name} survived: no scenario of {mutant.requirements} failed "
                    f"(verdicts: {run.verdicts})\n{run.output}")
    for nodeid in caught:
        assert run.reasons[nodeid].strip(), f"{short(nodeid)} failed without a message"
    # The report of a faulty variant says which fault was on, so it cannot pass for a certification.
    assert run.faults == {mutant.layer: [mutant.fault]}, run.faults
    assert base.faults == {}, base.faults


def test_dropped_faults_are_gone_from_the_models() -> None:
    from tests.mutants.table import DROPPED
    present = {f"{layer}:{f}" for layer, faults in all_fault_names().items() for f in faults}
    assert not set(DROPPED) & present, "a fault listed as dropped is still a named fault of a model"
    assert not KNOWN_SURVIVORS, "no variant may survive: catch it with a scenario or fix the fault"
