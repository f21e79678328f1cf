"""The reference device switched off and on (conformance/models/device_power.py): what survives a
power loss, as its PICS resume_after_power_cycle says, and what never does."""

from __future__ import annotations

import pytest

from hanota.conformance.models.device import DeviceState
from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import ImageUpgradeStatus, OtaAttribute, Status
from tests.models.test_device import IMAGE, NEW, OLD, at, block, end_response, offer, send, sent, serve


def _partial(keep: bool) -> tuple[object, object]:
    clock, dev = at(DeviceState.BLOCK_REQUESTED, resume_after_power_cycle=keep)
    for offset in (0, 64):
        send(dev, block(IMAGE, offset))
    sent(dev)
    return clock, dev


@pytest.mark.parametrize("keep", [True, False])
def test_mid_download_the_device_wakes_up_idle_on_its_firmware(keep: bool) -> None:
    clock, dev = _partial(keep)
    dev.power_cycle()
    assert dev.state is DeviceState.IDLE and clock.next_due_ms() is None  # no timer survives
    assert dev.firmware_version == OLD and dev.image_upgrade_status is ImageUpgradeStatus.NORMAL
    assert dev.read_attribute(OtaAttribute.FILE_OFFSET) == (128 if keep else 0)
    dev.query_now()
    assert isinstance(sent(dev)[0], oc.QueryNextImageRequest)
    send(dev, offer())
    (request,) = sent(dev)
    assert isinstance(request, oc.ImageBlockRequest) and request.file_offset == (128 if keep else 0)


def test_frames_not_yet_on_air_are_lost_with_the_power() -> None:
    _, dev = at(DeviceState.BLOCK_REQUESTED)  # its Image Block Request is still queued
    dev.power_cycle()
    assert sent(dev) == []


def test_a_verified_image_kept_over_the_count_down_is_reported_again_not_run() -> None:
    clock, dev = at(DeviceState.COUNTDOWN)
    dev.power_cycle()
    assert dev.state is DeviceState.IDLE and dev.firmware_version == OLD
    clock.advance(3_600_000)  # the old upgrade time passes: nothing runs
    assert dev.firmware_version == OLD and dev.activations == []
    dev.query_now()
    sent(dev)
    send(dev, offer())  # the same image, whole already: verified and reported, no block asked
    (end,) = sent(dev)
    assert isinstance(end, oc.UpgradeEndRequest) and Status(end.status) == Status.SUCCESS
    assert dev.state is DeviceState.END_REQUESTED
    send(dev, end_response(1_000, 1_000))
    assert dev.firmware_version == NEW


def test_without_the_declaration_the_count_down_image_is_downloaded_again() -> None:
    clock, dev = at(DeviceState.COUNTDOWN, resume_after_power_cycle=False)
    dev.power_cycle()
    dev.query_now()
    log = serve(dev, clock)
    assert next(c.file_offset for c in log if isinstance(c, oc.ImageBlockRequest)) == 0
    assert dev.state is DeviceState.END_REQUESTED and dev.firmware_version == OLD
