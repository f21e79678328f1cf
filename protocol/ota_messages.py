"""OTA Upgrade cluster (0x0019) commands as Python types, and the construct declaration of each.

Source: ZigBee document 095264 (OTA Upgrade Cluster) 6.10 / ZCL chapter 11; field names are
the spec's in snake_case, as zigpy spells them (except ``request_node_address``).

Every command is a frozen dataclass and is declared once with construct (the ``*_FORMAT``
constants); that one declaration parses and builds it. Client = the device being upgraded,
server = the Communications Hub. Whole frames are encoded and decoded by
:mod:`protocol.ota_commands`, which re-exports every name here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import construct as c

from ._fields import EUI64
from .zcl import (
    DEFAULT_RESPONSE,
    READ_ATTRIBUTES,
    READ_ATTRIBUTES_RESPONSE,
    AsDataclass,
    DefaultResponse,
    Direction,
    EnumField,
    FrameType,
    IntRange,
    ReadAttributes,
    ReadAttributesResponse,
    ReservedBits,
    Status,
)

__all__ = [
    "IMAGE_BLOCK_REQUEST_FORMAT",
    "IMAGE_BLOCK_REQUEST_STRUCT",
    "IMAGE_BLOCK_RESPONSE_FORMAT",
    "IMAGE_BLOCK_RESPONSE_STRUCT",
    "IMAGE_NOTIFY_FORMAT",
    "IMAGE_PAGE_REQUEST_FORMAT",
    "MAX_IMAGE_DATA",
    "QUERY_DEVICE_SPECIFIC_FILE_REQUEST_FORMAT",
    "QUERY_DEVICE_SPECIFIC_FILE_RESPONSE_FORMAT",
    "QUERY_NEXT_IMAGE_REQUEST_FORMAT",
    "QUERY_NEXT_IMAGE_RESPONSE_FORMAT",
    "UPGRADE_END_REQUEST_FORMAT",
    "UPGRADE_END_RESPONSE_FORMAT",
    "UPGRADE_TIME_WAIT_FOR_COMMAND",
    "Command",
    "CommandEntry",
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
    "command_entry",
    "command_format",
    "encode_image_identity",
    "entry_by_id",
]

#: Upgrade End Response ``upgrade_time`` meaning "do not upgrade until a further command".
UPGRADE_TIME_WAIT_FOR_COMMAND = 0xFFFFFFFF
#: Largest ``image_data`` an Image Block Response can carry (its data size is one octet).
MAX_IMAGE_DATA = 0xFF


class CommandId(enum.IntEnum):
    """OTA cluster-specific command identifiers (095264 6.10, both directions)."""

    IMAGE_NOTIFY = 0x00
    QUERY_NEXT_IMAGE_REQUEST = 0x01
    QUERY_NEXT_IMAGE_RESPONSE = 0x02
    IMAGE_BLOCK_REQUEST = 0x03
    IMAGE_PAGE_REQUEST = 0x04
    IMAGE_BLOCK_RESPONSE = 0x05
    UPGRADE_END_REQUEST = 0x06
    UPGRADE_END_RESPONSE = 0x07
    QUERY_DEVICE_SPECIFIC_FILE_REQUEST = 0x08
    QUERY_DEVICE_SPECIFIC_FILE_RESPONSE = 0x09


class ImageNotifyPayloadType(enum.IntEnum):
    """How many optional fields an Image Notify carries after the query jitter."""

    QUERY_JITTER = 0
    MANUFACTURER_CODE = 1
    IMAGE_TYPE = 2
    NEW_FILE_VERSION = 3


_S2C = Direction.SERVER_TO_CLIENT
_C2S = Direction.CLIENT_TO_SERVER


# --------------------------------------------------------------------------------------------
# Python types
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ImageNotify:
    """0x00 server→client. Fields after ``query_jitter`` present by ``payload_type`` (0-3)."""

    payload_type: ImageNotifyPayloadType
    query_jitter: int
    manufacturer_code: int | None = None
    image_type: int | None = None
    new_file_version: int | None = None

    COMMAND_ID: ClassVar[int] = CommandId.IMAGE_NOTIFY
    DIRECTION: ClassVar[Direction] = _S2C


@dataclass(frozen=True, slots=True)
class QueryNextImageRequest:
    """0x01 client→server; field control bit 0 is set iff ``hardware_version`` is given."""

    manufacturer_code: int
    image_type: int
    current_file_version: int
    hardware_version: int | None = None

    COMMAND_ID: ClassVar[int] = CommandId.QUERY_NEXT_IMAGE_REQUEST
    DIRECTION: ClassVar[Direction] = _C2S


@dataclass(frozen=True, slots=True)
class QueryNextImageResponse:
    """0x02 server→client; the image fields are present only when ``status`` is SUCCESS."""

    status: Status
    manufacturer_code: int | None = None
    image_type: int | None = None
    file_version: int | None = None
    image_size: int | None = None

    COMMAND_ID: ClassVar[int] = CommandId.QUERY_NEXT_IMAGE_RESPONSE
    DIRECTION: ClassVar[Direction] = _S2C


@dataclass(frozen=True)
class ImageBlockRequest:
    """0x03 client→server; field control bit 0 iff ``request_node_address``, bit 1 iff
    ``minimum_block_period``."""

    manufacturer_code: int
    image_type: int
    file_version: int
    file_offset: int
    maximum_data_size: int
    request_node_address: int | None = None
    minimum_block_period: int | None = None

    COMMAND_ID: ClassVar[int] = CommandId.IMAGE_BLOCK_REQUEST
    DIRECTION: ClassVar[Direction] = _C2S

    # The other hot message (one per block): filled like ImageBlockResponse below, for the same
    # reason; a test keeps this signature identical to the dataclass fields.
    def __init__(self, manufacturer_code: int, image_type: int, file_version: int,
                 file_offset: int, maximum_data_size: int, request_node_address: int | None = None,
                 minimum_block_period: int | None = None) -> None:
        d = self.__dict__
        d["manufacturer_code"] = manufacturer_code
        d["image_type"] = image_type
        d["file_version"] = file_version
        d["file_offset"] = file_offset
        d["maximum_data_size"] = maximum_data_size
        d["request_node_address"] = request_node_address
        d["minimum_block_period"] = minimum_block_period


@dataclass(frozen=True, slots=True)
class ImagePageRequest:
    """0x04 client→server; field control bit 0 iff ``request_node_address``."""

    manufacturer_code: int
    image_type: int
    file_version: int
    file_offset: int
    maximum_data_size: int
    page_size: int
    response_spacing: int
    request_node_address: int | None = None

    COMMAND_ID: ClassVar[int] = CommandId.IMAGE_PAGE_REQUEST
    DIRECTION: ClassVar[Direction] = _C2S


@dataclass(frozen=True)
class ImageBlockResponse:
    """0x05 server→client, three forms chosen by ``status``:

    SUCCESS: manufacturer_code, image_type, file_version, file_offset, image_data (its one-octet
    data size is computed); WAIT_FOR_DATA: current_time, request_time, minimum_block_period;
    ABORT: nothing more.
    """

    status: Status
    manufacturer_code: int | None = None
    image_type: int | None = None
    file_version: int | None = None
    file_offset: int | None = None
    image_data: bytes | None = None
    current_time: int | None = None
    request_time: int | None = None
    minimum_block_period: int | None = None

    COMMAND_ID: ClassVar[int] = CommandId.IMAGE_BLOCK_RESPONSE
    DIRECTION: ClassVar[Direction] = _S2C

    # The hot message: ~12,000 of these carry one 750 kB image. A frozen dataclass's generated
    # __init__ pays object.__setattr__ per field; filling the instance dict directly is about
    # 3x cheaper and still frozen (FrozenInstanceError on assignment). A test keeps this
    # signature identical to the dataclass fields.
    def __init__(self, status: Status, manufacturer_code: int | None = None,
                 image_type: int | None = None, file_version: int | None = None,
                 file_offset: int | None = None, image_data: bytes | None = None,
                 current_time: int | None = None, request_time: int | None = None,
                 minimum_block_period: int | None = None) -> None:
        d = self.__dict__
        d["status"] = status
        d["manufacturer_code"] = manufacturer_code
        d["image_type"] = image_type
        d["file_version"] = file_version
        d["file_offset"] = file_offset
        d["image_data"] = image_data
        d["current_time"] = current_time
        d["request_time"] = request_time
        d["minimum_block_period"] = minimum_block_period


@dataclass(frozen=True, slots=True)
class UpgradeEndRequest:
    """0x06 client→server; status SUCCESS, INVALID_IMAGE, REQUIRE_MORE_IMAGE or ABORT."""

    status: Status
    manufacturer_code: int
    image_type: int
    file_version: int

    COMMAND_ID: ClassVar[int] = CommandId.UPGRADE_END_REQUEST
    DIRECTION: ClassVar[Direction] = _C2S


@dataclass(frozen=True, slots=True)
class UpgradeEndResponse:
    """0x07 server→client. ``upgrade_time`` UPGRADE_TIME_WAIT_FOR_COMMAND: wait for a further
    command; ``current_time`` 0: ``upgrade_time`` is an offset in seconds from now."""

    manufacturer_code: int
    image_type: int
    file_version: int
    current_time: int
    upgrade_time: int

    COMMAND_ID: ClassVar[int] = CommandId.UPGRADE_END_RESPONSE
    DIRECTION: ClassVar[Direction] = _S2C


@dataclass(frozen=True, slots=True)
class QueryDeviceSpecificFileRequest:
    """0x08 client→server."""

    request_node_address: int
    manufacturer_code: int
    image_type: int
    file_version: int
    current_zigbee_stack_version: int

    COMMAND_ID: ClassVar[int] = CommandId.QUERY_DEVICE_SPECIFIC_FILE_REQUEST
    DIRECTION: ClassVar[Direction] = _C2S


@dataclass(frozen=True, slots=True)
class QueryDeviceSpecificFileResponse:
    """0x09 server→client; the file fields are present only when ``status`` is SUCCESS."""

    status: Status
    manufacturer_code: int | None = None
    image_type: int | None = None
    file_version: int | None = None
    image_size: int | None = None

    COMMAND_ID: ClassVar[int] = CommandId.QUERY_DEVICE_SPECIFIC_FILE_RESPONSE
    DIRECTION: ClassVar[Direction] = _S2C


Command = (ImageNotify | QueryNextImageRequest | QueryNextImageResponse | ImageBlockRequest
           | ImagePageRequest | ImageBlockResponse | UpgradeEndRequest | UpgradeEndResponse
           | QueryDeviceSpecificFileRequest | QueryDeviceSpecificFileResponse
           | ReadAttributes | ReadAttributesResponse | DefaultResponse)


# --------------------------------------------------------------------------------------------
# Wire declarations (one per command, used for parse and build)
# --------------------------------------------------------------------------------------------

_u8, _u16, _u32 = c.Int8ul, c.Int16ul, c.Int32ul
_this = c.this

#: The image identity as every OTA command that names an image carries it (095264 6.10).
_IMAGE_IDENTITY = c.Struct("manufacturer_code" / _u16, "image_type" / _u16, "file_version" / _u32)


def encode_image_identity(manufacturer_code: int, image_type: int, file_version: int) -> bytes:
    """The 8 octets naming an image in an OTA command: manufacturer code, image type, file version."""
    return bytes(_IMAGE_IDENTITY.build({"manufacturer_code": manufacturer_code, "image_type": image_type,
                                        "file_version": file_version}))


def _bit(mask: int) -> Callable[[c.Container[Any]], bool]:
    """Condition "field-control bit ``mask`` is set"; on build the bit was computed by
    ``_field_control`` from the fields given, so the same test decides both directions."""
    return lambda ctx: bool(ctx.field_control & mask)


def _field_control(*bits: tuple[int, str]) -> c.Construct[Any, Any]:
    """A field-control octet computed from which optional fields are given; reserved bits 0."""
    mask = 0
    for bit, _ in bits:
        mask |= bit

    def rebuild(ctx: c.Container[Any]) -> int:
        return sum(bit for bit, name in bits if ctx.get(name) is not None)

    return c.Rebuild(ReservedBits(_u8, mask), rebuild)


_STATUS_ANSWER = (Status.SUCCESS, Status.NO_IMAGE_AVAILABLE, Status.NOT_AUTHORIZED)


def _image_answer(dc_type: type[object]) -> AsDataclass:
    """Query Next Image / Query Device Specific File responses share one shape."""
    success = _this.status == Status.SUCCESS
    return AsDataclass(c.Struct(
        "status" / EnumField(_u8, Status, _STATUS_ANSWER),
        "manufacturer_code" / c.If(success, _u16),
        "image_type" / c.If(success, _u16),
        "file_version" / c.If(success, _u32),
        "image_size" / c.If(success, _u32),
    ), dc_type)


IMAGE_NOTIFY_FORMAT = AsDataclass(c.Struct(
    "payload_type" / EnumField(_u8, ImageNotifyPayloadType),
    "query_jitter" / IntRange(_u8, 1, 100),
    "manufacturer_code" / c.If(_this.payload_type >= 1, _u16),
    "image_type" / c.If(_this.payload_type >= 2, _u16),
    "new_file_version" / c.If(_this.payload_type >= 3, _u32),
), ImageNotify)

QUERY_NEXT_IMAGE_REQUEST_FORMAT = AsDataclass(c.Struct(
    "field_control" / _field_control((0x01, "hardware_version")),
    "manufacturer_code" / _u16,
    "image_type" / _u16,
    "current_file_version" / _u32,
    "hardware_version" / c.If(_bit(0x01), _u16),
), QueryNextImageRequest)

QUERY_NEXT_IMAGE_RESPONSE_FORMAT = _image_answer(QueryNextImageResponse)

#: The Image Block Request payload as a plain Struct (the fast path derives its formats from it).
IMAGE_BLOCK_REQUEST_STRUCT = c.Struct(
    "field_control" / _field_control((0x01, "request_node_address"), (0x02, "minimum_block_period")),
    "manufacturer_code" / _u16,
    "image_type" / _u16,
    "file_version" / _u32,
    "file_offset" / _u32,
    "maximum_data_size" / _u8,
    "request_node_address" / c.If(_bit(0x01), EUI64),
    "minimum_block_period" / c.If(_bit(0x02), _u16),
)
IMAGE_BLOCK_REQUEST_FORMAT = AsDataclass(IMAGE_BLOCK_REQUEST_STRUCT, ImageBlockRequest)

IMAGE_PAGE_REQUEST_FORMAT = AsDataclass(c.Struct(
    "field_control" / _field_control((0x01, "request_node_address")),
    "manufacturer_code" / _u16,
    "image_type" / _u16,
    "file_version" / _u32,
    "file_offset" / _u32,
    "maximum_data_size" / _u8,
    "page_size" / _u16,
    "response_spacing" / _u16,
    "request_node_address" / c.If(_bit(0x01), EUI64),
), ImagePageRequest)

_BLOCK_SUCCESS = _this.status == Status.SUCCESS
_BLOCK_WAIT = _this.status == Status.WAIT_FOR_DATA

#: The Image Block Response payload as a plain Struct (the fast path derives its format from it).
IMAGE_BLOCK_RESPONSE_STRUCT = c.Struct(
    "status" / EnumField(_u8, Status, (Status.SUCCESS, Status.WAIT_FOR_DATA, Status.ABORT)),
    "manufacturer_code" / c.If(_BLOCK_SUCCESS, _u16),
    "image_type" / c.If(_BLOCK_SUCCESS, _u16),
    "file_version" / c.If(_BLOCK_SUCCESS, _u32),
    "file_offset" / c.If(_BLOCK_SUCCESS, _u32),
    "data_size" / c.If(_BLOCK_SUCCESS, c.Rebuild(_u8, c.len_(_this.image_data))),
    "image_data" / c.If(_BLOCK_SUCCESS, c.Bytes(_this.data_size)),
    "current_time" / c.If(_BLOCK_WAIT, _u32),
    "request_time" / c.If(_BLOCK_WAIT, _u32),
    "minimum_block_period" / c.If(_BLOCK_WAIT, _u16),
)
IMAGE_BLOCK_RESPONSE_FORMAT = AsDataclass(IMAGE_BLOCK_RESPONSE_STRUCT, ImageBlockResponse)

UPGRADE_END_REQUEST_FORMAT = AsDataclass(c.Struct(
    "status" / EnumField(_u8, Status, (Status.SUCCESS, Status.INVALID_IMAGE,
                                       Status.REQUIRE_MORE_IMAGE, Status.ABORT)),
    "manufacturer_code" / _u16,
    "image_type" / _u16,
    "file_version" / _u32,
), UpgradeEndRequest)

UPGRADE_END_RESPONSE_FORMAT = AsDataclass(c.Struct(
    "manufacturer_code" / _u16,
    "image_type" / _u16,
    "file_version" / _u32,
    "current_time" / _u32,
    "upgrade_time" / _u32,
), UpgradeEndResponse)

QUERY_DEVICE_SPECIFIC_FILE_REQUEST_FORMAT = AsDataclass(c.Struct(
    "request_node_address" / EUI64,
    "manufacturer_code" / _u16,
    "image_type" / _u16,
    "file_version" / _u32,
    "current_zigbee_stack_version" / _u16,
), QueryDeviceSpecificFileRequest)

QUERY_DEVICE_SPECIFIC_FILE_RESPONSE_FORMAT = _image_answer(QueryDeviceSpecificFileResponse)


@dataclass(frozen=True)
class CommandEntry:
    """How one command class goes on the wire: its frame type, id, direction and declaration."""

    cls: type[Any]
    frame_type: FrameType
    command_id: int
    direction: Direction | None  # None: global command, either direction
    fmt: c.Construct[Any, Any]


_ENTRIES = [
    CommandEntry(ImageNotify, FrameType.CLUSTER_SPECIFIC, 0x00, _S2C, IMAGE_NOTIFY_FORMAT),
    CommandEntry(QueryNextImageRequest, FrameType.CLUSTER_SPECIFIC, 0x01, _C2S,
           QUERY_NEXT_IMAGE_REQUEST_FORMAT),
    CommandEntry(QueryNextImageResponse, FrameType.CLUSTER_SPECIFIC, 0x02, _S2C,
           QUERY_NEXT_IMAGE_RESPONSE_FORMAT),
    CommandEntry(ImageBlockRequest, FrameType.CLUSTER_SPECIFIC, 0x03, _C2S, IMAGE_BLOCK_REQUEST_FORMAT),
    CommandEntry(ImagePageRequest, FrameType.CLUSTER_SPECIFIC, 0x04, _C2S, IMAGE_PAGE_REQUEST_FORMAT),
    CommandEntry(ImageBlockResponse, FrameType.CLUSTER_SPECIFIC, 0x05, _S2C, IMAGE_BLOCK_RESPONSE_FORMAT),
    CommandEntry(UpgradeEndRequest, FrameType.CLUSTER_SPECIFIC, 0x06, _C2S, UPGRADE_END_REQUEST_FORMAT),
    CommandEntry(UpgradeEndResponse, FrameType.CLUSTER_SPECIFIC, 0x07, _S2C, UPGRADE_END_RESPONSE_FORMAT),
    CommandEntry(QueryDeviceSpecificFileRequest, FrameType.CLUSTER_SPECIFIC, 0x08, _C2S,
           QUERY_DEVICE_SPECIFIC_FILE_REQUEST_FORMAT),
    CommandEntry(QueryDeviceSpecificFileResponse, FrameType.CLUSTER_SPECIFIC, 0x09, _S2C,
           QUERY_DEVICE_SPECIFIC_FILE_RESPONSE_FORMAT),
    CommandEntry(ReadAttributes, FrameType.GLOBAL, 0x00, None, READ_ATTRIBUTES),
    CommandEntry(ReadAttributesResponse, FrameType.GLOBAL, 0x01, None, READ_ATTRIBUTES_RESPONSE),
    CommandEntry(DefaultResponse, FrameType.GLOBAL, 0x0B, None, DEFAULT_RESPONSE),
]
_BY_CLASS = {e.cls: e for e in _ENTRIES}
_BY_ID = {(e.frame_type, e.command_id): e for e in _ENTRIES}


def command_entry(cls: type[Any]) -> CommandEntry | None:
    """The wire entry of a command class, None for a class that is no OTA cluster command."""
    return _BY_CLASS.get(cls)


def entry_by_id(frame_type: FrameType, command_id: int) -> CommandEntry | None:
    """The wire entry of a (frame type, command id), None for one this codec does not know."""
    return _BY_ID.get((frame_type, command_id))


def command_format(cls: type[object]) -> c.Construct[Any, Any]:
    """The construct declaration of a command class's payload (for tests and tools)."""
    return _BY_CLASS[cls].fmt
