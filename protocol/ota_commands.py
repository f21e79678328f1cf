"""OTA Upgrade cluster (0x0019) commands in both directions, and whole ZCL frames of them.

Source: ZigBee document 095264 (OTA Upgrade Cluster) 6.10 / ZCL chapter 11; field names are
the spec's in snake_case, as zigpy spells them (except ``request_node_address``).

Every command is a frozen dataclass declared once with construct (the ``*_FORMAT`` constants),
and that one declaration parses and builds it; both live in :mod:`protocol.ota_messages` and are
importable from here. Client = the device being upgraded, server = the Communications Hub.

* :func:`encode_command` builds a whole ZCL frame; the frame type and direction come from the
  command's class. It refuses (``HarnessUsageError``) a command that would not decode back to
  itself, e.g. a field given that its status or field-control bits leave off the wire.
* :func:`decode_command` is strict: unknown command id, wrong direction for the id, truncated
  or trailing bytes, a data size that disagrees with the data, an undefined status or reserved
  bit each raise a :class:`~protocol.errors.ProtocolError` subclass naming field and frame offset.
* The two hot messages, a SUCCESS Image Block Response and an Image Block Request (any of its
  four field-control forms), take a fast path in both functions: ``struct`` formats derived
  from the same construct declarations, used only when explicit checks show the frame has
  exactly the shape the interpreted parse would accept; anything else goes to the interpreted
  parse, which decides. Tests feed truncations and mutations of valid frames to both and show
  identical results and errors (``tests/protocol/test_ota_commands.py``). Their fast builds
  take only exact ``int``/``bytes`` fields, for which pack-then-unpack is the identity, so they
  skip the decode-back check (tests prove they build what the declaration builds).
"""


from __future__ import annotations

import dataclasses
import itertools
import operator
import struct
from typing import Any

import construct as c

from ._fastpath import struct_of
from ._fields import decode
from .errors import DecodeError, HarnessUsageError, ProtocolError, ValidationError
from .ota_messages import (
    IMAGE_BLOCK_REQUEST_STRUCT,
    IMAGE_BLOCK_RESPONSE_STRUCT,
    MAX_IMAGE_DATA,
    UPGRADE_TIME_WAIT_FOR_COMMAND,
    Command,
    CommandId,
    DefaultResponse,
    ImageBlockRequest,
    ImageBlockResponse,
    ImageNotify,
    ImageNotifyPayloadType,
    ImagePageRequest,
    QueryDeviceSpecificFileRequest,
    QueryDeviceSpecificFileResponse,
    QueryNextImageRequest,
    QueryNextImageResponse,
    ReadAttributes,
    ReadAttributesResponse,
    UpgradeEndRequest,
    UpgradeEndResponse,
    command_entry,
    command_format,
    encode_image_identity,
    entry_by_id,
)
from .zcl import ZCL_HEADER, Direction, FrameType, Status, ZclHeader

__all__ = [
    "MAX_IMAGE_DATA",
    "UPGRADE_TIME_WAIT_FOR_COMMAND",
    "Command",
    "CommandId",
    "DefaultResponse",
    "ImageBlockRequest",
    "ImageBlockResponse",
    "ImageNotify",
    "ImageNotifyPayloadType",
    "ImagePageRequest",
    "QueryDeviceSpecificFileRequest",
    "QueryDeviceSpecificFileResponse",
    "QueryNextImageRequest",
    "QueryNextImageResponse",
    "ReadAttributes",
    "ReadAttributesResponse",
    "UpgradeEndRequest",
    "UpgradeEndResponse",
    "command_format",
    "decode_command",
    "encode_command",
    "encode_image_identity",
]


_S2C = Direction.SERVER_TO_CLIENT
_C2S = Direction.CLIENT_TO_SERVER


# --------------------------------------------------------------------------------------------
# The hot path: SUCCESS Image Block Response
# --------------------------------------------------------------------------------------------

def _fast_block_format() -> struct.Struct:
    """Derive the SUCCESS form's fixed part from the declarations: header without manufacturer
    code (frame control, tsn, command id), then status .. data_size."""
    header = ZCL_HEADER.subcon.subcons  # type: ignore[attr-defined]
    subcons = IMAGE_BLOCK_RESPONSE_STRUCT.subcons
    fields = list(itertools.takewhile(lambda sub: sub.name != "image_data", subcons))
    return struct_of([header[0], header[2], header[3], *fields])


