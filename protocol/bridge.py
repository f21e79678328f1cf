"""The DUT bridge protocol (versions 1 and 2): how the suite reaches a device under test over TCP.

Specified for implementers in ``docs/dut-bridge.md``; this module is the one declaration both
ends use. The suite is the TCP client, the bridge (the device's side) the server. Every message
travels in an envelope::

    length  u32 big-endian   bytes that follow (type + body), 1 .. MAX_ENVELOPE
    type    u8               MessageType
    body    ...              the message, declared below (all integers big-endian)

The length is checked against :data:`MAX_ENVELOPE` before a byte of the body is read, so a
hostile peer can never make either end allocate more than the cap. Decoding is strict (the
``protocol.decode`` gate): truncation, trailing bytes, an undefined enum value or a reserved bit
raise a :class:`~protocol.errors.ProtocolError` subclass naming the field and the byte offset
counted from the start of the envelope.

Sans-I/O: :func:`encode_message` gives bytes, :class:`MessageReader` takes bytes in any chunking
and gives messages; sockets live in ``conformance/adapters``.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Any, TypeAlias

import construct as c

from ._fastpath import struct_of
from ._fields import decode
from .errors import DecodeError, HarnessUsageError, SizeLimitError
from .zcl import AsDataclass, EnumField, ReservedBits

__all__ = [
    "CAPABILITIES_OF_VERSION",
    "CONSUMER_ACCEPTS",
    "CONSUMER_REFUSES",
    "MAX_ENVELOPE",
    "NO_TIMER",
    "OPS_OF_VERSION",
    "PROTOCOL_VERSION",
    "SUPPORTED_VERSIONS",
    "Capability",
    "Control",
    "ControlOp",
    "ControlReply",
    "ControlStatus",
    "DeviceHello",
    "DeviceKind",
    "ErrorCode",
    "ErrorMessage",
    "Frame",
    "Hello",
    "Message",
    "MessageReader",
    "MessageType",
    "choose_version",
    "decode_envelope",
    "encode_message",
]

PROTOCOL_VERSION = 2
#: Versions this codec speaks (a client offers a range in HELLO; the bridge picks one).
#: Version 2 adds the CONSUMER control and its capability bit; nothing else changed.
SUPPORTED_VERSIONS = (1, 2)
#: Largest envelope (type + body) either end accepts: 64 KiB.
MAX_ENVELOPE = 65_536
#: ``next_due_ms`` meaning "no timer pending / not known".
NO_TIMER = 0xFFFF_FFFF_FFFF_FFFF
MAGIC = b"HOTA"
_LENGTH = struct.Struct(">I")


class MessageType(enum.IntEnum):
    HELLO = 0x01          # client -> bridge: protocol versions offered
    DEVICE_HELLO = 0x02   # bridge -> client: version chosen and the device's identity
    FRAME = 0x03          # both ways: one ZCL frame with its ZigBee addressing
    CONTROL = 0x10        # client -> bridge: optional control request
    CONTROL_REPLY = 0x11  # bridge -> client: the answer to one CONTROL
    ERROR = 0x7F          # either way: a fatal protocol error; the sender then closes


class DeviceKind(enum.IntEnum):
    IHD = 1
    PPMID = 2


class Capability(enum.IntFlag):
    """What the bridge offers besides frames (DEVICE_HELLO ``capabilities``)."""

    VIRTUAL_TIME = 0x01  # the device runs on a virtual clock moved only by ADVANCE
    RESET = 0x02         # RESET: back to the factory state of the session
    POWER_CYCLE = 0x04   # POWER_CYCLE: off and on, keeping what survives a power loss
    CONSUMER = 0x08      # version 2: CONSUMER, the consumer's answer to the upgrade prompt


#: Capability bits defined in each version (a peer refuses the others as reserved).
CAPABILITIES_OF_VERSION = {1: Capability(0x07), 2: Capability(0x0F)}


NO_CAPABILITIES = Capability(0)


class ControlOp(enum.IntEnum):
    TIME = 0x01         # read the device clock and its next timer; also a barrier (see docs)
    ADVANCE = 0x02      # move the virtual clock forward by ``argument`` ms, running timers
    RESET = 0x03
    POWER_CYCLE = 0x04
    CONSUMER = 0x05     # version 2: argument 0 the consumer accepts upgrades, 1 refuses them


#: Control operations defined in each version.
OPS_OF_VERSION = {1: frozenset({ControlOp.TIME, ControlOp.ADVANCE, ControlOp.RESET,
                                ControlOp.POWER_CYCLE}), 2: frozenset(ControlOp)}
#: CONSUMER's argument.
CONSUMER_ACCEPTS = 0
CONSUMER_REFUSES = 1


class ControlStatus(enum.IntEnum):
    OK = 0x00
    NOT_SUPPORTED = 0x01
    ERROR = 0x02


class ErrorCode(enum.IntEnum):
    MALFORMED = 0x01            # a message could not be decoded
    UNSUPPORTED_VERSION = 0x02  # no common protocol version
    TOO_LARGE = 0x03            # an envelope over MAX_ENVELOPE
    UNEXPECTED_MESSAGE = 0x04   # a valid message at the wrong time or in the wrong direction
    INTERNAL = 0x05             # the sender failed on its own side


# ------------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True)
class Hello:
    """Client -> bridge, first message of a connection: the versions the client speaks."""

    version_min: int = SUPPORTED_VERSIONS[0]
    version_max: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class DeviceHello:
    """Bridge -> client, the answer to HELLO: chosen version and the device's identity."""

    version: int
    eui64: int
    kind: DeviceKind
    manufacturer_code: int
    image_type: int
    file_version: int
    hardware_version: int
    #: EUI-64 of the Communications Hub the device is paired to (its only OTA server);
    #: the suite plays that hub. NO_TIMER's value (all ones) when the device is not paired.
    paired_hub: int
    capabilities: Capability = NO_CAPABILITIES


