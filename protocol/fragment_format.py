"""The fragment format: the descriptor of a fragment (declared once), its tags, and the errors
that name what is wrong with a fragment or a set of them.

Source: SECMP0007 working group minutes, section 1.2, first row; the layout is this project's
reference profile (no standard defines one), documented in ``docs/fragments.md``.
:mod:`protocol.fragments` parses, splits, builds and reassembles fragments with these, and
re-exports every public name here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import construct as c

from ._fastpath import struct_of
from ._fields import decode, encode
from .errors import DecodeError, ImageHashMismatchError, ValidationError

if TYPE_CHECKING:
    from construct.core import Context

__all__ = [
    "DESCRIPTOR",
    "DESCRIPTOR_FIELD_AT",
    "DESCRIPTOR_MAGIC",
    "DESCRIPTOR_SIZE",
    "DESCRIPTOR_VERSION",
    "FRAGMENT_DESCRIPTOR_TAG",
    "FRAGMENT_HEADER_STRING_PREFIX",
    "UPGRADE_IMAGE_TAG",
    "WHOLE_FORMATS",
    "ForeignFragmentError",
    "FragmentBoundsError",
    "FragmentConflictError",
    "FragmentCorruptError",
    "FragmentCountChangedError",
    "FragmentDescriptor",
    "FragmentFormatError",
    "FragmentInconsistentError",
    "FragmentMissingError",
    "FragmentOverlapError",
    "WholeImageDigestError",
]

#: Sub-element tag of the descriptor, from the manufacturer-specific range 0xF000-0xFFFF.
#: Manufacturers number their own tags from 0xF000 up; the top of the range is the least
#: likely to collide, and the magic and version inside the value guard against the rest.
FRAGMENT_DESCRIPTOR_TAG = 0xFFF0
#: Upgrade Image sub-element (095264): carries this fragment's slice of the whole image.
UPGRADE_IMAGE_TAG = 0x0000
DESCRIPTOR_MAGIC = b"HOFD"
DESCRIPTOR_VERSION = 2
#: Informative: fragments' header strings start with this (32-byte field, NUL padded).
FRAGMENT_HEADER_STRING_PREFIX = "HANOTA-FRAGMENT "


#: Descriptor byte ``whole_format``: the whole image's format, so a device knows how to check it.
WHOLE_FORMATS: dict[str, int] = {"zigbee-ota": 0, "gbcs-upgrade-image": 1}
_FORMAT_BY_CODE = {v: k for k, v in WHOLE_FORMATS.items()}


class FragmentFormatError(DecodeError):
    """The bytes are an OTA image but not a fragment (no descriptor, wrong layout, magic, version)."""


class FragmentInconsistentError(ValidationError):
    """A fragment disagrees with itself: index not below count, lengths or identity differ."""


class FragmentBoundsError(ValidationError):
    """A fragment's offset and length run past the whole image's declared total size."""


class FragmentCorruptError(ValidationError):
    """A fragment's slice does not match the SHA-256 in its descriptor (damaged or altered)."""


class FragmentConflictError(ValidationError):
    """A second fragment with an index already held carries different content."""


class ForeignFragmentError(ValidationError):
    """A fragment belongs to another whole image (identity, size, format or digest differ)."""


class FragmentCountChangedError(ValidationError):
    """A fragment of the same whole image declares a different fragment count."""


class FragmentOverlapError(ValidationError):
    """A fragment's byte range overlaps the range of a fragment with another index."""


class FragmentMissingError(ValidationError):
    """The result was asked for while fragments (or bytes of the whole image) are missing."""


class WholeImageDigestError(ImageHashMismatchError):
    """The slices held do not give the whole-image digest every fragment declared."""


@dataclass(frozen=True, slots=True)
class FragmentDescriptor:
    """Where a fragment's slice belongs and which whole image it is part of."""

    fragment_index: int
    fragment_count: int
    fragment_offset: int
    fragment_length: int
    total_size: int
    manufacturer_code: int
    image_type: int
    file_version: int
    whole_format: str
    fragment_sha256: bytes
    whole_digest: bytes

    @property
    def image_key(self) -> tuple[Any, ...]:
        """What identifies the whole image (everything but this fragment's place and count)."""
        return (self.whole_format, self.manufacturer_code, self.image_type, self.file_version,
                self.total_size, self.whole_digest)

    def to_bytes(self) -> bytes:
        fast = _encode_descriptor_fast(self)
        return fast if fast is not None else encode(DESCRIPTOR, self, what="descriptor")

    @classmethod
    def from_bytes(cls, data: bytes, *, base_offset: int = 0) -> FragmentDescriptor:
        fast = _decode_descriptor_fast(data)
        if fast is not None:
            return fast
        return decode(DESCRIPTOR, data, base_offset=base_offset, what="descriptor")  # type: ignore[no-any-return]


