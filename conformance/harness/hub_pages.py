"""The played hub's answer to Image Page Request (0x04; ZigBee 095264, optional for a server).

By default the hub serves no pages: it answers Default Response UNSUP_CLUSTER_COMMAND, and a
client that asks by pages is expected to go on by Image Block Requests. Once a scenario has it
serve pages (``the hub serves Image Page Requests``), it answers a page request with Image Block
Responses of the data asked for, ``page_size`` bytes from the file offset in blocks of at most
``maximum_data_size``, the first at once and each next ``response_spacing`` ms later, all with
the request's transaction sequence number. Each page served is recorded (:class:`ServedPage`),
and so is a page request that arrives while blocks of the previous page are still to be sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import DefaultResponse, Direction, Status

from ..models.clock import VirtualClock, _Timer

__all__ = ["PageServer", "ServedPage"]


@dataclass
class ServedPage:
    """One Image Page Request the hub served: when, what was asked, the blocks planned and sent."""

    time_ms: int
    request: oc.ImagePageRequest
    planned: int
    sent: int = 0
    #: a page request arrived before this page's last block was sent
    overlapped_at_ms: int | None = None


@dataclass
class PageServer:
    """The page answers of one played hub (its :class:`~.hub.HubPlayer` calls :meth:`on_request`)."""

    clock: VirtualClock
    #: sends one command with the given transaction sequence number
    send: Callable[[oc.Command, int], None]
    #: serve pages (else answer UNSUP_CLUSTER_COMMAND)
    serving: bool = False
    #: send at most this many blocks of each page (None: the whole page), as a hub whose blocks
    #: get lost would
    blocks_per_page: int | None = None
    pages: list[ServedPage] = field(default_factory=list)
    _timer: _Timer | None = None

    def on_request(self, tsn: int, cmd: oc.ImagePageRequest, part: bytes | None,
                   identity: tuple[int, int, int], served: Callable[[int, int], None]) -> None:
        """Answer ``cmd`` for the image ``part`` (None: the offer is withdrawn or ended), named
        ``identity``; ``served(offset, length)`` is told of each block sent."""
        if not self.serving:
            self.send(DefaultResponse(command_id=oc.CommandId.IMAGE_PAGE_REQUEST,
                                      status=Status.UNSUP_CLUSTER_COMMAND,
                                      direction=Direction.SERVER_TO_CLIENT), tsn)
            return
        now = self.clock.now_ms
        if self._timer is not None:  # the previous page is still being sent: it stops here
            self.clock.cancel(self._timer)
            self._timer = None
            self.pages[-1].overlapped_at_ms = now
        if part is None or cmd.file_offset >= len(part) or \
                (cmd.manufacturer_code, cmd.image_type, cmd.file_version) != identity:
            self.send(oc.ImageBlockResponse(status=Status.ABORT), tsn)
            return
        end = min(len(part), cmd.file_offset + cmd.page_size)
        size = max(1, min(cmd.maximum_data_size, oc.MAX_IMAGE_DATA))
        offsets = list(range(cmd.file_offset, end, size))
        if self.blocks_per_page is not None:
            offsets = offsets[:self.blocks_per_page]
        page = ServedPage(now, cmd, len(offsets))
        self.pages.append(page)

        def send_next() -> None:
            self._timer = None
            offset = offsets[page.sent]
            data = part[offset:min(end, offset + size)]
            page.sent += 1
            served(offset, len(data))
            self.send(oc.ImageBlockResponse(
                status=Status.SUCCESS, manufacturer_code=identity[0], image_type=identity[1],
                file_version=identity[2], file_offset=offset, image_data=data), tsn)
            if page.sent < len(offsets):
                self._timer = self.clock.call_later(cmd.response_spacing, send_next)

        send_next()

    def stop(self) -> None:
        """The offer ended or was withdrawn: no more blocks of a page in progress."""
        if self._timer is not None:
            self.clock.cancel(self._timer)
            self._timer = None