@dataclass(frozen=True, slots=True)
class Frame:
    """One ZCL frame with ZigBee addressing (the fields of ``HanFrame``); ``payload`` is the
    ZCL frame (header + command) exactly as on air."""

    src: int
    dst: int
    src_endpoint: int
    dst_endpoint: int
    profile_id: int
    cluster_id: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Control:
    request_id: int
    op: ControlOp
    argument: int = 0


@dataclass(frozen=True, slots=True)
class ControlReply:
    request_id: int
    op: ControlOp
    status: ControlStatus
    now_ms: int
    next_due_ms: int = NO_TIMER
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    code: ErrorCode
    reason: str = ""


Message: TypeAlias = Hello | DeviceHello | Frame | Control | ControlReply | ErrorMessage

# ---------------------------------------------------------------------------- declarations
_Text = c.PascalString(c.Int16ub, "utf8")

HELLO_FORMAT = AsDataclass(c.Struct(
    "magic" / c.Const(MAGIC),
    "version_min" / c.Int8ub,
    "version_max" / c.Int8ub,
), Hello)

DEVICE_HELLO_FORMAT = AsDataclass(c.Struct(
    "magic" / c.Const(MAGIC),
    "version" / c.Int8ub,
    "eui64" / c.Int64ub,
    "kind" / EnumField(c.Int8ub, DeviceKind),
    "manufacturer_code" / c.Int16ub,
    "image_type" / c.Int16ub,
    "file_version" / c.Int32ub,
    "hardware_version" / c.Int16ub,
    "paired_hub" / c.Int64ub,
    "capabilities" / c.ExprAdapter(ReservedBits(c.Int32ub, int(Capability(0x0F))),
                                   lambda obj, ctx: Capability(obj), lambda obj, ctx: int(obj)),
), DeviceHello)

FRAME_STRUCT = c.Struct(
    "src" / c.Int64ub,
    "dst" / c.Int64ub,
    "src_endpoint" / c.Int8ub,
    "dst_endpoint" / c.Int8ub,
    "profile_id" / c.Int16ub,
    "cluster_id" / c.Int16ub,
    "payload" / c.Prefixed(c.Int16ub, c.GreedyBytes),
)
FRAME_FORMAT = AsDataclass(FRAME_STRUCT, Frame)

CONTROL_FORMAT = AsDataclass(c.Struct(
    "request_id" / c.Int16ub,
    "op" / EnumField(c.Int8ub, ControlOp),
    "argument" / c.Int64ub,
), Control)

CONTROL_REPLY_FORMAT = AsDataclass(c.Struct(
    "request_id" / c.Int16ub,
    "op" / EnumField(c.Int8ub, ControlOp),
    "status" / EnumField(c.Int8ub, ControlStatus),
    "now_ms" / c.Int64ub,
    "next_due_ms" / c.Int64ub,
    "reason" / _Text,
), ControlReply)

ERROR_FORMAT = AsDataclass(c.Struct(
    "code" / EnumField(c.Int8ub, ErrorCode),
    "reason" / _Text,
), ErrorMessage)