_FAST_BLOCK = _fast_block_format()
_FAST_LEN = _FAST_BLOCK.size  # 17: 3 header + 1 status + 12 image fields + 1 data size
# frame control of a cluster-specific, server→client, not manufacturer-specific frame (± bit 4)
_FC_BLOCK = int(FrameType.CLUSTER_SPECIFIC) | int(_S2C) << 3
_FC_BLOCK_NO_DR = _FC_BLOCK | 0x10
_BLOCK_ID = int(CommandId.IMAGE_BLOCK_RESPONSE)


# Headers are immutable, so the fast path shares one per (frame control, tsn): 512 in all.
_BLOCK_HEADERS = {
    (fc, tsn): ZclHeader(FrameType.CLUSTER_SPECIFIC, _S2C, fc == _FC_BLOCK_NO_DR, None, tsn, _BLOCK_ID)
    for fc in (_FC_BLOCK, _FC_BLOCK_NO_DR) for tsn in range(256)
}


def _decode_block_fast(frame: bytes) -> tuple[ZclHeader, ImageBlockResponse] | None:
    """Decode a SUCCESS Image Block Response if the frame has exactly the shape the
    interpreted parse accepts; return None to let the interpreted parse decide otherwise.

    Accepts only: length >= 17; frame control 0x09 or 0x19 (cluster-specific, server→client,
    no manufacturer code, reserved bits 0); command id 0x05; status SUCCESS; data size equal
    to the octets that follow. Every such frame is one the interpreted parse accepts with the
    same values, and every other frame is left to it.
    """
    if len(frame) < _FAST_LEN:
        return None
    fc, tsn, cid, status, mfr, itype, version, offset, size = _FAST_BLOCK.unpack_from(frame)
    if cid != _BLOCK_ID or status != 0 or size != len(frame) - _FAST_LEN:
        return None
    header = _BLOCK_HEADERS.get((fc, tsn))
    if header is None:
        return None
    return header, ImageBlockResponse(Status.SUCCESS, mfr, itype, version, offset,
                                      bytes(frame[_FAST_LEN:]))


_PACK_BLOCK = _FAST_BLOCK.pack
_BLOCK_VALUES = operator.attrgetter(
    "status", "manufacturer_code", "image_type", "file_version", "file_offset", "image_data",
    "current_time", "request_time", "minimum_block_period")


def _encode_block_fast(cmd: ImageBlockResponse, tsn: int, disable_default_response: bool,
                       manufacturer_code: int | None) -> bytes | None:
    """Build a SUCCESS Image Block Response when every field plainly fits; otherwise None and
    the interpreted build decides (and names what is wrong). ``struct`` refuses what does not
    fit its format (out of range), exactly as construct's integer fields do. The fields must be
    exact ``int`` and ``bytes`` (status SUCCESS as 0 or the enum member): for those, pack then
    unpack is the identity, so the frame decodes back to an equal command without checking."""
    (status, mfr, itype, version, offset, data, current_time, request_time,
     period) = _BLOCK_VALUES(cmd)
    if (manufacturer_code is not None or status != 0 or type(data) is not bytes
            or len(data) > MAX_IMAGE_DATA or current_time is not None
            or request_time is not None or period is not None
            # chained: every one of the four is exactly int
            or not type(mfr) is type(itype) is type(version) is type(offset) is int):
        return None
    try:
        head = _PACK_BLOCK(_FC_BLOCK_NO_DR if disable_default_response else _FC_BLOCK,
                           tsn, _BLOCK_ID, 0, mfr, itype, version, offset, len(data))
    except struct.error:
        return None
    return head + data


# --------------------------------------------------------------------------------------------
# The other hot path: Image Block Request (every field-control form)
# --------------------------------------------------------------------------------------------

