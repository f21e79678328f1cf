"""ZCL frame header, status codes and the global commands the OTA cluster needs.

Source: ZCL specification (ZigBee 07-5123) chapter 2.4 (general command frame, global commands
Read Attributes 0x00, Read Attributes Response 0x01, Default Response 0x0B) and chapter 11 /
ZigBee document 095264 (OTA Upgrade cluster attributes). All integers little-endian.

Each wire shape is declared once as a construct value and used for both parsing and building;
the Python side is a frozen dataclass. Decoding goes only through :func:`protocol._fields.decode`
(strict, offsets named). Checks that construct's integer fields do not make (an enum value that
is not defined, a reserved bit set, an unknown ZCL data type) live inside the declarations as
small adapters, so they run in both directions and report the field and its byte offset.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import IO, TYPE_CHECKING, Any, ClassVar

import construct as c

from ._fields import EUI64

__all__ = [
    "DEFAULT_RESPONSE",
    "HOME_AUTOMATION_PROFILE_ID",
    "OTA_ATTRIBUTE_TYPES",
    "OTA_CLUSTER_ID",
    "READ_ATTRIBUTES",
    "READ_ATTRIBUTES_RESPONSE",
    "SMART_ENERGY_PROFILE_ID",
    "ZCL_HEADER",
    "AttributeRecord",
    "DataType",
    "DefaultResponse",
    "Direction",
    "FrameType",
    "GlobalCommandId",
    "HeaderPeek",
    "ImageUpgradeStatus",
    "OtaAttribute",
    "ReadAttributes",
    "ReadAttributesResponse",
    "Status",
    "ZclHeader",
    "peek_header",
]

#: OTA Upgrade cluster identifier.
OTA_CLUSTER_ID = 0x0019
#: Application profiles the OTA cluster is used in (GB HAN: Smart Energy).
SMART_ENERGY_PROFILE_ID = 0x0109
HOME_AUTOMATION_PROFILE_ID = 0x0104


class FrameType(enum.IntEnum):
    """Frame control bits 0-1. Values 2 and 3 are reserved and refused."""

    GLOBAL = 0
    CLUSTER_SPECIFIC = 1


class Direction(enum.IntEnum):
    """Frame control bit 3: who sends, relative to the cluster's client/server roles."""

    CLIENT_TO_SERVER = 0
    SERVER_TO_CLIENT = 1


class Status(enum.IntEnum):
    """ZCL status codes (ZCL 2.5.3; OTA statuses 0x95-0x99 from 095264)."""

    SUCCESS = 0x00
    FAILURE = 0x01
    NOT_AUTHORIZED = 0x7E
    RESERVED_FIELD_NOT_ZERO = 0x7F
    MALFORMED_COMMAND = 0x80
    UNSUP_CLUSTER_COMMAND = 0x81
    UNSUP_GENERAL_COMMAND = 0x82
    UNSUP_MANUF_CLUSTER_COMMAND = 0x83
    UNSUP_MANUF_GENERAL_COMMAND = 0x84
    INVALID_FIELD = 0x85
    UNSUPPORTED_ATTRIBUTE = 0x86
    INVALID_VALUE = 0x87
    READ_ONLY = 0x88
    INSUFFICIENT_SPACE = 0x89
    DUPLICATE_EXISTS = 0x8A
    NOT_FOUND = 0x8B
    UNREPORTABLE_ATTRIBUTE = 0x8C
    INVALID_DATA_TYPE = 0x8D
    INVALID_SELECTOR = 0x8E
    WRITE_ONLY = 0x8F
    INCONSISTENT_STARTUP_STATE = 0x90
    DEFINED_OUT_OF_BAND = 0x91
    INCONSISTENT = 0x92
    ACTION_DENIED = 0x93
    TIMEOUT = 0x94
    ABORT = 0x95
    INVALID_IMAGE = 0x96
    WAIT_FOR_DATA = 0x97
    NO_IMAGE_AVAILABLE = 0x98
    REQUIRE_MORE_IMAGE = 0x99
    NOTIFICATION_PENDING = 0x9A
    HARDWARE_FAILURE = 0xC0
    SOFTWARE_FAILURE = 0xC1
    CALIBRATION_ERROR = 0xC2
    UNSUPPORTED_CLUSTER = 0xC3


class GlobalCommandId(enum.IntEnum):
    """The global (profile-wide) commands this codec reads and writes."""

    READ_ATTRIBUTES = 0x00
    READ_ATTRIBUTES_RESPONSE = 0x01
    DEFAULT_RESPONSE = 0x0B


class DataType(enum.IntEnum):
    """ZCL attribute data types the OTA cluster attributes use (ZCL table 2-10)."""

    UINT8 = 0x20
    UINT16 = 0x21
    UINT32 = 0x23
    ENUM8 = 0x30
    EUI64 = 0xF0


