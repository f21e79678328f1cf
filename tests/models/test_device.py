"""The reference OTA client, one transition at a time, driven by hand-made hub frames."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.device import (
    TRANSITIONS,
    DeviceInput,
    DeviceState,
    IllegalEventError,
    OtaDevice,
)
from hanota.conformance.models.faults.device_faults import FAULTS, device_class
from hanota.conformance.models.han import BROADCAST, HanFrame
from hanota.protocol import ota_commands as oc
from hanota.protocol import ota_image, signatures
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.zcl import (
    OTA_CLUSTER_ID,
    SMART_ENERGY_PROFILE_ID,
    ImageUpgradeStatus,
    OtaAttribute,
    ReadAttributes,
    ReadAttributesResponse,
    Status,
    peek_header,
)

HUB = 0x0012_4B00_0000_0001
DEV = 0x0012_4B00_0000_0002
HHT = 0x0012_4B00_0000_00FF
MFR, TYPE, OLD, NEW, HW = 0x1234, 0x0001, 0x0000_0100, 0x0000_0200, 2

KEY = signatures.generate_test_key()
OTHER_KEY = signatures.generate_test_key()


def image(*, version: int = NEW, mfr: int = MFR, itype: int = TYPE, hw: tuple[int, int] = (1, 3),
          size: int = 200, key: Any = KEY) -> bytes:
    return ota_image.build_gbcs_image(
        manufacturer_code=mfr, image_type=itype, file_version=version,
        manufacturer_image=bytes(random.Random(size).randbytes(size)), private_key=key,
        minimum_hardware_version=hw[0], maximum_hardware_version=hw[1])


IMAGE = image()


def make(**kw: Any) -> tuple[VirtualClock, OtaDevice]:
    clock = VirtualClock()
    args: dict[str, Any] = dict(eui64=DEV, kind="ppmid", manufacturer_code=MFR, image_type=TYPE,
                                file_version=OLD, hardware_version=HW, public_key=KEY.public_key(),
                                paired_hub=HUB, rng=random.Random(7), max_query_delay_ms=0)
    args.update(kw)
    return clock, device_class(args.pop("faults", ()))(clock, **args)


def send(dev: OtaDevice, cmd: Any, *, src: int = HUB, tsn: int = 9, dst: int = DEV) -> None:
    dev.receive(HanFrame(src, dst, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID,
                         oc.encode_command(cmd, tsn=tsn)))


def sent(dev: OtaDevice) -> list[Any]:
    out = []
    while (frame := dev.next_frame()) is not None:
        out.append(oc.decode_command(frame.payload)[1])
    return out


def notify(jitter: int = 100, version: int = NEW) -> oc.ImageNotify:
    return oc.ImageNotify(payload_type=oc.ImageNotifyPayloadType.NEW_FILE_VERSION, query_jitter=jitter,
                          manufacturer_code=MFR, image_type=TYPE, new_file_version=version)


def offer(data: bytes = IMAGE, *, version: int = NEW, mfr: int = MFR, itype: int = TYPE,
          size: int | None = None) -> oc.QueryNextImageResponse:
    return oc.QueryNextImageResponse(status=Status.SUCCESS, manufacturer_code=mfr, image_type=itype,
                                     file_version=version, image_size=len(data) if size is None else size)


def block(data: bytes, offset: int, size: int = 64, *, version: int = NEW) -> oc.ImageBlockResponse:
    return oc.ImageBlockResponse(status=Status.SUCCESS, manufacturer_code=MFR, image_type=TYPE,
                                 file_version=version, file_offset=offset,
                                 image_data=data[offset:offset + size])


def end_response(upgrade_time: int, current_time: int = 1_000, version: int = NEW) -> oc.UpgradeEndResponse:
    return oc.UpgradeEndResponse(manufacturer_code=MFR, image_type=TYPE, file_version=version,
                                 current_time=current_time, upgrade_time=upgrade_time)


def serve(dev: OtaDevice, clock: VirtualClock, data: bytes = IMAGE, *, version: int = NEW,
          until: DeviceState = DeviceState.END_REQUESTED) -> list[Any]:
    """Answer the device's requests like a well-behaved hub until it reaches ``until``."""
    log: list[Any] = []
    for _ in range(100_000):
        if dev.state is until:
            return log + sent(dev)
        frames = sent(dev)
        log += frames
        for cmd in frames:
            if isinstance(cmd, oc.QueryNextImageRequest):
                send(dev, offer(data, version=version))
            elif isinstance(cmd, oc.ImageBlockRequest):
                send(dev, block(data, cmd.file_offset, cmd.maximum_data_size, version=version))
        if not frames:
            due = clock.next_due_ms()
            if due is None or dev.state is DeviceState.IDLE:
                return log
            clock.advance_to(due)
    raise AssertionError("serve did not finish")


