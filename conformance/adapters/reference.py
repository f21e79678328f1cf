"""The in-process DUT adapter: the reference IHD/PPMID (:class:`OtaDevice`) on its own
:class:`VirtualClock`. The default device under test, and what ``hanota serve-device`` serves.

Nothing sleeps: ``receive(timeout_ms)`` and ``advance(ms)`` run the device's timers in
virtual time. ``reset`` rebuilds the device from its settings (factory state, same seed);
``reset`` starts a fresh clock at the current time, so timers of the old device die with it;
``power_cycle`` switches the device off and on (:mod:`..models.device_power`: it keeps its
firmware, and a download only as its PICS ``resume_after_power_cycle`` says).

:class:`WallClockAdapter` is the same device on wall time (``hanota serve-device --wall-clock``):
its clock follows the monotonic wall clock and it offers no ADVANCE, as a real device behind
its bridge would; the suite then drives it on wall time, bounded by the PICS timing.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from hanota.protocol.errors import HarnessUsageError

from ..models.clock import VirtualClock
from ..models.device import OtaDevice
from ..models.faults.device_faults import REGISTRY as DEVICE_FAULTS
from ..models.faults.device_faults import device_class
from ..models.han import HanFrame
from .base import ControlNotSupportedError, DutIdentity

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["DEFAULT_DEVICE_EUI64", "DEFAULT_HUB_EUI64", "ReferenceAdapter", "ReferenceDeviceConfig",
           "WallClockAdapter"]

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
    public_key: ec.EllipticCurvePublicKey | None = None
    seed: int = 0
    faults: frozenset[str] = frozenset()
    #: Further OtaDevice keyword arguments (max_data_size, response_timeout_ms, ...).
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("ihd", "ppmid"):
            raise HarnessUsageError(f"device kind must be 'ihd' or 'ppmid', not {self.kind!r}")
        DEVICE_FAULTS.parse(self.faults)  # an unknown name: a usage error naming the valid ones

    def resolved_public_key(self) -> ec.EllipticCurvePublicKey:
        if self.public_key is not None:
            return self.public_key
        from ..models.premises import deterministic_key
        return deterministic_key(self.seed).public_key()

    def build(self, clock: VirtualClock, *, file_version: int | None = None,
              rng: random.Random | None = None) -> OtaDevice:
        return device_class(self.faults)(
            clock, eui64=self.eui64, kind=self.kind, manufacturer_code=self.manufacturer_code,
            image_type=self.image_type,
            file_version=self.file_version if file_version is None else file_version,
            hardware_version=self.hardware_version, public_key=self.resolved_public_key(),
            paired_hub=self.paired_hub,
            rng=rng if rng is not None else random.Random(self.seed),  # noqa: S311 - deterministic model
            **self.options)


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
        if d.kind == "hcalcs":
            raise HarnessUsageError("the DUT bridge carries IHDs and PPMIDs, not an HCALCS")
        return DutIdentity(
            eui64=d.eui64, kind=d.kind, manufacturer_code=d.manufacturer_code,
            image_type=d.image_type, file_version=d.firmware_version,
            hardware_version=d.hardware_version, paired_hub=d.paired_hub, virtual_time=True,
            can_reset=True, can_power_cycle=True, can_set_consumer=d.consumer_refusal)

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
        self.device.power_cycle()  # what survives a power loss: conformance.models.device_power

    def set_consumer(self, accepts: bool) -> None:
        if not self.device.consumer_refusal:  # no prompt on this device (PICS consumer_refusal)
            raise ControlNotSupportedError("consumer")
        self.device.consumer_accepts = accepts

    def close(self) -> None:
        self.closed = True


class WallClockAdapter(ReferenceAdapter):
    """The reference device on wall time: no ADVANCE; timers fire as the wall clock reaches them
    (checked whenever the adapter is used; a bridge polls ``receive(0)`` every few ms)."""

    def __init__(self, config: ReferenceDeviceConfig | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(config)
        self._monotonic = monotonic
        self._t0 = monotonic()

    def _sync(self) -> None:
        wall = int((self._monotonic() - self._t0) * 1000)
        if wall > self.clock.now_ms:
            self.clock.advance_to(wall)

    @property
    def identity(self) -> DutIdentity:
        return dataclasses.replace(super().identity, virtual_time=False)

    def send(self, frame: HanFrame) -> None:
        self._sync()
        super().send(frame)

    def receive(self, timeout_ms: int) -> HanFrame | None:
        end = self._monotonic() + max(0, timeout_ms) / 1000
        while True:
            self._sync()
            frame = self.device.next_frame()
            if frame is not None:
                return frame
            left = end - self._monotonic()
            if left <= 0:
                return None
            time.sleep(min(0.01, left))

    def advance(self, ms: int) -> None:
        raise ControlNotSupportedError("advance")

    def now_ms(self) -> int:
        self._sync()
        return self.clock.now_ms

    def next_due_ms(self) -> int | None:
        return None  # a real device does not say

    def reset(self) -> None:
        self._sync()
        super().reset()

    def power_cycle(self) -> None:
        self._sync()
        super().power_cycle()
