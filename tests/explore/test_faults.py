"""Explore finds the suite's own faulty devices: each named device fault within a fixed budget."""

from __future__ import annotations

import pytest

from hanota.conformance.explore.machine import explore, replay_actions
from hanota.conformance.models.faults.device_faults import FAULTS

from .fault_table import BUDGET, KNOWN_MISSES, UNREACHABLE, run_row
from .helpers import reference

#: Faults found in the first few examples of seed 0: the fast tier checks these.
QUICK = {
    "bad-query-next-image": "query-identity",
    "no-malformed-response": "malformed-answered",
}


@pytest.mark.parametrize("fault", sorted(QUICK))
def test_explore_finds_fault_quickly(fault):
    result = explore(reference(fault), seed_value=0, examples=30)
    assert result.violation is not None, f"{fault}: no counterexample in 30 examples"
    assert result.violation.invariant == QUICK[fault] and result.reproduced
    assert len(result.actions) <= 3
    clean, _ = replay_actions(reference(), result.actions)
    assert clean is None, f"{fault}: the shrunk counterexample also fails the reference device: {clean}"


@pytest.mark.slow
@pytest.mark.parametrize("fault", [
    pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[f])) if f in KNOWN_MISSES
    else pytest.param(f, marks=pytest.mark.skip(reason=UNREACHABLE[f])) if f in UNREACHABLE else f
    for f in sorted(FAULTS)])
def test_explore_finds_every_named_fault_within_the_budget(fault):
    row = run_row(fault)
    assert row.found, f"{fault}: no counterexample in {BUDGET} examples"
    assert row.reproduced and row.clean_on_reference