#: Message type -> (dataclass, body declaration): the whole protocol in one table.
MESSAGES: dict[MessageType, tuple[type[Any], c.Construct[Any, Any]]] = {
    MessageType.HELLO: (Hello, HELLO_FORMAT),
    MessageType.DEVICE_HELLO: (DeviceHello, DEVICE_HELLO_FORMAT),
    MessageType.FRAME: (Frame, FRAME_FORMAT),
    MessageType.CONTROL: (Control, CONTROL_FORMAT),
    MessageType.CONTROL_REPLY: (ControlReply, CONTROL_REPLY_FORMAT),
    MessageType.ERROR: (ErrorMessage, ERROR_FORMAT),
}
_TYPE_OF: dict[type[Any], MessageType] = {cls: t for t, (cls, _) in MESSAGES.items()}

# FRAME is the hot message (one per image block each way): a struct form derived from the
# declaration above, used only after explicit length checks; everything else is interpreted.
# (src .. cluster_id and the payload's length; the payload follows.)
_FRAME_HEAD = struct_of(FRAME_STRUCT.subcons)
_FRAME_TYPE = bytes([MessageType.FRAME])
# CONTROL and its reply go once per block too when time is virtual (the client asks the time
# after each frame it sends): struct forms of the declarations above, after the type octet, for
# a known op and status and an empty reason; anything else takes the interpreted path.
_CONTROL = struct_of(CONTROL_FORMAT.subcon.subcons, lead="B")  # type: ignore[attr-defined]
_CONTROL_REPLY = struct_of(CONTROL_REPLY_FORMAT.subcon.subcons, lead="B")  # type: ignore[attr-defined]
_OPS = {int(op): op for op in ControlOp}
_STATUSES = {int(status): status for status in ControlStatus}


# --------------------------------------------------------------------------------- encode
def encode_message(msg: Message) -> bytes:
    """The whole envelope (length, type, body) of ``msg``."""
    if type(msg) is Frame:
        head = _FRAME_HEAD.size + len(msg.payload)
        try:
            body = _FRAME_HEAD.pack(msg.src, msg.dst, msg.src_endpoint, msg.dst_endpoint,
                                    msg.profile_id, msg.cluster_id, len(msg.payload))
        except struct.error as err:
            raise HarnessUsageError(f"FRAME field out of range: {err}") from None
        length = head + 1
        if length > MAX_ENVELOPE:
            raise HarnessUsageError(f"FRAME of {length} bytes is over the {MAX_ENVELOPE}-byte cap")
        return _LENGTH.pack(length) + _FRAME_TYPE + body + bytes(msg.payload)
    if type(msg) is Control and type(msg.op) is ControlOp and 0 <= msg.request_id <= 0xFFFF \
            and 0 <= msg.argument <= NO_TIMER:
        return _LENGTH.pack(_CONTROL.size) + _CONTROL.pack(MessageType.CONTROL, msg.request_id, msg.op,
                                                           msg.argument)
    if type(msg) is ControlReply and not msg.reason and type(msg.op) is ControlOp \
            and type(msg.status) is ControlStatus and 0 <= msg.request_id <= 0xFFFF \
            and 0 <= msg.now_ms <= NO_TIMER and 0 <= msg.next_due_ms <= NO_TIMER:
        return _LENGTH.pack(_CONTROL_REPLY.size) + _CONTROL_REPLY.pack(
            MessageType.CONTROL_REPLY, msg.request_id, msg.op, msg.status, msg.now_ms, msg.next_due_ms, 0)
    mtype = _TYPE_OF.get(type(msg))
    if mtype is None:
        raise HarnessUsageError(f"{type(msg).__name__} is not a bridge message")
    try:
        body = MESSAGES[mtype][1].build(msg)
    except (c.ConstructError, struct.error, ValueError, TypeError) as err:
        raise HarnessUsageError(f"cannot encode {type(msg).__name__}: {err}") from None
    if len(body) + 1 > MAX_ENVELOPE:
        raise HarnessUsageError(f"{type(msg).__name__} is over the {MAX_ENVELOPE}-byte cap")
    return _LENGTH.pack(len(body) + 1) + bytes([mtype]) + body


# --------------------------------------------------------------------------------- decode
def _check_length(length: int, offset: int) -> None:
    if length == 0:
        raise DecodeError("empty envelope (no message type)", field="envelope.length", offset=offset)
    if length > MAX_ENVELOPE:
        raise SizeLimitError(f"envelope of {length} bytes is over the {MAX_ENVELOPE}-byte cap",
                             field="envelope.length", offset=offset)


