"""The reference device passes every invariant, for any seed; runs are deterministic."""

from __future__ import annotations

import pytest

from hanota.conformance.adapters import ReferenceAdapter, ReferenceDeviceConfig, TcpAdapter
from hanota.conformance.adapters.server import BridgeServer
from hanota.conformance.explore.machine import explore, replay_actions
from hanota.conformance.models.premises import deterministic_key

from .helpers import LIMIT, explore_config, reference, reference_config


def test_reference_device_one_seed_100_examples_no_counterexample():
    result = explore(reference(), seed_value=0, examples=100)
    assert result.actions == [], f"counterexample against the reference device: {result.violation}"
    assert result.examples >= 100 and result.frames_checked > 1_000


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_reference_device_500_examples_per_seed_no_counterexample(seed):
    result = explore(reference(), seed_value=seed, examples=500)
    assert result.actions == [], f"seed {seed}: counterexample: {result.violation} {result.actions}"
    assert result.examples >= 500


def test_same_seed_same_run():
    runs = [explore(reference(), seed_value=7, examples=8) for _ in range(2)]
    assert (runs[0].steps, runs[0].frames_checked, runs[0].digest) == \
        (runs[1].steps, runs[1].frames_checked, runs[1].digest)
    other = explore(reference(), seed_value=8, examples=8)
    assert other.digest != runs[0].digest


def test_a_run_does_not_depend_on_the_device_clock_at_its_start():
    """RESET starts the device's clock where the last example left it: nothing may depend on it."""
    runs = [explore(explore_config(ReferenceAdapter(reference_config(), start_ms=start)),
                    seed_value=2, examples=10) for start in (0, 123_457)]
    assert runs[0].digest == runs[1].digest and runs[0].steps == runs[1].steps


def test_same_seed_same_counterexample_and_it_replays():
    first = explore(reference("bad-query-next-image"), seed_value=0, examples=20)
    second = explore(reference("bad-query-next-image"), seed_value=0, examples=20)
    assert first.actions and first.actions == second.actions
    assert first.reproduced and first.violation is not None
    assert first.violation.invariant == "query-identity"
    again, session = replay_actions(reference("bad-query-next-image"), first.actions)
    assert again is not None and str(again) == str(first.violation)
    assert [e.line() for e in session.transcript] == [e.line() for e in first.session.transcript]
    clean, _ = replay_actions(reference(), first.actions)
    assert clean is None, "the counterexample must not fail against the reference device"


def test_over_the_bridge_same_run_as_in_process():
    in_process = explore(reference(), seed_value=3, examples=6)
    with BridgeServer(ReferenceAdapter(reference_config()), poll_s=0.005) as server:
        dut = TcpAdapter.from_url(server.url, response_timeout_ms=5_000)
        try:
            bridged = explore(explore_config(dut), seed_value=3, examples=6)
        finally:
            dut.close()
    assert bridged.actions == []
    assert (bridged.steps, bridged.frames_checked, bridged.digest) == \
        (in_process.steps, in_process.frames_checked, in_process.digest)


def test_a_device_that_asks_by_pages_is_refused_and_downloads_by_blocks():
    """Explore's hub serves no pages (like ``hanota serve-device``'s default device, which asks
    by pages first): it refuses each Image Page Request at once, and the download goes on by
    blocks to activation."""
    config = ReferenceDeviceConfig(public_key=deterministic_key(0).public_key(),
                                   options={"max_image_bytes": LIMIT, "page_requests": True})
    serve = [{"do": "serve", "image": "valid", "when": "0", "form": "offset"}]
    violation, session = replay_actions(explore_config(ReferenceAdapter(config)), serve)
    assert violation is None
    texts = [e.text for e in session.transcript]
    page = next(i for i, t in enumerate(texts) if t.startswith("ImagePageRequest("))
    assert texts[page + 1] == "DefaultResponse(command_id=IMAGE_PAGE_REQUEST, status=UNSUP_CLUSTER_COMMAND)"
    assert any(t.startswith("ImageBlockRequest(") for t in texts[page:])
    assert any(t.startswith("UpgradeEndRequest(status=SUCCESS") for t in texts[page:]), texts
    result = explore(explore_config(ReferenceAdapter(config)), seed_value=0, examples=30)
    assert result.actions == [], result.violation


