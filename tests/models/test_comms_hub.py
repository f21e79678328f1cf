"""The reference Communications Hub with reference devices on a HanNetwork: whole upgrades,
storage rules, alerts, the local-upgrade ban, interruption and determinism."""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path
from typing import Any

import pytest

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.comms_hub import (
    TARGET_TRANSITIONS,
    FirmwareTransferAlert,
    FirmwareVersionAlert,
    HandHeldTerminal,
    TargetState,
    TransferResponseCode,
)
from hanota.conformance.models.device import DeviceState, OtaDevice
from hanota.conformance.models.faults.device_faults import device_class
from hanota.conformance.models.faults.hub_faults import FAULTS as HUB_FAULTS
from hanota.conformance.models.faults.hub_faults import hub_class
from hanota.conformance.models.han import HanFrame, HanNetwork
from hanota.protocol import fragments, gbt, ota_image, signatures
from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.zcl import OTA_CLUSTER_ID, SMART_ENERGY_PROFILE_ID, OtaAttribute, Status

HUB = 0x0012_4B00_0000_0001
IHD = 0x0012_4B00_0000_0002
PPMID = 0x0012_4B00_0000_0003
STRANGER = 0x0012_4B00_0000_0004
HHT = 0x0012_4B00_0000_00FF
MFR, TYPE, OLD, NEW, HW = 0x1234, 0x0001, 0x0000_0100, 0x0000_0200, 2

KEY = signatures.generate_test_key()


def image(*, version: int = NEW, size: int = 300, hw: tuple[int, int] = (1, 3), key: Any = KEY) -> bytes:
    return ota_image.build_gbcs_image(
        manufacturer_code=MFR, image_type=TYPE, file_version=version,
        manufacturer_image=random.Random(size).randbytes(size), private_key=key,
        minimum_hardware_version=hw[0], maximum_hardware_version=hw[1])


IMAGE = image()


class World:
    def __init__(self, *, seed: int = 1, hub: dict[str, Any] | None = None,
                 devices: dict[int, dict[str, Any]] | None = None) -> None:
        self.clock = VirtualClock()
        self.net = HanNetwork(self.clock)
        hub = dict(hub or {})
        self.hub = hub_class(hub.pop("faults", ()))(self.clock, eui64=HUB, rng=random.Random(seed), **hub)
        self.net.attach(self.hub)
        self.devices: dict[int, OtaDevice] = {}
        rng = random.Random(seed)
        for eui, kw in (devices if devices is not None else {IHD: {}, PPMID: {}}).items():
            args: dict[str, Any] = dict(
                eui64=eui, kind="ihd" if eui == IHD else "ppmid", manufacturer_code=MFR,
                image_type=TYPE, file_version=OLD, hardware_version=HW, public_key=KEY.public_key(),
                paired_hub=HUB, rng=random.Random(rng.random()))
            args.update(kw)
            dev = device_class(args.pop("faults", ()))(self.clock, **args)
            self.devices[eui] = dev
            self.net.attach(dev)
            if args["paired_hub"] == HUB:
                self.hub.pair(eui, args["kind"])

    def distribute(self, data: bytes, targets: list[int], request_id: str = "req-1") -> None:
        self.hub.start_distribution(request_id, targets)
        for blk in gbt.split(data, block_size=1024):
            self.hub.receive_wan_block(blk)

    def events(self) -> list[Any]:
        return list(iter(self.hub.next_event, None))


def decoded(log: list[tuple[int, HanFrame]], cls: type) -> list[tuple[int, HanFrame, Any]]:
    out = []
    for t, frame in log:
        cmd = oc.decode_command(frame.payload)[1]
        if isinstance(cmd, cls):
            out.append((t, frame, cmd))
    return out


