"""The played hub's answer to Query Device Specific File Request (0x08; ZigBee 095264).

By default the hub holds no device-specific file: it answers Query Device Specific File Response
(0x09) NO_IMAGE_AVAILABLE. Once a scenario gives it one (an OTA file whose Upgrade File
Destination is the device's EUI-64, of a reserved image type 0xFFC0-0xFFFE), it answers a request
that names that destination, manufacturer code and image type with SUCCESS and the file's
identity and size, serves Image Block Requests naming the file, and answers the Upgrade End
Request for it with an Upgrade End Response whose upgrade time is now: a device that took the
file for firmware would run it at once, which the scenario would see. Every request is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import Status

from .records import ImageInfo

__all__ = ["SpecificFileServer"]


@dataclass
class SpecificFileServer:
    """The device-specific file answers of one played hub (its HubPlayer calls :meth:`takes`)."""

    #: sends one command with the given transaction sequence number
    send: Callable[[oc.Command, int], None]
    #: the hub's UTC time (ZigBee seconds)
    utc: Callable[[], int]
    #: the file the hub holds for the device (None: NO_IMAGE_AVAILABLE)
    file: ImageInfo | None = None
    queries: list[oc.QueryDeviceSpecificFileRequest] = field(default_factory=list)
    blocks_served: int = 0

    def identity(self) -> tuple[int, int, int] | None:
        f = self.file
        return None if f is None else (f.manufacturer_code, f.image_type, f.file_version)

    def takes(self, tsn: int, cmd: oc.Command) -> bool:
        """Answer ``cmd`` if it is the device-specific file's (True: answered here)."""
        if isinstance(cmd, oc.QueryDeviceSpecificFileRequest):
            self.queries.append(cmd)
            self._answer_query(tsn, cmd)
            return True
        identity, f = self.identity(), self.file
        if identity is None or f is None or not isinstance(cmd, (oc.ImageBlockRequest, oc.UpgradeEndRequest)):
            return False
        if (cmd.manufacturer_code, cmd.image_type, cmd.file_version) != identity:
            return False
        if isinstance(cmd, oc.UpgradeEndRequest):
            now = self.utc()
            self.send(oc.UpgradeEndResponse(manufacturer_code=identity[0], image_type=identity[1],
                                            file_version=identity[2], current_time=now,
                                            upgrade_time=now), tsn)
            return True
        if cmd.file_offset >= len(f.data):
            self.send(oc.ImageBlockResponse(status=Status.ABORT), tsn)
            return True
        size = max(1, min(cmd.maximum_data_size, oc.MAX_IMAGE_DATA))
        self.blocks_served += 1
        self.send(oc.ImageBlockResponse(
            status=Status.SUCCESS, manufacturer_code=identity[0], image_type=identity[1],
            file_version=identity[2], file_offset=cmd.file_offset,
            image_data=f.data[cmd.file_offset:cmd.file_offset + size]), tsn)
        return True

    def _answer_query(self, tsn: int, cmd: oc.QueryDeviceSpecificFileRequest) -> None:
        f = self.file
        if f is None or (cmd.request_node_address, cmd.manufacturer_code, cmd.image_type) != \
                (f.destination, f.manufacturer_code, f.image_type):
            self.send(oc.QueryDeviceSpecificFileResponse(status=Status.NO_IMAGE_AVAILABLE), tsn)
            return
        self.send(oc.QueryDeviceSpecificFileResponse(
            status=Status.SUCCESS, manufacturer_code=f.manufacturer_code, image_type=f.image_type,
            file_version=f.file_version, image_size=len(f.data)), tsn)