def at(state: DeviceState, **kw: Any) -> tuple[VirtualClock, OtaDevice]:
    """A device driven into ``state``."""
    clock, dev = make(**kw)
    if state is DeviceState.IDLE:
        return clock, dev
    if state is DeviceState.QUERY_SCHEDULED:
        send(dev, notify())
        return clock, dev
    dev.query_now()
    if state is DeviceState.QUERYING:
        return clock, dev
    send(dev, offer())
    if state is DeviceState.BLOCK_REQUESTED:
        return clock, dev
    if state is DeviceState.BLOCK_WAIT:
        send(dev, oc.ImageBlockResponse(status=Status.WAIT_FOR_DATA, current_time=100, request_time=160,
                                        minimum_block_period=0))
        return clock, dev
    serve(dev, clock)
    if state is DeviceState.END_REQUESTED:
        return clock, dev
    if state is DeviceState.WAITING_TO_UPGRADE:
        send(dev, end_response(0xFFFFFFFF))
        return clock, dev
    send(dev, end_response(1_010, 1_000))
    assert state is DeviceState.COUNTDOWN
    return clock, dev


# ------------------------------------------------------------------ construction
def test_unknown_fault_is_a_usage_error_naming_it_and_the_valid_ones():
    with pytest.raises(HarnessUsageError, match="unknown device faults: no-such-fault; valid: "
                                                 "accept-oversize-image, ") as err:
        make(faults=frozenset({"no-such-fault", "no-resume"}))
    assert all(name in str(err.value) for name in FAULTS)


def test_every_fault_is_documented():
    assert all(text for text in FAULTS.values())


# ------------------------------------------------------------------ Image Notify
def test_notify_with_full_jitter_schedules_a_query_to_the_hub():
    clock, dev = make(max_query_delay_ms=300)
    send(dev, notify())
    assert dev.state is DeviceState.QUERY_SCHEDULED
    clock.advance(300)
    (query,) = sent(dev)
    assert isinstance(query, oc.QueryNextImageRequest)
    assert (query.manufacturer_code, query.current_file_version, query.hardware_version) == (MFR, OLD, HW)
    assert dev.state is DeviceState.QUERYING


def test_query_jitter_is_drawn_from_the_seeded_rng():
    answered = []
    for seed in range(200):
        _, dev = make(rng=random.Random(seed))
        send(dev, notify(jitter=10), dst=BROADCAST)
        answered.append(dev.state is DeviceState.QUERY_SCHEDULED)
    assert 5 <= sum(answered) <= 40  # about 10 %
    again = []
    for seed in range(200):
        _, dev = make(rng=random.Random(seed))
        send(dev, notify(jitter=10), dst=BROADCAST)
        again.append(dev.state is DeviceState.QUERY_SCHEDULED)
    assert again == answered


@pytest.mark.parametrize("cmd", [
    oc.ImageNotify(payload_type=oc.ImageNotifyPayloadType.MANUFACTURER_CODE, query_jitter=100,
                   manufacturer_code=0x9999),
    oc.ImageNotify(payload_type=oc.ImageNotifyPayloadType.IMAGE_TYPE, query_jitter=100,
                   manufacturer_code=MFR, image_type=0x0042),
    oc.ImageNotify(payload_type=oc.ImageNotifyPayloadType.NEW_FILE_VERSION, query_jitter=100,
                   manufacturer_code=MFR, image_type=TYPE, new_file_version=OLD),
])
def test_broadcast_notify_not_for_this_device_is_ignored(cmd):
    _, dev = make()
    send(dev, cmd, dst=BROADCAST)
    assert dev.state is DeviceState.IDLE and sent(dev) == []


@pytest.mark.parametrize("cmd", [
    oc.ImageNotify(payload_type=oc.ImageNotifyPayloadType.QUERY_JITTER, query_jitter=1),
    oc.ImageNotify(payload_type=oc.ImageNotifyPayloadType.NEW_FILE_VERSION, query_jitter=1,
                   manufacturer_code=MFR, image_type=TYPE, new_file_version=OLD),
])
def test_unicast_notify_is_always_answered(cmd):
    # 095264r22 6.10.3.4: whatever the jitter, even naming the running version (a re-install)
    for seed in range(20):
        clock, dev = make(rng=random.Random(seed))
        send(dev, cmd)
        clock.advance(dev.max_query_delay_ms)
        assert [type(c) for c in sent(dev)] == [oc.QueryNextImageRequest]


def test_broadcast_type_3_naming_the_downloaded_version_is_ignored():
    clock, dev = make()
    dev.query_now()
    send(dev, offer())
    sent(dev)
    clock.advance(dev.response_timeout_ms * (dev.max_retries + 1))  # gives up, keeps the download
    assert dev.state is DeviceState.IDLE and dev.file_offset == 0 and dev._offer is not None
    send(dev, notify(), dst=BROADCAST)
    assert dev.state is DeviceState.IDLE
    send(dev, notify(version=OLD - 1), dst=BROADCAST)  # a downgrade the server asks for: queried
    assert dev.state is DeviceState.QUERY_SCHEDULED


