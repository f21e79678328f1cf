"""The virtual clock the harness owns. Nothing in the reference world sleeps: time moves
only when the harness advances it, so every run is deterministic."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from protocol.errors import HarnessUsageError

__all__ = ["VirtualClock"]


@dataclass(order=True)
class _Timer:
    due_ms: int
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class VirtualClock:
    """Milliseconds since an arbitrary epoch (default 0), advanced only by the harness.

    ``call_at``/``call_later`` schedule callbacks; ``advance(ms)`` runs them in due order
    (ties in scheduling order), each seeing ``now_ms`` equal to its due time.
    """

    def __init__(self, start_ms: int = 0) -> None:
        self._now_ms = start_ms
        self._timers: list[_Timer] = []
        self._seq = itertools.count()

    @property
    def now_ms(self) -> int:
        return self._now_ms

    def now_s(self) -> float:
        return self._now_ms / 1000.0

    def call_at(self, due_ms: int, callback: Callable[[], None]) -> _Timer:
        if due_ms < self._now_ms:
            raise HarnessUsageError(f"cannot schedule in the past ({due_ms} < {self._now_ms} ms)")
        timer = _Timer(due_ms, next(self._seq), callback)
        heapq.heappush(self._timers, timer)
        return timer

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> _Timer:
        return self.call_at(self._now_ms + max(0, delay_ms), callback)

    @staticmethod
    def cancel(timer: _Timer) -> None:
        timer.cancelled = True

    def next_due_ms(self) -> int | None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0].due_ms if self._timers else None

    def advance(self, delta_ms: int) -> None:
        """Move time forward by ``delta_ms``, running every timer that falls due on the way."""
        if delta_ms < 0:
            raise HarnessUsageError("time does not go backwards")
        self.advance_to(self._now_ms + delta_ms)

    def advance_to(self, target_ms: int) -> None:
        if target_ms < self._now_ms:
            raise HarnessUsageError("time does not go backwards")
        while (due := self.next_due_ms()) is not None and due <= target_ms:
            timer = heapq.heappop(self._timers)
            self._now_ms = timer.due_ms
            timer.callback()
        self._now_ms = target_ms
