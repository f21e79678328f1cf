"""What the suite needs from a device under test, whatever reaches it: the ``DutAdapter`` API.

Two adapters implement it: :class:`~conformance.adapters.reference.ReferenceAdapter` (the
reference device in this process, on a virtual clock) and
:class:`~conformance.adapters.tcp.TcpAdapter` (any device behind a DUT bridge,
``docs/dut-bridge.md``). :class:`DutLink` attaches either to a
:class:`~conformance.models.han.HanNetwork` as an ordinary node and keeps the network's clock in
step with the device's.

Errors, by the verdict they lead to:

- :class:`DutSilentError` (fail): the device did not answer within its PICS response timeout.
- :class:`DutProtocolError` (fail): the bridge sent bytes that break the bridge protocol.
- :class:`DutDisconnectedError` (error): the connection dropped; the adapter reconnects on the
  next call, so the next scenario starts afresh.
- :class:`DutNotApplicableError` (not applicable): the device cannot do what the scenario needs —
  :class:`ControlNotSupportedError` (an optional control: reset, power cycle, consumer) or
  :class:`WallTimeBoundError` (a wait longer than a wall-time device's PICS ``max_wall_wait_ms``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from hanota.protocol.errors import DeviceViolationError, HarnessUsageError

from ..models.han import HanFrame, HanNetwork

__all__ = [
    "ControlNotSupportedError",
    "DutAdapter",
    "DutDisconnectedError",
    "DutIdentity",
    "DutLink",
    "DutNotApplicableError",
    "DutProtocolError",
    "DutSilentError",
    "WallTimeBoundError",
    "attach_dut",
    "expect_frame",
]


class DutSilentError(DeviceViolationError):
    """The device (or its bridge) did not answer within the response timeout."""


class DutProtocolError(DeviceViolationError):
    """The bridge sent garbage: an undecodable, oversized or out-of-place message."""


class DutDisconnectedError(ConnectionError):
    """The connection to the bridge is gone (refused, reset, closed, or closed with ERROR)."""


class DutNotApplicableError(Exception):
    """The device under test cannot do what the scenario needs: a *not applicable* verdict with
    this message as the reason (``conformance/plugin.py``), never a fail."""


class ControlNotSupportedError(DutNotApplicableError):
    """The device does not offer this optional control (reset, power cycle, consumer, virtual time)."""

    def __init__(self, control: str) -> None:
        self.control = control
        super().__init__(f"the device under test does not support the {control} control")


class WallTimeBoundError(DutNotApplicableError):
    """A wall-time device would have to wait longer than its PICS allows (``max_wall_wait_ms``)."""

    def __init__(self, wait_ms: int, bound_ms: int) -> None:
        self.wait_ms, self.bound_ms = wait_ms, bound_ms
        super().__init__(f"the scenario lets {wait_ms} ms pass; the device runs on wall time and its "
                         f"PICS allows waits of at most {bound_ms} ms (timing.max_wall_wait_ms)")


@dataclass(frozen=True)
class DutIdentity:
    """Who the device says it is (the bridge handshake, or the reference device's settings)."""

    eui64: int
    kind: Literal["ihd", "ppmid"]
    manufacturer_code: int
    image_type: int
    file_version: int
    hardware_version: int
    #: The hub the device is paired to (the suite plays it); None when not paired.
    paired_hub: int | None
    #: True when the device's time moves only through ``advance`` (deterministic runs).
    virtual_time: bool
    can_reset: bool
    can_power_cycle: bool
    protocol_version: int = 1
    #: The consumer's answer to the upgrade prompt can be set (bridge control CONSUMER).
    can_set_consumer: bool = False


@runtime_checkable
class DutAdapter(Protocol):
    """A device under test, however it is reached. Every wait is bounded."""

    @property
    def identity(self) -> DutIdentity: ...

    def send(self, frame: HanFrame) -> None:
        """Give the device one frame (from the hub the suite plays)."""

    def receive(self, timeout_ms: int) -> HanFrame | None:
        """The next frame the device sends within ``timeout_ms`` of device time, else None.

        ``receive(0)`` returns what the device has sent in reaction to everything given so far.
        A virtual-time device's clock is advanced (timer by timer) up to the bound; a real
        device is waited for in wall time.
        """

    def advance(self, ms: int) -> None:
        """Let ``ms`` of device time pass (virtual: run its timers; real: wait, buffering)."""

    def now_ms(self) -> int:
        """The device's clock: virtual for the reference device, wall time for a real one."""

    def next_due_ms(self) -> int | None:
        """When the device's next timer falls due (its clock), or None: none, or not known."""

    def reset(self) -> None:
        """Back to the factory state; ControlNotSupportedError if the device lacks it."""

    def power_cycle(self) -> None:
        """Off and on again; ControlNotSupportedError if the device lacks it."""

    def set_consumer(self, accepts: bool) -> None:
        """The consumer's answer to the device's upgrade prompt (PICS consumer_refusal);
        ControlNotSupportedError if it cannot be set."""

    def close(self) -> None: ...


def expect_frame(dut: DutAdapter, timeout_ms: int) -> HanFrame:
    """The device's next frame, or DutSilentError (a fail verdict) after ``timeout_ms``."""
    frame = dut.receive(timeout_ms)
    if frame is None:
        raise DutSilentError(f"the device sent nothing within {timeout_ms} ms")
    return frame


class DutLink:
    """A DUT adapter as a :class:`HanNetwork` node, plus a driver that keeps time in step.

    The network's clock belongs to the suite's models (the hub); the device has its own.
    :meth:`run_until_idle` alternates pumping frames and advancing *both* clocks to whichever
    timer is due first, so a virtual-time device over TCP sees exactly what it would see
    in-process. With a real device (wall time), the network's clock follows the wall clock.
    """

    def __init__(self, dut: DutAdapter, *, quiet_ms: int | None = None) -> None:
        self.dut = dut
        self.eui64 = dut.identity.eui64
        #: Real devices: silence for this long with no model timer pending means idle.
        self.quiet_ms = quiet_ms if quiet_ms is not None else 5_000
        self._held: deque[HanFrame] = deque()

    def hold(self, frame: HanFrame) -> None:
        """Queue a frame already read from the device (a wall-time wait took it)."""
        self._held.append(frame)

    # HanNode
    def receive(self, frame: HanFrame) -> None:
        self.dut.send(frame)

    def next_frame(self) -> HanFrame | None:
        if self._held:
            return self._held.popleft()
        return self.dut.receive(0)

    def run_until_idle(self, network: HanNetwork, *, max_virtual_ms: int = 3_600_000,
                       max_frames: int = 2_000_000) -> int:
        """Pump and advance until no frame is in flight and no timer is left on either side.

        Bounded like :meth:`HanNetwork.run_until_idle` (HarnessUsageError at the bound).
        """
        clock = network.clock
        deadline = clock.now_ms + max_virtual_ms
        moved = 0
        while True:
            moved += network.pump(max_frames=max_frames - moved + 1)
            if moved > max_frames:
                raise HarnessUsageError(f"network not idle after {max_frames} frames")
            hub_delta = _delta(clock.next_due_ms(), clock.now_ms)
            if self.dut.identity.virtual_time:
                dut_delta = _delta(self.dut.next_due_ms(), self.dut.now_ms())
                deltas = [d for d in (hub_delta, dut_delta) if d is not None]
                if not deltas:
                    return moved
                step = min(deltas)
                if clock.now_ms + step > deadline:
                    raise HarnessUsageError(f"network not idle within {max_virtual_ms} virtual ms")
                self.dut.advance(step)
                clock.advance(step)
                continue
            wait = self.quiet_ms if hub_delta is None else min(hub_delta, self.quiet_ms)
            start = self.dut.now_ms()
            frame = self.dut.receive(wait)
            elapsed = max(0, self.dut.now_ms() - start)
            if frame is not None:
                self._held.append(frame)
            elif hub_delta is None:
                return moved
            if clock.now_ms + elapsed > deadline:
                raise HarnessUsageError(f"network not idle within {max_virtual_ms} ms")
            clock.advance(elapsed)


def _delta(due: int | None, now: int) -> int | None:
    return None if due is None else max(0, due - now)


def attach_dut(network: HanNetwork, dut: DutAdapter) -> DutLink:
    """Attach ``dut`` to ``network`` and return the link that drives it."""
    link = DutLink(dut)
    network.attach(link)
    return link

