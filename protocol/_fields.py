"""Shared field adapters and the one strict decode gate.

``decode(fmt, data)`` is the only way the project parses untrusted bytes with construct:
it refuses trailing data, records where each read started so an error can name the byte
offset, and turns every construct error into :class:`protocol.errors.DecodeError`.
"""

from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING, Any, TypeVar

import construct as c

from .errors import DecodeError, ProtocolError

if TYPE_CHECKING:
    from construct.core import Context

__all__ = ["EUI64", "decode", "encode", "eui64_str"]

#: What a declaration parses to and builds from: the codec's functions keep construct's own
#: types (a dataclass for an adapter, construct's untyped Container for a bare Struct).
ParsedT = TypeVar("ParsedT")
BuiltT = TypeVar("BuiltT")


class _TrackingStream(io.BytesIO):
    """A BytesIO that remembers where the last read started (the failing field's offset)."""

    last_start = 0

    def read(self, size: int | None = -1) -> bytes:
        self.last_start = self.tell()
        return super().read(size)


def _path(err: c.ConstructError) -> str:
    raw = getattr(err, "path", None) or ""
    parts = [p.strip() for p in str(raw).split("->")]
    return ".".join(p for p in parts if p and p != "(parsing)" and p != "(building)")


def _reason(err: c.ConstructError) -> str:
    text = str(err).split("\n", 1)
    msg = text[1] if len(text) > 1 else text[0]
    return msg.strip() or type(err).__name__


def decode(fmt: c.Construct[ParsedT, Any], data: bytes, *, base_offset: int = 0, what: str = "",
           allow_trailing: bool = False) -> ParsedT:
    """Parse ``data`` completely with the interpreted form of ``fmt``.

    Raises DecodeError (field path, byte offset) for truncation, a wrong constant,
    an out-of-range enum, or bytes left over (unless ``allow_trailing``: then they are ignored).
    ``base_offset`` shifts reported offsets when ``data`` is a slice of a larger buffer.
    """
    stream = _TrackingStream(bytes(data))
    try:
        obj = fmt.parse_stream(stream)
    except ProtocolError:
        raise
    except c.ConstructError as err:
        field = _path(err) or what
        raise DecodeError(_reason(err), field=field, offset=base_offset + stream.last_start) from None
    except (struct.error, ValueError, IndexError, OverflowError, UnicodeDecodeError) as err:
        raise DecodeError(str(err) or type(err).__name__, field=what,
                          offset=base_offset + stream.last_start) from None
    end = stream.tell()
    if end != len(data) and not allow_trailing:
        raise DecodeError(f"{len(data) - end} unexpected bytes after the end of the message",
                          field=what or "(end)", offset=base_offset + end)
    return obj


def encode(fmt: c.Construct[Any, BuiltT], obj: BuiltT, *, what: str = "") -> bytes:
    """Build bytes from ``obj``; a value that does not fit raises DecodeError naming the field."""
    try:
        return bytes(fmt.build(obj))
    except c.ConstructError as err:
        raise DecodeError(_reason(err), field=_path(err) or what) from None


class _EUI64Adapter(c.Adapter):  # type: ignore[type-arg]
    """EUI-64 as 8 little-endian bytes on air, an int in Python (as zigpy shows it)."""

    def _decode(self, obj: bytes, context: Context, path: str) -> int:
        return int.from_bytes(obj, "little")

    def _encode(self, obj: int, context: Context, path: str) -> bytes:
        return int(obj).to_bytes(8, "little")


EUI64 = _EUI64Adapter(c.Bytes(8))


def eui64_str(value: int) -> str:
    """Format an EUI-64 the way ZigBee tools print it: ``00:0d:6f:...`` most significant first."""
    return ":".join(f"{b:02x}" for b in value.to_bytes(8, "big"))