_REQUEST_ID = int(CommandId.IMAGE_BLOCK_REQUEST)
# frame control of a cluster-specific, client→server, not manufacturer-specific frame (± bit 4)
_FC_REQUEST = int(FrameType.CLUSTER_SPECIFIC) | int(_C2S) << 3
_FC_REQUEST_NO_DR = _FC_REQUEST | 0x10
# The fast path builds the dataclass positionally: it relies on the declaration listing the
# field control, then the dataclass's fields in their order (checked at import).
_REQUEST_NAMES = ("field_control", *(f.name for f in dataclasses.fields(ImageBlockRequest)))


def _fast_request_formats() -> dict[int, struct.Struct]:
    """One ``struct`` format per field-control value 0-3, derived from the declaration: the
    header without manufacturer code (frame control, tsn, command id), then every payload field
    whose ``If`` condition holds for that field control."""
    subcons: list[Any] = list(IMAGE_BLOCK_REQUEST_STRUCT.subcons)
    if tuple(sub.name for sub in subcons) != _REQUEST_NAMES:
        raise TypeError("IMAGE_BLOCK_REQUEST_STRUCT no longer matches ImageBlockRequest's fields")
    header = ZCL_HEADER.subcon.subcons  # type: ignore[attr-defined]
    formats = {}
    for field_control in range(4):
        ctx: Any = c.Container(field_control=field_control)
        fields = [sub for sub in subcons if _present(sub.subcon, ctx)]
        formats[field_control] = struct_of([header[0], header[2], header[3], *fields])
    return formats


def _present(sub: object, ctx: c.Container[Any]) -> bool:
    """Whether a declared field is on the wire for this context (an ``If`` whose test holds)."""
    if not isinstance(sub, c.IfThenElse):
        return True
    test: Any = sub.condfunc
    return bool(test(ctx) if callable(test) else test)


_FAST_REQUEST = _fast_request_formats()
# The four forms differ in length (17, 25, 19, 27), so the length alone picks the only form a
# frame can be; its field-control octet must then say exactly that form.
_REQUEST_BY_LEN = {fmt.size: (fc, fmt) for fc, fmt in _FAST_REQUEST.items()}
if len(_REQUEST_BY_LEN) != len(_FAST_REQUEST):
    raise TypeError("two Image Block Request forms have the same length")

_PACK_REQUEST_0, _PACK_REQUEST_1, _PACK_REQUEST_2, _PACK_REQUEST_3 = (
    _FAST_REQUEST[fc].pack for fc in range(4))
_REQUEST_VALUES = operator.attrgetter(
    "manufacturer_code", "image_type", "file_version", "file_offset", "maximum_data_size",
    "request_node_address", "minimum_block_period")

_REQUEST_HEADERS = {
    (fc, tsn): ZclHeader(FrameType.CLUSTER_SPECIFIC, _C2S, fc == _FC_REQUEST_NO_DR, None, tsn,
                         _REQUEST_ID)
    for fc in (_FC_REQUEST, _FC_REQUEST_NO_DR) for tsn in range(256)
}


def _decode_request_fast(frame: bytes) -> tuple[ZclHeader, ImageBlockRequest] | None:
    """Decode an Image Block Request if the frame has exactly the shape the interpreted parse
    accepts; return None to let the interpreted parse decide otherwise.

    Accepts only: length 17, 19, 25 or 27 and a field control (0, 2, 1, 3 respectively) that
    says exactly that form (so reserved bits are 0 and nothing is cut or left over); frame
    control 0x01 or 0x11 (cluster-specific, client→server, no manufacturer code, reserved bits
    0); command id 0x03. Every other field is a plain integer (or an EUI-64: any 8 octets) that
    the interpreted parse accepts whatever its value.
    """
    form = _REQUEST_BY_LEN.get(len(frame))
    if form is None:
        return None
    field_control, fmt = form
    values = fmt.unpack(frame)
    if values[2] != _REQUEST_ID or values[3] != field_control:
        return None
    header = _REQUEST_HEADERS.get((values[0], values[1]))
    if header is None:
        return None
    v = values
    if field_control == 0:
        return header, ImageBlockRequest(v[4], v[5], v[6], v[7], v[8])
    if field_control == 2:  # minimum block period without the requester's address
        return header, ImageBlockRequest(v[4], v[5], v[6], v[7], v[8], None, v[9])
    return header, ImageBlockRequest(v[4], v[5], v[6], v[7], v[8], v[9],
                                     v[10] if field_control == 3 else None)