# ------------------------------------------------------------------ the whole upgrade
def test_small_image_upgrades_both_devices_with_alerts():
    w = World()
    w.distribute(IMAGE, [IHD, PPMID])
    w.net.run_until_idle()
    for dev in w.devices.values():
        assert dev.firmware_version == NEW
        assert dev.read_attribute(OtaAttribute.CURRENT_FILE_VERSION) == NEW
    events = w.events()
    transfer = [e for e in events if isinstance(e, FirmwareTransferAlert)]
    version = [e for e in events if isinstance(e, FirmwareVersionAlert)]
    assert {(e.device, e.response_code) for e in transfer} == {
        (IHD, TransferResponseCode.SUCCESS), (PPMID, TransferResponseCode.SUCCESS)}
    assert {(e.device, e.firmware_version, e.activated) for e in version} == {
        (IHD, NEW, True), (PPMID, NEW, True)}
    assert all(e.request_id == "req-1" for e in events)
    assert w.hub.target_state(IHD) is TargetState.DONE
    # GBCS activation: the first Upgrade End Response says "wait", a later one activates.
    ends = [c.upgrade_time for _, f, c in decoded(w.net.log, oc.UpgradeEndResponse) if f.dst == IHD]
    assert ends[0] == 0xFFFFFFFF and ends[1] != 0xFFFFFFFF
    assert w.hub.read_firmware_version(IHD) == NEW


@pytest.mark.slow
def test_750_kb_image_in_64_byte_blocks():
    big = image(size=768_000 - 60 - 66)  # exactly the 768,000-byte limit with the trailer
    assert len(big) == 768_000
    w = World(devices={PPMID: {}})
    w.distribute(big, [PPMID])
    w.net.run_until_idle()
    assert w.devices[PPMID].firmware_version == NEW
    blocks = decoded(w.net.log, oc.ImageBlockRequest)
    assert len(blocks) == 768_000 // 64 and all(c.maximum_data_size == 64 for *_, c in blocks)
    assert [type(e) for e in w.events()] == [FirmwareTransferAlert, FirmwareVersionAlert]


def test_same_seed_gives_the_same_log_bytes():
    def run(seed: int) -> bytes:
        w = World(seed=seed, hub={"query_jitter": 60, "stall_timeout_ms": 5_000},
                  devices={IHD: {"max_query_delay_ms": 2_000}, PPMID: {"max_query_delay_ms": 2_000}})
        w.distribute(IMAGE, [IHD, PPMID])
        w.net.run_until_idle(max_virtual_ms=10_000_000)
        return w.net.log_bytes() + repr(w.events()).encode()

    assert run(5) == run(5)
    assert run(5) != run(6)


# ------------------------------------------------------------------ who is served
def test_untargeted_paired_device_gets_no_image_and_stranger_not_authorized():
    w = World()
    w.distribute(IMAGE, [PPMID])
    w.devices[IHD].query_now()
    stranger = OtaDevice(w.clock, eui64=STRANGER, kind="ihd", manufacturer_code=MFR, image_type=TYPE,
                         file_version=OLD, hardware_version=HW, public_key=KEY.public_key(),
                         paired_hub=HUB, rng=random.Random(1))
    w.net.attach(stranger)
    stranger.query_now()
    w.net.run_until_idle()
    answers = {f.dst: c.status for _, f, c in decoded(w.net.log, oc.QueryNextImageResponse)}
    assert answers[IHD] == Status.NO_IMAGE_AVAILABLE
    assert answers[STRANGER] == Status.NOT_AUTHORIZED
    assert w.devices[IHD].firmware_version == OLD and stranger.firmware_version == OLD
    assert w.devices[PPMID].firmware_version == NEW


def test_hardware_version_outside_the_image_range_is_alerted():
    w = World(devices={PPMID: {"hardware_version": 9}})
    w.distribute(IMAGE, [PPMID])
    w.net.run_until_idle()
    assert [e.response_code for e in w.events()] == [TransferResponseCode.HARDWARE_VERSION_MISMATCH]
    assert w.devices[PPMID].firmware_version == OLD


def test_invalid_image_reported_by_the_device_is_a_transfer_failure():
    w = World(devices={PPMID: {}})
    w.distribute(image(key=signatures.generate_test_key()), [PPMID])
    w.net.run_until_idle()
    assert [e.response_code for e in w.events()] == [TransferResponseCode.FILE_TRANSFER_FAILURE]
    assert w.devices[PPMID].firmware_version == OLD


def test_consumer_refusal_is_a_transfer_failure_and_keeps_firmware():
    w = World(devices={PPMID: {"consumer_refusal": True, "consumer_accepts": False}})
    w.distribute(IMAGE, [PPMID])
    w.net.run_until_idle()
    assert [c.status for *_, c in decoded(w.net.log, oc.UpgradeEndRequest)] == [Status.ABORT]
    assert [e.response_code for e in w.events()] == [TransferResponseCode.FILE_TRANSFER_FAILURE]
    assert w.devices[PPMID].firmware_version == OLD


