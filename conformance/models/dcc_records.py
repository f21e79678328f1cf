"""What the reference DCC holds (its records of premises, devices and distributions) and the
hub events it reads, shared by :mod:`.dcc` and :mod:`.dcc_validation`."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from hanota.conformance.models.service_request import UpdateFirmwareRequest

__all__ = ["DeviceRecord", "HubEventLike", "HubPort", "MeterRecord"]


class HubEventLike(Protocol):
    """Any event a hub queues for the DCC: it names the distribution it answers."""

    @property
    def request_id(self) -> str: ...


class HubPort(Protocol):
    """The DCC-side (WAN) face of a Communications Hub, as the DCC uses it."""

    @property
    def eui64(self) -> int: ...

    def start_distribution(self, request_id: str, targets: Sequence[int]) -> None: ...

    def receive_wan_block(self, block: bytes) -> None: ...

    def read_firmware_version(self, device: int) -> int | None: ...

    def next_event(self) -> HubEventLike | None: ...


@runtime_checkable
class _TransferAlertEvent(Protocol):
    """CCS08 Firmware Transfer Alert (comms_hub.FirmwareTransferAlert)."""

    request_id: str
    device: int
    response_code: int
    time_ms: int


@runtime_checkable
class _VersionAlertEvent(Protocol):
    """0x8F8B after activation (comms_hub.FirmwareVersionAlert)."""

    request_id: str
    device: int
    firmware_version: int
    activated: bool
    time_ms: int


@dataclass(frozen=True)
class MeterRecord:
    """An ESME or GSME at a premises and the Supplier responsible for it."""

    eui64: int
    fuel: Literal["electricity", "gas"]
    supplier: str


@dataclass
class DeviceRecord:
    """What the DCC knows of a HAN device (from commissioning)."""

    eui64: int
    kind: str
    premises_id: str
    manufacturer_code: int
    image_type: int
    public_key: Any
    paired: bool = True
    #: commissioned in the Smart Metering Inventory (else installed, not commissioned).
    commissioned: bool = True
    #: the device's recorded GBCS version supports the request (the reference profile keeps
    #: a flag, not a version number: no public figure is at hand).
    gbcs_supports_request: bool = True


@dataclass
class _Premises:
    premises_id: str
    hub: HubPort
    meters: tuple[MeterRecord, ...]
    busy: _Distribution | None = None
    queue: deque[_Distribution] = field(default_factory=deque)
    index: int = 0  # registration order: the order poll visits premises in
    hub_notifies: bool = False


@dataclass
class _Distribution:
    request: UpdateFirmwareRequest
    premises: _Premises
    targets: tuple[int, ...]
    #: the image alone, or its fragments in order (each one distributed as one image).
    pieces: tuple[bytes, ...]
    pending: set[int] = field(default_factory=set)
    sent: int = 0
    blocks: int = 0


@dataclass
class _DeviceProgress:
    request: UpdateFirmwareRequest
    distribution: _Distribution
    timeout: Any = None
    #: the upgrade was due (activated, failed or timed out): the hub may take the next image.
    due: bool = False
    #: alert (c) raised: the device is free for another request.
    resolved: bool = False
    #: the hub's CS08 alert 0x8F8B, decoded: (activateImage, executionDateTime as virtual ms).
    activation: tuple[int, int] | None = None


@dataclass(frozen=True)
class _Ccs08:
    """A CCS08 Firmware Transfer Alert as the DCC decoded it from the hub's GBCS frame."""

    request_id: str
    device: int
    response_code: int
    time_ms: int
    alert_code: int
    firmware_version: int


@dataclass(frozen=True)
class _Alert8F8B:
    """A CS08 alert 0x8F8B as the DCC decoded it from the hub's GBCS frame."""

    request_id: str
    device: int
    firmware_version: int
    activated: bool
    time_ms: int
    executed_ms: int

_VERSION_FIELDS = frozenset({"request_id", "device", "firmware_version", "activated", "time_ms"})
_TRANSFER_FIELDS = frozenset({"request_id", "device", "response_code", "time_ms"})
#: event class -> which protocol it satisfies (None: neither), for dataclass events only
_KIND_OF: dict[type, type | None] = {}


def _event_kind(event: object) -> type | None:
    """``_VersionAlertEvent``, ``_TransferAlertEvent`` or None, as ``isinstance`` would say.

    A runtime-checkable Protocol's isinstance inspects attributes on every call (the slow
    part of a hub event); every instance of a dataclass has its fields, so its answer is
    kept per class. Anything else is asked each time.
    """
    cls = type(event)
    try:
        return _KIND_OF[cls]
    except KeyError:
        pass
    kind: type | None = (_VersionAlertEvent if isinstance(event, _VersionAlertEvent)
                         else _TransferAlertEvent if isinstance(event, _TransferAlertEvent) else None)
    if dataclasses.is_dataclass(cls):
        names = {f.name for f in dataclasses.fields(cls)}
        if kind is not None or not (names >= _TRANSFER_FIELDS or names >= _VERSION_FIELDS):
            _KIND_OF[cls] = kind
    return kind