def test_periodic_query_every_interval_while_idle():
    clock, dev = make(query_interval_ms=60_000)
    clock.advance(59_999)
    assert sent(dev) == []
    clock.advance(1)
    for _ in range(3):
        got = sent(dev)
        assert [type(c) for c in got] == [oc.QueryNextImageRequest]
        send(dev, oc.QueryNextImageResponse(status=Status.NO_IMAGE_AVAILABLE))
        assert dev.state is DeviceState.IDLE
        clock.advance(60_000)
    clock, quiet = make()  # without a declared interval: only when notified
    clock.advance(10 * 86_400_000)
    assert sent(quiet) == []


def test_notify_wildcards_are_honoured():
    _, dev = make()
    send(dev, oc.ImageNotify(payload_type=oc.ImageNotifyPayloadType.IMAGE_TYPE, query_jitter=100,
                             manufacturer_code=0xFFFF, image_type=0xFFFF))
    assert dev.state is DeviceState.QUERY_SCHEDULED


# ------------------------------------------------------------------ the paired hub only
@pytest.mark.parametrize("cmd", [notify(), offer(), block(IMAGE, 0), end_response(0, 0)])
def test_frames_from_an_hht_are_refused_and_change_nothing(cmd):
    _, dev = make()
    before = (dev.state, dev.firmware_version, dev.file_offset)
    send(dev, cmd, src=HHT)
    assert (dev.state, dev.firmware_version, dev.file_offset) == before
    (answer,) = sent(dev)
    assert answer.status == Status.NOT_AUTHORIZED
    assert dev.violations and dev.violations[0].src == HHT


def test_unpaired_device_refuses_everything():
    _, dev = make(paired_hub=None)
    send(dev, notify())
    assert dev.state is DeviceState.IDLE and dev.violations


def test_fault_accept_from_any_server_follows_the_hht():
    clock, dev = make(faults=frozenset({"accept-from-any-server"}))
    send(dev, notify(), src=HHT)
    clock.advance(1)
    (query,) = [f for f in iter(dev.next_frame, None)]
    assert query.dst == HHT


# ------------------------------------------------------------------ query and offer
def test_offer_starts_the_download_at_offset_zero_with_the_configured_size():
    _, dev = make(max_data_size=50)
    dev.query_now()
    sent(dev)
    send(dev, offer())
    (req,) = sent(dev)
    assert isinstance(req, oc.ImageBlockRequest)
    assert (req.file_offset, req.maximum_data_size, req.file_version) == (0, 50, NEW)
    assert dev.read_attribute(OtaAttribute.IMAGE_UPGRADE_STATUS) == ImageUpgradeStatus.DOWNLOAD_IN_PROGRESS


def test_no_image_available_returns_to_idle():
    _, dev = at(DeviceState.QUERYING)
    send(dev, oc.QueryNextImageResponse(status=Status.NO_IMAGE_AVAILABLE))
    assert dev.state is DeviceState.IDLE


@pytest.mark.parametrize(("kw", "fault"), [
    ({"mfr": 0x9999}, "accept-wrong-manufacturer"),
    ({"itype": 0x0042}, "accept-wrong-manufacturer"),
    ({"version": OLD}, "allow-downgrade"),
    ({"version": OLD - 1}, "allow-downgrade"),
    ({"size": 768_001}, "accept-oversize-image"),
])
def test_bad_offer_is_refused_with_invalid_image_unless_the_fault_is_on(kw, fault):
    _, dev = at(DeviceState.QUERYING)
    sent(dev)
    send(dev, offer(**kw))
    (end,) = sent(dev)
    assert isinstance(end, oc.UpgradeEndRequest) and end.status == Status.INVALID_IMAGE
    assert dev.state is DeviceState.IDLE
    _, faulty = at(DeviceState.QUERYING, faults=frozenset({fault}))
    sent(faulty)
    send(faulty, offer(**kw))
    assert faulty.state is DeviceState.BLOCK_REQUESTED


def test_query_timeout_resends_then_gives_up():
    clock, dev = at(DeviceState.QUERYING, max_retries=2, response_timeout_ms=100)
    sent(dev)
    clock.advance(100)
    assert len(sent(dev)) == 1 and dev.state is DeviceState.QUERYING
    clock.advance(100)
    clock.advance(100)
    assert dev.state is DeviceState.IDLE


# ------------------------------------------------------------------ blocks
def test_blocks_advance_file_offset_and_complete_with_success():
    clock, dev = at(DeviceState.BLOCK_REQUESTED)
    log = serve(dev, clock)
    offsets = [c.file_offset for c in log if isinstance(c, oc.ImageBlockRequest)]
    assert offsets == list(range(0, len(IMAGE), 64))
    end = log[-1]
    assert isinstance(end, oc.UpgradeEndRequest) and end.status == Status.SUCCESS
    assert dev.state is DeviceState.END_REQUESTED
    assert dev.read_attribute(OtaAttribute.FILE_OFFSET) == len(IMAGE)
    assert dev.read_attribute(OtaAttribute.IMAGE_UPGRADE_STATUS) == ImageUpgradeStatus.DOWNLOAD_COMPLETE