# ------------------------------------------------------------------ storage rules
def test_second_image_discards_incomplete_transfers_of_the_first():
    w = World(hub={"minimum_block_period_ms": 100}, devices={IHD: {}, PPMID: {}})
    w.distribute(IMAGE, [IHD, PPMID], "req-1")
    w.net.run_for(250)
    newer = image(version=NEW + 1, size=200)
    w.distribute(newer, [PPMID], "req-2")
    w.net.run_until_idle()
    events = w.events()
    assert FirmwareTransferAlert("req-1", IHD, TransferResponseCode.IMAGE_DISCARDED, 250) in events
    assert FirmwareTransferAlert("req-1", PPMID, TransferResponseCode.IMAGE_DISCARDED, 250) in events
    assert w.devices[PPMID].firmware_version == NEW + 1
    assert w.devices[IHD].firmware_version == OLD


def test_completed_transfers_keep_their_activation_when_an_image_replaces_theirs():
    w = World(hub={"activation_delay_ms": 60_000}, devices={PPMID: {}})
    w.distribute(IMAGE, [PPMID], "req-1")
    w.net.run_for(30_000)
    assert w.hub.target_state(PPMID) is TargetState.AWAITING_ACTIVATION
    w.distribute(image(version=NEW + 1, size=100), [IHD] if IHD in w.devices else [], "req-2")
    w.net.run_until_idle()
    events = w.events()
    assert not any(getattr(e, "response_code", None) is TransferResponseCode.IMAGE_DISCARDED
                   for e in events)
    assert FirmwareVersionAlert in [type(e) for e in events]
    assert w.devices[PPMID].firmware_version == NEW


def test_oversize_image_is_not_stored_and_fails_every_target():
    w = World(hub={"max_image_bytes": 1_000}, devices={PPMID: {}})
    w.distribute(IMAGE, [PPMID], "ok")
    w.net.run_until_idle()
    w.events()
    w.distribute(image(version=NEW + 1, size=2_000), [PPMID], "too-big")
    assert [e.response_code for e in w.events()] == [TransferResponseCode.FILE_TRANSFER_FAILURE]
    assert w.hub.stored is not None and w.hub.stored.request_id == "ok"


def test_meter_firmware_does_not_touch_the_han_image():
    w = World(devices={PPMID: {}})
    w.distribute(IMAGE, [PPMID])
    w.hub.store_meter_image(b"meter firmware")
    w.net.run_until_idle()
    assert w.hub.stored is not None and w.hub.stored.data == IMAGE
    assert w.devices[PPMID].firmware_version == NEW


def test_unpaired_target_fails_at_once():
    w = World(devices={PPMID: {}})
    w.distribute(IMAGE, [STRANGER])
    assert [e.response_code for e in w.events()] == [TransferResponseCode.FILE_TRANSFER_FAILURE]


def test_wan_block_without_distribution_is_a_usage_error():
    with pytest.raises(HarnessUsageError):
        World().hub.receive_wan_block(gbt.split(b"x")[0])


# ------------------------------------------------------------------ pacing and interruption
def test_wait_for_data_and_minimum_block_period_are_honoured_by_the_reference_device():
    w = World(hub={"wait_for_data_s": 3, "minimum_block_period_ms": 50}, devices={PPMID: {}})
    w.distribute(IMAGE, [PPMID])
    w.net.run_until_idle()
    assert w.hub.violations == []
    reqs = [t for t, _, _ in decoded(w.net.log, oc.ImageBlockRequest)]
    assert reqs[1] - reqs[0] >= 3_000
    assert all(b - a >= 50 for a, b in itertools.pairwise(reqs[1:]))
    assert w.devices[PPMID].firmware_version == NEW


@pytest.mark.parametrize("fault", ["ignore-wait-for-data", "ignore-min-block-period"])
def test_hub_notes_a_device_that_ignores_pacing(fault):
    w = World(hub={"wait_for_data_s": 3, "minimum_block_period_ms": 50},
              devices={PPMID: {"faults": frozenset({fault})}})
    w.distribute(IMAGE, [PPMID])
    w.net.run_until_idle()
    assert w.hub.violations