class OtaAttribute(enum.IntEnum):
    """OTA Upgrade cluster client attributes (095264 6.7)."""

    UPGRADE_SERVER_ID = 0x0000
    FILE_OFFSET = 0x0001
    CURRENT_FILE_VERSION = 0x0002
    CURRENT_ZIGBEE_STACK_VERSION = 0x0003
    DOWNLOADED_FILE_VERSION = 0x0004
    DOWNLOADED_ZIGBEE_STACK_VERSION = 0x0005
    IMAGE_UPGRADE_STATUS = 0x0006
    MANUFACTURER_ID = 0x0007
    IMAGE_TYPE_ID = 0x0008
    MINIMUM_BLOCK_PERIOD = 0x0009


class ImageUpgradeStatus(enum.IntEnum):
    """Values of the ImageUpgradeStatus attribute (enum8)."""

    NORMAL = 0
    DOWNLOAD_IN_PROGRESS = 1
    DOWNLOAD_COMPLETE = 2
    WAITING_TO_UPGRADE = 3
    COUNT_DOWN = 4
    WAIT_FOR_MORE = 5
    WAITING_FOR_EXTERNAL_EVENT = 6


#: The data type each OTA attribute is defined with (for models and checks of a DUT's answers).
OTA_ATTRIBUTE_TYPES: dict[OtaAttribute, DataType] = {
    OtaAttribute.UPGRADE_SERVER_ID: DataType.EUI64,
    OtaAttribute.FILE_OFFSET: DataType.UINT32,
    OtaAttribute.CURRENT_FILE_VERSION: DataType.UINT32,
    OtaAttribute.CURRENT_ZIGBEE_STACK_VERSION: DataType.UINT16,
    OtaAttribute.DOWNLOADED_FILE_VERSION: DataType.UINT32,
    OtaAttribute.DOWNLOADED_ZIGBEE_STACK_VERSION: DataType.UINT16,
    OtaAttribute.IMAGE_UPGRADE_STATUS: DataType.ENUM8,
    OtaAttribute.MANUFACTURER_ID: DataType.UINT16,
    OtaAttribute.IMAGE_TYPE_ID: DataType.UINT16,
    OtaAttribute.MINIMUM_BLOCK_PERIOD: DataType.UINT16,
}


# --------------------------------------------------------------------------------------------
# Small declarative building blocks shared with ota_commands.py
# --------------------------------------------------------------------------------------------

# construct's classes are generic only in construct-typing's stubs, not at run time.
if TYPE_CHECKING:
    from construct.core import Context
    _Adapter = c.Adapter[Any, Any, Any, Any]
    _Subconstruct = c.Subconstruct[Any, Any, Any, Any]
else:
    _Adapter = c.Adapter
    _Subconstruct = c.Subconstruct


class EnumField(_Adapter):
    """An integer field that must hold a member of ``enum_cls`` (and of ``allowed`` if given).

    Refuses in both directions, so an undefined status can be neither parsed nor built.
    """

    def __init__(self, subcon: c.Construct[Any, Any], enum_cls: type[enum.IntEnum],
                 allowed: Iterable[enum.IntEnum] | None = None) -> None:
        super().__init__(subcon)
        self.enum_cls = enum_cls
        self.allowed = frozenset(allowed) if allowed is not None else None

    def _check(self, value: int, path: str) -> enum.IntEnum:
        try:
            member = self.enum_cls(value)
        except (ValueError, TypeError):
            known = ""
            if len(self.enum_cls) <= 10:
                known = " (expected one of " + ", ".join(
                    f"{m.name} 0x{int(m):02x}" for m in self.enum_cls) + ")"
            shown = f"0x{value:02x}" if isinstance(value, int) else repr(value)
            raise c.ValidationError(
                f"{shown} is not a defined {self.enum_cls.__name__}{known}", path=path) from None
        if self.allowed is not None and member not in self.allowed:
            names = ", ".join(m.name for m in sorted(self.allowed))
            raise c.ValidationError(
                f"{self.enum_cls.__name__}.{member.name} (0x{int(member):02x}) is not allowed here "
                f"(expected one of {names})", path=path)
        return member

    def _decode(self, obj: int, context: Context, path: str) -> enum.IntEnum:
        return self._check(obj, path)

    def _encode(self, obj: int, context: Context, path: str) -> int:
        return int(self._check(obj, path))


class ReservedBits(_Adapter):
    """A bitmap whose bits outside ``mask`` are reserved: they must be zero (ZCL 2.1)."""

    def __init__(self, subcon: c.Construct[Any, Any], mask: int) -> None:
        super().__init__(subcon)
        self.mask = mask

    def _check(self, value: int, path: str) -> int:
        if value & ~self.mask:
            raise c.ValidationError(
                f"reserved bits 0x{value & ~self.mask:02x} set in 0x{value:02x} "
                f"(only 0x{self.mask:02x} defined)", path=path)
        return value

    def _decode(self, obj: int, context: Context, path: str) -> int:
        return self._check(obj, path)

    def _encode(self, obj: int, context: Context, path: str) -> int:
        return self._check(obj, path)


