"""Query Device Specific File (ZigBee 095264, 0x08/0x09): the reference device asks its hub for
its device-specific file as it starts, where its PICS declares it (``[device] device_file_query``,
the image type it asks for, 0xFFC0-0xFFFE). :class:`SpecificFileQuery` is a part of
:class:`~.device.OtaDevice`.

The request names the device's own EUI-64, its manufacturer code, the declared image type, the
file version of the file it holds (0: none yet) and its ZigBee stack version. On a SUCCESS
response naming its manufacturer code and that image type it downloads the file by Image Block
Requests naming the file, from offset 0 to the image size, then sends Upgrade End Request
SUCCESS for it. The file is kept as data (a configuration, credentials, a log): it is never run
as firmware, whatever the Upgrade End Response says. Any other answer ends the exchange. The
exchange runs beside the firmware download machine and never changes its state: the file is
told apart by its image type, which no firmware image has (SECMP7-XFER-002).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import Status

__all__ = ["SPECIFIC_TYPES", "SpecificFileQuery"]

#: Image types reserved for device-specific files (095264).
SPECIFIC_TYPES = range(0xFFC0, 0xFFFF)


@dataclass
class _Download:
    """The file the hub offered in its Query Device Specific File Response, as far as received."""

    manufacturer_code: int
    image_type: int
    file_version: int
    size: int
    data: bytearray = field(default_factory=bytearray)
    ended: bool = False  # Upgrade End Request sent


class SpecificFileQuery:
    """The device-specific file exchange of :class:`~.device.OtaDevice` (which sets these)."""

    eui64: int
    manufacturer_code: int
    max_data_size: int
    paired_hub: int | None
    _send: Callable[[oc.Command], None]

    #: PICS [device] device_file_query: the image type asked for at start (None: never asks)
    specific_file_type: int | None = None
    #: the device-specific files received whole: (file version, data), latest last
    specific_files: list[tuple[int, bytes]]
    _specific: _Download | None = None

    def _query_specific_file(self) -> None:
        """As the device starts: ask the hub for its device-specific file, if it declares one."""
        if self.specific_file_type is None or self.paired_hub is None:
            return
        self._specific = None
        self._send(oc.QueryDeviceSpecificFileRequest(
            request_node_address=self._specific_request_address(),
            manufacturer_code=self.manufacturer_code, image_type=self._specific_query_type(),
            file_version=self.specific_files[-1][0] if self.specific_files else 0,
            current_zigbee_stack_version=self._specific_stack_version()))

    # hooks (faults override them): what the request names
    def _specific_request_address(self) -> int:
        return self.eui64

    def _specific_query_type(self) -> int:
        assert self.specific_file_type is not None
        return self.specific_file_type

    def _specific_stack_version(self) -> int:
        return ZIGBEE_PRO_STACK

    def _take_specific(self, src: int, cmd: object) -> bool:
        """Take ``cmd`` if it belongs to the device-specific file exchange (True: taken)."""
        if src != self.paired_hub or self.specific_file_type is None:
            return False
        if isinstance(cmd, oc.QueryDeviceSpecificFileResponse):
            self._on_specific_response(cmd)
            return True
        download = self._specific
        if download is None:
            return False
        if isinstance(cmd, oc.ImageBlockResponse) and not download.ended:
            if cmd.status != Status.SUCCESS:
                return False  # WAIT_FOR_DATA / ABORT name no file: the firmware machine's
            if (cmd.manufacturer_code, cmd.image_type, cmd.file_version) != self._specific_identity():
                return False
            self._on_specific_block(download, cmd)
            return True
        if isinstance(cmd, oc.UpgradeEndResponse) and download.ended and \
                cmd.image_type == download.image_type:
            self._specific = None
            self._on_specific_end(download, cmd)
            return True
        return False

    def _on_specific_end(self, download: _Download, cmd: oc.UpgradeEndResponse) -> None:
        """The hub's answer to the file's Upgrade End Request: a file, not firmware, so nothing
        is run, whatever the upgrade time (a hook: faults override it)."""

    def _on_specific_no_file(self, cmd: oc.QueryDeviceSpecificFileResponse) -> None:
        """The hub has no file for the device (or not the one asked for): nothing to download."""


    def _specific_identity(self) -> tuple[int, int, int] | None:
        d = self._specific
        return None if d is None else (d.manufacturer_code, d.image_type, d.file_version)

    def _on_specific_response(self, cmd: oc.QueryDeviceSpecificFileResponse) -> None:
        if cmd.status != Status.SUCCESS or cmd.manufacturer_code != self.manufacturer_code \
                or cmd.image_type != self.specific_file_type or not cmd.image_size:
            self._specific = None
            self._on_specific_no_file(cmd)
            return
        assert cmd.file_version is not None and cmd.image_type is not None
        self._specific = _Download(cmd.manufacturer_code, cmd.image_type, cmd.file_version, cmd.image_size)
        self._ask_specific_block(self._specific)

    def _on_specific_block(self, download: _Download, cmd: oc.ImageBlockResponse) -> None:
        assert cmd.image_data is not None
        if cmd.file_offset != len(download.data):
            self._ask_specific_block(download)  # not the block asked for: ask again
            return
        download.data += cmd.image_data[:download.size - len(download.data)]
        if len(download.data) < download.size:
            self._ask_specific_block(download)
            return
        download.ended = True
        self.specific_files.append((download.file_version, bytes(download.data)))
        self._send(oc.UpgradeEndRequest(status=Status.SUCCESS, manufacturer_code=download.manufacturer_code,
                                        image_type=download.image_type, file_version=download.file_version))

    def _ask_specific_block(self, download: _Download) -> None:
        self._send(oc.ImageBlockRequest(
            manufacturer_code=download.manufacturer_code, image_type=download.image_type,
            file_version=download.file_version, file_offset=len(download.data),
            maximum_data_size=self.max_data_size))


#: ZigBee PRO (the CurrentZigbeeStackVersion the reference device reports).
ZIGBEE_PRO_STACK = 0x0002