def test_over_the_bridge_a_faulty_device_is_caught():
    with BridgeServer(ReferenceAdapter(reference_config("no-malformed-response")), poll_s=0.005) as server:
        dut = TcpAdapter.from_url(server.url, response_timeout_ms=5_000)
        try:
            result = explore(explore_config(dut), seed_value=0, examples=50)
        finally:
            dut.close()
    assert result.violation is not None and result.violation.invariant == "malformed-answered"
    assert result.reproduced


def test_min_block_period_binds_within_a_download_not_across_a_new_offer():
    """Found by the slow tier (seed 2): after ABORT and a new offer, the reference device's first
    request follows its Query Next Image exchange, 41 ms after the last one of the aborted
    download; the period set in that download's WAIT_FOR_DATA does not reach across the offer."""
    actions = [{"do": "start", "image": "valid", "blocks": 0,
                "answers": [{"with": "wait", "delay_s": 0, "mbp_ms": 250}]},
               {"do": "answer-block", "with": "abort"},
               {"do": "serve", "image": "valid", "when": "0", "form": "offset"}]
    violation, _ = replay_actions(reference(), actions)
    assert violation is None
    within = [{"do": "start", "image": "valid", "blocks": 0,
               "answers": [{"with": "wait", "delay_s": 0, "mbp_ms": 250}, {"with": "block", "size": 64}]}]
    assert replay_actions(reference(), within)[0] is None
    faulty, _ = replay_actions(reference("ignore-min-block-period"), within)
    assert faulty is not None and faulty.invariant == "min-block-period"


def test_an_answer_to_a_request_the_device_gave_up_does_not_bind_it():
    """Found by the slow tier (seed 4): after a 60 s outage the reference device has given up its
    block request; the hub's WAIT_FOR_DATA (MinimumBlockPeriod 250 ms) to that stale request
    reaches a device that is querying again, and does not bind its next download."""
    actions = [{"do": "start", "image": "valid", "blocks": 0, "answers": [], "outage": 60000},
               {"do": "start", "image": "valid", "blocks": 0,
                "answers": [{"with": "wait", "delay_s": 0, "mbp_ms": 250}]},
               {"do": "start", "image": "valid", "blocks": 1, "answers": []}]
    assert replay_actions(reference(), actions)[0] is None


def _wall_clock_run(*faults: str, examples: int, steps: int, shrink: bool = True):
    from hanota.conformance.adapters import WallClockAdapter

    with BridgeServer(WallClockAdapter(reference_config(*faults)), poll_s=0.005) as server:
        dut = TcpAdapter.from_url(server.url, response_timeout_ms=2_000)
        try:
            config = explore_config(dut)
            config.settle_ms = 50
            return explore(config, seed_value=0, examples=examples, steps=steps, shrink=shrink)
        finally:
            dut.close()


def test_wall_clock_device_bounded_waits_no_false_alarm():
    """A device on wall time (no ADVANCE): every wait is bounded, and nothing is blamed on it."""
    result = _wall_clock_run(examples=2, steps=6)
    assert result.actions == [], f"counterexample against the reference on wall time: {result.violation}"
    assert result.examples >= 2


@pytest.mark.slow
def test_wall_clock_device_fault_found():
    # Found, not shrunk: shrinking replays examples on wall time (minutes); the virtual-time
    # tests show shrinking, this one that a wall-time device's fault is found at all.
    result = _wall_clock_run("no-malformed-response", examples=30, steps=8, shrink=False)
    assert result.violation is not None and result.violation.invariant == "malformed-answered"
