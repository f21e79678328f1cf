"""Focused tests of the scenario harness: it reaches the reference device only over the HAN,
its played hub follows its script, its checks catch a faulty device, its evidence stays small."""

from __future__ import annotations

import pytest

from hanota.conformance import params as p
from hanota.conformance.harness import Harness
from hanota.conformance.pics import reference_pics
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.ota_commands import CommandId
from hanota.protocol.zcl import ImageUpgradeStatus, Status


def _harness(*faults: str) -> Harness:
    h = Harness(pics=reference_pics(), device_faults=faults)
    h.premises("Supplier A", "Supplier B")
    h.pair(None)
    return h


def test_reads_the_running_version_over_the_han() -> None:
    h = _harness()
    assert h.current_file_version() == h.dut.file_version == h.version_of("original")
    assert h.image_upgrade_status() is ImageUpgradeStatus.NORMAL
    assert any(f.name == "ReadAttributesResponse" for f in h.frames())


def test_offer_download_and_activation() -> None:
    h = _harness()
    h.make_image("new", p.parse_size("20 kB"), p.Relation.NEWER)
    h.offer("new")
    h.run_download_to_end()
    h.advance(60_000)
    assert h.check_query() is None
    assert h.check_block_requests("new") is None
    assert h.check_upgrade_end(Status.SUCCESS) is None
    assert h.current_file_version() == h.version_of("new")


def test_images_have_the_size_written_and_relative_versions() -> None:
    h = _harness()
    info = h.make_image("big", p.parse_size("the size limit"), p.Relation.NEWER)
    assert len(info.data) == h.max_image_bytes
    assert h.make_image("old", p.parse_size("1 kB"), p.Relation.OLDER).file_version == h.dut.file_version - 1
    assert h.make_image("newer", p.parse_size("1 kB"), p.Relation.NEWER).file_version == info.file_version + 1
    parts = h.split_image("big", 3)
    assert len(parts) == 3 and all(len(part) <= h.max_image_bytes for part in parts)


def test_a_scripted_status_stops_the_offer() -> None:
    h = _harness()
    h.make_image("new", p.parse_size("2 kB"), p.Relation.NEWER)
    h.answer_next(CommandId.QUERY_NEXT_IMAGE_REQUEST, Status.NO_IMAGE_AVAILABLE)
    h.offer("new")
    h.advance(10_000)
    assert h.block_requests() == []
    assert h.check_not_downloaded("new") is None
    assert h.current_file_version() == h.version_of("original")


def test_the_resume_check_catches_a_device_that_starts_again() -> None:
    for faults, ok in (((), True), (("no-resume",), False)):
        h = _harness(*faults)
        h.make_image("new", p.parse_size("20 kB"), p.Relation.NEWER)
        h.offer("new")
        h.lose_link(p.parse_duration("1 minute"), p.parse_size("1 kB"))
        h.run_download_to_end()
        problem = h.check_resumed()
        assert (problem is None) is ok, problem
        if not ok:
            assert "expected the device to resume at FileOffset 1024" in str(problem)


def test_the_spacing_check_catches_a_device_ignoring_minimum_block_period() -> None:
    for faults, ok in (((), True), (("ignore-min-block-period",), False)):
        h = _harness(*faults)
        h.make_image("new", p.parse_size("2 kB"), p.Relation.NEWER)
        h.script.minimum_block_period_ms = 1_000
        h.offer("new")
        h.run_download_to_end()
        assert (h.check_block_spacing(p.parse_duration("1 second")) is None) is ok


def test_evidence_keeps_the_first_and_last_frames() -> None:
    h = _harness()
    h.make_image("new", p.parse_size("20 kB"), p.Relation.NEWER)
    h.offer("new")
    h.run_download_to_end()
    evidence = h.evidence()
    frames = [e for e in evidence if e["kind"] == "frame"]
    assert len(frames) == 100
    assert any(e["kind"] == "gap" for e in evidence)
    assert evidence[-1]["kind"] == "summary" and evidence[-1]["frames"] > 600
    assert frames[0]["decoded"].startswith("ImageNotify(")


def test_usage_errors() -> None:
    h = Harness(pics=reference_pics())
    with pytest.raises(HarnessUsageError, match="premises"):
        h.pair(None)
    h = _harness()
    with pytest.raises(HarnessUsageError, match="no image 'nope'"):
        h.offer("nope")


def test_a_bridged_device_is_reached_over_tcp() -> None:
    from hanota.conformance.adapters import ReferenceAdapter
    from hanota.conformance.adapters.server import BridgeServer

    with BridgeServer(ReferenceAdapter()).start() as server:
        h = Harness(pics=reference_pics(), dut=server.url)
        h.premises("Supplier A", "Supplier B")
        h.pair(None)
        try:
            assert h.player is not None and h.player.eui64 == h.adapter.identity.paired_hub  # type: ignore[union-attr]
            h.make_image("new", p.parse_size("2 kB"), p.Relation.NEWER)
            h.offer("new")
            h.run_download_to_end()
            h.advance(60_000)
            assert h.check_upgrade_end(Status.SUCCESS) is None
            assert h.current_file_version() == h.version_of("new")
        finally:
            h.close()
