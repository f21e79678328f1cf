"""An installer's Hand Held Terminal on the HAN: the local upgrade the working group banned,
which a conforming device refuses (SECMP7-HHT-001/002)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from hanota.protocol import ota_commands as oc
from hanota.protocol import ota_image
from hanota.protocol.errors import ProtocolError
from hanota.protocol.limits import DEFAULT_MAX_WHOLE_IMAGE_BYTES
from hanota.protocol.zcl import OTA_CLUSTER_ID, DefaultResponse, Direction, Status

from .clock import VirtualClock
from .han import OTA_ENDPOINT, SE_PROFILE_ID, HanFrame, make_frame

__all__ = ["HandHeldTerminal"]


class HandHeldTerminal:
    """An installer's Hand Held Terminal offering an image locally, as an OTA server would.

    It sends Image Notify to a device and serves Query Next Image, blocks and Upgrade End with
    immediate activation. The working group banned such local upgrades: a conforming device
    refuses every one of these frames (the HHT records what it receives as evidence).
    """

    def __init__(self, clock: VirtualClock, *, eui64: int, image: bytes,
                 max_image_bytes: int = DEFAULT_MAX_WHOLE_IMAGE_BYTES) -> None:
        self.clock = clock
        self.eui64 = eui64
        self.data = bytes(image)
        self.image = ota_image.parse_image(self.data, max_size=max_image_bytes)
        self.received: list[tuple[int, HanFrame]] = []
        self.upgrade_ends: list[tuple[int, Status]] = []
        self._out: deque[HanFrame] = deque()
        #: set by the HanNetwork this node is attached to: called on each frame queued.
        self.han_notify: Callable[[], None] | None = None
        self._tsn = 0

    def offer(self, device: int, *, query_jitter: int = 100) -> None:
        h = self.image.header
        self._send(device, self._next_tsn(), oc.ImageNotify(
            payload_type=oc.ImageNotifyPayloadType.NEW_FILE_VERSION, query_jitter=query_jitter,
            manufacturer_code=h.manufacturer_code, image_type=h.image_type,
            new_file_version=h.file_version))

    def push_block(self, device: int, offset: int = 0, size: int = 64) -> None:
        """An unsolicited Image Block Response (a local tool pushing data)."""
        h = self.image.header
        self._send(device, self._next_tsn(), oc.ImageBlockResponse(
            status=Status.SUCCESS, manufacturer_code=h.manufacturer_code, image_type=h.image_type,
            file_version=h.file_version, file_offset=offset, image_data=self.data[offset:offset + size]))

    def push_activation(self, device: int) -> None:
        """An unsolicited Upgrade End Response telling the device to activate now."""
        h = self.image.header
        self._send(device, self._next_tsn(), oc.UpgradeEndResponse(
            manufacturer_code=h.manufacturer_code, image_type=h.image_type,
            file_version=h.file_version, current_time=0, upgrade_time=0))

    def next_frame(self) -> HanFrame | None:
        return self._out.popleft() if self._out else None

    def receive(self, frame: HanFrame) -> None:
        self.received.append((self.clock.now_ms, frame))
        try:
            header, decoded = oc.decode_command(frame.payload)
        except ProtocolError:
            return
        cmd: Any = decoded
        h = self.image.header
        if isinstance(cmd, oc.QueryNextImageRequest):
            self._send(frame.src, header.tsn, oc.QueryNextImageResponse(
                status=Status.SUCCESS, manufacturer_code=h.manufacturer_code, image_type=h.image_type,
                file_version=h.file_version, image_size=len(self.data)))
        elif isinstance(cmd, oc.ImageBlockRequest):
            offset = cmd.file_offset
            self._send(frame.src, header.tsn, oc.ImageBlockResponse(
                status=Status.SUCCESS, manufacturer_code=h.manufacturer_code, image_type=h.image_type,
                file_version=h.file_version, file_offset=offset,
                image_data=self.data[offset:offset + cmd.maximum_data_size]))
        elif isinstance(cmd, oc.UpgradeEndRequest):
            self.upgrade_ends.append((self.clock.now_ms, Status(cmd.status)))
            if cmd.status == Status.SUCCESS:
                self._send(frame.src, header.tsn, oc.UpgradeEndResponse(
                    manufacturer_code=h.manufacturer_code, image_type=h.image_type,
                    file_version=h.file_version, current_time=0, upgrade_time=0))
        elif isinstance(cmd, oc.ImagePageRequest):
            # It serves blocks only, and says so as an OTA server must (ZCL: UNSUP_CLUSTER_COMMAND),
            # so a device that asks by pages falls back to blocks as it would with the hub.
            self._send(frame.src, header.tsn, DefaultResponse(
                command_id=header.command_id, status=Status.UNSUP_CLUSTER_COMMAND,
                direction=Direction.SERVER_TO_CLIENT))

    def _next_tsn(self) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn

    def _send(self, device: int, tsn: int, cmd: oc.Command) -> None:
        self._out.append(make_frame(self.eui64, device, OTA_ENDPOINT, OTA_ENDPOINT, SE_PROFILE_ID,
                                  OTA_CLUSTER_ID, oc.encode_command(cmd, tsn=tsn)))
        if self.han_notify is not None:
            self.han_notify()