class IntRange(_Adapter):
    """An integer field limited to ``low..high`` inclusive."""

    def __init__(self, subcon: c.Construct[Any, Any], low: int, high: int) -> None:
        super().__init__(subcon)
        self.low, self.high = low, high

    def _check(self, value: int, path: str) -> int:
        if not self.low <= value <= self.high:
            raise c.ValidationError(f"{value} is outside {self.low}..{self.high}", path=path)
        return value

    def _decode(self, obj: int, context: Context, path: str) -> int:
        return self._check(obj, path)

    def _encode(self, obj: int, context: Context, path: str) -> int:
        return self._check(obj, path)


class UntilEnd(_Subconstruct):
    """Repeat ``subcon`` until the message ends; a failing item is an error, not the end.

    construct's GreedyRange stops silently at the first item that fails, which would turn a
    refused data type into a vague "trailing bytes" error; this names the item that failed.
    """

    def _parse(self, stream: IO[bytes], context: Context, path: str) -> tuple[Any, ...]:
        start = stream.tell()
        end = stream.seek(0, 2)
        stream.seek(start)
        items = []
        index = 0
        while stream.tell() < end:
            items.append(self.subcon._parsereport(stream, context, f"{path} -> {index}"))
            index += 1
        return tuple(items)

    # construct-stubs declare _build as returning int; construct returns the value built.
    def _build(self, obj: Iterable[object], stream: IO[bytes], context: Context,  # type: ignore[override]
               path: str) -> tuple[object, ...]:
        built = []
        for index, item in enumerate(obj):
            built.append(self.subcon._build(item, stream, context, f"{path} -> {index}"))
        return tuple(built)

    def _sizeof(self, context: Context, path: str) -> int:
        raise c.SizeofError("UntilEnd has no fixed size", path=path)


class AsDataclass(_Adapter):
    """Map a Struct's container to a frozen dataclass and back.

    Only the dataclass's fields that the Struct declares travel on the wire; wire-only fields
    (field-control bitmaps, length prefixes) are computed by ``Rebuild`` and never reach Python.
    ``convert`` turns nested values (lists of records) into their Python form on parse.
    """

    def __init__(self, subcon: c.Construct[Any, Any], dc_type: type[Any],
                 convert: dict[str, Callable[[Any], Any]] | None = None) -> None:
        super().__init__(subcon)
        self.dc_type = dc_type
        wire = {sc.name for sc in getattr(subcon, "subcons", []) if sc.name}
        self.names = tuple(f.name for f in fields(dc_type) if f.name in wire)
        self.convert = convert or {}

    def _decode(self, obj: c.Container[Any], context: Context, path: str) -> object:
        values = {name: obj[name] for name in self.names}
        for name, fn in self.convert.items():
            values[name] = fn(values[name])
        return self.dc_type(**values)

    def _encode(self, obj: object, context: Context, path: str) -> dict[str, Any]:
        if not isinstance(obj, self.dc_type):
            raise c.ValidationError(f"expected {self.dc_type.__name__}, got {type(obj).__name__}",
                                    path=path)
        return {name: getattr(obj, name) for name in self.names}


# --------------------------------------------------------------------------------------------
# ZCL header
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ZclHeader:
    """ZCL frame header (ZCL 2.4.1). ``manufacturer_code`` is present iff bit 2 is set."""

    frame_type: FrameType
    direction: Direction
    disable_default_response: bool
    manufacturer_code: int | None
    tsn: int
    command_id: int

    @property
    def manufacturer_specific(self) -> bool:
        return self.manufacturer_code is not None


#: Frame control (one octet, declared most significant bit first as BitStruct requires).
FRAME_CONTROL = c.BitStruct(
    "reserved" / ReservedBits(c.BitsInteger(3), 0),
    "disable_default_response" / c.Flag,
    "direction" / EnumField(c.BitsInteger(1), Direction),
    "manufacturer_specific" / c.Flag,
    "frame_type" / EnumField(c.BitsInteger(2), FrameType),
)


class _HeaderAdapter(_Adapter):
    def _decode(self, obj: c.Container[Any], context: Context, path: str) -> ZclHeader:
        fc = obj.frame_control
        return ZclHeader(fc.frame_type, fc.direction, bool(fc.disable_default_response),
                         obj.manufacturer_code, obj.tsn, obj.command_id)

    def _encode(self, obj: ZclHeader, context: Context, path: str) -> dict[str, Any]:
        return {
            "frame_control": {
                "reserved": 0,
                "disable_default_response": bool(obj.disable_default_response),
                "direction": obj.direction,
                "manufacturer_specific": obj.manufacturer_code is not None,
                "frame_type": obj.frame_type,
            },
            "manufacturer_code": obj.manufacturer_code,
            "tsn": obj.tsn,
            "command_id": obj.command_id,
        }


