"""Hostile files, built from valid ones by hand: shared by the CLI tests and the limits tests."""

from __future__ import annotations

import random
import struct

from hanota.protocol.fragments import split_image
from hanota.protocol.ota_image import build_gbcs_image, build_zigbee_image

MFR, IMAGE_TYPE, VERSION = 0x1234, 0x0042, 7
FOUR_GIB = 0xFFFF_FFFF  # the largest a u32 length can declare: 4 GiB - 1
# Byte offsets in a 56-byte header (no optional fields) and in a fragment (descriptor at 62).
TOTAL_SIZE_AT = 52
FIELD_CONTROL_AT = 8
HEADER_LENGTH_AT = 6
DESCRIPTOR_AT = 56 + 6
DESCRIPTOR_FIELD_AT = {"fragment_index": 6, "fragment_count": 8, "fragment_offset": 10,
                       "fragment_length": 14, "total_size": 18, "fragment_sha256": 30,
                       "whole_digest": 62}


def zigbee(payload_size: int = 200, **kw: object) -> bytes:
    return build_zigbee_image(manufacturer_code=MFR, image_type=IMAGE_TYPE, file_version=VERSION,
                              sub_elements=[(0x0000, bytes(i % 256 for i in range(payload_size)))],
                              **kw)


def gbcs(size: int = 300) -> bytes:
    return build_gbcs_image(manufacturer_code=MFR, image_type=IMAGE_TYPE, file_version=VERSION,
                            manufacturer_image=b"\x5a" * size)


def put(data: bytes, at: int, fmt: str, value: int) -> bytes:
    """``data`` with ``value`` packed (struct ``fmt``) at ``at``."""
    out = bytearray(data)
    struct.pack_into(fmt, out, at, value)
    return bytes(out)


def random_bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def declares_4gib_image() -> bytes:
    """A valid 256-byte image whose header says it is 4 GiB long."""
    return put(zigbee(), TOTAL_SIZE_AT, "<I", FOUR_GIB)


def declares_4gib_sub_element(index: int = 1) -> bytes:
    """A file whose sub-element ``index`` (0 or 1) declares 4 GiB; the header's size is the file's."""
    body = struct.pack("<HI", 0x0000, 16) + b"\x11" * 16 if index == 1 else b""
    body += struct.pack("<HI", 0x0000, FOUR_GIB) + b"\x22" * 32
    header = zigbee(16)[:56]
    return put(header, TOTAL_SIZE_AT, "<I", 56 + len(body)) + body


def fragments(size: int = 1200, max_bytes: int = 400) -> list[bytes]:
    return split_image(zigbee(size), max_bytes=max_bytes)


def with_descriptor(fragment: bytes, name: str, value: int) -> bytes:
    """``fragment`` with one descriptor field replaced (the slice still matches its SHA-256)."""
    fmt = "<H" if name in ("fragment_index", "fragment_count") else "<I"
    return put(fragment, DESCRIPTOR_AT + DESCRIPTOR_FIELD_AT[name], fmt, value)
