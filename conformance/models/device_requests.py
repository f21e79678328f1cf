"""How the reference device asks its server: for the image, by Image Block Requests or by Image
Page Requests where the device declares them (PICS ``image_page_requests``; ZigBee 095264,
optional for a client); and, while it waits for the hub's command to upgrade, for its upgrade
time again. :class:`ServerRequests` is a part of :class:`~.device.OtaDevice`.

One Image Page Request (0x04) asks the server for ``page_size`` bytes from the file offset, sent
as Image Block Responses ``response_spacing`` ms apart; the device takes each block as it takes
the answer to an Image Block Request, and asks for the next page, at the offset it has reached,
only once the page is in or a block of it is overdue (its response timeout). A server that
answers the page request with Default Response UNSUP_CLUSTER_COMMAND serves no pages: the device
then asks by Image Block Requests for the rest of its time with that server, as clients do.

Told to wait for a further command (upgrade time 0xFFFFFFFF), the device sends its Upgrade End
Request SUCCESS again every ``wait_poll_ms`` (095264 recommends asking at least hourly, so that
a server that lost the device's state can still tell it when to upgrade). The reference world
sets it for the device under test; 0 (never) by default, since a model world run until idle
would never be idle.
"""

from __future__ import annotations

from collections.abc import Callable

from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import DefaultResponse, Status

from .clock import VirtualClock
from .device_checks import Offer
from .device_table import DeviceInput, DeviceState

__all__ = ["DEFAULT_PAGE_SIZE", "DEFAULT_RESPONSE_SPACING_MS", "WAIT_POLL_MS", "ServerRequests"]

#: The reference device's page: 1,024 bytes (16 blocks of 64), one block every 50 ms.
DEFAULT_PAGE_SIZE = 1024
DEFAULT_RESPONSE_SPACING_MS = 50
#: Waiting to upgrade, the reference device under test asks again every hour.
WAIT_POLL_MS = 3_600_000


class ServerRequests:
    """The requests of :class:`~.device.OtaDevice` to its server (which sets these attributes)."""

    clock: VirtualClock
    state: DeviceState
    max_data_size: int
    minimum_block_period_ms: int
    response_timeout_ms: int
    _offer: Offer | None
    _buffer: bytearray
    _requested: tuple[int, int] | None
    _last_block_request_ms: int | None
    _server: int | None
    _send: Callable[[oc.Command], None]
    _send_upgrade_end: Callable[..., None]
    _set_timer: Callable[[int, DeviceInput], None]
    _cancel_timer: Callable[[], None]

    #: PICS image_page_requests: ask by pages while the server serves them
    page_requests: bool = False
    page_size: int = DEFAULT_PAGE_SIZE
    response_spacing_ms: int = DEFAULT_RESPONSE_SPACING_MS
    #: the end of the page being received (None: no page is)
    _page_end: int | None = None
    #: the server answered an Image Page Request UNSUP_CLUSTER_COMMAND
    _pages_refused: bool = False
    #: waiting to upgrade: ask again this often (0: never)
    wait_poll_ms: int = 0

    def _send_block_request(self) -> None:
        """Ask for data at FileOffset: an Image Page Request, or an Image Block Request."""
        offer = self._offer
        assert offer is not None
        offset = len(self._buffer)
        self._requested = (offset, self.max_data_size)
        self._last_block_request_ms = self.clock.now_ms
        if self.page_requests and not self._pages_refused:
            self._page_end = min(offset + self.page_size, offer.image_size)
            self._send(oc.ImagePageRequest(
                manufacturer_code=offer.manufacturer_code, image_type=offer.image_type,
                file_version=offer.file_version, file_offset=offset,
                maximum_data_size=self.max_data_size, page_size=self.page_size,
                response_spacing=self.response_spacing_ms))
        else:
            self._page_end = None
            self._send(oc.ImageBlockRequest(
                manufacturer_code=offer.manufacturer_code, image_type=offer.image_type,
                file_version=offer.file_version, file_offset=offset,
                maximum_data_size=self.max_data_size, request_node_address=None,
                minimum_block_period=self.minimum_block_period_ms))
        self._set_timer(self.response_timeout_ms, DeviceInput.RESPONSE_TIMEOUT)

    def _page_continues(self) -> bool:
        """After a block was stored: True while the page asked for is still arriving (the device
        then awaits its next block at the offset reached, within its response timeout)."""
        end = self._page_end
        if end is None or len(self._buffer) >= end:
            self._page_end = None
            return False
        self._requested = (len(self._buffer), self.max_data_size)
        self._set_timer(self.response_timeout_ms, DeviceInput.RESPONSE_TIMEOUT)
        return True

    def _on_default_response(self, src: int, cmd: DefaultResponse) -> None:
        """The server serves no pages (UNSUP_CLUSTER_COMMAND to an Image Page Request): ask again
        at once with an Image Block Request, and by blocks from then on."""
        if cmd.command_id != oc.CommandId.IMAGE_PAGE_REQUEST or src != self._server \
                or cmd.status != Status.UNSUP_CLUSTER_COMMAND or self._pages_refused:
            return
        self._pages_refused = True
        if self.state is DeviceState.BLOCK_REQUESTED and self._page_end is not None:
            self._cancel_timer()
            self._send_block_request()

    def _wait_for_command(self) -> DeviceState:
        """Upgrade time 0xFFFFFFFF: wait for the hub's command, asking again every wait_poll_ms."""
        if self.wait_poll_ms:
            self._set_timer(self.wait_poll_ms, DeviceInput.WAIT_POLL_TIMER)
        return DeviceState.WAITING_TO_UPGRADE

    def _on_wait_poll(self, _cmd: None) -> DeviceState:
        assert self._offer is not None
        self._send_upgrade_end(Status.SUCCESS, self._offer)
        return self._wait_for_command()