def test_interrupted_download_resumes_after_the_hub_notifies_again():
    w = World(hub={"minimum_block_period_ms": 100, "stall_timeout_ms": 30_000},
              devices={PPMID: {"response_timeout_ms": 1_000, "max_retries": 1}})
    w.distribute(IMAGE, [PPMID])
    w.net.run_for(350)
    w.net.link_down(PPMID)
    w.net.run_for(5_000)
    held = w.devices[PPMID].file_offset
    assert 0 < held < len(IMAGE) and w.devices[PPMID].state is DeviceState.IDLE
    w.net.link_up(PPMID)
    w.net.run_until_idle()
    assert w.devices[PPMID].firmware_version == NEW
    offsets = [c.file_offset for _, f, c in decoded(w.net.log, oc.ImageBlockRequest)
               if (f.src, f.dst) == (PPMID, HUB)]
    assert offsets.count(0) == 2  # the first request and the first-after-WAIT_FOR_DATA retry
    assert held in offsets


def test_device_that_never_retrieves_the_image_has_it_discarded():
    w = World(hub={"stall_timeout_ms": 1_000, "max_notifies": 2}, devices={PPMID: {}})
    w.net.link_down(PPMID)
    w.distribute(IMAGE, [PPMID])
    w.net.run_until_idle()
    assert [e.response_code for e in w.events()] == [TransferResponseCode.IMAGE_DISCARDED]
    assert len(decoded(w.net.log, oc.ImageNotify)) == 2


# ------------------------------------------------------------------ activation and read-back
def test_activation_offset_makes_the_device_count_down():
    w = World(hub={"activation_offset_s": 30}, devices={PPMID: {}})
    w.distribute(IMAGE, [PPMID])
    w.net.run_for(2_000)
    assert w.devices[PPMID].state is DeviceState.COUNTDOWN
    w.net.run_until_idle()
    assert w.devices[PPMID].firmware_version == NEW


def test_a_device_reporting_its_old_version_gives_activated_false():
    w = World(devices={PPMID: {"faults": frozenset({"report-old-version-after-activation"})}})
    w.distribute(IMAGE, [PPMID])
    w.net.run_until_idle()
    version = [e for e in w.events() if isinstance(e, FirmwareVersionAlert)]
    assert [(e.firmware_version, e.activated) for e in version] == [(OLD, False)]


def test_a_device_that_does_not_answer_the_read_back_gives_activated_false():
    w = World(hub={"readback_tries": 2, "readback_timeout_ms": 1_000}, devices={PPMID: {}})
    w.distribute(IMAGE, [PPMID])
    w.net.run_for(2_000)
    w.net.link_down(PPMID)
    w.net.run_until_idle()
    version = [e for e in w.events() if isinstance(e, FirmwareVersionAlert)]
    assert [(e.firmware_version, e.activated) for e in version] == [(OLD, False)]


# ------------------------------------------------------------------ the local-upgrade ban
def test_hht_offer_is_refused_by_the_reference_device():
    w = World(devices={PPMID: {}})
    hht = HandHeldTerminal(w.clock, eui64=HHT, image=IMAGE)
    w.net.attach(hht)
    hht.offer(PPMID)
    hht.push_block(PPMID)
    hht.push_activation(PPMID)
    w.net.run_until_idle()
    dev = w.devices[PPMID]
    assert dev.firmware_version == OLD and dev.state is DeviceState.IDLE and dev.file_offset == 0
    assert not decoded([(t, f) for t, f in w.net.log if f.src == PPMID], oc.QueryNextImageRequest)
    assert all(oc.decode_command(f.payload)[1].status == Status.NOT_AUTHORIZED for _, f in hht.received)
    assert len(hht.received) == 3


def test_device_with_fault_takes_the_hht_image():
    w = World(devices={PPMID: {"faults": frozenset({"accept-from-any-server"})}})
    hht = HandHeldTerminal(w.clock, eui64=HHT, image=IMAGE)
    w.net.attach(hht)
    hht.offer(PPMID)
    w.net.run_until_idle()
    assert w.devices[PPMID].firmware_version == NEW
    assert hht.upgrade_ends == [(hht.upgrade_ends[0][0], Status.SUCCESS)]


