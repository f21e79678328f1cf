"""Frame observation: the OTA frames to and from the device under test, decoded from the HAN log.

Only what crosses the HAN: the steps judge the device by the frames it sends (and the harness's
Read Attributes, :mod:`.checks`), never by the model's Python attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import ProtocolError
from hanota.protocol.zcl import OTA_CLUSTER_ID, DefaultResponse, Status

from ..models.han import HanFrame
from .describe import frame_key, frame_line
from .world import Scene

__all__ = ["FrameLog", "SeenFrame"]

C = TypeVar("C", bound=oc.Command)
_GENERAL = (oc.ReadAttributes, oc.ReadAttributesResponse, DefaultResponse)  # ZCL general commands


@dataclass(frozen=True)
class SeenFrame(Generic[C]):
    """One frame of the HAN log (its index in the log, time and frame) with its decoded command."""

    index: int
    time_ms: int
    frame: HanFrame
    command: C

    @property
    def name(self) -> str:
        return type(self.command).__name__


class FrameLog:
    """The OTA frames of the premises' HAN to and from the device under test, each decoded once."""

    def __init__(self, scene: Scene) -> None:
        self._scene = scene
        self._decoded: dict[int, oc.Command | None] = {}

    def frames(self, *, sent_by_dut: bool | None = True,
               kinds: tuple[type, ...] = ()) -> Iterator[SeenFrame[oc.Command]]:
        """Decoded OTA frames of the HAN log, oldest first: sent by the device under test
        (True), sent to it (False) or either (None); only those of ``kinds`` if given."""
        eui = self._scene.device_eui64
        ids = {(0 if k in _GENERAL else 1, int(getattr(k, "COMMAND_ID"))) for k in kinds}  # noqa: B009
        for index, (time_ms, frame) in enumerate(self._scene.network.log):
            if frame.cluster_id != OTA_CLUSTER_ID:
                continue
            mine = frame.src == eui
            if (sent_by_dut is True and not mine) or (sent_by_dut is False and frame.dst != eui) \
                    or (sent_by_dut is None and not (mine or frame.dst == eui)):
                continue
            if ids and frame_key(frame.payload) not in ids:
                continue
            command = self.decode(index, frame)
            if command is not None and (not kinds or isinstance(command, kinds)):
                yield SeenFrame(index, time_ms, frame, command)

    def frames_of(self, kind: type[C], *, sent_by_dut: bool | None = True) -> Iterator[SeenFrame[C]]:
        """As :meth:`frames`, for one kind of command, typed as it."""
        for seen in self.frames(sent_by_dut=sent_by_dut, kinds=(kind,)):
            if isinstance(seen.command, kind):
                yield SeenFrame(seen.index, seen.time_ms, seen.frame, seen.command)

    def decode(self, index: int, frame: HanFrame) -> oc.Command | None:
        """The command of frame ``index`` of the log (None: not a decodable OTA cluster frame)."""
        if index not in self._decoded:
            try:
                self._decoded[index] = oc.decode_command(frame.payload)[1]
            except ProtocolError:
                self._decoded[index] = None
        return self._decoded[index]

    def block_requests(self) -> list[SeenFrame[oc.ImageBlockRequest]]:
        return list(self.frames_of(oc.ImageBlockRequest))

    def upgrade_end_statuses(self) -> list[Status]:
        return [Status(f.command.status) for f in self.frames_of(oc.UpgradeEndRequest)]

    def default_response_statuses(self) -> list[Status]:
        return [Status(f.command.status) for f in self.frames_of(DefaultResponse)]

    def last_frames(self, count: int = 8, *, sent_by_dut: bool | None = None) -> str:
        """The last frames to and from the device, decoded, for failure messages."""
        eui = self._scene.device_eui64
        log = self._scene.network.log
        picked: list[str] = []
        for index in range(len(log) - 1, -1, -1):
            time_ms, frame = log[index]
            if frame.src != eui and frame.dst != eui:
                continue
            if sent_by_dut is not None and (frame.src == eui) != sent_by_dut:
                continue
            picked.append(frame_line(time_ms, frame, self.decode(index, frame), eui))
            if len(picked) >= count:
                break
        return "\n  ".join(["last frames:", *picked[::-1]]) if picked else "no frames exchanged"
