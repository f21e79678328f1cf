"""The Home Area Network as the reference world sees it: ZCL frames with ZigBee addressing,
delivered between sans-I/O nodes in a deterministic order, every frame recorded as evidence.

Nothing here knows the OTA cluster: a frame is addressing plus opaque ZCL bytes, exactly what
the DUT bridge carries. The network never sleeps; ``run_until_idle`` advances the shared
:class:`~conformance.models.clock.VirtualClock` to the next timer when nothing is in flight.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from hanota.protocol.errors import HarnessUsageError

from .clock import VirtualClock

__all__ = [
    "BROADCAST",
    "HA_PROFILE_ID",
    "OTA_ENDPOINT",
    "SE_PROFILE_ID",
    "HanFrame",
    "HanNetwork",
    "HanNode",
    "make_frame",
]

SE_PROFILE_ID = 0x0109
HA_PROFILE_ID = 0x0104
OTA_ENDPOINT = 1
BROADCAST = 0xFFFF_FFFF_FFFF_FFFF
"""Destination that reaches every attached node except the sender."""


@dataclass(frozen=True)
class HanFrame:
    """One ZCL frame on the HAN with ZigBee addressing (EUI-64s as ints)."""

    src: int
    dst: int
    src_endpoint: int
    dst_endpoint: int
    profile_id: int
    cluster_id: int
    payload: bytes

    def to_bytes(self) -> bytes:
        """Stable serialisation for logs and determinism checks (not a wire format)."""
        head = struct.pack("<QQBBHHI", self.src, self.dst, self.src_endpoint, self.dst_endpoint,
                           self.profile_id, self.cluster_id, len(self.payload))
        return head + self.payload


_new = object.__new__


def make_frame(src: int, dst: int, src_endpoint: int, dst_endpoint: int, profile_id: int,
               cluster_id: int, payload: bytes) -> HanFrame:
    """``HanFrame(...)`` without the frozen dataclass's per-field ``object.__setattr__``
    (the models build one per frame); the result is the same frozen, equal, hashable value."""
    frame = _new(HanFrame)
    frame.__dict__.update(src=src, dst=dst, src_endpoint=src_endpoint, dst_endpoint=dst_endpoint,
                          profile_id=profile_id, cluster_id=cluster_id, payload=payload)
    return frame


class HanNode(Protocol):
    """What :class:`HanNetwork` needs from a node (device, hub, HHT, DUT adapter).

    Optional: a node with a ``han_notify`` attribute (initially None) is given a callable
    there on attach and calls it whenever it queues a frame; the network then polls it only
    when it has something to send. Any other node is polled after every delivery.
    """

    @property
    def eui64(self) -> int: ...

    def receive(self, frame: HanFrame) -> None: ...

    def next_frame(self) -> HanFrame | None: ...


class _Unkept(list[tuple[int, "HanFrame"]]):
    """A log that keeps nothing (``HanNetwork(keep_log=False)``)."""

    def append(self, item: tuple[int, HanFrame]) -> None:
        pass


class HanNetwork:
    """Delivers frames between attached nodes.

    Order is deterministic: nodes are polled in attach order, their frames queued FIFO, and
    each delivery is followed by a fresh poll so replies queue behind earlier frames.
    A frame to an unknown or unreachable node is recorded in ``log`` and in ``dropped``. With
    ``keep_log=False`` the log stays empty: for premises nobody observes frame by frame (the
    hundred premises of a load scenario would otherwise hold hundreds of MB of frames).

    Polling skips the nodes known to have nothing queued (those that notify, see
    :class:`HanNode`), which changes nothing but the cost. ``on_pending``, when set, is called
    each time a notifying node queues a frame (the world uses it to pump only busy networks).
    """

    def __init__(self, clock: VirtualClock, *, keep_log: bool = True) -> None:
        self.clock = clock
        self._nodes: dict[int, HanNode] = {}
        self._queue: deque[HanFrame] = deque()
        self._down: set[int] = set()
        self.log: list[tuple[int, HanFrame]] = [] if keep_log else _Unkept()
        self.dropped: list[tuple[int, HanFrame]] = []
        self.on_pending: Callable[[], None] | None = None
        self._rank: dict[int, int] = {}  # eui64 -> attach rank (poll order)
        self._ranks = 0
        self._dirty: dict[int, HanNode] = {}  # rank -> notifying node with frames queued
        self._always: dict[int, HanNode] = {}  # rank -> node polled after every delivery
        self._notified: dict[int, HanNode] = {}  # eui64 -> node whose han_notify is ours
        self._pumping = False  # a pump polls anyway: no need to tell on_pending meanwhile

    # -- topology ------------------------------------------------------------------------
    def attach(self, node: HanNode) -> None:
        eui = node.eui64
        if eui in self._nodes:
            raise HarnessUsageError(f"a node with EUI-64 0x{eui:016x} is already attached")
        self._nodes[eui] = node
        rank = self._rank[eui] = self._ranks
        self._ranks += 1
        if getattr(node, "han_notify", False) is None:  # notifies, and is on no other network
            node.han_notify = partial(self._mark, rank, node)  # type: ignore[attr-defined]
            self._notified[eui] = node
            self._mark(rank, node)  # it may hold frames queued before it was attached
        else:
            self._always[rank] = node
            if self.on_pending is not None:
                self.on_pending()

    def detach(self, eui64: int) -> None:
        node = self._nodes.pop(eui64, None)
        if node is None:
            return
        rank = self._rank.pop(eui64)
        self._dirty.pop(rank, None)
        self._always.pop(rank, None)
        if self._notified.pop(eui64, None) is not None:
            node.han_notify = None  # type: ignore[attr-defined]

    def _mark(self, rank: int, node: HanNode) -> None:
        dirty = self._dirty
        # on_pending is owed only when the network goes from quiet to not (the world keeps a
        # network on its list until it is quiet again), and never during a pump.
        tell = not dirty and not self._queue and not self._always and not self._pumping
        dirty[rank] = node
        if tell and self.on_pending is not None:
            self.on_pending()

    @property
    def quiet(self) -> bool:
        """Nothing queued and no node that must be polled: pumping now would move nothing."""
        return not self._queue and not self._dirty and not self._always

    def link_down(self, eui64: int) -> None:
        """Cut a node off: frames to or from it are recorded and dropped (an interruption)."""
        self._down.add(eui64)

    def link_up(self, eui64: int) -> None:
        self._down.discard(eui64)

    @property
    def nodes(self) -> tuple[int, ...]:
        return tuple(self._nodes)

    # -- delivery ------------------------------------------------------------------------
    def _poll(self) -> None:
        dirty = self._dirty
        if not dirty and not self._always:
            return
        if len(dirty) == 1 and not self._always:
            todo = list(dirty.values())
        else:
            merged = {**dirty, **self._always}
            todo = [merged[rank] for rank in sorted(merged)]
        dirty.clear()
        queue = self._queue
        for node in todo:
            while (frame := node.next_frame()) is not None:
                queue.append(frame)

    def pending(self) -> int:
        self._poll()
        return len(self._queue)

    def pump(self, max_frames: int = 100_000) -> int:
        """Deliver queued frames until none is left or ``max_frames`` were delivered.

        Returns the number of frames taken off the queue (delivered or dropped).
        """
        count = 0
        was_pumping, self._pumping = self._pumping, True
        try:
            self._poll()
            queue, log, clock, nodes, down = self._queue, self.log, self.clock, self._nodes, self._down
            dirty, always = self._dirty, self._always
            while queue and count < max_frames:
                frame = queue.popleft()
                count += 1
                log.append((clock.now_ms, frame))
                dst = frame.dst
                target = nodes.get(dst)
                if target is not None and not down and dst != BROADCAST:  # _deliver's common case
                    target.receive(frame)
                else:
                    self._deliver(frame)
                if dirty or always:
                    self._poll()
        finally:
            self._pumping = was_pumping
        return count

    def _deliver(self, frame: HanFrame) -> None:
        now = self.clock.now_ms
        if frame.src in self._down:
            self.dropped.append((now, frame))
            return
        if frame.dst == BROADCAST:
            for eui, node in list(self._nodes.items()):
                if eui != frame.src and eui not in self._down:
                    node.receive(frame)
            return
        target = self._nodes.get(frame.dst)
        if target is None or frame.dst in self._down:
            self.dropped.append((now, frame))
            return
        target.receive(frame)

    def run_until_idle(self, max_virtual_ms: int = 3_600_000, max_frames: int = 2_000_000) -> int:
        """Pump, then advance the clock to the next timer, until no frame and no timer is left.

        Bounded: raises HarnessUsageError if idle is not reached within ``max_virtual_ms`` of
        virtual time or ``max_frames`` frames (a model looping forever is a bug to report).
        Returns the number of frames moved.
        """
        deadline = self.clock.now_ms + max_virtual_ms
        moved = 0
        while True:
            moved += self.pump(max_frames=max_frames - moved + 1)
            if moved > max_frames:
                raise HarnessUsageError(f"network not idle after {max_frames} frames")
            due = self.clock.next_due_ms()
            if due is None:
                return moved
            if due > deadline:
                raise HarnessUsageError(
                    f"network not idle within {max_virtual_ms} virtual ms (next timer at {due} ms)")
            self.clock.advance_to(due)

    def run_for(self, virtual_ms: int, max_frames: int = 2_000_000) -> int:
        """Pump and run timers until ``virtual_ms`` have passed (timers beyond stay pending)."""
        target = self.clock.now_ms + virtual_ms
        moved = 0
        while True:
            moved += self.pump(max_frames=max_frames - moved + 1)
            if moved > max_frames:
                raise HarnessUsageError(f"more than {max_frames} frames in {virtual_ms} virtual ms")
            due = self.clock.next_due_ms()
            if due is None or due > target:
                self.clock.advance_to(target)
                moved += self.pump(max_frames=max_frames)
                return moved
            self.clock.advance_to(due)

    def log_bytes(self) -> bytes:
        """The whole log as bytes: (time u64, frame) records, for byte-for-byte comparisons."""
        return b"".join(struct.pack("<Q", t) + f.to_bytes() for t, f in self.log)
