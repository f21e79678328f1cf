"""Query Device Specific File over the DUT bridge (SECMP7-XFER-003): the request a bridged device
sends as it starts again after POWER_CYCLE reaches the played hub (it comes before the reply), the
file offered is downloaded and not run; a bridge without POWER_CYCLE makes it not applicable."""

from __future__ import annotations

import dataclasses

import pytest

from hanota.conformance.adapters import ReferenceAdapter
from hanota.conformance.adapters.base import ControlNotSupportedError, DutIdentity
from hanota.conformance.adapters.reference import ReferenceDeviceConfig
from hanota.conformance.adapters.server import BridgeServer
from hanota.conformance.harness import Harness
from hanota.conformance.pics import reference_pics


class _NoPowerCycle(ReferenceAdapter):
    @property
    def identity(self) -> DutIdentity:
        return dataclasses.replace(super().identity, can_power_cycle=False)


def _harness(url: str) -> Harness:
    h = Harness(pics=reference_pics(), dut=url)
    h.premises("Supplier A", "Supplier B")
    h.pair(None)
    return h


def test_a_bridged_device_asks_for_and_downloads_its_file_after_power_cycle() -> None:
    config = ReferenceDeviceConfig(options={"device_file_query": 0xFFC1})
    with BridgeServer(ReferenceAdapter(config)).start() as server:
        h = _harness(server.url)
        try:
            running = h.current_file_version()
            h.transfer.give_specific_file("config", 2048)
            h.resilience.power_cycle()
            h.advance(60_000)
            assert h.transfer.check_specific_query() is None
            assert h.transfer.check_specific_downloaded("config") is None
            assert h.current_file_version() == running
        finally:
            h.close()


def test_without_the_power_cycle_control_the_query_is_not_applicable() -> None:
    config = ReferenceDeviceConfig(options={"device_file_query": 0xFFC1})
    with BridgeServer(_NoPowerCycle(config)).start() as server:
        h = _harness(server.url)
        try:
            with pytest.raises(ControlNotSupportedError, match="power-cycle control"):
                h.resilience.power_cycle()
        finally:
            h.close()
