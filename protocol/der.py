"""BER lengths, bounded windows and DER primitives: the ASN.1 building blocks of the GBCS codec.

Every length (BER or DER) is checked against the bytes that are left before anything is read,
and every nested length-prefixed part is parsed from its own bounded window whose errors still
name the absolute byte offset in the input. :mod:`protocol.gbcs` declares its messages with
these; :mod:`protocol.gbt` shares :data:`BER_LENGTH`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from enum import IntEnum
from typing import IO, TYPE_CHECKING, Any, Final

import construct as c

from ._fields import ParsedT, decode
from .errors import DecodeError, ProtocolError

if TYPE_CHECKING:
    from construct.core import Context

__all__ = [
    "BER_LENGTH",
    "AbsoluteTell",
    "Bounded",
    "DerUnsigned",
    "EnumOf",
    "GeneralizedTime",
    "OneOf",
    "absolute_offset",
    "clean_path",
    "decode_at",
    "present",
    "remaining",
    "tlv",
]

# --------------------------------------------------------------------------- bounded parsing


def remaining(stream: IO[bytes]) -> int:
    pos = stream.tell()
    end = stream.seek(0, io.SEEK_END)
    stream.seek(pos)
    return int(end - pos)


def absolute_offset(stream: IO[bytes]) -> int:
    """Offset of the stream position in the whole input (windows carry their base)."""
    return int(getattr(stream, "base", 0)) + int(stream.tell())


def clean_path(path: object) -> str:
    # "value" is the anonymous inside of a TLV: leave it out so paths read like the ASN.1.
    parts = [p.strip() for p in str(path or "").split("->")]
    return ".".join(p for p in parts if p and p not in ("(parsing)", "(building)", "value"))


def _reason(err: c.ConstructError) -> str:
    text = str(err).split("\n", 1)
    return (text[1] if len(text) > 1 else text[0]).strip() or type(err).__name__


class _Window(io.BytesIO):
    """The bytes of one length-prefixed part, remembering where they sit in the whole input."""

    def __init__(self, data: bytes, base: int) -> None:
        super().__init__(data)
        self.base = base
        self.last_start = 0

    def read(self, size: int | None = -1) -> bytes:
        self.last_start = self.tell()
        return super().read(size)


class _BerLength(c.Construct):  # type: ignore[type-arg]
    """BER definite length (X.690 8.1.3; A-XDR uses the same form), shortest form only,
    1 to 3 extra length octets, and never more than the bytes left in the enclosing part."""

    def _parse(self, stream: IO[bytes], context: Context, path: str) -> int:
        first = c.stream_read(stream, 1, path)[0]
        if first < 0x80:
            length = int(first)
        else:
            count = first & 0x7F
            if not 1 <= count <= 3:
                raise c.ValidationError(f"length form 0x{first:02x} is not supported (1-3 length octets)",
                                        path=path)
            raw = c.stream_read(stream, count, path)
            length = int.from_bytes(raw, "big")
            if raw[0] == 0 or length < 0x80:
                raise c.ValidationError(f"length {length} is not in its shortest form", path=path)
        left = remaining(stream)
        if length > left:
            raise c.StreamError(f"length {length} runs past the end: only {left} bytes are left", path=path)
        return length

    def _build(self, obj: int, stream: IO[bytes], context: Context, path: str) -> int:
        length = int(obj)
        if not 0 <= length <= 0xFFFFFF:
            raise c.ValidationError(f"length {length} does not fit a BER length", path=path)
        if length < 0x80:
            data = bytes([length])
        else:
            raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
            data = bytes([0x80 | len(raw)]) + raw
        c.stream_write(stream, data, len(data), path)
        return length

    def _sizeof(self, context: Context, path: str) -> int:
        raise c.SizeofError("a BER length has no fixed size", path=path)


#: BER/A-XDR length, checked against the bytes left; shared with the GBT codec.
BER_LENGTH: Final = _BerLength()


class Bounded(c.Subconstruct):  # type: ignore[type-arg]
    """A BER length, then ``subcon`` parsed from exactly that many bytes (nothing left over)."""

    def _parse(self, stream: IO[bytes], context: Context, path: str) -> object:
        length = BER_LENGTH._parsereport(stream, context, path)
        base = absolute_offset(stream)
        window = _Window(c.stream_read(stream, length, path), base)
        try:
            obj = self.subcon._parsereport(window, context, path)
        except c.ConstructError as err:
            raise DecodeError(_reason(err), field=clean_path(getattr(err, "path", None) or path),
                              offset=window.base + window.last_start) from None
        if window.tell() != length:
            raise DecodeError(f"{length - window.tell()} bytes left over inside a length of {length}",
                              field=clean_path(path), offset=base + window.tell())
        return obj

    def _build(self, obj: object, stream: IO[bytes], context: Context, path: str) -> int:
        inner = io.BytesIO()
        ret = self.subcon._build(obj, inner, context, path)
        data = inner.getvalue()
        BER_LENGTH._build(len(data), stream, context, path)
        c.stream_write(stream, data, len(data), path)
        return ret

    def _sizeof(self, context: Context, path: str) -> int:
        raise c.SizeofError("a length-prefixed part has no fixed size", path=path)


class AbsoluteTell(c.Construct):  # type: ignore[type-arg]
    """Where the stream stands in the whole input (windows included); builds nothing."""

    flagbuildnone = True

    def _parse(self, stream: IO[bytes], context: Context, path: str) -> int:
        return absolute_offset(stream)

    def _build(self, obj: object, stream: IO[bytes], context: Context, path: str) -> int:
        return absolute_offset(stream)

    def _sizeof(self, context: Context, path: str) -> int:
        return 0


def present(name: str) -> Callable[[Context], bool]:
    """OPTIONAL trailing field: present when bytes are left (parse) or a value is given (build)."""

    def cond(this: Context) -> bool:
        if this._parsing:
            return remaining(this._io) > 0
        return this.get(name) is not None

    return cond


class EnumOf(c.Adapter):  # type: ignore[type-arg]
    """An integer restricted to an IntEnum (optionally to some of its members)."""

    def __init__(self, subcon: c.Construct[Any, Any], enum: type[IntEnum],
                 allowed: tuple[IntEnum, ...] = ()) -> None:
        super().__init__(subcon)
        self.enum = enum
        self.allowed = frozenset(int(a) for a in allowed) or frozenset(int(m) for m in enum)

    def _decode(self, obj: int, context: Context, path: str) -> IntEnum:
        if obj not in self.allowed:
            raise c.ValidationError(f"{obj} (0x{obj:x}) is not an allowed {self.enum.__name__}", path=path)
        return self.enum(obj)

    def _encode(self, obj: int, context: Context, path: str) -> int:
        if int(obj) not in self.allowed:
            raise c.ValidationError(f"{obj} is not an allowed {self.enum.__name__}", path=path)
        return int(obj)


class OneOf(c.Adapter):  # type: ignore[type-arg]
    def __init__(self, subcon: c.Construct[Any, Any], allowed: tuple[int, ...]) -> None:
        super().__init__(subcon)
        self.allowed = allowed

    def _decode(self, obj: int, context: Context, path: str) -> int:
        if obj not in self.allowed:
            raise c.ValidationError(f"{obj} is not one of {list(self.allowed)}", path=path)
        return obj

    _encode = _decode


# --------------------------------------------------------------------------- DER primitives


def tlv(tag: int, subcon: c.Construct[Any, Any]) -> c.Construct[Any, Any]:
    return c.FocusedSeq("value", "tag" / c.Const(bytes([tag])), "value" / Bounded(subcon))


class DerUnsigned(c.Adapter):  # type: ignore[type-arg]
    """Contents of a DER INTEGER holding a non-negative value: minimal two's complement."""

    def __init__(self, max_octets: int) -> None:
        super().__init__(c.GreedyBytes)
        self.max_octets = max_octets

    def _decode(self, obj: bytes, context: Context, path: str) -> int:
        if not obj:
            raise c.ValidationError("INTEGER with no content octets", path=path)
        if len(obj) > 1 and ((obj[0] == 0 and obj[1] < 0x80) or (obj[0] == 0xFF and obj[1] >= 0x80)):
            raise c.ValidationError("INTEGER not in its shortest form (DER)", path=path)
        if obj[0] & 0x80:
            raise c.ValidationError("negative INTEGER where a non-negative value is required", path=path)
        if len(obj) > self.max_octets:
            raise c.ValidationError(f"INTEGER of {len(obj)} octets, at most {self.max_octets} allowed",
                                    path=path)
        return int.from_bytes(obj, "big")

    def _encode(self, obj: int, context: Context, path: str) -> bytes:
        value = int(obj)
        if value < 0:
            raise c.ValidationError(f"{value} is negative", path=path)
        raw = value.to_bytes(value.bit_length() // 8 + 1, "big")
        if len(raw) > self.max_octets:
            raise c.ValidationError(f"{value} needs more than {self.max_octets} INTEGER octets", path=path)
        return raw


_GENERALIZED_TIME = re.compile(rb"[0-9]{14}Z\Z")


class GeneralizedTime(c.Adapter):  # type: ignore[type-arg]
    """GeneralizedTime as GBCS uses it: exactly ``YYYYMMDDHHMMSSZ`` (UTC, no fraction)."""

    def __init__(self) -> None:
        super().__init__(c.GreedyBytes)

    def _decode(self, obj: bytes, context: Context, path: str) -> datetime:
        if not _GENERALIZED_TIME.match(obj):
            raise c.ValidationError(f"GeneralizedTime {obj!r} is not YYYYMMDDHHMMSSZ", path=path)
        try:
            return datetime.strptime(obj.decode("ascii"), "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)
        except ValueError as err:
            raise c.ValidationError(f"GeneralizedTime {obj!r}: {err}", path=path) from None

    def _encode(self, obj: datetime, context: Context, path: str) -> bytes:
        if obj.tzinfo is None or obj.microsecond:
            raise c.ValidationError("execution date-time must be timezone-aware, whole seconds", path=path)
        return obj.astimezone(UTC).strftime("%Y%m%d%H%M%SZ").encode("ascii").rjust(15, b"0")


# --------------------------------------------------------------------------- the strict gate


def decode_at(fmt: c.Construct[ParsedT, Any], data: bytes, what: str, base_offset: int) -> ParsedT:
    """The strict gate, with offsets shifted when ``data`` is a slice of a larger message."""
    try:
        return decode(fmt, data, what=what)
    except ProtocolError as err:
        field = clean_path(err.field.replace(".", "->"))
        field = what if not field else field if field.startswith(what) else f"{what}.{field}"
        offset = None if err.offset is None else err.offset + base_offset
        raise type(err)(err.message, field=field, offset=offset) from None
