"""The suite catches what it claims (issue 5): every named fault of the reference device, hub and
DCC makes at least one scenario of the requirement it breaks fail, with a message that names the
expectation, and that scenario passes against the faultless reference. Each variant is one test
(pytest-xdist spreads them); the mutation table (variant -> scenarios that failed) is assembled
from their rows at the end of the run, printed with ``-s`` and written to a temporary file whose
path is printed (tests/conftest.py). See docs/mutation-testing.md.
"""

from __future__ import annotations

import pytest

from hanota.conformance.catalogue import load_catalogue
from tests.mutants.runner import caught_by, run_mutant, run_reference, selected, short, table_row
from tests.mutants.table import KNOWN_SURVIVORS, MUTANTS, NOT_MUTATED, Mutant, all_fault_names

pytestmark = pytest.mark.slow


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
def test_variant_is_caught(mutant: Mutant, request: pytest.FixtureRequest,
                           record_property: pytest.RecordProperty) -> None:
    if mutant.name in KNOWN_SURVIVORS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_SURVIVORS[mutant.name], strict=True))
    run = run_mutant(mutant)
    mine = selected(mutant, run)
    assert mine, f"no scenario ran for {mutant.requirements}:\n{run.output}"
    # The scenarios of its requirements that failed under the fault saying what was expected:
    # each must pass against the faultless reference to count as a catch.
    failed = [n for n in run.with_verdict("fail") if n in mine and "expected" in run.reasons.get(n, "")]
    base = run_reference(mutant, failed) if failed else None
    caught = caught_by(mutant, run, base) if base is not None else []
    record_property("mutation_row", (MUTANTS.index(mutant), table_row(mutant, run, caught, base)))
    if failed and not caught:
        assert base is not None
        pytest.fail(f"variant {mutant.name}: the scenarios that failed under the fault fail against "
                    f"the faultless reference too: { {short(n): base.verdicts.get(n) for n in failed} }"
                    f"\n{base.output}")
    assert caught, (f"variant {mutant.name} survived: no scenario of {mutant.requirements} failed "
                    f"(verdicts: {run.verdicts})\n{run.output}")
    for nodeid in caught:
        assert run.reasons[nodeid].strip(), f"{short(nodeid)} failed without a message"
    # The report of a faulty variant says which fault was on, so it cannot pass for a certification.
    assert run.faults == {mutant.layer: [mutant.fault]}, run.faults
    assert base is not None and base.faults == {}, base.faults


def test_dropped_faults_are_gone_from_the_models() -> None:
    from tests.mutants.table import DROPPED
    present = {f"{layer}:{f}" for layer, faults in all_fault_names().items() for f in faults}
    assert not set(DROPPED) & present, "a fault listed as dropped is still a named fault of a model"
    assert not KNOWN_SURVIVORS, "no variant may survive: catch it with a scenario or fix the fault"
