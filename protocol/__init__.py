"""hanota's codec: construct declarations of the OTA image formats, ZCL/OTA Upgrade cluster
commands, GBCS firmware messages, fragments and the DUT bridge envelope. Sans-I/O; imports
nothing from the rest of hanota."""

from __future__ import annotations

from ._fields import decode, encode
from .errors import (
    DecodeError,
    DeviceViolationError,
    HarnessUsageError,
    ImageHashMismatchError,
    ProtocolError,
    SignatureInvalidError,
    SignatureMissingError,
    SizeLimitError,
    ValidationError,
)
from .ota_commands import Command, decode_command, encode_command
from .ota_image import ImageFormat, OtaHeader, OtaImage, build_gbcs_image, build_zigbee_image, parse_image
from .signatures import verify_image
from .zcl import Status, ZclHeader

#: The editions of the sources this codec implements.
SOURCES = {
    "zigbee-ota": "ZigBee document 095264 (OTA Upgrade Cluster) / ZCL chapter 11",
    "gbcs": "GBCS v1 firmware rules (Activate Firmware CS06, CS08, CCS08), sample frames RTDS-4.5.0",
    "secmp0007": "SECMP0007 working group minutes (WG1 meeting 2, 2016) and the SEC text as implemented",
}

__all__ = [
    "SOURCES",
    "Command",
    "ImageFormat",
    "OtaHeader",
    "OtaImage",
    "Status",
    "ZclHeader",
    "build_gbcs_image",
    "build_zigbee_image",
    "decode_command",
    "encode_command",
    "parse_image",
    "verify_image",
    "DecodeError",
    "DeviceViolationError",
    "HarnessUsageError",
    "ImageHashMismatchError",
    "ProtocolError",
    "SignatureInvalidError",
    "SignatureMissingError",
    "SizeLimitError",
    "ValidationError",
    "decode",
    "encode",
]
