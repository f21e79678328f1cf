"""Random interleavings of valid and invalid frames, from the paired hub and from an HHT, with
time passing, against the reference device.

Invariants: the firmware changes only at an activation, only to the one image that is whole,
correctly signed, for this device and offered by the paired hub; Read Attributes reports it;
every refused frame leaves the state unchanged.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.device import DeviceState
from hanota.conformance.models.faults.device_faults import device_class
from hanota.conformance.models.han import HanFrame
from hanota.protocol import ota_commands as oc
from hanota.protocol import ota_image, signatures
from hanota.protocol.errors import DeviceViolationError
from hanota.protocol.zcl import OTA_CLUSTER_ID, SMART_ENERGY_PROFILE_ID, OtaAttribute, Status

HUB = 0x0012_4B00_0000_0001
DEV = 0x0012_4B00_0000_0002
HHT = 0x0012_4B00_0000_00FF
MFR, TYPE, OLD, HW = 0x1234, 0x0001, 0x0100, 2
KEY = signatures.generate_test_key()
ROGUE_KEY = signatures.generate_test_key()


def _image(version: int, *, key: Any = KEY, mfr: int = MFR, hw: tuple[int, int] = (1, 3)) -> bytes:
    return ota_image.build_gbcs_image(
        manufacturer_code=mfr, image_type=TYPE, file_version=version,
        manufacturer_image=random.Random(version).randbytes(90), private_key=key,
        minimum_hardware_version=hw[0], maximum_hardware_version=hw[1])


GOOD = 0x0200
IMAGES: dict[str, tuple[int, bytes]] = {
    "good": (GOOD, _image(GOOD)),
    "bad-signature": (0x0300, _image(0x0300, key=ROGUE_KEY)),
    "unsigned": (0x0301, _image(0x0301, key=None)),
    "wrong-hardware": (0x0302, _image(0x0302, hw=(5, 6))),
    "wrong-manufacturer": (0x0303, _image(0x0303, mfr=0x9999)),
    "downgrade": (0x0050, _image(0x0050)),
}
HHT_IMAGE = (0x0210, _image(0x0210))  # valid in every way, but offered by an HHT
ALLOWED_FIRMWARE = {OLD, GOOD}


def _frame(src: int, cmd: Any, tsn: int = 1) -> HanFrame:
    return HanFrame(src, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID, oc.encode_command(cmd, tsn=tsn))


class DeviceMachine(RuleBasedStateMachine):
    FAULTS: frozenset[str] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock()
        self.dev = device_class(self.FAULTS)(
            self.clock, eui64=DEV, kind="ihd", manufacturer_code=MFR, image_type=TYPE,
            file_version=OLD, hardware_version=HW, public_key=KEY.public_key(),
            paired_hub=HUB, rng=random.Random(0), max_query_delay_ms=500,
            response_timeout_ms=2_000, max_retries=2)
        self.hub_image = IMAGES["good"]
        self.requests: list[Any] = []
        self.hht_requests: list[Any] = []
        self.activated_by_hub = False

    # -------------------------------------------------------------- helpers
    def _snapshot(self) -> tuple[Any, ...]:
        d = self.dev
        return (d.state, d.file_offset, d.firmware_version, d._offer, d._requested, d._verified)

    def _deliver(self, src: int, cmd: Any) -> None:
        before_fw = self.dev.firmware_version
        before = self._snapshot()
        try:
            self.dev.process(_frame(src, cmd))
        except DeviceViolationError:
            assert self._snapshot() == before, "a refused frame changed the device"
        if self.dev.firmware_version != before_fw:
            assert src == HUB and isinstance(cmd, oc.UpgradeEndResponse), "firmware from elsewhere"
        self._collect()

    def _collect(self) -> None:
        while (frame := self.dev.next_frame()) is not None:
            cmd = oc.decode_command(frame.payload)[1]
            if isinstance(cmd, oc.DefaultResponse | oc.ReadAttributesResponse):
                continue
            (self.requests if frame.dst == HUB else self.hht_requests).append(cmd)

    # -------------------------------------------------------------- rules
    @rule(name=st.sampled_from(sorted(IMAGES)))
    def hub_holds(self, name: str) -> None:
        self.hub_image = IMAGES[name]

    @rule(src=st.sampled_from([HUB, HHT]), jitter=st.integers(1, 100),
          payload_type=st.sampled_from(list(oc.ImageNotifyPayloadType)))
    def image_notify(self, src: int, jitter: int, payload_type: oc.ImageNotifyPayloadType) -> None:
        version = self.hub_image[0] if src == HUB else HHT_IMAGE[0]
        fields = [MFR, TYPE, version][: int(payload_type)]
        self._deliver(src, oc.ImageNotify(payload_type, jitter, *fields))  # type: ignore[arg-type]

    @rule()
    def query_now(self) -> None:
        fw = self.dev.firmware_version
        self.dev.query_now()
        assert self.dev.firmware_version == fw
        self._collect()

    def _answer(self, src: int, cmd: Any, variant: str, upgrade_time: int, offset_form: bool) -> None:
        version, data = self.hub_image if src == HUB else HHT_IMAGE
        if isinstance(cmd, oc.QueryNextImageRequest):
            if variant == "no-image":
                self._deliver(src, oc.QueryNextImageResponse(status=Status.NO_IMAGE_AVAILABLE))
            else:
                self._deliver(src, oc.QueryNextImageResponse(Status.SUCCESS, MFR, TYPE, version, len(data)))
        elif isinstance(cmd, oc.ImageBlockRequest):
            off, size = cmd.file_offset, cmd.maximum_data_size
            if variant == "wait":
                self._deliver(src, oc.ImageBlockResponse(Status.WAIT_FOR_DATA, current_time=10,
                                                         request_time=11, minimum_block_period=0))
            elif variant == "abort":
                self._deliver(src, oc.ImageBlockResponse(Status.ABORT))
            else:
                if variant == "misplaced":
                    off += 1
                if variant == "oversize":
                    size += 1
                self._deliver(src, oc.ImageBlockResponse(
                    Status.SUCCESS, cmd.manufacturer_code, cmd.image_type, cmd.file_version, off,
                    data[off:off + size] or b"\x00"))
        elif isinstance(cmd, oc.UpgradeEndRequest) and cmd.status == Status.SUCCESS:
            current = 0 if offset_form else 1_000
            when = upgrade_time if upgrade_time == 0xFFFFFFFF or offset_form else current + upgrade_time
            self._deliver(src, oc.UpgradeEndResponse(cmd.manufacturer_code, cmd.image_type,
                                                     cmd.file_version, current, when))

    @precondition(lambda self: self.requests)
    @rule(variant=st.sampled_from(["good", "good", "good", "misplaced", "oversize", "wait", "abort",
                                   "no-image"]),
          upgrade_time=st.sampled_from([0xFFFFFFFF, 0, 5]), offset_form=st.booleans())
    def hub_answers(self, variant: str, upgrade_time: int, offset_form: bool) -> None:
        self._answer(HUB, self.requests.pop(0), variant, upgrade_time, offset_form)

    @precondition(lambda self: self.hht_requests)
    @rule()
    def hht_serves_until_quiet(self) -> None:
        """An HHT answers whatever the device asked it (only a faulty device asks an HHT)."""
        for _ in range(30):
            if not self.hht_requests:
                return
            self._answer(HHT, self.hht_requests.pop(0), "good", 0, True)

    @rule(upgrade_time=st.sampled_from([0xFFFFFFFF, 0, 5]), offset_form=st.booleans())
    def hub_serves_until_quiet(self, upgrade_time: int, offset_form: bool) -> None:
        """A well-behaved hub answering everything for a while (lets runs reach activation)."""
        for _ in range(30):
            if self.requests:
                self.hub_answers("good", upgrade_time, offset_form)
            elif self.dev.state in (DeviceState.QUERY_SCHEDULED, DeviceState.BLOCK_WAIT,
                                    DeviceState.COUNTDOWN):
                due = self.clock.next_due_ms()
                assert due is not None
                self.clock.advance_to(due)
                self._collect()
            else:
                return

    @rule(src=st.sampled_from([HUB, HHT]), upgrade_time=st.sampled_from([0, 0xFFFFFFFF, 3]),
          version=st.sampled_from([GOOD, 0x0210, 0x0300, 0xFFFFFFFF]))
    def unsolicited_end_response(self, src: int, upgrade_time: int, version: int) -> None:
        self._deliver(src, oc.UpgradeEndResponse(MFR, TYPE, version, 0, upgrade_time))

    @rule(src=st.sampled_from([HUB, HHT]), offset=st.integers(0, 400), size=st.integers(1, 80))
    def unsolicited_block(self, src: int, offset: int, size: int) -> None:
        version, data = HHT_IMAGE if src == HHT else self.hub_image
        self._deliver(src, oc.ImageBlockResponse(Status.SUCCESS, MFR, TYPE, version, offset,
                                                 (data[offset:offset + size] or b"\x01")))

    @rule(src=st.sampled_from([HUB, HHT]))
    def unsolicited_offer(self, src: int) -> None:
        version, data = HHT_IMAGE if src == HHT else self.hub_image
        self._deliver(src, oc.QueryNextImageResponse(Status.SUCCESS, MFR, TYPE, version, len(data)))

    @rule(payload=st.binary(max_size=12))
    def garbage(self, payload: bytes) -> None:
        before = self._snapshot()
        self.dev.receive(HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID, payload))
        if self._snapshot() != before:  # only a frame that decodes to a valid command may act
            oc.decode_command(payload)
        self._collect()

    @rule(ms=st.sampled_from([0, 1, 100, 1_000, 2_000, 6_000, 60_000]))
    def time_passes(self, ms: int) -> None:
        self.clock.advance(ms)
        self._collect()

    @rule()
    def read_attributes(self) -> None:
        self._deliver(HHT, oc.ReadAttributes(attribute_ids=(0x0002, 0x0006)))

    # -------------------------------------------------------------- invariants
    @invariant()
    def firmware_is_only_ever_the_verified_hub_image(self) -> None:
        assert self.dev.firmware_version in ALLOWED_FIRMWARE

    @invariant()
    def attributes_tell_the_truth(self) -> None:
        d = self.dev
        assert d.read_attribute(OtaAttribute.CURRENT_FILE_VERSION) == d.firmware_version
        assert d.read_attribute(OtaAttribute.FILE_OFFSET) == d.file_offset
        assert d.file_offset <= d.max_image_bytes

    @invariant()
    def state_is_known(self) -> None:
        assert isinstance(self.dev.state, DeviceState)
        if self.dev.state is DeviceState.IDLE:
            assert self.dev._timer is None or self.dev._timer.cancelled


DeviceMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestDeviceMachine = DeviceMachine.TestCase


@pytest.mark.slow
@pytest.mark.parametrize("fault", [
    "skip-signature-check", "accept-from-any-server", "accept-wrong-hardware-version",
    "allow-downgrade", "accept-wrong-manufacturer", "report-old-version-after-activation",
])
def test_the_machine_catches_a_faulty_device(fault):
    """Mutation check: each fault that lets wrong firmware in (or lies about it) is found."""
    faulty = type(f"Faulty{fault.title().replace('-', '')}", (DeviceMachine,), {"FAULTS": frozenset({fault})})
    with pytest.raises(AssertionError):
        run_state_machine_as_test(faulty, settings=settings(
            max_examples=300, stateful_step_count=40, deadline=None, phases=[Phase.generate],
            database=None, derandomize=True, suppress_health_check=list(HealthCheck)))