ZCL_HEADER = _HeaderAdapter(c.Struct(
    "frame_control" / FRAME_CONTROL,
    "manufacturer_code" / c.If(c.this.frame_control.manufacturer_specific, c.Int16ul),
    "tsn" / c.Int8ul,
    "command_id" / c.Int8ul,
))


@dataclass(frozen=True, slots=True)
class HeaderPeek:
    """What a receiver needs to answer a frame it cannot (or need not) decode: the header fields
    read leniently, reserved bits and frame-type values allowed. ``frame_type`` stays an int."""

    frame_type: int
    direction: Direction
    manufacturer_code: int | None
    tsn: int
    command_id: int


def peek_header(payload: bytes) -> HeaderPeek | None:
    """The ZCL header of ``payload`` read leniently, or None when it is too short to hold one.

    A Default Response to a malformed frame must echo its TSN and command id (ZCL 2.5.12), which
    sit after the manufacturer code when frame-control bit 2 is set: this is the one place that
    knows it, for the models and the harness alike.
    """
    if not payload:
        return None
    control = payload[0]
    manufacturer_specific = bool(control & 0x04)
    at = 3 if manufacturer_specific else 1
    if len(payload) < at + 2:
        return None
    code = int.from_bytes(payload[1:3], "little") if manufacturer_specific else None
    return HeaderPeek(control & 0x03, Direction((control >> 3) & 1), code, payload[at], payload[at + 1])


# --------------------------------------------------------------------------------------------
# Global commands
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ReadAttributes:
    """Read Attributes (0x00): the attribute identifiers to read.

    Its direction is not fixed by the command: the hub (OTA server) reading the device's OTA
    client attributes sends it server→client, which is the default here.
    """

    attribute_ids: tuple[int, ...]
    direction: Direction = Direction.SERVER_TO_CLIENT

    COMMAND_ID: ClassVar[int] = GlobalCommandId.READ_ATTRIBUTES


@dataclass(frozen=True, slots=True)
class AttributeRecord:
    """One read attribute status record; ``data_type`` and ``value`` only when SUCCESS."""

    attribute_id: int
    status: Status
    data_type: DataType | None = None
    value: int | None = None


@dataclass(frozen=True, slots=True)
class ReadAttributesResponse:
    """Read Attributes Response (0x01); default direction client→server (device answering)."""

    records: tuple[AttributeRecord, ...]
    direction: Direction = Direction.CLIENT_TO_SERVER

    COMMAND_ID: ClassVar[int] = GlobalCommandId.READ_ATTRIBUTES_RESPONSE


@dataclass(frozen=True, slots=True)
class DefaultResponse:
    """Default Response (0x0B): the command id answered and its status.

    Default direction client→server (the device answering the hub); set it for the other way.
    """

    command_id: int
    status: Status
    direction: Direction = Direction.CLIENT_TO_SERVER

    COMMAND_ID: ClassVar[int] = GlobalCommandId.DEFAULT_RESPONSE


READ_ATTRIBUTES = AsDataclass(
    c.Struct("attribute_ids" / UntilEnd(c.Int16ul)), ReadAttributes,
    convert={"attribute_ids": tuple},
)

_SUCCESS = c.this.status == Status.SUCCESS

#: The typed value of an attribute, chosen by its data type; other types are refused by name.
ATTRIBUTE_VALUE = c.Switch(c.this.data_type, {
    DataType.UINT8: c.Int8ul,
    DataType.UINT16: c.Int16ul,
    DataType.UINT32: c.Int32ul,
    DataType.ENUM8: c.Int8ul,
    DataType.EUI64: EUI64,
})

ATTRIBUTE_RECORD = AsDataclass(c.Struct(
    "attribute_id" / c.Int16ul,
    "status" / EnumField(c.Int8ul, Status),
    "data_type" / c.If(_SUCCESS, EnumField(c.Int8ul, DataType)),
    "value" / c.If(_SUCCESS, ATTRIBUTE_VALUE),
), AttributeRecord)

READ_ATTRIBUTES_RESPONSE = AsDataclass(
    c.Struct("records" / UntilEnd(ATTRIBUTE_RECORD)), ReadAttributesResponse,
    convert={"records": tuple},
)

DEFAULT_RESPONSE = AsDataclass(c.Struct(
    "command_id" / c.Int8ul,
    "status" / EnumField(c.Int8ul, Status),
), DefaultResponse)