def _encode_request_fast(cmd: ImageBlockRequest, tsn: int, disable_default_response: bool,
                         manufacturer_code: int | None) -> bytes | None:
    """Build an Image Block Request when every field is a plain ``int`` that fits; otherwise
    None and the interpreted build (with its decode-back check) decides.

    No decode-back is needed here: the field control is computed from which optional fields are
    given, so the form decodes to the same fields present and absent; and for an ``int`` (exact
    type, not a subclass or a bool) ``struct`` pack then unpack is the identity, so every field
    decodes equal. ``struct`` refuses a value out of range, as construct's integer fields do."""
    mfr, itype, version, offset, size, addr, period = _REQUEST_VALUES(cmd)
    # chained: every one of the five is exactly int
    if manufacturer_code is not None or not (
            type(mfr) is type(itype) is type(version) is type(offset) is type(size) is int):
        return None
    fc = _FC_REQUEST_NO_DR if disable_default_response else _FC_REQUEST
    try:
        if addr is None:
            if period is None:
                return _PACK_REQUEST_0(fc, tsn, _REQUEST_ID, 0, mfr, itype, version, offset, size)
            if type(period) is int:
                return _PACK_REQUEST_2(fc, tsn, _REQUEST_ID, 2, mfr, itype, version, offset, size,
                                       period)
        elif type(addr) is int:
            if period is None:
                return _PACK_REQUEST_1(fc, tsn, _REQUEST_ID, 1, mfr, itype, version, offset, size,
                                       addr)
            if type(period) is int:
                return _PACK_REQUEST_3(fc, tsn, _REQUEST_ID, 3, mfr, itype, version, offset, size,
                                       addr, period)
    except struct.error:
        return None
    return None


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def encode_command(command: Command, *, tsn: int, disable_default_response: bool = False,
                   manufacturer_code: int | None = None) -> bytes:
    """The whole ZCL frame for ``command``: header (frame type and direction from the command's
    class) then payload. Raises HarnessUsageError for values that do not fit their fields or
    that would not decode back to the same command."""
    # The two hot messages: a fast build proven (by construction and by test) to decode back
    # to the same command, so it skips the decode-back check below.
    if type(command) is ImageBlockRequest:
        fast = _encode_request_fast(command, tsn, disable_default_response, manufacturer_code)
        if fast is not None:
            return fast
    elif type(command) is ImageBlockResponse:
        fast = _encode_block_fast(command, tsn, disable_default_response, manufacturer_code)
        if fast is not None:
            return fast
    entry = command_entry(type(command))
    if entry is None:
        raise HarnessUsageError(f"{type(command).__name__} is not an OTA cluster command")
    direction: Direction = (entry.direction if entry.direction is not None
                            else getattr(command, "direction"))  # noqa: B009 - global commands
    name = type(command).__name__
    try:
        header = ZCL_HEADER.build(ZclHeader(entry.frame_type, direction,
                                            bool(disable_default_response), manufacturer_code,
                                            tsn, entry.command_id))
        payload = entry.fmt.build(command)
    except (c.ConstructError, struct.error, TypeError, ValueError, AttributeError,
            OverflowError) as err:
        raise HarnessUsageError(f"cannot encode {name}: {_why(err)}") from None
    frame = bytes(header) + bytes(payload)
    # A field the status or field control leaves off the wire would silently vanish: refuse it.
    try:
        _, back = _decode_interpreted(frame)
    except ProtocolError as err:
        raise HarnessUsageError(f"cannot encode {name}: {err}") from None
    if back != command:
        raise HarnessUsageError(f"cannot encode {name}: it would decode as {back!r}, not as "
                                f"{command!r} (a field its form leaves off the wire, or a "
                                f"value of the wrong type)")
    return frame


