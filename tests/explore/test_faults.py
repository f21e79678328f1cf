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
    """Found within the budget, the counterexample as found (not shrunk: shrinking is checked
    below, once per invariant) replays and passes the reference device."""
    row = run_row(fault, shrink=False)
    assert row.found, f"{fault}: no counterexample in {BUDGET} examples"
    assert row.reproduced and row.clean_on_reference


#: One fault per invariant of explore, the one whose counterexample shrinks fastest (the
#: fault table, ``python -m tests.explore.fault_table``, shrinks them all).
SHRUNK_PER_INVARIANT = {
    "ignore-abort": "abort-stops",
    "report-old-version-after-activation": "activated-at-upgrade-time",
    "contrary-read-answer": "answers-match",
    "status-as-uint8": "attribute-types",
    "block-request-hub-address": "block-request-fields",
    "accept-misplaced-block": "block-within-image",
    "upgrade-end-names-running-image": "end-status-truthful",
    "home-automation-profile": "frame-addressing",
    "pads-short-frames": "malformed-answered",
    "ignore-min-block-period": "min-block-period",
    "allow-downgrade": "no-download-of-refusable-offer",
    "contrary-query": "query-identity",
    "accept-from-any-server": "requests-to-paired-hub",
    "no-resume": "resume",
    "refuse-trailing-octets": "trailing-octets-ignored",
    "status-normal-while-pending": "upgrade-status-legal",
    "refuse-at-limit": "valid-offer-downloaded",
    "activate-immediately": "version-only-at-activation",
    "ignore-wait-for-data": "wait-for-data",
    "unknown-command-malformed": "unsupported-answered",
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(SHRUNK_PER_INVARIANT))
def test_each_invariant_s_counterexample_shrinks_to_a_few_actions(fault):
    row = run_row(fault)
    assert row.invariant == SHRUNK_PER_INVARIANT[fault], row
    assert 1 <= row.shrunk <= 5, f"{fault}: shrunk to {row.shrunk} hub actions"
    assert row.reproduced and row.clean_on_reference


def test_the_shrink_sample_names_faults_explore_finds_and_its_invariants():
    from hanota.conformance.explore.invariants import INVARIANTS

    assert set(SHRUNK_PER_INVARIANT) <= set(FAULTS) - set(UNREACHABLE) - set(KNOWN_MISSES)
    assert set(SHRUNK_PER_INVARIANT.values()) <= set(INVARIANTS)
    assert len(set(SHRUNK_PER_INVARIANT.values())) == len(SHRUNK_PER_INVARIANT), "one fault per invariant"