# ------------------------------------------------------------------ misbehaving hub
@pytest.mark.parametrize("fault", ["send-misplaced-block", "send-oversize-block"])
def test_reference_device_rejects_a_hub_sending_bad_blocks(fault):
    w = World(hub={"faults": frozenset({fault}), "stall_timeout_ms": 20_000, "max_notifies": 1},
              devices={PPMID: {"response_timeout_ms": 1_000, "max_retries": 1}})
    w.distribute(IMAGE, [PPMID])
    w.net.run_until_idle()
    assert w.devices[PPMID].firmware_version == OLD and w.devices[PPMID].violations
    assert [e.response_code for e in w.events()] == [TransferResponseCode.FILE_TRANSFER_FAILURE]


def test_hub_answers_requests_out_of_turn_and_records_them():
    w = World(devices={PPMID: {}})
    frame = HanFrame(PPMID, HUB, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID, oc.encode_command(
        oc.ImageBlockRequest(manufacturer_code=MFR, image_type=TYPE, file_version=NEW, file_offset=0,
                             maximum_data_size=64), tsn=3))
    w.hub.receive(frame)
    answer = oc.decode_command(w.hub.next_frame().payload)[1]
    assert answer.status == Status.ABORT and w.hub.violations


def test_hub_table_and_faults_are_documented():
    assert all(row.action for row in TARGET_TRANSITIONS.values())
    assert all(HUB_FAULTS.values())


# ------------------------------------------------------------------ fragmentation
def _fragmented_upgrade(supports: bool) -> World:
    whole = image(size=2_500)
    parts = fragments.split_image(whole, max_bytes=1_000)
    assert len(parts) > 1
    w = World(hub={"max_image_bytes": 1_000},
              devices={PPMID: {"max_image_bytes": 1_000, "supports_fragmentation": supports}})
    for index, part in enumerate(parts):
        w.distribute(part, [PPMID], f"req-frag-{index}")
        w.net.run_until_idle()
    return w


def test_fragments_are_reassembled_by_a_device_that_supports_them():
    w = _fragmented_upgrade(True)
    dev = w.devices[PPMID]
    assert dev.firmware_version == NEW and dev.last_verification == "verified"
    statuses = [c.status for *_, c in decoded(w.net.log, oc.UpgradeEndRequest)]
    assert statuses[:-1] == [Status.REQUIRE_MORE_IMAGE] * (len(statuses) - 1)
    assert statuses[-1] == Status.SUCCESS
    codes = [e.response_code for e in w.events() if isinstance(e, FirmwareTransferAlert)]
    assert codes == [TransferResponseCode.SUCCESS]  # no discard: the device held each fragment


def test_a_device_without_fragmentation_refuses_a_fragment():
    w = _fragmented_upgrade(False)
    assert w.devices[PPMID].firmware_version == OLD
    assert Status.INVALID_IMAGE in [c.status for *_, c in decoded(w.net.log, oc.UpgradeEndRequest)]


# ------------------------------------------------------------------ docs made from the tables
DOC = Path(__file__).resolve().parents[2] / "docs" / "reference-models.md"


def _generated_sections() -> dict[str, str]:
    from hanota.conformance.models import comms_hub, device
    from hanota.conformance.models.faults import device_faults, hub_faults

    return {
        "device transitions": device.transitions_markdown(),
        "device faults": device_faults.faults_markdown(),
        "hub transitions": comms_hub.target_transitions_markdown(),
        "hub faults": hub_faults.faults_markdown(),
    }


def test_reference_models_doc_tables_are_generated_from_the_tables():
    text = DOC.read_text(encoding="utf-8")
    fresh = text
    for name, body in _generated_sections().items():
        begin, end = f"<!-- BEGIN generated: {name} -->\n", f"<!-- END generated: {name} -->"
        head, rest = fresh.split(begin, 1)
        _, tail = rest.split(end, 1)
        fresh = head + begin + body + end + tail
    if os.environ.get("HANOTA_UPDATE_DOCS"):
        DOC.write_text(fresh, encoding="utf-8")
        return
    assert text == fresh, "docs/reference-models.md is stale: rerun with HANOTA_UPDATE_DOCS=1"
