"""The virtual clock the harness owns. Nothing in the reference world sleeps: time moves
only when the harness advances it, so every run is deterministic."""

from __future__ import annotations

import heapq
from collections.abc import Callable

from hanota.protocol.errors import HarnessUsageError

__all__ = ["VirtualClock"]


class _Timer:
    """A scheduled callback. Ordered by (due_ms, seq): ties run in scheduling order.

    The heap holds ``(due_ms, seq, timer)`` tuples (compared in C, never the timer itself).
    A timer re-armed later than its heap entry (:meth:`VirtualClock.rearm`) keeps that entry
    as its *anchor*: when the anchor comes up it is pushed again under the timer's current
    (due_ms, seq), so a timer re-armed per block costs no heap work and no garbage.
    """

    __slots__ = ("_anchor", "_clock", "callback", "cancelled", "due_ms", "seq")

    def __init__(self, clock: VirtualClock, due_ms: int, seq: int, callback: Callable[[], None]) -> None:
        self.due_ms = due_ms
        self.seq = seq
        self.callback = callback
        self.cancelled = False
        self._clock = clock
        #: (due_ms, seq) of the heap entry that will bring this timer back, or None.
        self._anchor: tuple[int, int] | None = (due_ms, seq)

    def __repr__(self) -> str:
        state = " cancelled" if self.cancelled else ""
        return f"<timer due {self.due_ms} ms #{self.seq}{state}>"


class VirtualClock:
    """Milliseconds since an arbitrary epoch (default 0), advanced only by the harness.

    ``call_at``/``call_later`` schedule callbacks; ``advance(ms)`` runs them in due order
    (ties in scheduling order), each seeing ``now_ms`` equal to its due time. ``rearm`` moves
    a pending or spent timer to a new due time as if it had been cancelled and scheduled anew.
    """

    def __init__(self, start_ms: int = 0) -> None:
        self._now_ms = start_ms
        self._heap: list[tuple[int, int, _Timer]] = []
        self._next_seq = 0
        self._dead = 0  # heap entries that will never fire (cancelled timers)

    @property
    def now_ms(self) -> int:
        return self._now_ms

    def now_s(self) -> float:
        return self._now_ms / 1000.0

    def call_at(self, due_ms: int, callback: Callable[[], None]) -> _Timer:
        if due_ms < self._now_ms:
            raise HarnessUsageError(f"cannot schedule in the past ({due_ms} < {self._now_ms} ms)")
        seq = self._next_seq
        self._next_seq = seq + 1
        timer = _Timer(self, due_ms, seq, callback)
        heapq.heappush(self._heap, (due_ms, seq, timer))
        return timer

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> _Timer:
        return self.call_at(self._now_ms + max(0, delay_ms), callback)

    def rearm(self, timer: _Timer, delay_ms: int) -> None:
        """Cancel ``timer`` (if pending) and schedule its callback ``delay_ms`` from now.

        Same order of events as ``cancel`` + ``call_later``: the timer takes a fresh place in
        the scheduling order. The heap is touched only if the new time is earlier than the
        entry already there.
        """
        if timer._clock is not self:
            raise HarnessUsageError("a timer can only be re-armed on its own clock")
        due = self._now_ms + max(0, delay_ms)
        seq = self._next_seq
        self._next_seq = seq + 1
        if timer.cancelled and timer._anchor is not None:
            self._dead -= 1  # its entry comes back to life as the anchor
        timer.due_ms = due
        timer.seq = seq
        timer.cancelled = False
        anchor = timer._anchor
        if anchor is None or due < anchor[0]:
            if anchor is not None:
                self._dead += 1  # the old entry is now an orphan
            timer._anchor = (due, seq)
            heapq.heappush(self._heap, (due, seq, timer))

    @staticmethod
    def cancel(timer: _Timer) -> None:
        if timer.cancelled:
            return
        timer.cancelled = True
        if timer._anchor is not None:
            clock = timer._clock
            clock._dead += 1
            if clock._dead > 64 and clock._dead * 2 > len(clock._heap):
                clock._purge()

    def _purge(self) -> None:
        """Drop every entry that will never fire (keeps the heap small under churn)."""
        live = []
        for entry in self._heap:
            timer = entry[2]
            if timer._anchor is not None and entry[0] == timer._anchor[0] and entry[1] == timer._anchor[1]:
                if timer.cancelled:
                    timer._anchor = None
                else:
                    live.append(entry)
        heapq.heapify(live)
        self._heap = live
        self._dead = 0

    def _settle(self) -> _Timer | None:
        """Bring the heap's top to the next timer that will really fire; return it."""
        heap = self._heap
        while heap:
            due, seq, timer = heap[0]
            anchor = timer._anchor
            if anchor is None or anchor[0] != due or anchor[1] != seq:
                heapq.heappop(heap)  # an orphan left by an earlier re-arm
                self._dead -= 1
                continue
            if timer.cancelled:
                heapq.heappop(heap)
                timer._anchor = None
                self._dead -= 1
                continue
            if timer.seq != seq:  # re-armed later: move the entry to its current place
                timer._anchor = (timer.due_ms, timer.seq)
                heapq.heapreplace(heap, (timer.due_ms, timer.seq, timer))
                continue
            return timer
        return None

    def next_due_ms(self) -> int | None:
        timer = self._settle()
        return timer.due_ms if timer is not None else None

    def advance(self, delta_ms: int) -> None:
        """Move time forward by ``delta_ms``, running every timer that falls due on the way."""
        if delta_ms < 0:
            raise HarnessUsageError("time does not go backwards")
        self.advance_to(self._now_ms + delta_ms)

    def advance_to(self, target_ms: int) -> None:
        if target_ms < self._now_ms:
            raise HarnessUsageError("time does not go backwards")
        while (timer := self._settle()) is not None and timer.due_ms <= target_ms:
            heapq.heappop(self._heap)
            timer._anchor = None
            self._now_ms = timer.due_ms
            timer.callback()
        self._now_ms = target_ms