@pytest.mark.parametrize("bad", [
    block(IMAGE, 64),                      # another offset
    block(IMAGE, 0, 65),                   # larger than asked
    block(IMAGE, 0, version=NEW + 1),      # another image
])
def test_misplaced_or_oversize_block_is_rejected_with_state_unchanged(bad):
    _, dev = at(DeviceState.BLOCK_REQUESTED)
    sent(dev)
    send(dev, bad)
    assert dev.state is DeviceState.BLOCK_REQUESTED and dev.file_offset == 0
    assert dev.violations and sent(dev) == []


def test_fault_accept_misplaced_block_stores_it():
    _, dev = at(DeviceState.BLOCK_REQUESTED, faults=frozenset({"accept-misplaced-block"}))
    send(dev, block(IMAGE, 0, 65))
    assert dev.file_offset == 65


def test_minimum_block_period_spaces_requests():
    clock, dev = at(DeviceState.BLOCK_REQUESTED, minimum_block_period_ms=250)
    sent(dev)
    send(dev, block(IMAGE, 0))
    assert dev.state is DeviceState.BLOCK_WAIT and sent(dev) == []
    clock.advance(249)
    assert sent(dev) == []
    clock.advance(1)
    (req,) = sent(dev)
    assert req.file_offset == 64 and req.minimum_block_period == 250


def test_fault_ignore_min_block_period_sends_back_to_back():
    clock, dev = at(DeviceState.BLOCK_REQUESTED, minimum_block_period_ms=250,
                    faults=frozenset({"ignore-min-block-period"}))
    serve(dev, clock)
    assert clock.now_ms == 0


def test_wait_for_data_retries_the_same_offset_after_the_delay_and_takes_the_block_period():
    clock, dev = at(DeviceState.BLOCK_REQUESTED)
    sent(dev)
    send(dev, oc.ImageBlockResponse(status=Status.WAIT_FOR_DATA, current_time=100, request_time=130,
                                    minimum_block_period=40))
    assert dev.state is DeviceState.BLOCK_WAIT
    assert dev.read_attribute(OtaAttribute.MINIMUM_BLOCK_PERIOD) == 40
    clock.advance(29_999)
    assert sent(dev) == []
    clock.advance(1)
    (req,) = sent(dev)
    assert req.file_offset == 0 and dev.state is DeviceState.BLOCK_REQUESTED


def test_wait_for_data_with_current_time_zero_is_an_offset():
    clock, dev = at(DeviceState.BLOCK_REQUESTED)
    sent(dev)
    send(dev, oc.ImageBlockResponse(status=Status.WAIT_FOR_DATA, current_time=0, request_time=5,
                                    minimum_block_period=0))
    clock.advance(4_999)
    assert dev.state is DeviceState.BLOCK_WAIT
    clock.advance(1)
    assert dev.state is DeviceState.BLOCK_REQUESTED


def test_fault_ignore_wait_for_data_retries_at_once():
    clock, dev = at(DeviceState.BLOCK_REQUESTED, faults=frozenset({"ignore-wait-for-data"}))
    sent(dev)
    send(dev, oc.ImageBlockResponse(status=Status.WAIT_FOR_DATA, current_time=100, request_time=130,
                                    minimum_block_period=0))
    clock.advance(0)
    assert len(sent(dev)) == 1


def test_abort_discards_the_download():
    _, dev = at(DeviceState.BLOCK_REQUESTED)
    send(dev, oc.ImageBlockResponse(status=Status.ABORT))
    assert dev.state is DeviceState.IDLE and dev.file_offset == 0


def test_interrupted_download_resumes_from_file_offset():
    clock, dev = at(DeviceState.BLOCK_REQUESTED, max_retries=1, response_timeout_ms=100)
    sent(dev)
    send(dev, block(IMAGE, 0))
    send(dev, block(IMAGE, 64))
    assert dev.file_offset == 128
    sent(dev)
    clock.advance(100)
    (retry,) = sent(dev)
    assert retry.file_offset == 128  # the timeout re-requests at FileOffset
    clock.advance(100)
    assert dev.state is DeviceState.IDLE and dev.read_attribute(OtaAttribute.FILE_OFFSET) == 128
    dev.query_now()
    sent(dev)
    send(dev, offer())
    (resume,) = sent(dev)
    assert resume.file_offset == 128


def test_fault_no_resume_starts_again_at_zero():
    clock, dev = at(DeviceState.BLOCK_REQUESTED, max_retries=0, response_timeout_ms=100,
                    faults=frozenset({"no-resume"}))
    send(dev, block(IMAGE, 0))
    sent(dev)
    clock.advance(100)
    dev.query_now()
    sent(dev)
    send(dev, offer())
    (again,) = sent(dev)
    assert again.file_offset == 0


def test_a_different_offer_after_interruption_starts_at_zero():
    clock, dev = at(DeviceState.BLOCK_REQUESTED, max_retries=0, response_timeout_ms=100)
    send(dev, block(IMAGE, 0))
    clock.advance(100)
    dev.query_now()
    other = image(version=NEW + 1)
    sent(dev)
    send(dev, offer(other, version=NEW + 1))
    (req,) = sent(dev)
    assert req.file_offset == 0


