"""What the reference device answers to a ZCL frame it does not take as an OTA client, before any
decoding (ZCL 07-5123, Default Response command; ZigBee 095264 for the commands a client takes):

- a manufacturer-specific frame (frame-control bit 2) with a manufacturer code whose commands the
  device does not implement (the reference implements none): UNSUP_MANUF_CLUSTER_COMMAND, or
  UNSUP_MANUF_GENERAL_COMMAND for a general command. It is not the standard command that shares
  its command id, and it is never obeyed as one;
- a cluster-specific server→client command id the OTA cluster does not define (0x0A and above, or
  an id that names a client→server command): UNSUP_CLUSTER_COMMAND; a general command the device
  does not take: UNSUP_GENERAL_COMMAND.

Each answer is a Default Response carrying the transaction sequence number and command id of the
frame it answers (both read after the manufacturer code when there is one). A frame too short to
hold its fields stays MALFORMED_COMMAND (:meth:`~.device.OtaDevice._answer_malformed`).
:class:`ZclGate` is a part of :class:`~.device.OtaDevice`; its hooks are what faults override.
"""

from __future__ import annotations

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import DeviceViolationError
from hanota.protocol.ota_messages import entry_by_id
from hanota.protocol.zcl import DefaultResponse, Direction, FrameType, HeaderPeek, Status, peek_header

from .han import HanFrame

__all__ = ["ZclGate", "another_manufacturer", "unsupported_status"]

#: The general commands an OTA client takes: Read Attributes and Default Response.
_GENERAL_TAKEN = frozenset({0x00, 0x0B})


def another_manufacturer(own: int) -> int:
    """A manufacturer code that is not ``own``: the maker of a manufacturer-specific command the
    device must refuse (it implements no other manufacturer's commands)."""
    return 0x7E57 if own != 0x7E57 else 0x7E58


def unsupported_status(peek: HeaderPeek) -> Status | None:
    """The refusal status of a frame whose command the client does not support, None for one
    it does (whose fields are then decoded, strictly)."""
    if peek.frame_type == FrameType.GLOBAL:
        if peek.manufacturer_code is not None:
            return Status.UNSUP_MANUF_GENERAL_COMMAND
        return None if peek.command_id in _GENERAL_TAKEN else Status.UNSUP_GENERAL_COMMAND
    if peek.frame_type != FrameType.CLUSTER_SPECIFIC:
        return None  # a reserved frame type: malformed, as the strict decode says
    if peek.manufacturer_code is not None:
        return Status.UNSUP_MANUF_CLUSTER_COMMAND
    if peek.direction is not Direction.SERVER_TO_CLIENT:
        return None  # addressed to a server cluster: the strict decode refuses the direction
    entry = entry_by_id(FrameType.CLUSTER_SPECIFIC, peek.command_id)
    if entry is None or entry.direction is not Direction.SERVER_TO_CLIENT:
        return Status.UNSUP_CLUSTER_COMMAND
    return None


class ZclGate:
    """The refusal of unsupported commands by :class:`~.device.OtaDevice` (which provides
    ``_reply``)."""

    def _reply(self, frame: HanFrame, cmd: oc.Command, *, tsn: int) -> None:
        raise NotImplementedError

    def _unsupported(self, peek: HeaderPeek) -> Status | None:
        """Hook: the refusal status of the frame's command, None when the device takes it."""
        return unsupported_status(peek)

    def _refuse_unsupported(self, frame: HanFrame) -> None:
        """Answer an unsupported command with its Default Response and raise; return when the
        frame's command is one the device takes (or it has no header to answer)."""
        peek = peek_header(frame.payload)
        if peek is None:
            return
        status = self._unsupported(peek)
        if status is None:
            return
        self._answer_unsupported(frame, peek, status)
        code = peek.manufacturer_code
        maker = f" of manufacturer 0x{code:04x}" if code is not None else ""
        raise DeviceViolationError(f"command 0x{peek.command_id:02x}{maker} is not supported: {status.name}")

    def _answer_unsupported(self, frame: HanFrame, peek: HeaderPeek, status: Status) -> None:
        """Hook: the Default Response to an unsupported command, with its TSN and command id."""
        self._reply(frame, DefaultResponse(command_id=peek.command_id, status=status), tsn=peek.tsn)
