"""Checks of how the device asks for an image by pages and for its device-specific file
(features/page_and_specific_files.feature, SECMP7-XFER), and the played hub's page and file
serving they rely on (:mod:`.hub_pages`, :mod:`.hub_specific`).

Each ``check_*`` returns None when the device did what the requirement expects, else a message
that says the expectation and shows the decoded evidence against it.
"""

from __future__ import annotations

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import HarnessUsageError
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

    # ---------------------------------------------------------------- device-specific files
    def _declared_type(self) -> int:
        declared = self._scene.config.pics.device_file_query
        if declared is None:  # the scenarios are tagged @pics-device-file-query
            raise HarnessUsageError("the PICS declares no device_file_query")
        return declared

    def give_specific_file(self, label: str, size: int) -> None:
        """The played hub holds device-specific file ``label`` (of the image type the device
        declares it asks for, addressed to it) and offers it when asked."""
        info = self._images.specific_file(label, size, self._declared_type())
        self._scene.player_().specific.file = info

    def check_specific_query(self) -> str | None:
        """The device asked by Query Device Specific File Request, each naming its own EUI-64,
        manufacturer code, the declared image type and a ZigBee stack version 095264 defines."""
        dut, declared = self._scene.dut, self._declared_type()
        want = (dut.eui64, dut.manufacturer_code, declared)
        count = 0
        for seen in self._log.frames_of(oc.QueryDeviceSpecificFileRequest):
            cmd, count = seen.command, count + 1
            if (cmd.request_node_address, cmd.manufacturer_code, cmd.image_type) != want \
                    or cmd.current_zigbee_stack_version not in ZIGBEE_STACK_VERSIONS:
                return (f"expected each Query Device Specific File Request to name the device's EUI-64 "
                        f"0x{want[0]:016x}, manufacturer code 0x{want[1]:04x}, the declared image type "
                        f"0x{want[2]:04x} and a ZigBee stack version 0x0000-0x0003; at t={seen.time_ms} ms "
                        f"it sent {command_text(cmd)}")
        if count == 0:
            return ("expected the device to ask its hub for its device-specific file (Query Device "
                    f"Specific File Request) as it started, as its PICS declares; {self._log.last_frames()}")
        return None

    def check_nothing_downloaded(self) -> str | None:
        """No Image Block or Page Request at all: the hub offered nothing."""
        for seen in self._log.frames(kinds=(oc.ImageBlockRequest, oc.ImagePageRequest)):
            return (f"expected no download after the hub answered NO_IMAGE_AVAILABLE and offered no "
                    f"image, but at t={seen.time_ms} ms the device sent {command_text(seen.command)}")
        return None

    def check_specific_downloaded(self, label: str) -> str | None:
        """Every Image Block Request names file ``label`` and continues from the data received; the
        file came whole and the device then sent Upgrade End Request SUCCESS naming it."""
        info = self._images.image(label)
        identity = (info.manufacturer_code, info.image_type, info.file_version)
        name = f"file {label!r} (0x{identity[0]:04x}, 0x{identity[1]:04x}, 0x{identity[2]:08x})"
        hub = self._scene.player_().eui64
        received = 0
        for seen in self._log.frames(sent_by_dut=None, kinds=(oc.ImageBlockRequest, oc.ImageBlockResponse,
                                                                oc.UpgradeEndRequest)):
            cmd = seen.command
            if isinstance(cmd, oc.ImageBlockResponse):
                if cmd.status == Status.SUCCESS and cmd.image_data and cmd.file_offset == received \
                        and seen.frame.src == hub:
                    received += len(cmd.image_data)
                continue
            if seen.frame.src == hub:
                continue
            assert isinstance(cmd, (oc.ImageBlockRequest, oc.UpgradeEndRequest))
            if (cmd.manufacturer_code, cmd.image_type, cmd.file_version) != identity:
                return (f"expected every request of the device to name the device-specific {name} it was "
                        f"offered; at t={seen.time_ms} ms it sent {command_text(cmd)}")
            if isinstance(cmd, oc.UpgradeEndRequest):
                if cmd.status != Status.SUCCESS or received < len(info.data):
                    return (f"expected Upgrade End Request SUCCESS once {name} was received whole "
                            f"({len(info.data)} bytes); after {received} bytes, at t={seen.time_ms} ms, "
                            f"it sent {command_text(cmd)}")
                return None
            if cmd.file_offset != received:
                return (f"expected each Image Block Request for {name} to continue from the {received} "
                        f"bytes received; at t={seen.time_ms} ms it sent {command_text(cmd)}")
        return (f"expected the device to download the device-specific {name} it was offered "
                f"({len(info.data)} bytes) and end with Upgrade End Request SUCCESS; it received "
                f"{received} bytes and sent no Upgrade End Request; {self._log.last_frames()}")


#: ZigBee stack versions 095264 defines (2006, 2007, PRO, IP); the rest are reserved.
ZIGBEE_STACK_VERSIONS = range(0x0000, 0x0004)