# ------------------------------------------------------------------ verification
def _verify(data: bytes, *, version: int = NEW, **kw: Any) -> tuple[OtaDevice, Any]:
    clock, dev = make(**kw)
    dev.query_now()
    log = serve(dev, clock, data, version=version, until=DeviceState.END_REQUESTED)
    return dev, [c for c in log if isinstance(c, oc.UpgradeEndRequest)][-1]


def test_verified_image_is_reported_success():
    dev, end = _verify(IMAGE)
    assert end.status == Status.SUCCESS and dev.last_verification == "verified"


@pytest.mark.parametrize(("data", "fault"), [
    (image(key=OTHER_KEY), "skip-signature-check"),
    (image(key=None), "skip-signature-check"),
    (image(hw=(3, 4)), "accept-wrong-hardware-version"),
    (image(mfr=0x9999), "accept-wrong-manufacturer"),
])
def test_failed_verification_is_reported_invalid_image_unless_the_fault_is_on(data, fault):
    # The offer is made in the device's own name so only the image's own content is wrong.
    dev, end = _verify(data)
    assert end.status == Status.INVALID_IMAGE and dev.state is DeviceState.IDLE
    assert dev.firmware_version == OLD
    faulty, end = _verify(data, faults=frozenset({fault}))
    assert end.status == Status.SUCCESS and faulty.state is DeviceState.END_REQUESTED


def test_garbage_image_is_invalid():
    dev, end = _verify(b"\x00" * 300)
    assert end.status == Status.INVALID_IMAGE and dev.last_verification.startswith("image:")


def test_image_version_must_match_the_offer():
    _, end = _verify(image(version=NEW + 1))
    assert end.status == Status.INVALID_IMAGE


def test_fault_wrong_upgrade_end_status_lies_but_never_installs():
    clock, dev = make(faults=frozenset({"wrong-upgrade-end-status"}))
    dev.query_now()
    log = serve(dev, clock, image(key=OTHER_KEY))
    assert log[-1].status == Status.SUCCESS
    send(dev, end_response(0, 0))
    assert dev.firmware_version == OLD


def test_consumer_refusal_aborts_and_keeps_firmware():
    dev, end = _verify(IMAGE, consumer_refusal=True, consumer_accepts=False)
    assert end.status == Status.ABORT and dev.firmware_version == OLD
    assert dev.state is DeviceState.IDLE


# ------------------------------------------------------------------ activation
def test_wait_for_further_command_then_activation():
    clock, dev = at(DeviceState.END_REQUESTED)
    send(dev, end_response(0xFFFFFFFF))
    assert dev.state is DeviceState.WAITING_TO_UPGRADE
    assert dev.read_attribute(OtaAttribute.IMAGE_UPGRADE_STATUS) == ImageUpgradeStatus.WAITING_TO_UPGRADE
    clock.advance(10_000_000)
    assert dev.firmware_version == OLD
    send(dev, end_response(2_000, 2_000))
    assert dev.firmware_version == NEW and dev.state is DeviceState.IDLE
    assert dev.read_attribute(OtaAttribute.CURRENT_FILE_VERSION) == NEW
    assert dev.read_attribute(OtaAttribute.IMAGE_UPGRADE_STATUS) == ImageUpgradeStatus.NORMAL


def test_real_upgrade_time_counts_down():
    clock, dev = at(DeviceState.END_REQUESTED)
    send(dev, end_response(1_030, 1_000))
    assert dev.state is DeviceState.COUNTDOWN
    clock.advance(29_999)
    assert dev.firmware_version == OLD
    clock.advance(1)
    assert dev.firmware_version == NEW


def test_current_time_zero_means_upgrade_time_is_an_offset():
    clock, dev = at(DeviceState.WAITING_TO_UPGRADE)
    send(dev, end_response(5, 0))
    clock.advance(5_000)
    assert dev.firmware_version == NEW


def test_countdown_can_be_put_back_to_waiting():
    clock, dev = at(DeviceState.COUNTDOWN)
    send(dev, end_response(0xFFFFFFFF))
    clock.advance(100_000)
    assert dev.state is DeviceState.WAITING_TO_UPGRADE and dev.firmware_version == OLD


def test_fault_activate_immediately_ignores_the_wait():
    _, dev = at(DeviceState.END_REQUESTED, faults=frozenset({"activate-immediately"}))
    send(dev, end_response(0xFFFFFFFF))
    assert dev.firmware_version == NEW


def test_fault_report_old_version_after_activation():
    _, dev = at(DeviceState.WAITING_TO_UPGRADE, faults=frozenset({"report-old-version-after-activation"}))
    send(dev, end_response(0, 0))
    assert dev.firmware_version == NEW
    assert dev.read_attribute(OtaAttribute.CURRENT_FILE_VERSION) == OLD


def test_upgrade_end_response_for_another_image_is_rejected():
    _, dev = at(DeviceState.WAITING_TO_UPGRADE)
    send(dev, end_response(0, 0, version=NEW + 5))
    assert dev.state is DeviceState.WAITING_TO_UPGRADE and dev.violations


def test_end_request_timeout_resends():
    clock, dev = at(DeviceState.END_REQUESTED, response_timeout_ms=100)
    sent(dev)
    clock.advance(100)
    (again,) = sent(dev)
    assert isinstance(again, oc.UpgradeEndRequest) and again.status == Status.SUCCESS


