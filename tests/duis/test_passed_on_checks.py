"""The DCC-side checks of SECMP7-SEC-003 and 004 on a DCC side that does not show the WAN
(DUIS): judged from SR 11.2's CS08 response and the PPMIDAlert the DCC passed on, and failing
when what came back is not what the requirement asks (issue 17); and the CS08 check where the
WAN is shown, which judges the version read the same way."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hanota.conformance.dcc_side import AlertSeen, FirmwareRead
from hanota.conformance.harness import Harness
from hanota.conformance.pics import reference_pics


class _Side:
    """What a DUIS side shows: alerts received, SR 11.2's answer, the device's running version."""

    def __init__(self, alerts: list[AlertSeen], read: FirmwareRead | None = None, runs: int = 0) -> None:
        self.alerts, self.read, self.runs = alerts, read, runs

    def suppliers(self) -> list[str]:
        return ["Supplier A", "Supplier B"]

    def alerts_for(self, supplier: str) -> list[AlertSeen]:
        return [a for a in self.alerts if a.supplier == supplier]

    def now_ms(self) -> int:
        return 100_000

    def requests(self) -> list[object]:
        return []

    def wait_until(self, done: Callable[[], bool], deadline_ms: int) -> bool:
        return done()

    def read_firmware_version(self, supplier: str, device: int, within_ms: int) -> FirmwareRead:
        assert self.read is not None
        return self.read

    def running_version(self, device: int) -> int:
        return self.runs


def _harness(side: _Side) -> tuple[Harness, int]:
    h = Harness(pics=reference_pics(), rules="as-implemented", side="dcc")
    h.premises("Supplier A", "Supplier B")
    h.pair(None)
    h.scene.dcc_side = h.scene.remote_dcc = side  # type: ignore[assignment]
    return h, h.scene.device_eui64


def _transfer(device: int, hub_ms: int) -> AlertSeen:
    return AlertSeen("Supplier A", "transfer outcome", "r", device, hub_ms, hub_ms + 500, ("Supplier A",),
                     None, 0, "N60", device_alert_code=0x8F8A)


def _c(device: int, supplier: str, *, activate: int, executed: int | None, delivered: int,
       version: int | None = 0x01000001) -> AlertSeen:
    return AlertSeen(supplier, "(c)", "r", device, executed or delivered, delivered, (supplier,), version,
                     None, "N60", device_alert_code=0x8F8B, activate_image=activate, executed_ms=executed,
                     read_response_code=0 if version is not None else 1)


@pytest.mark.parametrize(("executed", "ok"), [(10_000, True), (9_000, True), (8_000, False), (60_001, False),
                                              (None, False)])
def test_0x8f8b_passed_on_is_dated_between_the_transfer_and_its_arrival(executed, ok):
    probe = _Side([])
    h, device = _harness(probe)
    probe.alerts = [_transfer(device, 9_500), _c(device, "Supplier A", activate=0, executed=executed,
                                                 delivered=60_000),
                    _c(device, "Supplier B", activate=0, executed=10_000, delivered=61_000)]
    message = h.dcc.check_hub_8f8b(0)
    assert (message is None) == ok, message


def test_0x8f8b_passed_on_needs_the_activate_image_asked_a_version_and_a_transfer_seen():
    probe = _Side([])
    h, device = _harness(probe)
    probe.alerts = [_transfer(device, 1_000), _c(device, "Supplier A", activate=0, executed=5_000,
                                                delivered=9_000)]
    assert h.dcc.check_hub_8f8b(0) is None
    assert "activateImage 1 'Failure'" in (h.dcc.check_hub_8f8b(1) or "")
    probe.alerts[1] = _c(device, "Supplier A", activate=0, executed=5_000, delivered=9_000, version=None)
    assert h.dcc.check_hub_8f8b(0) is not None  # no version named
    probe.alerts = probe.alerts[1:]
    assert "never" in (h.dcc.check_hub_8f8b(0) or "")  # no CCS08 Success seen: no lower bound


@pytest.mark.parametrize(("code", "version", "want", "ok"), [
    (0, 0x01000001, 0, True), (0, 0x01000000, 0, False), (1, 0, 1, True), (0, 0x01000001, 1, False),
    (None, None, 0, False), (None, None, 1, False)])
def test_cs08_read_over_sr_11_2(code, version, want, ok):
    read = FirmwareRead("rid", 0, 0, code, version, "what came back")
    h, _ = _harness(_Side([], read, runs=0x01000001))
    message = h.dcc.check_cs08_read(want)
    assert (message is None) == ok, message
    if not ok:
        assert "SR 11.2" in message and "what came back" in message


@pytest.mark.parametrize(("answered", "want", "ok"), [
    (0x01000001, 0, True), (0x01000000, 0, False), (None, 1, True), (None, 0, False), (0x01000001, 1, False)])
def test_cs08_read_on_the_wan_names_the_version_the_device_runs(answered, want, ok):
    """The same check where the WAN is shown (in process, the JSON binding): the hub's CS08
    response frame, and on success the version the device runs."""
    from hanota.conformance.models import gbcs_wan

    probe = _Side([], runs=0x01000001)
    h, device = _harness(probe)
    probe.gbcs_frames = lambda: [  # type: ignore[attr-defined]
        gbcs_wan.GbcsRecord(1, "p", "DCC -> hub", gbcs_wan.cs08_command(device=device, counter=1)),
        gbcs_wan.GbcsRecord(1, "p", "hub -> DCC", gbcs_wan.cs08_response(device=device, counter=2,
                                                                          file_version=answered))]
    message = h.dcc.check_cs08_read(want)
    assert (message is None) == ok, message