def decode_command(frame: bytes, *, ignore_trailing: bool = False) -> tuple[ZclHeader, Command]:
    """Decode one whole ZCL frame of the OTA cluster, strictly (see the module docstring).

    With ``ignore_trailing`` the octets after the last field the command declares are ignored,
    as the ZCL asks of a receiver for forward compatibility (a newer revision may add fields;
    zigpy's server sends a NO_IMAGE_AVAILABLE Query Next Image Response with all its optional
    fields). Everything else stays strict. Commands that end in a list read to the end of the
    frame: octets appended to Read Attributes read as further attribute ids (answered as
    unsupported), and an odd octet left after the last whole id is ignored.
    """
    # The fast forms take only a frame with nothing after its fields, which reads the same
    # with or without ``ignore_trailing``: the reference device's downloads take this path.
    if len(frame) >= _FAST_LEN:  # both fast forms are at least 17 octets
        command_id = frame[2]  # where it is when there is no manufacturer code (checked later)
        fast: tuple[ZclHeader, Command] | None = None
        if command_id == _BLOCK_ID:
            fast = _decode_block_fast(frame)
        elif command_id == _REQUEST_ID:
            fast = _decode_request_fast(frame)
        if fast is not None:
            return fast
    return _decode_interpreted(frame, ignore_trailing=ignore_trailing)


def _decode_interpreted(frame: bytes, *, ignore_trailing: bool = False) -> tuple[ZclHeader, Command]:
    """The reference decode: interpreted construct parse of header then payload."""
    frame = bytes(frame)
    header_len = 3
    if len(frame) >= 1 and frame[0] & 0x04:
        header_len = 5
    try:
        header: ZclHeader = decode(ZCL_HEADER, frame[:header_len], what="header")
    except ProtocolError as err:
        raise _within(err, "header") from None
    id_offset = header_len - 1
    entry = entry_by_id(header.frame_type, header.command_id)
    if entry is None:
        kind = "global" if header.frame_type is FrameType.GLOBAL else "OTA cluster"
        raise DecodeError(f"0x{header.command_id:02x} is not an {kind} command this codec knows",
                          field="header.command_id", offset=id_offset)
    if entry.direction is not None and entry.direction is not header.direction:
        raise ValidationError(
            f"{entry.cls.__name__} (0x{entry.command_id:02x}) is sent "
            f"{_arrow(entry.direction)}, but the frame says {_arrow(header.direction)}",
            field="header.frame_control.direction", offset=0)
    name = entry.cls.__name__
    if entry.cls is ImageBlockResponse and not ignore_trailing:
        _check_data_size(frame, header_len)
    if entry.cls is ReadAttributes and ignore_trailing and (len(frame) - header_len) % 2:
        frame = frame[:-1]  # not a whole attribute id: octets beyond the fields are ignored
    try:
        command = decode(entry.fmt, frame[header_len:], base_offset=header_len, what=name,
                         allow_trailing=ignore_trailing)
    except ProtocolError as err:
        raise _within(err, name) from None
    if entry.direction is None:
        command = dataclasses.replace(command, direction=header.direction)
    return header, command


def _check_data_size(frame: bytes, header_len: int) -> None:
    """A SUCCESS Image Block Response's data size must equal the image data that follows:
    say so by name rather than as a truncation or as trailing bytes."""
    size_at = header_len + _FAST_LEN - 3 - 1  # status + 12 octets of image fields
    if len(frame) > size_at and frame[header_len] == Status.SUCCESS:
        follows = len(frame) - size_at - 1
        if frame[size_at] != follows:
            raise DecodeError(f"data_size {frame[size_at]} disagrees with the {follows} octets of "
                              f"image data that follow", field="ImageBlockResponse.data_size",
                              offset=size_at)


def _within(err: ProtocolError, name: str) -> ProtocolError:
    """The same error with its field path rooted at ``name`` (the header or the command)."""
    field = err.field if err.field == name or err.field.startswith(name + ".") else f"{name}.{err.field}"
    return type(err)(err.message, field=field, offset=err.offset)


def _arrow(direction: Direction) -> str:
    return "server→client" if direction is Direction.SERVER_TO_CLIENT else "client→server"


def _why(err: Exception) -> str:
    text = str(err)
    if isinstance(err, c.ConstructError) and "\n" in text:
        path, _, msg = text.partition("\n")
        return f"{path.removeprefix('Error in path (building) -> ')}: {msg}"
    return text or type(err).__name__