# ------------------------------------------------------------------ Read Attributes
def test_read_attributes_over_zcl():
    _, dev = make()
    send(dev, ReadAttributes(attribute_ids=(0x0002, 0x0006, 0x0000, 0x1234)))
    (resp,) = sent(dev)
    assert isinstance(resp, ReadAttributesResponse)
    values = {r.attribute_id: (r.status, r.value) for r in resp.records}
    assert values[0x0002] == (Status.SUCCESS, OLD)
    assert values[0x0006] == (Status.SUCCESS, 0)
    assert values[0x0000] == (Status.SUCCESS, HUB)
    assert values[0x1234][0] == Status.UNSUPPORTED_ATTRIBUTE


def test_malformed_frame_is_answered_malformed_command():
    _, dev = make()
    dev.receive(HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID, b"\x19\x01\x00\x00"))
    (answer,) = sent(dev)
    assert answer.status == Status.MALFORMED_COMMAND and dev.violations


def test_manufacturer_specific_frame_is_refused_with_its_own_tsn_and_command_id():
    # Frame control bit 2: the manufacturer code (0x1234) comes before the TSN (0x42) and the
    # command id (0x05). Read at fixed offsets 1 and 2, the answer would echo 0x34 / 0x12. The
    # reference implements no manufacturer-specific command, its own manufacturer's included.
    _, dev = make()
    raw = bytes.fromhex("1d34124205")
    dev.receive(HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID, raw))
    frame = dev.next_frame()
    assert frame is not None
    header, answer = oc.decode_command(frame.payload)
    assert answer.status == Status.UNSUP_MANUF_CLUSTER_COMMAND
    assert (header.tsn, answer.command_id) == (0x42, 0x05)


@pytest.mark.parametrize(("raw", "status"), [
    ("1d 34 12 42 02 00 34 12 01 01 02 00 00 01 00 50 00 00",  # a manufacturer's own 0x02
     Status.UNSUP_MANUF_CLUSTER_COMMAND),
    ("0c 34 12 42 00 00 00", Status.UNSUP_MANUF_GENERAL_COMMAND),  # its own general 0x00
    ("19 42 0a", Status.UNSUP_CLUSTER_COMMAND),          # no OTA command 0x0a
    ("19 42 03 00", Status.UNSUP_CLUSTER_COMMAND),       # 0x03 is sent client→server only
    ("18 42 07", Status.UNSUP_GENERAL_COMMAND),          # Configure Reporting: not taken
    ("19 42 07 34 12", Status.MALFORMED_COMMAND),        # Upgrade End Response cut short
    ("19 42 00", Status.MALFORMED_COMMAND),              # Image Notify with no payload type
])
def test_unsupported_and_short_frames_are_answered_with_their_own_tsn_and_command_id(raw, status):
    _, dev = make()
    payload = bytes.fromhex(raw)
    dev.receive(HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID, payload))
    frame = dev.next_frame()
    assert frame is not None and dev.next_frame() is None
    header, answer = oc.decode_command(frame.payload)
    asked = peek_header(payload)
    assert asked is not None and asked.tsn == 0x42
    assert (answer.status, header.tsn, answer.command_id) == (status, asked.tsn, asked.command_id)
    assert dev.state is DeviceState.IDLE and dev.violations


# ------------------------------------------------------------------ the table itself
STATES = list(DeviceState)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", list(DeviceInput))
def test_every_pair_outside_the_table_raises_with_state_unchanged(state, event):
    _, dev = at(state)
    if (state, event) in TRANSITIONS:
        return
    snapshot = (dev.state, dev.file_offset, dev.firmware_version, dev._offer)
    with pytest.raises(IllegalEventError):
        dev._dispatch(event, None, None)
    assert (dev.state, dev.file_offset, dev.firmware_version, dev._offer) == snapshot


@pytest.mark.parametrize("state", STATES)
def test_at_builds_each_state(state):
    assert at(state)[1].state is state


def test_unsolicited_responses_from_the_hub_raise_through_process():
    _, dev = make()
    frame = HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID,
                     oc.encode_command(block(IMAGE, 0), tsn=1))
    with pytest.raises(IllegalEventError):
        dev.process(frame)
    assert dev.state is DeviceState.IDLE


# ------------------------------------------------------------------ the faults added for issue 5
def test_header_only_image_is_invalid_unless_the_fault_is_on():
    empty = image(size=0)
    dev, end = _verify(empty)
    assert end.status == Status.INVALID_IMAGE and "Manufacturer Image is empty" in dev.last_verification
    _, end = _verify(empty, faults=frozenset({"install-empty-image"}))
    assert end.status == Status.SUCCESS


def test_fault_refuse_at_limit_refuses_an_offer_of_exactly_the_limit():
    for faults, state in ((frozenset(), DeviceState.BLOCK_REQUESTED),
                          (frozenset({"refuse-at-limit"}), DeviceState.IDLE)):
        _, dev = at(DeviceState.QUERYING, max_image_bytes=1000, faults=faults)
        sent(dev)
        send(dev, offer(size=1000))
        assert dev.state is state


