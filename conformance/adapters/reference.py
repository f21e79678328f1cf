"""The in-process DUT adapter: the reference IHD/PPMID (:class:`OtaDevice`) on its own
:class:`VirtualClock`. The default device under test, and what ``hanota serve-device`` serves.

Nothing sleeps: ``receive(timeout_ms)`` and ``advance(ms)`` run the device's timers in
virtual time. ``reset`` rebuilds the device from its settings (factory state, same seed);
``power_cycle`` rebuilds it keeping the firmware it runs (a download in progress is lost).
Both start a fresh clock at the current time, so timers of the old device die with it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

from protocol.errors import HarnessUsageError

from ..models.clock import VirtualClock
from ..models.device import FAULTS, OtaDevice
from ..models.han import HanFrame
from .base import DutIdentity

__all__ = ["DEFAULT_DEVICE_EUI64", "DEFAULT_HUB_EUI64", "ReferenceAdapter", "ReferenceDeviceConfig"]

DEFAULT_DEVICE_EUI64 = 0x0011_2233_4455_6601
DEFAULT_HUB_EUI64 = 0x0011_2233_4455_6600


@dataclass(frozen=True)
class ReferenceDeviceConfig:
    """Settings of the reference device (defaults: those of the built-in reference PICS)."""

    kind: Literal["ihd", "ppmid"] = "ppmid"
    eui64: int = DEFAULT_DEVICE_EUI64
    manufacturer_code: int = 0x1234
    image_type: int = 0x0101
    file_version: int = 0x0000_0100
    hardware_version: int = 1
    paired_hub: int | None = DEFAULT_HUB_EUI64
    #: The manufacturer's public key; None: the deterministic test key of ``seed``
    #: (``conformance.models.premises.deterministic_key``).
    public_key: Any = None
    seed: int = 0
    faults: frozenset[str] = frozenset()
    #: Further OtaDevice keyword arguments (max_data_size, response_timeout_ms, ...).
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("ihd", "ppmid"):
            raise HarnessUsageError(f"device kind must be 'ihd' or 'ppmid', not {self.kind!r}")
        unknown = set(self.faults) - set(FAULTS)
        if unknown:
            raise HarnessUsageError(f"unknown device faults: {', '.join(sorted(unknown))}; "
                                    f"known: {', '.join(sorted(FAULTS))}")

    def resolved_public_key(self) -> Any:
        if self.public_key is not None:
            return self.public_key
        from ..models.premises import deterministic_key
        return deterministic_key(self.seed).public_key()

    def build(self, clock: VirtualClock, *, file_version: int | None = None,
              rng: random.Random | None = None) -> OtaDevice:
        return OtaDevice(
            clock, eui64=self.eui64, kind=self.kind, manufacturer_code=self.manufacturer_code,
            image_type=self.image_type,
            file_version=self.file_version if file_version is None else file_version,
            hardware_version=self.hardware_version, public_key=self.resolved_public_key(),
            paired_hub=self.paired_hub,
            rng=rng if rng is not None else random.Random(self.seed),  # noqa: S311 - deterministic model
            faults=self.faults, **self.options)


class ReferenceAdapter:
    """The reference device in this process (a :class:`~conformance.adapters.base.DutAdapter`)."""

    def __init__(self, config: ReferenceDeviceConfig | None = None, *, start_ms: int = 0) -> None:
        self.config = config or ReferenceDeviceConfig()
        self.clock = VirtualClock(start_ms)
        self.device = self.config.build(self.clock)
        self.closed = False

    @property
    def identity(self) -> DutIdentity:
        d = self.device
        return DutIdentity(
            eui64=d.eui64, kind=d.kind, manufacturer_code=d.manufacturer_code,
            image_type=d.image_type, file_version=d.firmware_version,
            hardware_version=d.hardware_version, paired_hub=d.paired_hub, virtual_time=True,
            can_reset=True, can_power_cycle=True)

    def send(self, frame: HanFrame) -> None:
        self.device.receive(frame)

    def receive(self, timeout_ms: int) -> HanFrame | None:
        frame = self.device.next_frame()
        if frame is not None or timeout_ms <= 0:
            return frame
        deadline = self.clock.now_ms + timeout_ms
        while (due := self.clock.next_due_ms()) is not None and due <= deadline:
            self.clock.advance_to(due)
            frame = self.device.next_frame()
            if frame is not None:
                return frame
        self.clock.advance_to(deadline)
        return None

    def advance(self, ms: int) -> None:
        self.clock.advance(ms)

    def now_ms(self) -> int:
        return self.clock.now_ms

    def next_due_ms(self) -> int | None:
        return self.clock.next_due_ms()

    def reset(self) -> None:
        self.clock = VirtualClock(self.clock.now_ms)
        self.device = self.config.build(self.clock)

    def power_cycle(self) -> None:
        running = self.device.firmware_version
        rng = self.device.rng
        self.clock = VirtualClock(self.clock.now_ms)
        self.device = self.config.build(self.clock, file_version=running, rng=rng)

    def close(self) -> None:
        self.closed = True