def _decode_body(content: bytes, base_offset: int) -> Message:
    """``content`` is type + body (what the length counts); offsets count from the envelope."""
    raw_type = content[0]
    try:
        mtype = MessageType(raw_type)
    except ValueError:
        raise DecodeError(f"0x{raw_type:02x} is not a defined MessageType", field="envelope.type",
                          offset=base_offset + 4) from None
    if mtype is MessageType.FRAME:
        fast = _decode_frame_fast(content)
        if fast is not None:
            return fast
    elif mtype is MessageType.CONTROL and len(content) == _CONTROL.size:
        _, request_id, op, argument = _CONTROL.unpack(content)
        if op in _OPS:
            return Control(request_id, _OPS[op], argument)
    elif mtype is MessageType.CONTROL_REPLY and len(content) == _CONTROL_REPLY.size:
        _, request_id, op, status, now_ms, next_due_ms, reason_length = _CONTROL_REPLY.unpack(content)
        if op in _OPS and status in _STATUSES and reason_length == 0:
            return ControlReply(request_id, _OPS[op], _STATUSES[status], now_ms, next_due_ms, "")
    fmt = MESSAGES[mtype][1]
    msg: Message = decode(fmt, content[1:], base_offset=base_offset + 5, what=mtype.name.lower())
    return msg


def _decode_frame_fast(content: bytes) -> Frame | None:
    size = _FRAME_HEAD.size
    if len(content) < 1 + size:
        return None
    fields = _FRAME_HEAD.unpack_from(content, 1)
    if 1 + size + fields[6] != len(content):
        return None  # truncated or trailing: the interpreted parse names the field
    return Frame(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5],
                 bytes(content[1 + size:]))


def decode_envelope(data: bytes) -> Message:
    """Decode exactly one whole envelope (length prefix included); strict."""
    if len(data) < 4:
        raise DecodeError(f"{len(data)} bytes is shorter than the 4-byte length",
                          field="envelope.length", offset=0)
    (length,) = _LENGTH.unpack_from(data, 0)
    _check_length(length, 0)
    if len(data) - 4 < length:
        raise DecodeError(f"envelope says {length} bytes, {len(data) - 4} present",
                          field="envelope.body", offset=len(data))
    if len(data) - 4 > length:
        raise DecodeError(f"{len(data) - 4 - length} unexpected bytes after the envelope",
                          field="(end)", offset=4 + length)
    return _decode_body(bytes(data[4:]), 0)


class MessageReader:
    """Bytes in (any chunking), messages out; for either end of a connection.

    ``feed`` checks each length prefix against the cap as soon as its four bytes are here, so
    nothing larger than ``max_envelope`` plus one chunk is ever held. Error offsets count from
    the start of the connection's byte stream.
    """

    def __init__(self, max_envelope: int = MAX_ENVELOPE) -> None:
        if not 1 <= max_envelope <= MAX_ENVELOPE:
            raise HarnessUsageError(f"max_envelope must be 1..{MAX_ENVELOPE}")
        self.max_envelope = max_envelope
        self._buf = bytearray()
        self._pos = 0
        self.stream_offset = 0

    def feed(self, data: bytes) -> None:
        self._buf += data
        self._check_head()

    def _check_head(self) -> None:
        if len(self._buf) - self._pos >= 4:
            (length,) = _LENGTH.unpack_from(self._buf, self._pos)
            if length > self.max_envelope:
                raise SizeLimitError(f"envelope of {length} bytes is over the {self.max_envelope}-byte "
                                     "cap", field="envelope.length", offset=self.stream_offset)
            if length == 0:
                raise DecodeError("empty envelope (no message type)", field="envelope.length",
                                  offset=self.stream_offset)

    def buffered(self) -> int:
        return len(self._buf) - self._pos

    def next_message(self) -> Message | None:
        """The next whole message, or None until more bytes are fed."""
        self._check_head()
        start = self._pos
        if len(self._buf) - start < 4:
            self._compact()
            return None
        (length,) = _LENGTH.unpack_from(self._buf, start)
        end = start + 4 + length
        if len(self._buf) < end:
            self._compact()
            return None
        content = bytes(self._buf[start + 4:end])
        self._pos = end
        offset = self.stream_offset
        self.stream_offset += 4 + length
        return _decode_body(content, offset)

    def _compact(self) -> None:
        if self._pos:
            del self._buf[:self._pos]
            self._pos = 0


def choose_version(hello: Hello, supported: tuple[int, ...] = SUPPORTED_VERSIONS) -> int | None:
    """The highest version both sides speak, or None (answer ERROR UNSUPPORTED_VERSION)."""
    common = [v for v in supported if hello.version_min <= v <= hello.version_max]
    return max(common) if common else None