def test_fault_accept_oversize_image_installs_it_through_the_fragment_path_too():
    _, end = _verify(IMAGE, max_image_bytes=len(IMAGE) - 1, supports_fragmentation=True)
    assert end.status == Status.INVALID_IMAGE
    _, end = _verify(IMAGE, max_image_bytes=len(IMAGE) - 1, supports_fragmentation=True,
                          faults=frozenset({"accept-oversize-image"}))
    assert end.status == Status.SUCCESS


def test_fault_bad_query_next_image_misdescribes_the_device():
    _, dev = make()
    dev.query_now()
    (good,) = sent(dev)
    assert (good.manufacturer_code, good.current_file_version) == (MFR, OLD)
    _, faulty = make(faults=frozenset({"bad-query-next-image"}))
    faulty.query_now()
    (bad,) = sent(faulty)
    assert (bad.manufacturer_code, bad.current_file_version) != (MFR, OLD)


def test_fault_ignore_abort_keeps_downloading():
    for faults, state in ((frozenset(), DeviceState.IDLE),
                          (frozenset({"ignore-abort"}), DeviceState.BLOCK_WAIT)):
        clock, dev = at(DeviceState.BLOCK_REQUESTED, faults=faults)
        sent(dev)
        send(dev, oc.ImageBlockResponse(status=Status.ABORT))
        assert dev.state is state
    clock.advance(dev.response_timeout_ms)
    assert [type(c) for c in sent(dev)] == [oc.ImageBlockRequest]


def test_fault_no_malformed_response_stays_silent():
    _, dev = make(faults=frozenset({"no-malformed-response"}))
    dev.receive(HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID, bytes.fromhex("19000500")))
    assert sent(dev) == [] and dev.violations


def test_fail_next_activation_keeps_the_firmware_once():
    clock, dev = at(DeviceState.WAITING_TO_UPGRADE)
    dev.fail_next_activation()
    send(dev, end_response(0, 0))
    assert dev.firmware_version == OLD and dev.read_attribute(OtaAttribute.CURRENT_FILE_VERSION) == OLD
    assert dev.state is DeviceState.IDLE
    dev.query_now()
    serve(dev, clock)
    send(dev, end_response(0, 0))
    assert dev.firmware_version == NEW


# ------------------------------------------------------------------ security checks added for issue 9
def _zigbee(*, destination: int | None = None, key: Any = KEY) -> bytes:
    return ota_image.build_zigbee_image(
        manufacturer_code=MFR, image_type=TYPE, file_version=NEW, private_key=key,
        sub_elements=[(ota_image.SubElementTag.UPGRADE_IMAGE, bytes(random.Random(5).randbytes(200)))],
        minimum_hardware_version=1, maximum_hardware_version=3, upgrade_file_destination=destination)


def _element(tag: int, value: bytes) -> bytes:
    return bytes(ota_image.SUB_ELEMENT.build({"tag": tag, "value": value}))


def test_a_zigbee_file_signed_with_the_p256_element_is_installed():
    dev, end = _verify(_zigbee())
    assert end.status == Status.SUCCESS and dev.last_verification == "verified"
    dev, end = _verify(_zigbee(key=None))
    assert end.status == Status.INVALID_IMAGE and "signature" in dev.last_verification


@pytest.mark.parametrize("tail", [
    _element(ota_image.SubElementTag.UPGRADE_IMAGE, b"unsigned code" * 8),
    _element(0x0100, b"unsigned code" * 8),
    _element(ota_image.SubElementTag.UPGRADE_IMAGE, b"unsigned code") + _zigbee()[-70:],
], ids=["upgrade image", "unknown tag", "upgrade image and signature copy"])
@pytest.mark.parametrize("fragmentation", [False, True])
def test_sub_elements_after_the_zigbee_signature_are_refused_unless_the_fault_is_on(tail, fragmentation):
    smuggled = _zigbee() + tail  # total image size as signed: the hub serves the longer file
    dev, end = _verify(smuggled, supports_fragmentation=fragmentation)
    assert end.status == Status.INVALID_IMAGE and dev.firmware_version == OLD
    assert "header.total_image_size" in dev.last_verification
    _, end = _verify(smuggled, supports_fragmentation=fragmentation,
                     faults=frozenset({"ignore-unsigned-tail"}))
    assert end.status == Status.SUCCESS


@pytest.mark.parametrize("fragmentation", [False, True])
def test_bytes_after_the_gbcs_trailer_are_refused_unless_the_fault_is_on(fragmentation):
    smuggled = IMAGE + b"unsigned code" * 8
    dev, end = _verify(smuggled, supports_fragmentation=fragmentation)
    assert end.status == Status.INVALID_IMAGE and "header.total_image_size" in dev.last_verification
    _, end = _verify(smuggled, supports_fragmentation=fragmentation,
                     faults=frozenset({"ignore-unsigned-tail"}))
    assert end.status == Status.SUCCESS


