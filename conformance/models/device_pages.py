"""How the reference device asks for the image: Image Block Requests, or Image Page Requests
where the device declares them (PICS ``image_page_requests``; ZigBee 095264, optional for a
client). :class:`DataRequests` is a part of :class:`~.device.OtaDevice`.

One Image Page Request (0x04) asks the server for ``page_size`` bytes from the file offset, sent
as Image Block Responses ``response_spacing`` ms apart; the device takes each block as it takes
the answer to an Image Block Request, and asks for the next page, at the offset it has reached,
only once the page is in or a block of it is overdue (its response timeout). A server that
answers the page request with Default Response UNSUP_CLUSTER_COMMAND serves no pages: the device
then asks by Image Block Requests for the rest of its time with that server, as clients do.
"""

from __future__ import annotations

from collections.abc import Callable

from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import DefaultResponse, Status

from .clock import VirtualClock
from .device_checks import Offer
from .device_table import DeviceInput, DeviceState

__all__ = ["DEFAULT_PAGE_SIZE", "DEFAULT_RESPONSE_SPACING_MS", "DataRequests"]

#: The reference device's page: 1,024 bytes (16 blocks of 64), one block every 50 ms.
DEFAULT_PAGE_SIZE = 1024
DEFAULT_RESPONSE_SPACING_MS = 50


class DataRequests:
    """The data requests of :class:`~.device.OtaDevice` (which sets these attributes)."""

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
