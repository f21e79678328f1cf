"""The Smart Metering Inventory's firmware-version record for each HAN device.

The working group banned local (HHT) upgrades so that the inventory stays reliable: its
firmware version changes only from a version *read from the device* after an upgrade (the
alert (c) path), never from what a Service Request asked for and never from a local action.
The public API therefore offers exactly two writers: :meth:`commission` (the device joins
the inventory with the version it reported at installation) and :meth:`confirm` (a version
read back from the device). Every change is kept with its source as evidence.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hanota.protocol.errors import HarnessUsageError

__all__ = ["InventoryChange", "InventoryEntry", "InventorySource", "SmartMeteringInventory"]


class InventorySource(enum.StrEnum):
    """Where a recorded firmware version came from."""

    COMMISSIONED = "commissioned"
    #: read from the device (CS08) after an upgrade was due: the only source of a change.
    CONFIRMED_BY_DEVICE = "confirmed-by-device"
    #: what a request asked for. Only a deliberately faulty DCC ever writes this.
    SERVICE_REQUEST = "service-request"


@dataclass(frozen=True)
class InventoryChange:
    device: int
    old_version: int | None
    new_version: int
    source: InventorySource
    time_ms: int
    request_id: str | None = None


@dataclass(frozen=True)
class InventoryEntry:
    device: int
    kind: str
    premises_id: str
    firmware_version: int
    last_confirmed_ms: int | None


class SmartMeteringInventory:
    """Per-device firmware versions with the history of every change and its source."""

    def __init__(self) -> None:
        self._entries: dict[int, InventoryEntry] = {}
        self._history: dict[int, list[InventoryChange]] = {}

    def commission(self, device: int, *, kind: str, premises_id: str, firmware_version: int,
                   time_ms: int) -> None:
        """Add a device with the version it runs when installed."""
        if device in self._entries:
            raise HarnessUsageError(f"device {device:#018x} is already in the inventory")
        self._entries[device] = InventoryEntry(device, kind, premises_id, firmware_version, None)
        self._history[device] = [InventoryChange(device, None, firmware_version,
                                                 InventorySource.COMMISSIONED, time_ms)]

    def confirm(self, device: int, firmware_version: int, *, time_ms: int, request_id: str) -> bool:
        """Record a version read from the device; returns True when it changed the record."""
        return self._record(device, firmware_version, InventorySource.CONFIRMED_BY_DEVICE,
                            time_ms=time_ms, request_id=request_id, confirmed=True)

    def _record_unconfirmed(self, device: int, firmware_version: int, *, time_ms: int,
                            request_id: str) -> bool:
        """Only the 'inventory-from-request' fault of the DCC calls this (mutation tests)."""
        return self._record(device, firmware_version, InventorySource.SERVICE_REQUEST,
                            time_ms=time_ms, request_id=request_id, confirmed=False)

    def _record(self, device: int, version: int, source: InventorySource, *, time_ms: int,
                request_id: str, confirmed: bool) -> bool:
        entry = self._entry(device)
        last = entry.last_confirmed_ms
        if confirmed:
            last = time_ms
        changed = version != entry.firmware_version
        self._entries[device] = InventoryEntry(device, entry.kind, entry.premises_id, version, last)
        if changed:
            self._history[device].append(
                InventoryChange(device, entry.firmware_version, version, source, time_ms, request_id))
        return changed

    def _entry(self, device: int) -> InventoryEntry:
        try:
            return self._entries[device]
        except KeyError:
            raise HarnessUsageError(f"device {device:#018x} is not in the inventory") from None

    def __contains__(self, device: object) -> bool:
        return device in self._entries

    def entry(self, device: int) -> InventoryEntry:
        return self._entry(device)

    def firmware_version(self, device: int) -> int:
        return self._entry(device).firmware_version

    def history(self, device: int) -> list[InventoryChange]:
        self._entry(device)
        return list(self._history[device])

    def devices(self) -> list[int]:
        return sorted(self._entries)