def test_a_zigbee_signature_that_is_not_the_last_sub_element_is_refused():
    counted = _zigbee() + _element(ota_image.SubElementTag.UPGRADE_IMAGE, b"unsigned")
    counted = counted[:52] + len(counted).to_bytes(4, "little") + counted[56:]  # total counts it
    dev, end = _verify(counted)
    assert end.status == Status.INVALID_IMAGE and "sub_elements[2].tag" in dev.last_verification


@pytest.mark.parametrize("build", [
    lambda dest: image_for(dest), lambda dest: _zigbee(destination=dest)], ids=["gbcs", "zigbee"])
def test_a_device_specific_file_is_installed_only_by_the_device_it_names(build):
    dev, end = _verify(build(DEV))
    assert end.status == Status.SUCCESS
    other = build(DEV + 1)
    dev, end = _verify(other)
    assert end.status == Status.INVALID_IMAGE and dev.firmware_version == OLD
    assert "field header.upgrade_file_destination, offset 56" in dev.last_verification
    _, end = _verify(other, faults=frozenset({"ignore-file-destination"}))
    assert end.status == Status.SUCCESS


def image_for(destination: int) -> bytes:
    return ota_image.build_gbcs_image(
        manufacturer_code=MFR, image_type=TYPE, file_version=NEW,
        manufacturer_image=bytes(random.Random(200).randbytes(200)), private_key=KEY,
        minimum_hardware_version=1, maximum_hardware_version=3, upgrade_file_destination=destination)


def _forged_count(change: dict[int, int]) -> list[bytes]:
    """IMAGE in 3 fragments, fragment i's count changed by change[i] (rebuilt from its own parse)."""
    from hanota.protocol import fragments

    parts = fragments.split_image(IMAGE, max_bytes=60 + 12 + fragments.DESCRIPTOR_SIZE + 110)
    assert len(parts) == 3
    out = []
    for i, part in enumerate(parts):
        frag = fragments.parse_fragment(part, max_bytes=None)
        desc = frag.descriptor
        out.append(fragments.build_fragment(
            dataclasses.replace(desc, fragment_count=desc.fragment_count + change.get(i, 0)),
            bytes(frag.payload), template=frag.header))
    return out


def _serve_fragments(parts: list[bytes], **kw: Any) -> tuple[OtaDevice, list[Status]]:
    clock, dev = make(supports_fragmentation=True, **kw)
    statuses: list[Status] = []
    for part in parts:
        dev.query_now()
        log = serve(dev, clock, part)
        statuses += [Status(c.status) for c in log if isinstance(c, oc.UpgradeEndRequest)]
        if statuses[-1] != Status.REQUIRE_MORE_IMAGE:  # as the hub does: the offer ends there
            break
    return dev, statuses


@pytest.mark.parametrize("change", [{0: -1, 1: -1, 2: -1}, {1: +1}], ids=["one fewer", "one differs"])
def test_a_forged_fragment_count_is_refused_unless_the_fault_is_on(change):
    forged = _forged_count(change)
    dev, statuses = _serve_fragments(forged)
    assert statuses[-1] == Status.INVALID_IMAGE and dev.firmware_version == OLD
    assert "fragment" in (dev.last_verification or "")
    dev, statuses = _serve_fragments(forged, faults=frozenset({"ignore-fragment-count"}))
    assert statuses[-1] == Status.SUCCESS


def test_a_count_one_too_high_leaves_the_device_waiting_for_more():
    forged = _forged_count({0: 1, 1: 1, 2: 1})
    dev, statuses = _serve_fragments(forged)
    assert statuses == [Status.REQUIRE_MORE_IMAGE] * 3
    assert dev.image_upgrade_status is ImageUpgradeStatus.WAIT_FOR_MORE and dev.firmware_version == OLD
    _, statuses = _serve_fragments(forged, faults=frozenset({"ignore-fragment-count"}))
    assert statuses[-1] == Status.SUCCESS
    # the faithful set still installs with the fault on
    _, statuses = _serve_fragments(_forged_count({}), faults=frozenset({"ignore-fragment-count"}))
    assert statuses[-1] == Status.SUCCESS


def test_zigpys_no_image_available_answer_with_its_optional_fields_is_taken():
    # zigpy's OTA server answers NO_IMAGE_AVAILABLE with every field of a SUCCESS answer (12
    # octets past the status): the ZCL's forward compatibility says a receiver ignores them.
    zcl = pytest.importorskip("zigpy.zcl.clusters.general")
    foundation = pytest.importorskip("zigpy.zcl.foundation")
    answer = zcl.Ota.ClientCommandDefs.query_next_image_response
    payload = answer.schema(status=foundation.Status.NO_IMAGE_AVAILABLE, manufacturer_code=MFR,
                            image_type=TYPE, file_version=NEW, image_size=1000).serialize()
    assert len(payload) == 13
    _, dev = at(DeviceState.QUERYING)
    assert [type(c) for c in sent(dev)] == [oc.QueryNextImageRequest]
    dev.receive(HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID,
                         bytes([0x19, 1, answer.id]) + payload))
    assert sent(dev) == [] and not dev.violations
    assert dev.state is DeviceState.IDLE and dev.firmware_version == OLD
