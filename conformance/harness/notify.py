"""Scripted Image Notify commands and what the device makes of them (SECMP7-NTFY; docs/harness.md,
"Image Notify scripts").

The played hub's own notify comes with its offers (:mod:`.hub`). Here a scenario sends notifies
of a given payload type, query jitter, fields and addressing, without offering anything: each is
sent, then the device is given the PICS response timeout to answer it with a Query Next Image
Request (which the hub answers NO_IMAGE_AVAILABLE: nothing is on offer), before the next. The
checks count the notifies answered in their own windows, and, for the query jitter, compare the
count with the binomial law a conforming device follows, at bounds a conforming device falls
outside of with a probability below 2e-9 (so the verdict of a fixed seed is the verdict of any).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.zcl import DefaultResponse, Status

from ..adapters import DutNotApplicableError
from ..models.han import BROADCAST
from ..params import NotifyField, NotifyFields, NotifyShare, NotifyVersion
from .clock import ClockDriver
from .config import RunConfig
from .describe import frame_tsn
from .observe import FrameLog
from .world import Scene

__all__ = ["ALPHA", "ImageNotifies", "SentNotify", "binomial_bounds"]

#: The chance, on each side, that a conforming device's count falls outside the bounds.
ALPHA = 1e-9
_WILDCARD_16 = 0xFFFF
_WILDCARD_32 = 0xFFFF_FFFF
#: On wall time, how often the suite looks for the answer to a notify while it waits.
_WALL_STEP_MS = 250


@dataclass(frozen=True)
class SentNotify:
    """One scripted notify: when, its TSN, its addressing, the command, and its answer window."""

    time_ms: int
    tsn: int
    broadcast: bool
    command: oc.ImageNotify
    window_ms: int


def binomial_bounds(n: int, p: float, alpha: float = ALPHA) -> tuple[int, int]:
    """The counts (lo, hi) out of ``n`` trials of chance ``p`` such that P(X < lo) <= alpha and
    P(X > hi) <= alpha (exact binomial tails)."""
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    lo, below = 0, 0.0
    while lo < n and below + pmf[lo] <= alpha:
        below += pmf[lo]
        lo += 1
    hi, above = n, 0.0
    while hi > 0 and above + pmf[hi] <= alpha:
        above += pmf[hi]
        hi -= 1
    return lo, hi


class ImageNotifies:
    """Sends scripted Image Notify commands from the played hub and judges the answers."""

    def __init__(self, config: RunConfig, scene: Scene, clock: ClockDriver, log: FrameLog) -> None:
        self._config = config
        self._scene = scene
        self._clock = clock
        self._log = log
        self.sent: list[SentNotify] = []

    # ---------------------------------------------------------------- sending
    def command(self, payload_type: int, jitter: int, fields: NotifyFields) -> oc.ImageNotify:
        """The notify the scenario describes, its fields resolved against the device under test."""
        if fields.payload_type != payload_type:
            raise HarnessUsageError(f"an Image Notify of payload type {payload_type} names "
                                    f"{payload_type} field(s); the scenario names {fields.payload_type}")
        if not 1 <= jitter <= 100:
            raise HarnessUsageError(f"query jitter {jitter} is outside 1..100")
        dut = self._scene.dut
        return oc.ImageNotify(
            payload_type=oc.ImageNotifyPayloadType(payload_type), query_jitter=jitter,
            manufacturer_code=_field(fields.manufacturer_code, dut.manufacturer_code),
            image_type=_field(fields.image_type, dut.image_type),
            new_file_version=_version(fields.file_version, dut.file_version))

    def send(self, count: int, *, broadcast: bool, payload_type: int, jitter: int,
             fields: NotifyFields) -> None:
        """Send ``count`` notifies, each followed by the PICS response timeout to answer it."""
        if count < 1:
            raise HarnessUsageError("send at least one Image Notify")
        notify = self.command(payload_type, jitter, fields)
        player = self._scene.player_()
        window = self._config.pics.timing.response_timeout_ms
        for _ in range(count):
            sent_at = self._clock.clock.now_ms
            tsn = player.send_image_notify(notify, broadcast=broadcast)
            self.sent.append(SentNotify(sent_at, tsn, broadcast, notify, window))
            if not self._scene.wall_time:
                self._clock.advance(window)
                continue
            # A real device: the next notify goes as soon as this one is answered (the window is
            # the most it may take), or a run of 200 would take 200 windows of wall time.
            end = sent_at + window
            while self._clock.clock.now_ms < end and not self._answered(self.sent[-1], end):
                self._clock.advance(min(_WALL_STEP_MS, end - self._clock.clock.now_ms))

    # ---------------------------------------------------------------- judging
    def answered(self) -> list[bool]:
        """For each notify sent: whether the device answered it in its window (up to the next
        notify), with a Query Next Image Request, or (a unicast one) a Default Response
        MALFORMED_COMMAND to it, as 095264 revision 19 had a unicast notify whose jitter is not
        100 answered."""
        ends = [min(s.time_ms + s.window_ms, after.time_ms) for s, after in itertools.pairwise(self.sent)]
        if self.sent:
            ends.append(self.sent[-1].time_ms + self.sent[-1].window_ms)
        return [self._answered(notify, end) for notify, end in zip(self.sent, ends, strict=True)]

    def _answered(self, notify: SentNotify, end: int) -> bool:
        for seen in self._log.frames(kinds=(oc.QueryNextImageRequest, DefaultResponse)):
            if not notify.time_ms <= seen.time_ms < end:
                continue
            cmd = seen.command
            if isinstance(cmd, oc.QueryNextImageRequest):
                return True
            if not notify.broadcast and isinstance(cmd, DefaultResponse) \
                    and cmd.command_id == oc.CommandId.IMAGE_NOTIFY \
                    and Status(cmd.status) == Status.MALFORMED_COMMAND \
                    and frame_tsn(seen.frame.payload) == notify.tsn:
                return True
        return False

    def check(self, share: NotifyShare) -> str | None:
        if not self.sent:
            raise HarnessUsageError("the hub sent no scripted Image Notify in this scenario")
        answered = self.answered()
        count, n = sum(answered), len(answered)
        first = self.sent[0]
        what = (f"{n} {'broadcast' if first.broadcast else 'unicast'} Image Notify of payload type "
                f"{int(first.command.payload_type)} with query jitter {first.command.query_jitter} "
                f"({_describe(first.command)})")
        if share is NotifyShare.EACH and count < n:
            missed = next(s for s, a in zip(self.sent, answered, strict=True) if not a)
            return (f"expected the device to answer each of the {what} within {first.window_ms} ms, "
                    f"but it answered {count}; the first unanswered was sent at t={missed.time_ms} ms; "
                    f"{self._log.last_frames()}")
        if share is NotifyShare.NONE and count:
            hit = next(s for s, a in zip(self.sent, answered, strict=True) if a)
            return (f"expected the device to answer none of the {what}, but it answered {count} (the "
                    f"first, sent at t={hit.time_ms} ms, within {first.window_ms} ms); "
                    f"{self._log.last_frames()}")
        if share is NotifyShare.JITTER:
            jitters = {s.command.query_jitter for s in self.sent}
            if len(jitters) != 1 or not all(s.broadcast for s in self.sent):
                raise HarnessUsageError("the share answered is judged over broadcast notifies of one "
                                        "query jitter")
            p = jitters.pop() / 100
            lo, hi = binomial_bounds(n, p)
            if lo == 0 or hi == n:
                raise HarnessUsageError(f"{n} notifies with query jitter {p * 100:g} cannot tell a "
                                        "device that ignores the jitter, or never answers, from a "
                                        "conforming one: send more")
            if not lo <= count <= hi:
                return (f"expected the device to answer between {lo} and {hi} of the {what} (each with "
                        f"chance {p:g}: a device drawing 1..100 against the query jitter falls outside "
                        f"with probability below {2 * ALPHA:g}), but it answered {count}")
        return None

    def check_periodic(self, intervals: int) -> str | None:
        """A Query Next Image Request in each of ``intervals`` consecutive windows of the declared
        query interval (plus the PICS response timeout for the device's own delays), with no
        Image Notify to the device meanwhile."""
        timing = self._config.pics.timing
        if not timing.query_interval_ms:
            raise DutNotApplicableError("the device declares periodic_query but no query interval "
                                        "(PICS [timing] query_interval_ms): there is nothing to judge "
                                        "it against")
        window = timing.query_interval_ms + timing.response_timeout_ms
        start = self._clock.clock.now_ms
        first = len(self._scene.network.log)
        self._clock.advance(intervals * window)
        notified = [t for t, frame in self._scene.network.log[first:]
                    if frame.dst in (self._scene.device_eui64, BROADCAST) and _is_notify(frame.payload)]
        if notified:
            raise HarnessUsageError(f"an Image Notify reached the device at t={notified[0]} ms while "
                                    "its periodic queries were observed")
        queries = [f.time_ms for f in self._log.frames_of(oc.QueryNextImageRequest) if f.time_ms >= start]
        for j in range(intervals):
            low, high = start + j * window, start + (j + 1) * window
            if not any(low <= t < high for t in queries):
                return (f"expected a Query Next Image Request at least once every declared query "
                        f"interval ({timing.query_interval_ms} ms, with {timing.response_timeout_ms} ms "
                        f"for the device's delays) without an Image Notify, but the device sent none "
                        f"from t={low} ms to t={high} ms; its queries were at "
                        f"{', '.join(f't={t} ms' for t in queries) or 'no time'}")
        return None


def _is_notify(payload: bytes) -> bool:
    try:
        return isinstance(oc.decode_command(payload)[1], oc.ImageNotify)
    except ProtocolError:  # not an OTA cluster command: not a notify
        return False


def _field(value: NotifyField | None, own: int) -> int | None:
    if value is None:
        return None
    other = own ^ 0x0F0F if own ^ 0x0F0F != _WILDCARD_16 else own ^ 0x00FF
    return {NotifyField.OWN: own, NotifyField.OTHER: other, NotifyField.WILDCARD: _WILDCARD_16}[value]


def _version(value: NotifyVersion | None, running: int) -> int | None:
    if value is None:
        return None
    if (value is NotifyVersion.NEWER and running >= _WILDCARD_32 - 1) or \
            (value is NotifyVersion.OLDER and running == 0):
        raise HarnessUsageError(f"no {value.value} file version than 0x{running:08x} that is not a wildcard")
    return {NotifyVersion.RUNNING: running, NotifyVersion.NEWER: running + 1,
            NotifyVersion.OLDER: running - 1, NotifyVersion.WILDCARD: _WILDCARD_32}[value]


def _describe(cmd: oc.ImageNotify) -> str:
    parts = [f"manufacturer code 0x{cmd.manufacturer_code:04x}" if cmd.manufacturer_code is not None else "",
             f"image type 0x{cmd.image_type:04x}" if cmd.image_type is not None else "",
             f"new file version 0x{cmd.new_file_version:08x}" if cmd.new_file_version is not None else ""]
    return ", ".join(p for p in parts if p) or "no fields"
