"""Time driving: the scenario's virtual clock moves only here (docs/harness.md, "The world of a
scenario"), in step with a bridged device's clock, on the wall clock of a wall-time device, or on
a DCC test system's clock.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from hanota.protocol.errors import DeviceViolationError, HarnessUsageError

from ..adapters import WallTimeBoundError
from ..models.clock import VirtualClock
from .config import RunConfig
from .hub import Offer, OfferState
from .observe import FrameLog
from .world import Scene

__all__ = ["MAX_DOWNLOAD_MS", "PROGRESS_EVERY_S", "QUIET_MS", "ClockDriver"]

#: "The download runs to its end" stops after this much virtual time with no word from the device.
QUIET_MS = 120_000
#: ... and never runs longer than this (a model that never ends is a bug to report).
MAX_DOWNLOAD_MS = 3 * 86_400_000
#: A long download reports its progress this often (wall time, seconds).
PROGRESS_EVERY_S = 5.0


class ClockDriver:
    """Moves the scenario's time: ``pump`` (no time), ``advance``, ``run_download_to_end``."""

    def __init__(self, config: RunConfig, scene: Scene, log: FrameLog) -> None:
        self._config = config
        self._scene = scene
        self._log = log
        self.clock: VirtualClock = scene.clock
        #: where progress lines of long downloads go (the fixture routes them to the terminal)
        self.progress: Callable[[str], None] = _stderr_line

    def pump(self) -> int:
        """Deliver every frame in flight and every hub event, without moving time."""
        world = self._scene.world_()
        moved = 0
        while got := world.step():
            moved += got
        return moved

    def advance(self, ms: int) -> None:
        """Let ``ms`` of virtual time pass, running every timer due on the way (the world's
        and a bridged device's, in step). A wall-time device is waited for in wall time, at most
        the PICS ``max_wall_wait_ms`` (longer: WallTimeBoundError, a not-applicable verdict).
        With a DCC test system (``remote_dcc``), its clock moves instead."""
        if self._scene.remote_dcc is not None:
            self._scene.remote_dcc.advance(ms)
            return
        if self._scene.wall_time:
            bound = self._config.pics.timing.max_wall_wait_ms
            if ms > bound:
                raise WallTimeBoundError(ms, bound)
            started = time.monotonic()

            def report() -> None:
                gone = time.monotonic() - started
                self.progress(f"waiting for {ms / 1000:g} s to pass on the device's wall clock: "
                              f"{gone:.0f} s elapsed, {ms / 1000 - gone:.0f} s to go")

            self._advance_wall(self.clock.now_ms + ms, report=report)
            return
        target = self.clock.now_ms + ms
        while True:
            self.pump()
            due = self.next_due()
            if due is None or due > target:
                self._advance_to(target)
                self.pump()
                return
            self._advance_to(due)

    def run_until(self, done: Callable[[], bool], bound_ms: int) -> bool:
        """Let time pass, timer by timer (on wall time, a quarter second at a time), until
        ``done()`` or ``bound_ms`` have passed; whether ``done()`` came true."""
        end = self.clock.now_ms + bound_ms
        while True:
            self.pump()
            if done():
                return True
            now = self.clock.now_ms
            if now >= end:
                return False
            if self._scene.wall_time:
                self.advance(min(250, end - now))
                continue
            due = self.next_due()
            self._advance_to(end if due is None else max(now, min(due, end)))

    def next_due(self) -> int | None:
        dues = [self.clock.next_due_ms()]
        if self._scene.adapter is not None:
            dut_due = self._scene.adapter.next_due_ms()
            if dut_due is not None:
                dues.append(self.clock.now_ms + max(0, dut_due - self._scene.adapter.now_ms()))
        known = [d for d in dues if d is not None]
        return min(known) if known else None

    def _advance_to(self, target_ms: int) -> None:
        delta = target_ms - self.clock.now_ms
        if self._scene.adapter is not None:
            self._scene.adapter.advance(max(0, delta))  # 0 too: runs the device's timers due now
        self.clock.advance_to(target_ms)

    def _follow_wall(self) -> None:
        """Move the harness's clock up to the device's wall clock (running the world's timers)."""
        assert self._scene.adapter is not None
        wall = self._scene.wall_offset_ms + self._scene.adapter.now_ms()
        if wall > self.clock.now_ms:
            self.clock.advance_to(wall)

    def _advance_wall(self, target_ms: int, *, stop_on_frame: bool = False,
                      report: Callable[[], None] | None = None) -> None:
        """Wall time: wait for the device's frames until ``target_ms`` (harness clock), delivering
        each as it comes and running the world's timers as the clock reaches them. ``report``
        is called every PROGRESS_EVERY_S seconds of the wait: a wait is never silent."""
        assert self._scene.adapter is not None and self._scene.link is not None
        last_report = time.monotonic()
        while True:
            if report is not None and time.monotonic() - last_report >= PROGRESS_EVERY_S:
                last_report = time.monotonic()
                report()
            self.pump()
            self._follow_wall()
            self.pump()
            now = self.clock.now_ms
            if now >= target_ms:
                return
            due = self.clock.next_due_ms()
            until = target_ms if due is None else min(target_ms, max(due, now))
            frame = self._scene.adapter.receive(max(0, min(until - now, int(PROGRESS_EVERY_S * 1000))))
            if frame is not None:
                self._scene.link.hold(frame)
                if stop_on_frame:
                    self._follow_wall()
                    self.pump()
                    return

    def run_until_idle(self, max_virtual_ms: int = MAX_DOWNLOAD_MS) -> None:
        if self._scene.remote_dcc is not None:
            self._scene.remote_dcc.run_until_idle(max_virtual_ms)
            return
        self._scene.world_().run_until_idle(max_virtual_ms=max_virtual_ms)

    def run_download_to_end(self) -> None:
        """Advance, timer by timer, until the transfer has ended: the Upgrade End exchange is
        done, the device refused or aborted it, or the device has been silent for QUIET_MS.
        Bounded by MAX_DOWNLOAD_MS of virtual time. On a wall-time device, silence means the PICS
        response timeout (or block period, if longer) and the bound is ``max_download_ms``; the
        progress is reported every PROGRESS_EVERY_S seconds of wall time."""
        self._scene.world_()
        if self._scene.remote_dcc is not None:
            return self._run_remote_download_to_end()
        start = self.clock.now_ms
        offer = self._scene.player.offer if self._scene.player else None
        timing = self._config.pics.timing
        wall = self._scene.wall_time
        quiet_ms = max(timing.response_timeout_ms, timing.block_period_ms) if wall else QUIET_MS
        max_ms = timing.max_download_ms if self._scene.wall_time else MAX_DOWNLOAD_MS
        wall_start = last_report = time.monotonic()
        seen = [len(self._scene.network.log)]  # the frame count at the last progress line

        def report() -> None:
            self.progress(self.progress_line(offer, time.monotonic() - wall_start, seen,
                                              quiet_ms=quiet_ms, max_ms=max_ms))

        while True:
            self.pump()
            now = self.clock.now_ms
            if time.monotonic() - last_report >= PROGRESS_EVERY_S:
                last_report = time.monotonic()
                report()
            if offer is not None:
                if offer.state is OfferState.ENDED:
                    return
                quiet_from = max(offer.last_activity_ms, offer.busy_until_ms)
            else:
                if not self._dcc_transfer_pending():
                    return
                quiet_from = self._last_frame_ms()
            if now - quiet_from >= quiet_ms:
                return
            horizon = quiet_from + quiet_ms
            if now - start > max_ms:
                raise DeviceViolationError(f"the download did not end within {max_ms} ms; "
                                           f"{self._log.last_frames()}") if self._scene.wall_time else \
                    HarnessUsageError(f"the download did not end within {max_ms} virtual ms")
            if self._scene.wall_time:
                self._advance_wall(horizon, stop_on_frame=True, report=report)
                last_report = time.monotonic()
                continue
            due = self.next_due()
            self._advance_to(min(due, horizon) if due is not None else horizon)

    def _run_remote_download_to_end(self) -> None:
        """As in process, on the DCC test system: step its clock timer by timer while a hub is
        distributing, activating or reading back, until QUIET_MS pass without a HAN frame
        (where the system reports its last frame). On wall time it polls once a second."""
        client = self._scene.remote_dcc
        assert client is not None
        start = None
        while True:
            if client.virtual_time:
                client.advance(0)  # deliver what is in flight, as pump() does in process
            state = client.transfer_state()
            now = int(state["now_ms"])
            start = now if start is None else start
            if not (state.get("pending") or state.get("distributing")):
                return
            last = state.get("last_frame_ms")
            quiet_from = now if last is None else int(last)
            if now - quiet_from >= QUIET_MS:
                return
            if now - start > MAX_DOWNLOAD_MS:
                raise HarnessUsageError(f"the download on the DCC test system did not end within "
                                        f"{MAX_DOWNLOAD_MS} ms")
            if client.virtual_time:
                client.step(quiet_from + QUIET_MS)
            else:
                time.sleep(1.0)

    def progress_line(self, offer: Offer | None, elapsed_s: float, seen: list[int] | None = None, *,
                       quiet_ms: int = QUIET_MS, max_ms: int = MAX_DOWNLOAD_MS) -> str:
        """What is awaited, for how long so far, and until when at most; a frame count that has
        not moved says so (``seen`` holds the count of the last line)."""
        bound = (f"; ends after {quiet_ms / 1000:g} s without a frame, fails after {max_ms / 1000:g} s"
                 if self._scene.wall_time else "")
        if offer is None:
            count = len(self._scene.network.log)
            moved = seen is None or count != seen[0]
            if seen is not None:
                seen[0] = count
            frames = (f"{count} frames on the HAN" if moved
                      else f"no new frame since the last line ({count} on the HAN)")
            return f"awaiting the end of the DCC's transfer: {frames} after {elapsed_s:.0f} s{bound}"
        total = sum(len(part) for part in offer.parts)
        share = 100 * offer.served_total / total if total else 100.0
        return (f"download of image {offer.label!r}: {offer.served_total:,} of {total:,} bytes served "
                f"({share:.0f}%) after {elapsed_s:.0f} s wall time{bound}")

    def _dcc_transfer_pending(self) -> bool:
        if any(probe() for probe in self._scene.download_probes):
            return True
        for premises in self._scene.world_().premises:
            hub = premises.hub
            if getattr(hub, "_wan", None) is not None:
                return True
            stored = getattr(hub, "stored", None)
            if stored is not None and any(t.state.value in ("notified", "downloading", "wait-more")
                                          for t in stored.targets.values()):
                return True
        return False

    def _last_frame_ms(self) -> int:
        log = self._scene.network.log
        return log[-1][0] if log else self.clock.now_ms


def _stderr_line(text: str) -> None:
    print(f"hanota: {text}", file=sys.stderr, flush=True)