class _DescriptorAdapter(c.Adapter):  # type: ignore[type-arg]
    def _decode(self, obj: c.Container[Any], context: Context, path: str) -> FragmentDescriptor:
        code = obj.whole_format
        if code not in _FORMAT_BY_CODE:
            raise c.ValidationError(f"unknown whole_format {code}", path=f"{path} -> whole_format")
        return FragmentDescriptor(
            fragment_index=obj.fragment_index, fragment_count=obj.fragment_count,
            fragment_offset=obj.fragment_offset, fragment_length=obj.fragment_length,
            total_size=obj.total_size, manufacturer_code=obj.manufacturer_code,
            image_type=obj.image_type, file_version=obj.file_version,
            whole_format=_FORMAT_BY_CODE[code], fragment_sha256=bytes(obj.fragment_sha256),
            whole_digest=bytes(obj.whole_digest))

    def _encode(self, obj: FragmentDescriptor, context: Context, path: str) -> dict[str, Any]:
        if obj.whole_format not in WHOLE_FORMATS:
            raise c.ValidationError(f"unknown whole_format {obj.whole_format!r}",
                                    path=f"{path} -> whole_format")
        return {
            "fragment_index": obj.fragment_index, "fragment_count": obj.fragment_count,
            "fragment_offset": obj.fragment_offset, "fragment_length": obj.fragment_length,
            "total_size": obj.total_size, "manufacturer_code": obj.manufacturer_code,
            "image_type": obj.image_type, "file_version": obj.file_version,
            "whole_format": WHOLE_FORMATS[obj.whole_format], "fragment_sha256": obj.fragment_sha256,
            "whole_digest": obj.whole_digest,
        }


#: The fragment descriptor, little-endian like the rest of a ZigBee OTA file (94 bytes).
DESCRIPTOR = _DescriptorAdapter(c.Struct(
    "magic" / c.Const(DESCRIPTOR_MAGIC),
    "descriptor_version" / c.Const(DESCRIPTOR_VERSION, c.Int8ul),
    "whole_format" / c.Int8ul,
    "fragment_index" / c.Int16ul,
    "fragment_count" / c.Int16ul,
    "fragment_offset" / c.Int32ul,
    "fragment_length" / c.Int32ul,
    "total_size" / c.Int32ul,
    "manufacturer_code" / c.Int16ul,
    "image_type" / c.Int16ul,
    "file_version" / c.Int32ul,
    "fragment_sha256" / c.Bytes(32),
    "whole_digest" / c.Bytes(32),
))
DESCRIPTOR_SIZE = 94

# Fast paths (protocol/_fastpath.py): the descriptor is 13 fixed-width fields of which none needs
# construct's help, parsed and built for each of a 16 MiB image's 22 fragments (construct takes
# about 0.2 ms each way, struct a few microseconds: some 9 ms a 16 MiB image). ``struct`` does
# exactly what DESCRIPTOR declares for every well-formed descriptor (tests/protocol/
# test_fragments.py proves it on random descriptors); anything else returns None and goes
# through DESCRIPTOR and the strict gate, which name the field and offset.
_DESCRIPTOR_STRUCT = struct_of(DESCRIPTOR.subcon.subcons)  # type: ignore[attr-defined]


def _decode_descriptor_fast(data: bytes) -> FragmentDescriptor | None:
    if len(data) != DESCRIPTOR_SIZE:
        return None
    (magic, version, code, index, count, offset, length, total, manufacturer, image_type, version_,
     fragment_sha256, whole) = _DESCRIPTOR_STRUCT.unpack(data)
    if magic != DESCRIPTOR_MAGIC or version != DESCRIPTOR_VERSION or code not in _FORMAT_BY_CODE:
        return None
    return FragmentDescriptor(
        fragment_index=index, fragment_count=count, fragment_offset=offset, fragment_length=length,
        total_size=total, manufacturer_code=manufacturer, image_type=image_type, file_version=version_,
        whole_format=_FORMAT_BY_CODE[code], fragment_sha256=fragment_sha256, whole_digest=whole)


def _encode_descriptor_fast(d: FragmentDescriptor) -> bytes | None:
    try:
        return _DESCRIPTOR_STRUCT.pack(
            DESCRIPTOR_MAGIC, DESCRIPTOR_VERSION, WHOLE_FORMATS[d.whole_format], d.fragment_index,
            d.fragment_count, d.fragment_offset, d.fragment_length, d.total_size, d.manufacturer_code,
            d.image_type, d.file_version, _exactly_32(d.fragment_sha256), _exactly_32(d.whole_digest))
    except (KeyError, struct.error, TypeError):
        return None  # construct then reports the field that does not fit


def _exactly_32(value: bytes) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise TypeError("not a 32-byte digest")  # struct would pad or cut it silently
    return bytes(value)


#: Byte offset of each descriptor field inside the descriptor, for error reports.
DESCRIPTOR_FIELD_AT = {
    "magic": 0, "descriptor_version": 4, "whole_format": 5, "fragment_index": 6, "fragment_count": 8,
    "fragment_offset": 10, "fragment_length": 14, "total_size": 18, "manufacturer_code": 22,
    "image_type": 24, "file_version": 26, "fragment_sha256": 30, "whole_digest": 62,
}
