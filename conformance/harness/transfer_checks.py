"""Checks of how the device asks for an image by pages (features/page_and_specific_files.feature,
SECMP7-XFER), and the played hub's page serving they rely on (:mod:`.hub_pages`).

Each ``check_*`` returns None when the device did what the requirement expects, else a message
that says the expectation and shows the decoded evidence against it.
"""

from __future__ import annotations

from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import Status

from .describe import command_text
from .images import ImageFactory
from .observe import FrameLog
from .world import Scene

__all__ = ["TransferChecks"]


class TransferChecks:
    """Image Page Requests: the hub serving them, and what the device asked."""

    def __init__(self, scene: Scene, log: FrameLog, images: ImageFactory) -> None:
        self._scene = scene
        self._log = log
        self._images = images

    def serve_pages(self, blocks_per_page: int | None = None) -> None:
        """From now on the played hub serves Image Page Requests (at most ``blocks_per_page``
        blocks of each)."""
        pages = self._scene.player_().pages
        pages.serving = True
        pages.blocks_per_page = blocks_per_page

    def check_page_requests(self, label: str) -> str | None:
        """Every Image Page Request names image ``label``, asks for a page of at least one block
        at the offset the data received has reached; at least one was sent."""
        info = self._images.image(label)
        identity = (info.manufacturer_code, info.image_type, info.file_version)
        hub = self._scene.player_().eui64
        lost = {id(frame) for _, frame in self._scene.network.dropped}
        received, count = 0, 0
        for seen in self._log.frames(sent_by_dut=None, kinds=(oc.ImagePageRequest, oc.ImageBlockResponse)):
            cmd = seen.command
            if isinstance(cmd, oc.ImageBlockResponse):
                if cmd.status == Status.SUCCESS and cmd.image_data and cmd.file_offset == received \
                        and seen.frame.src == hub and id(seen.frame) not in lost:
                    received += len(cmd.image_data)
                continue
            if not isinstance(cmd, oc.ImagePageRequest):
                continue
            count += 1
            if (cmd.manufacturer_code, cmd.image_type, cmd.file_version) != identity:
                return (f"expected every Image Page Request to name image {label!r} (0x{identity[0]:04x}, "
                        f"0x{identity[1]:04x}, 0x{identity[2]:08x}); request {count} at t={seen.time_ms} "
                        f"ms was {command_text(cmd)}")
            if cmd.file_offset != received or not cmd.maximum_data_size or not cmd.page_size:
                return (f"expected Image Page Request {count} to continue from the {received} bytes "
                        f"received, asking for a page and blocks of at least one byte; at t="
                        f"{seen.time_ms} ms it was {command_text(cmd)}")
        if count == 0:
            return (f"expected Image Page Requests for image {label!r} from a hub that serves them, "
                    f"but the device sent none; {self._log.last_frames()}")
        return None

    def check_no_page_overlap(self) -> str | None:
        """No Image Page Request while the hub still had blocks of the previous page to send."""
        pages = self._scene.player_().pages.pages
        for i, page in enumerate(pages):
            if page.overlapped_at_ms is not None:
                again = command_text(pages[i + 1].request) if i + 1 < len(pages) else "an Image Page Request"
                return (f"expected the device to wait for the page it asked for at t={page.time_ms} ms "
                        f"({page.planned} blocks, {page.request.response_spacing} ms apart), but at "
                        f"t={page.overlapped_at_ms} ms, after {page.sent} of them, it asked again: {again}")
        if not pages:
            return f"expected the device to ask by Image Page Requests, but the hub served no page; " \
                   f"{self._log.last_frames()}"
        return None
