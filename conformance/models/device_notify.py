"""How the reference device takes an Image Notify, and how it queries its server on its own
(ZigBee 095264 §6.10.3, Image Notify Command). :class:`NotifyHandling` is a part of
:class:`~.device.OtaDevice`; each decision is a small hook a named fault overrides
(:mod:`.faults.device_faults`).

- A **broadcast** (or multicast) notify is examined field by field, as far as its payload type
  carries fields: manufacturer code (type 1 and up), image type (type 2 and up), new file version
  (type 3). A field that is neither the device's own value nor the wildcard (0xFFFF, 0xFFFFFFFF)
  discards the notify; a type 3 notify naming the version the device runs, or the one it has
  downloaded, is discarded too (the upgrade is already done); any other version, lower or higher,
  proceeds. Then the device draws a number from 1 to 100 and answers only if it is at most the
  notify's QueryJitter, so one broadcast does not bring every device at once.
- A **unicast** notify is always answered with a Query Next Image Request (095264r22 §6.10.3.4:
  the way a server forces a query, even a re-install).
- With ``query_interval_ms`` (PICS ``periodic_query``), the device asks its server every interval
  while it has nothing else under way, notify or not.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from hanota.protocol import ota_commands as oc

from .clock import VirtualClock, _Timer
from .device_checks import Offer
from .device_table import DeviceInput, DeviceState

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["NotifyHandling"]

S, I = DeviceState, DeviceInput  # noqa: E741 - shorthand as in the table
WILDCARD_16 = 0xFFFF
WILDCARD_32 = 0xFFFF_FFFF


class NotifyHandling:
    """The Image Notify and periodic query behaviour of :class:`~.device.OtaDevice` (which sets
    these attributes and calls :meth:`_start_periodic_query` once built)."""

    clock: VirtualClock
    manufacturer_code: int
    image_type: int
    firmware_version: int
    rng: random.Random
    max_query_delay_ms: int
    state: DeviceState
    _offer: Offer | None
    _server: int | None
    #: whether the frame being processed was broadcast (set by OtaDevice.process)
    _notify_broadcast: bool = False
    #: PICS periodic_query: ask the server every this many ms (None: only when notified)
    query_interval_ms: int | None = None
    _periodic: _Timer | None = None

    if TYPE_CHECKING:
        _set_timer: Callable[[int, DeviceInput], None]
        _dispatch: Callable[[DeviceInput, oc.Command | None, int | None], None]

    # ---------------------------------------------------------------- Image Notify
    def _on_image_notify(self, cmd: oc.ImageNotify) -> DeviceState:
        if self.state is not S.IDLE:
            return self.state
        broadcast = self._notify_broadcast
        if self._examines_notify(broadcast=broadcast) and not self._notify_matches(cmd):
            return S.IDLE
        # Drawn for every notify taken, so the delay drawn next does not depend on the addressing.
        draw = self.rng.randint(1, 100)
        if not self._answers_notify(cmd.query_jitter, draw, broadcast=broadcast):
            return S.IDLE
        delay = self.rng.randint(0, self.max_query_delay_ms)
        self._set_timer(delay, I.QUERY_TIMER)
        return S.QUERY_SCHEDULED

    def _examines_notify(self, *, broadcast: bool) -> bool:
        """Only a broadcast notify's fields are examined: a unicast one is always answered."""
        return broadcast

    def _notify_matches(self, cmd: oc.ImageNotify) -> bool:
        """A broadcast notify's fields, as far as its payload type carries them, name this device."""
        payload_type = int(cmd.payload_type)
        if payload_type >= 1 and not self._notify_manufacturer_ok(cmd.manufacturer_code):
            return False
        if payload_type >= 2 and not self._notify_image_type_ok(cmd.image_type):
            return False
        return payload_type < 3 or self._notify_version_ok(cmd.new_file_version)

    def _notify_manufacturer_ok(self, code: int | None) -> bool:
        return code in (self.manufacturer_code, WILDCARD_16)

    def _notify_image_type_ok(self, image_type: int | None) -> bool:
        return image_type in (self.image_type, WILDCARD_16)

    def _notify_version_ok(self, version: int | None) -> bool:
        """Type 3: any version but the one running or already downloaded (lower means a downgrade
        the server asks for, higher an upgrade; the wildcard matches neither)."""
        downloaded = self._offer.file_version if self._offer is not None else None
        return version not in (self.firmware_version, downloaded)

    def _answers_notify(self, query_jitter: int, draw: int, *, broadcast: bool) -> bool:
        """A unicast notify is always answered; a broadcast one when the draw is <= QueryJitter."""
        return not broadcast or draw <= query_jitter

    # ---------------------------------------------------------------- periodic query
    def _start_periodic_query(self) -> None:
        interval = self._query_interval_ms()
        if interval is not None and interval > 0:
            self._periodic = self.clock.call_later(interval, self._periodic_query)

    def _query_interval_ms(self) -> int | None:
        """How often the device asks its server without a notify (its PICS query interval)."""
        return self.query_interval_ms

    def _periodic_query(self) -> None:
        interval = self._query_interval_ms()
        assert interval is not None
        self._periodic = self.clock.call_later(interval, self._periodic_query)
        if self.state is S.IDLE and self._server is not None:  # busy: the transfer under way goes on
            self._dispatch(I.QUERY_NOW, None, None)
