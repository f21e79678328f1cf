"""Switching the reference device off and on: what survives a power loss (a part of
:class:`~.device.OtaDevice`).

The running firmware always survives. A download in progress, or a whole verified image waiting
for its upgrade time, survives only on a device that keeps it in non-volatile memory and says
so in its PICS (``resume_after_power_cycle``); the reference device then takes the download up
again at its FileOffset when the hub offers the same image, and a waiting image is verified and
reported again in an Upgrade End Request, for a fresh upgrade time. Nothing else survives: no
timer, no request in flight, no count-down. Above all the device powers up on the firmware it
ran (ZigBee 095264: an image runs only once it is downloaded whole, verified and its upgrade
time has come), never on a partial or merely downloaded image. Faulty variants override
:meth:`PowerCycle._power_up`.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from hanota.protocol import fragments

from .device_checks import Offer
from .device_table import DeviceState
from .han import HanFrame

__all__ = ["PowerCycle"]


class PowerCycle:
    """The power cycle of :class:`~.device.OtaDevice` (which sets these attributes)."""

    state: DeviceState
    firmware_version: int
    #: PICS resume_after_power_cycle: the download (and a verified image) is kept over a power loss
    keeps_download_over_power_cycle: bool
    _out: deque[HanFrame]
    _offer: Offer | None
    _buffer: bytearray
    _requested: tuple[int, int] | None
    _retries: int
    _last_block_request_ms: int | None
    _verified: bool
    _reassembler: fragments.Reassembler

    if TYPE_CHECKING:
        def _cancel_timer(self) -> None: ...
        def _drop_download(self) -> None: ...
        def _query_specific_file(self) -> None: ...

    def power_cycle(self) -> None:
        """Off and on: the volatile state is lost; the device wakes up idle on its firmware."""
        self._cancel_timer()
        self._out.clear()  # frames not yet on air are lost with the power
        self.state = DeviceState.IDLE
        self._requested = None
        self._retries = 0
        self._last_block_request_ms = None
        if not self.keeps_download_over_power_cycle:
            self._drop_download()
            self._reassembler.reset()
        self._power_up()
        self._query_specific_file()  # PICS device_file_query (.device_specific)

    def _power_up(self) -> None:
        """What the device does as it wakes up: it runs the firmware it ran (nothing to do)."""
