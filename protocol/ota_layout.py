"""The OTA upgrade file's layout: header, sub-elements and the GBCS signature trailer, declared once.

Source: ZigBee document 095264 (OTA Upgrade Cluster) 6.3 for the header and the sub-elements;
the DCC's public SR 11.1 / 11.4 sample requests for the GBCS trailer. These construct
declarations, the byte offsets of the header's fields and the image types and tags are used by
:mod:`protocol.ota_image` to parse and build both formats; it re-exports every public name here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import construct as c

from ._fields import EUI64

__all__ = [
    "BASE_HEADER_LENGTH",
    "FIELD_CONTROL_KNOWN",
    "FIELD_CONTROL_OFFSET",
    "FILE_IDENTIFIER",
    "FIXED_SUB_ELEMENT_SIZES",
    "GBCS_SIGNATURE_SIZE",
    "GBCS_SIGNATURE_TRAILER",
    "GBCS_TRAILER_MARK",
    "GBCS_TRAILER_SIZE",
    "HEADER_LENGTH_OFFSET",
    "HEADER_VERSION",
    "INTEGRITY_BEFORE_SUB_ELEMENT",
    "INTEGRITY_INCLUDING_TAG_AND_LENGTH",
    "OTA_HEADER",
    "P256_SIGNATURE_SIZE",
    "P256_SIGNATURE_TAG",
    "SUB_ELEMENT",
    "SUB_ELEMENT_HEADER",
    "SUB_ELEMENT_HEADER_SIZE",
    "TOTAL_IMAGE_SIZE_OFFSET",
    "FieldControl",
    "ImageFormat",
    "ImageType",
    "OtaHeader",
    "OtaImage",
    "SubElement",
    "SubElementTag",
    "field_control_of",
    "header_length_for",
]

FILE_IDENTIFIER = 0x0BEEF11E
HEADER_VERSION = 0x0100
#: Bytes of a header without its optional fields.
BASE_HEADER_LENGTH = 56
#: Where the header's fields sit in the file (what a parse error names).
HEADER_LENGTH_OFFSET = 6
FIELD_CONTROL_OFFSET = 8
TOTAL_IMAGE_SIZE_OFFSET = 52
#: A sub-element's tag and length.
SUB_ELEMENT_HEADER_SIZE = 6
#: The GBCS signature trailer: big-endian length 0x0040 (its mark), then ECDSA P-256 r||s.
GBCS_SIGNATURE_SIZE = 64
GBCS_TRAILER_SIZE = 2 + GBCS_SIGNATURE_SIZE
GBCS_TRAILER_MARK = GBCS_SIGNATURE_SIZE.to_bytes(2, "big")

#: The two ways the image integrity code (tag 0x0003) is computed in the field.
INTEGRITY_BEFORE_SUB_ELEMENT = "before-sub-element"
INTEGRITY_INCLUDING_TAG_AND_LENGTH = "including-tag-and-length"


class ImageFormat(enum.StrEnum):
    """Which of the two image formats a file is."""

    ZIGBEE_OTA = "zigbee-ota"
    GBCS = "gbcs-upgrade-image"


class FieldControl(enum.IntFlag):
    """Header field-control bits (095264 6.3.4); bits 3-15 are reserved and must be zero."""

    SECURITY_CREDENTIAL_VERSION_PRESENT = 0x0001
    DEVICE_SPECIFIC_FILE = 0x0002
    HARDWARE_VERSIONS_PRESENT = 0x0004


#: The field-control bits 095264 defines; the others are reserved.
FIELD_CONTROL_KNOWN = 0x0007


class ImageType(enum.IntEnum):
    """The image types 095264 reserves; 0x0000-0xFFBF are manufacturer-specific."""

    SECURITY_CREDENTIAL = 0xFFC0
    CONFIGURATION = 0xFFC1
    LOG = 0xFFC2
    PICTURE = 0xFFC3
    WILDCARD = 0xFFFF


class SubElementTag(enum.IntEnum):
    """Standard sub-element tags (095264 6.3.10); 0xF000-0xFFFF are manufacturer-specific."""

    UPGRADE_IMAGE = 0x0000
    ECDSA_SIGNATURE_SUITE_1 = 0x0001
    ECDSA_SIGNING_CERTIFICATE_SUITE_1 = 0x0002
    IMAGE_INTEGRITY_CODE = 0x0003
    PICTURE_DATA = 0x0004
    ECDSA_SIGNATURE_SUITE_2 = 0x0005
    ECDSA_SIGNING_CERTIFICATE_SUITE_2 = 0x0006


#: The reference profile's manufacturer signature of a ZigBee OTA file (domain.md section 5; this
#: project's choice, no standard's): ECDSA P-256 / SHA-256 as 64 bytes r||s, in a sub-element of
#: the manufacturer-specific range (0xFFF0 is the fragment descriptor). It is the file's last
#: sub-element and covers every byte before its tag, the header included, so the total image size
#: (and with it everything after the signature) is signed. Suite 1/2 signatures (0x0001, 0x0005)
#: use binary curves and are parsed, never verified (``protocol.signatures``).
P256_SIGNATURE_TAG = 0xFFF1
P256_SIGNATURE_SIZE = 64

#: Tags whose value has one fixed size: signer EUI-64 + signature, certificates, the AES-MMO code.
FIXED_SUB_ELEMENT_SIZES: dict[int, int] = {
    SubElementTag.ECDSA_SIGNATURE_SUITE_1: 8 + 42,
    SubElementTag.ECDSA_SIGNING_CERTIFICATE_SUITE_1: 48,
    SubElementTag.IMAGE_INTEGRITY_CODE: 16,
    SubElementTag.ECDSA_SIGNATURE_SUITE_2: 8 + 72,
    SubElementTag.ECDSA_SIGNING_CERTIFICATE_SUITE_2: 74,
}


def header_length_for(field_control: int) -> int:
    """Bytes of a header whose field control is ``field_control`` (optional fields included)."""
    length = BASE_HEADER_LENGTH
    if field_control & FieldControl.SECURITY_CREDENTIAL_VERSION_PRESENT:
        length += 1
    if field_control & FieldControl.DEVICE_SPECIFIC_FILE:
        length += 8
    if field_control & FieldControl.HARDWARE_VERSIONS_PRESENT:
        length += 4
    return length


def field_control_of(ctx: c.Container[Any]) -> int:
    """Field control as implied by which optional fields are present (building)."""
    bits = 0
    if ctx.security_credential_version is not None:
        bits |= FieldControl.SECURITY_CREDENTIAL_VERSION_PRESENT
    if ctx.upgrade_file_destination is not None:
        bits |= FieldControl.DEVICE_SPECIFIC_FILE
    if ctx.minimum_hardware_version is not None or ctx.maximum_hardware_version is not None:
        bits |= FieldControl.HARDWARE_VERSIONS_PRESENT
    return bits


#: The OTA upgrade file header (095264 6.3), shared by both formats. Little-endian.
OTA_HEADER = c.Struct(
    "file_identifier" / c.Const(FILE_IDENTIFIER.to_bytes(4, "little")),
    "header_version" / c.Const(HEADER_VERSION, c.Int16ul),
    "header_length" / c.Rebuild(c.Int16ul, lambda ctx: header_length_for(field_control_of(ctx))),
    "field_control" / c.Rebuild(c.Int16ul, field_control_of),
    "manufacturer_code" / c.Int16ul,
    "image_type" / c.Int16ul,
    "file_version" / c.Int32ul,
    "zigbee_stack_version" / c.Int16ul,
    "header_string" / c.Bytes(32),
    "total_image_size" / c.Int32ul,
    "security_credential_version"
    / c.If(c.this.field_control & FieldControl.SECURITY_CREDENTIAL_VERSION_PRESENT, c.Int8ul),
    "upgrade_file_destination" / c.If(c.this.field_control & FieldControl.DEVICE_SPECIFIC_FILE, EUI64),
    "minimum_hardware_version"
    / c.If(c.this.field_control & FieldControl.HARDWARE_VERSIONS_PRESENT, c.Int16ul),
    "maximum_hardware_version"
    / c.If(c.this.field_control & FieldControl.HARDWARE_VERSIONS_PRESENT, c.Int16ul),
)

#: A ZigBee sub-element: tag, length, value (095264 6.3.10).
SUB_ELEMENT = c.Struct(
    "tag" / c.Int16ul,
    "length" / c.Rebuild(c.Int32ul, c.len_(c.this.value)),
    "value" / c.Bytes(c.this.length),
)
#: The fixed prefix of :data:`SUB_ELEMENT`, read on its own so the length is checked against the
#: bytes present before the value is touched.
SUB_ELEMENT_HEADER = c.Struct("tag" / c.Int16ul, "length" / c.Int32ul)

#: The GBCS signature trailer: big-endian length 0x0040, then ECDSA P-256 r||s.
GBCS_SIGNATURE_TRAILER = c.Struct(
    "length" / c.Const(GBCS_SIGNATURE_SIZE, c.Int16ub),
    "signature" / c.Bytes(GBCS_SIGNATURE_SIZE),
)


@dataclass(frozen=True)
class OtaHeader:
    """The decoded header; the optional fields are ``None`` when field control omits them."""

    header_version: int
    header_length: int
    field_control: int
    manufacturer_code: int
    image_type: int
    file_version: int
    zigbee_stack_version: int
    header_string: bytes
    total_image_size: int
    security_credential_version: int | None = None
    upgrade_file_destination: int | None = None
    minimum_hardware_version: int | None = None
    maximum_hardware_version: int | None = None


@dataclass(frozen=True)
class SubElement:
    """One sub-element; ``offset`` is where its tag starts in the file."""

    tag: int
    value: bytes
    offset: int


@dataclass(frozen=True)
class OtaImage:
    """A parsed image.

    ``manufacturer_image`` is the GBCS Manufacturer Image, or for a ZigBee file the value of its
    upgrade-image sub-element (0x0000; the values of several such elements joined in file
    order, empty if there is none). ``signed_bytes`` is exactly what the manufacturer
    signature covers (see docs/image-formats.md). ``integrity_variant`` says which way the
    image integrity code was computed, when there is one.
    """

    format: ImageFormat
    header: OtaHeader
    sub_elements: tuple[SubElement, ...]
    manufacturer_image: bytes
    signature: bytes | None
    signed_bytes: bytes
    raw: bytes
    integrity_variant: str | None
