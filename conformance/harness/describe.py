"""How the harness names frames in failure messages and evidence: one decoded command per line."""

from __future__ import annotations

import dataclasses
import enum

from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import peek_header

from ..models.han import HanFrame

__all__ = ["command_text", "frame_key", "frame_line", "frame_tsn"]

_HEX_FIELDS = ("file_version", "current_file_version", "new_file_version", "manufacturer_code", "image_type")


def frame_key(payload: bytes) -> tuple[int, int]:
    """(frame type, command id) of a ZCL frame; (-1, -1) when it has no ZCL header."""
    peek = peek_header(payload)
    return (peek.frame_type, peek.command_id) if peek else (-1, -1)


def frame_tsn(payload: bytes) -> int:
    """The transaction sequence number of a ZCL frame; -1 when it has no ZCL header."""
    peek = peek_header(payload)
    return peek.tsn if peek else -1


def command_text(command: oc.Command | str | None) -> str:
    """A decoded command in one line (image data shown as its length, identities in hex); a
    string is an undecodable frame's reason, None a frame of another cluster."""
    if command is None:
        return "(not an OTA cluster frame)"
    if isinstance(command, str):
        return command
    fields = []
    for f in dataclasses.fields(command):
        value = getattr(command, f.name)
        if value is None:
            continue
        if isinstance(value, (bytes, bytearray)):
            fields.append(f"{f.name}=<{len(value)} bytes>")
        elif isinstance(value, enum.Enum):
            fields.append(f"{f.name}={value.name}")
        elif isinstance(value, int) and f.name in _HEX_FIELDS:
            fields.append(f"{f.name}=0x{value:0{8 if 'version' in f.name else 4}x}")
        else:
            fields.append(f"{f.name}={value}")
    return f"{type(command).__name__}({', '.join(fields)})"


def frame_line(time_ms: int, frame: HanFrame, command: oc.Command | None, dut: int) -> str:
    arrow = "device ->" if frame.src == dut else "-> device"
    return f"t={time_ms} ms {arrow} {command_text(command)}"
