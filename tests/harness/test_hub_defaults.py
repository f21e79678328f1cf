"""The played hub behaves as a GB Communications Hub by default (docs/harness.md, "The hub the
suite plays"), and its scripts and options do what they say, frame by frame."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanota.conformance import params as p
from hanota.conformance.harness import Harness
from hanota.conformance.harness.hub import EDGE_MARGIN_MS, GB_ACTIVATION_DELAY_MS
from hanota.conformance.pics import reference_pics
from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.zcl import ImageUpgradeStatus


def _harness(*faults: str) -> Harness:
    h = Harness(pics=reference_pics(), device_faults=faults)
    h.premises("Supplier A", "Supplier B")
    h.pair(None)
    h.make_image("new", p.parse_size("2 kB"), p.Relation.NEWER)
    return h


def _to_device(h: Harness, kind: type[oc.Command]) -> list[oc.Command]:
    return [f.command for f in h.log.frames(sent_by_dut=False, kinds=(kind,))]


def test_the_default_notify_names_the_image_with_payload_type_3_and_jitter_100() -> None:
    h = _harness()
    h.offer("new")
    (notify,) = _to_device(h, oc.ImageNotify)
    info = h.image("new")
    assert notify == oc.ImageNotify(payload_type=oc.ImageNotifyPayloadType.NEW_FILE_VERSION,
                                    query_jitter=100, manufacturer_code=info.manufacturer_code,
                                    image_type=info.image_type, new_file_version=info.file_version)


@pytest.mark.parametrize("payload_type", [0, 1, 2, 3])
def test_a_scenario_may_name_another_payload_type(payload_type: int) -> None:
    h = _harness()
    h.notify_with(payload_type, 37)
    h.offer("new")
    (notify,) = _to_device(h, oc.ImageNotify)
    assert isinstance(notify, oc.ImageNotify)
    assert (int(notify.payload_type), notify.query_jitter) == (payload_type, 37)
    present = [notify.manufacturer_code, notify.image_type, notify.new_file_version]
    assert [v is not None for v in present] == [payload_type >= n for n in (1, 2, 3)]


@pytest.mark.parametrize(("payload_type", "jitter"), [(4, 100), (0, 0), (0, 101), (-1, 50)])
def test_notify_values_outside_the_cluster_are_usage_errors(payload_type: int, jitter: int) -> None:
    with pytest.raises(HarnessUsageError, match="payload type 0-3 and query jitter 1-100"):
        _harness().notify_with(payload_type, jitter)


def test_by_default_the_hub_says_wait_then_activates_a_second_later() -> None:
    h = _harness()
    h.offer("new")
    h.run_download_to_end()
    (request,) = [f for f in h.log.frames(kinds=(oc.UpgradeEndRequest,))]
    waits = [f for f in h.log.frames(sent_by_dut=False, kinds=(oc.UpgradeEndResponse,))]
    assert len(waits) == 1 and waits[0].command.upgrade_time == oc.UPGRADE_TIME_WAIT_FOR_COMMAND
    assert waits[0].frame.payload[1] == request.frame.payload[1]  # the answer takes the request's TSN
    assert h.image_upgrade_status() is ImageUpgradeStatus.WAITING_TO_UPGRADE
    h.advance(GB_ACTIVATION_DELAY_MS)
    ends = [f for f in h.log.frames(sent_by_dut=False, kinds=(oc.UpgradeEndResponse,))]
    assert len(ends) == 2
    activation = ends[1].command
    assert isinstance(activation, oc.UpgradeEndResponse)
    assert activation.upgrade_time == activation.current_time != 0
    assert ends[1].time_ms - waits[0].time_ms == GB_ACTIVATION_DELAY_MS
    assert h.current_file_version() == h.version_of("new")


def test_the_activation_comes_when_the_script_says() -> None:
    h = _harness()
    h.set_upgrade_time(p.parse_upgrade_time("wait for a further command, sent 10 minutes later"))
    h.offer("new")
    h.run_download_to_end()
    h.advance(9 * 60_000)
    assert h.current_file_version() == h.version_of("original")
    h.advance(2 * 60_000)
    assert h.current_file_version() == h.version_of("new")


def test_the_old_scripts_stay_available() -> None:
    h = _harness()
    h.set_upgrade_time(p.parse_upgrade_time("now"))
    h.offer("new")
    h.run_download_to_end()
    assert h.current_file_version() == h.version_of("new")
    (end,) = _to_device(h, oc.UpgradeEndResponse)
    assert isinstance(end, oc.UpgradeEndResponse) and end.upgrade_time == end.current_time


def test_wait_with_no_activation_holds_until_the_further_command() -> None:
    h = _harness()
    h.set_upgrade_time(p.parse_upgrade_time("wait for a further command"))
    h.offer("new")
    h.run_download_to_end()
    h.advance(3_600_000)
    # the "wait" answer, and "wait" again to the device's hourly Upgrade End Request (STAT-005)
    answers = _to_device(h, oc.UpgradeEndResponse)
    assert answers and all(a.upgrade_time == oc.UPGRADE_TIME_WAIT_FOR_COMMAND for a in answers)
    h.further_upgrade_end_response(p.parse_upgrade_time("now"))
    h.advance(1_000)
    assert h.current_file_version() == h.version_of("new")


def test_a_further_response_cancels_the_planned_activation() -> None:
    h = _harness()
    h.set_upgrade_time(p.parse_upgrade_time("wait for a further command, sent 10 minutes later"))
    h.offer("new")
    h.run_download_to_end()
    h.further_upgrade_end_response(p.parse_upgrade_time("wait for a further command"))
    h.advance(3_600_000)
    # the "wait" answer, the further one, and "wait" to the device's hourly Upgrade End Request
    answers = _to_device(h, oc.UpgradeEndResponse)
    assert len(answers) >= 2 and all(a.upgrade_time == oc.UPGRADE_TIME_WAIT_FOR_COMMAND for a in answers)
    assert h.current_file_version() == h.version_of("original")


def test_the_sequence_is_not_one_response() -> None:
    h = _harness()
    h.offer("new")
    with pytest.raises(HarnessUsageError, match="sequence of the hub's script"):
        h.further_upgrade_end_response(p.parse_upgrade_time("wait for a further command, sent 1 hour later"))


def test_blocks_follow_the_shortfalls_in_turn() -> None:
    h = _harness()
    h.short_blocks((0, 13, 1))
    h.set_upgrade_time(p.parse_upgrade_time("now"))
    h.offer("new")
    h.run_download_to_end()
    blocks = [c for c in _to_device(h, oc.ImageBlockResponse) if isinstance(c, oc.ImageBlockResponse)]
    sizes = [len(b.image_data or b"") for b in blocks]
    asked = h.block_requests()[0].command.maximum_data_size
    assert sizes[:6] == [asked, asked - 13, asked - 1] * 2
    assert sum(sizes) == len(h.image("new").data)
    assert h.check_block_requests("new") is None
    assert h.current_file_version() == h.version_of("new")


def test_a_shortfall_larger_than_the_block_still_serves_one_octet() -> None:
    h = _harness()
    h.short_blocks((1000,))
    h.offer("new")
    h.advance(1_000)
    blocks = [c for c in _to_device(h, oc.ImageBlockResponse) if isinstance(c, oc.ImageBlockResponse)]
    assert blocks and all(len(b.image_data or b"") == 1 for b in blocks)


def test_answers_come_just_within_the_response_timeout() -> None:
    h = _harness()
    timeout = h.pics.timing.response_timeout_ms
    h.answer_at_timeout_edge()
    h.offer("new")
    h.run_download_to_end()
    frames = list(h.log.frames(sent_by_dut=None, kinds=(oc.QueryNextImageRequest, oc.QueryNextImageResponse,
                                                        oc.ImageBlockRequest, oc.ImageBlockResponse)))
    gaps = [b.time_ms - a.time_ms for a, b in itertools.pairwise(frames)
            if a.frame.src == h.dut.eui64 and b.frame.dst == h.dut.eui64]
    assert gaps and set(gaps) == {timeout - EDGE_MARGIN_MS}
    assert h.check_patience() is None
    impatient = _harness("impatient")
    impatient.answer_at_timeout_edge()
    impatient.offer("new")
    impatient.run_download_to_end()
    problem = impatient.check_patience()
    assert problem is not None and "declared response timeout (5000 ms)" in problem


def test_octet_count_lists_are_parsed_once() -> None:
    assert p.parse_count_list("0, 13,1") == (0, 13, 1)
    with pytest.raises(HarnessUsageError, match="list of octet counts"):
        p.parse_count_list("1, -2")
    with pytest.raises(HarnessUsageError, match="upgrade time"):
        p.parse_upgrade_time("wait for a further command, sent soon later")


@settings(max_examples=12, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 80), min_size=1, max_size=6))
def test_the_reference_device_installs_whatever_legal_block_sizes_it_is_served(shortfalls: list[int]) -> None:
    h = _harness()
    h.short_blocks(tuple(shortfalls))
    h.offer("new")
    h.run_download_to_end()
    h.advance(60_000)
    assert h.check_block_requests("new") is None
    assert h.current_file_version() == h.version_of("new")
