"""OTA upgrade images: the ZigBee OTA upgrade file and the GBCS Upgrade Image.

Sources: ZigBee document 095264 (OTA Upgrade Cluster) / ZCL chapter 11 for the header and the
sub-elements; the DCC's public SR 11.1 / 11.4 sample requests for the GBCS Upgrade Image
(header, then the Manufacturer Image directly, then an optional big-endian 0x0040 + 64-byte
ECDSA P-256 r||s trailer). ``docs/image-formats.md`` is the user-facing description, including
how a file's format is decided (:func:`parse_image`).

Every structure is declared once in construct (:mod:`protocol.ota_layout`, whose names are
importable from here too) and used for both directions. Parsing is
stricter than a home-automation hub: header version, header length, total image size, the
fixed sub-element sizes and the image integrity code are all checked, and every failure is a
:class:`~protocol.errors.ProtocolError` naming the field and byte offset. No length read from
the file is used to allocate anything before it has been checked against the bytes present.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import construct as c
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ._fields import ParsedT, decode, encode, eui64_str
from .errors import DecodeError, HarnessUsageError, ProtocolError, SizeLimitError, ValidationError
from .limits import DEFAULT_MAX_WHOLE_IMAGE_BYTES
from .ota_layout import (
    FIELD_CONTROL_KNOWN,
    FIELD_CONTROL_OFFSET,
    FILE_IDENTIFIER,
    FIXED_SUB_ELEMENT_SIZES,
    GBCS_SIGNATURE_SIZE,
    GBCS_SIGNATURE_TRAILER,
    GBCS_TRAILER_MARK,
    GBCS_TRAILER_SIZE,
    HEADER_LENGTH_OFFSET,
    HEADER_VERSION,
    INTEGRITY_BEFORE_SUB_ELEMENT,
    INTEGRITY_INCLUDING_TAG_AND_LENGTH,
    OTA_HEADER,
    P256_SIGNATURE_SIZE,
    P256_SIGNATURE_TAG,
    SUB_ELEMENT,
    SUB_ELEMENT_HEADER,
    SUB_ELEMENT_HEADER_SIZE,
    TOTAL_IMAGE_SIZE_OFFSET,
    FieldControl,
    ImageFormat,
    ImageType,
    OtaHeader,
    OtaImage,
    SubElement,
    SubElementTag,
    field_control_of,
    header_length_for,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

__all__ = [
    "declared_total_size",
    "parse_header",
    "with_total_size",
    "DEFAULT_MAX_IMAGE_SIZE",
    "FILE_IDENTIFIER",
    "GBCS_SIGNATURE_TRAILER",
    "HEADER_VERSION",
    "INTEGRITY_BEFORE_SUB_ELEMENT",
    "INTEGRITY_INCLUDING_TAG_AND_LENGTH",
    "OTA_HEADER",
    "P256_SIGNATURE_SIZE",
    "P256_SIGNATURE_TAG",
    "SUB_ELEMENT",
    "SUB_ELEMENT_HEADER",
    "FieldControl",
    "ImageFormat",
    "ImageType",
    "OtaHeader",
    "OtaImage",
    "SubElement",
    "SubElementTag",
    "build_gbcs_image",
    "build_zigbee_image",
    "header_length_for",
    "image_integrity_code",
    "image_to_json",
    "manufacturer_image_hash",
    "parse_image",
]

#: Cap on the size of a file :func:`parse_image` accepts (a keyword argument overrides it). This
#: is a guard against hostile input, not the 750 kB rule of the working group.
DEFAULT_MAX_IMAGE_SIZE = DEFAULT_MAX_WHOLE_IMAGE_BYTES

# --- parsing -----------------------------------------------------------------------------------


def _decode_prefixed(fmt: c.Construct[ParsedT, Any], data: bytes, base: int, prefix: str) -> ParsedT:
    try:
        return decode(fmt, data, base_offset=base)
    except DecodeError as err:
        field = f"{prefix}.{err.field}" if err.field and err.field != "(end)" else prefix
        message = err.message
        if field == "header.header_version":
            message = f"header version must be 0x{HEADER_VERSION:04x}; {message}"
        elif field == "header.file_identifier":
            message = f"not an OTA file: file identifier must be 0x{FILE_IDENTIFIER:08X}; {message}"
        raise DecodeError(message, field=field, offset=err.offset) from None


def parse_header(data: bytes, max_size: int) -> OtaHeader:
    # Slice exactly the header the field-control bits announce, so decode sees no trailing bytes
    # and a short file fails on the field where it ends.
    field_control = int.from_bytes(data[FIELD_CONTROL_OFFSET:FIELD_CONTROL_OFFSET + 2], "little")
    size = header_length_for(field_control) if len(data) >= FIELD_CONTROL_OFFSET + 2 else len(data)
    raw = _decode_prefixed(OTA_HEADER, data[:size], 0, "header")
    header = OtaHeader(
        header_version=raw.header_version,
        header_length=raw.header_length,
        field_control=raw.field_control,
        manufacturer_code=raw.manufacturer_code,
        image_type=raw.image_type,
        file_version=raw.file_version,
        zigbee_stack_version=raw.zigbee_stack_version,
        header_string=bytes(raw.header_string),
        total_image_size=raw.total_image_size,
        security_credential_version=raw.security_credential_version,
        upgrade_file_destination=raw.upgrade_file_destination,
        minimum_hardware_version=raw.minimum_hardware_version,
        maximum_hardware_version=raw.maximum_hardware_version,
    )
    if field_control & ~FIELD_CONTROL_KNOWN:
        raise ValidationError(
            f"reserved field-control bits set (0x{field_control:04x}; only bits 0-2 are defined)",
            field="header.field_control", offset=FIELD_CONTROL_OFFSET)
    if header.header_length != size:
        raise ValidationError(
            f"header length {header.header_length} does not match the fields present: field control "
            f"0x{field_control:04x} gives a {size}-byte header",
            field="header.header_length", offset=HEADER_LENGTH_OFFSET)
    if header.total_image_size > max_size:
        raise SizeLimitError(
            f"declares a {header.total_image_size}-byte image, over the {max_size}-byte limit",
            field="header.total_image_size", offset=TOTAL_IMAGE_SIZE_OFFSET)
    if header.total_image_size < size:
        raise ValidationError(
            f"total image size {header.total_image_size} is smaller than the {size}-byte header",
            field="header.total_image_size", offset=TOTAL_IMAGE_SIZE_OFFSET)
    if header.total_image_size != len(data):
        raise ValidationError(
            f"total image size {header.total_image_size} differs from the file length {len(data)}",
            field="header.total_image_size", offset=TOTAL_IMAGE_SIZE_OFFSET)
    return header


def declared_total_size(data: bytes) -> int | None:
    """The header's total image size read without the parser's checks, or None when ``data`` is
    too short to hold it (for a device that trusts the header, and for a test that forges it)."""
    at = TOTAL_IMAGE_SIZE_OFFSET
    return int.from_bytes(data[at:at + 4], "little") if len(data) >= at + 4 else None


def with_total_size(data: bytes, total: int) -> bytes:
    """``data`` with its header's total image size set to ``total`` and nothing else changed."""
    at = TOTAL_IMAGE_SIZE_OFFSET
    if len(data) < at + 4:
        raise HarnessUsageError(f"{len(data)} bytes hold no total image size (it ends at {at + 4})")
    return data[:at] + total.to_bytes(4, "little") + data[at + 4:]


def _walk_sub_elements(data: bytes, start: int) -> list[SubElement]:
    """Read ``data[start:]`` as sub-elements; raise at the first one that does not fit."""
    elements: list[SubElement] = []
    offset = start
    while offset < len(data):
        index = len(elements)
        name = f"sub_elements[{index}]"
        left = len(data) - offset
        if left < SUB_ELEMENT_HEADER_SIZE:
            raise DecodeError(
                f"{left} bytes left after the last sub-element, too few for a tag and length",
                field=name, offset=offset)
        head = _decode_prefixed(SUB_ELEMENT_HEADER, data[offset:offset + SUB_ELEMENT_HEADER_SIZE],
                                offset, name)
        room = left - SUB_ELEMENT_HEADER_SIZE
        if head.length > room:  # checked before the value is sliced: no allocation by length
            raise DecodeError(
                f"sub-element 0x{head.tag:04x} declares {head.length} bytes, only {room} remain",
                field=f"{name}.length", offset=offset + 2)
        fixed = FIXED_SUB_ELEMENT_SIZES.get(head.tag)
        if fixed is not None and head.length != fixed:
            raise ValidationError(
                f"{SubElementTag(head.tag).name} must be {fixed} bytes, declares {head.length}",
                field=f"{name}.length", offset=offset + 2)
        value_at = offset + SUB_ELEMENT_HEADER_SIZE
        elements.append(SubElement(tag=head.tag, value=data[value_at:value_at + head.length],
                                   offset=offset))
        offset = value_at + head.length
    return elements


def _first_element_plausible(data: bytes, start: int) -> bool:
    """Does the body begin like a sub-element (a non-empty value that fits)?"""
    if len(data) - start < SUB_ELEMENT_HEADER_SIZE:
        return False
    length = int.from_bytes(data[start + 2:start + 6], "little")
    return 0 < length <= len(data) - start - SUB_ELEMENT_HEADER_SIZE


def _refuse_ambiguous_first_element(data: bytes, start: int) -> None:
    """Refuse a body that opens with a standard sub-element tag whose length cannot fit.

    Such a file is a ZigBee OTA file cut short or a GBCS image whose first bytes happen to look
    like a tag: the bytes cannot tell which, so the reader is asked to name the format. A GBCS
    signature trailer at the end is evidence enough of GBCS, so signed GBCS images never hit this.
    """
    if len(data) - start < SUB_ELEMENT_HEADER_SIZE + GBCS_TRAILER_SIZE:
        return
    if data[len(data) - GBCS_TRAILER_SIZE:len(data) - GBCS_SIGNATURE_SIZE] == GBCS_TRAILER_MARK:
        return
    tag = int.from_bytes(data[start:start + 2], "little")
    length = int.from_bytes(data[start + 2:start + 6], "little")
    left = len(data) - start - SUB_ELEMENT_HEADER_SIZE
    if tag in SubElementTag._value2member_map_ and length > left:
        raise DecodeError(
            f"ambiguous format: the bytes after the header start like a ZigBee OTA sub-element "
            f"({SubElementTag(tag).name}, tag 0x{tag:04x}) declaring {length} bytes where {left} follow; "
            "if it is a GBCS Upgrade Image, read it with the expected format gbcs-upgrade-image "
            "(inspect --format gbcs)",
            field="sub_elements[0].length", offset=start + 2)


# --- image integrity code (AES-MMO, ZigBee spec B.6) -------------------------------------------

_BLOCK = 16


def _mmo_blocks(state: bytes, data: bytes) -> bytes:
    # Matyas-Meyer-Oseas: H_j = E(H_{j-1}, M_j) xor M_j, AES-128, the key changing every block.
    for i in range(0, len(data), _BLOCK):
        block = data[i:i + _BLOCK]
        out = Cipher(algorithms.AES(state), modes.ECB()).encryptor().update(block)  # noqa: S305
        state = (int.from_bytes(out, "big") ^ int.from_bytes(block, "big")).to_bytes(_BLOCK, "big")
    return state


def _mmo_padding(length: int) -> bytes:
    bits = length * 8
    if bits < 1 << 16:  # 1 bit, zeros, 16-bit length
        pad = b"\x80" + bytes((-(length + 1 + 2)) % _BLOCK)
        return pad + bits.to_bytes(2, "big")
    pad = b"\x80" + bytes((-(length + 1 + 6)) % _BLOCK)  # 32-bit length then 16 zero bits
    return pad + bits.to_bytes(4, "big") + b"\x00\x00"


def _mmo_finish(state: bytes, tail: bytes, total: int) -> bytes:
    return _mmo_blocks(state, tail + _mmo_padding(total))


def image_integrity_code(data: bytes) -> bytes:
    """The 16-byte AES-MMO hash ZigBee uses for the image integrity code (tag 0x0003)."""
    full = len(data) // _BLOCK * _BLOCK
    return _mmo_finish(_mmo_blocks(bytes(_BLOCK), data[:full]), data[full:], len(data))


def _integrity_variant(raw: bytes, element: SubElement, index: int) -> str:
    """Which of the two field variants the code matches; ValidationError if neither."""
    before = element.offset
    including = element.offset + SUB_ELEMENT_HEADER_SIZE
    common = before // _BLOCK * _BLOCK  # share the chain over the common full blocks
    state = _mmo_blocks(bytes(_BLOCK), raw[:common])
    if hmac.compare_digest(_mmo_finish(state, raw[common:before], before), element.value):
        return INTEGRITY_BEFORE_SUB_ELEMENT
    if hmac.compare_digest(_mmo_finish(state, raw[common:including], including), element.value):
        return INTEGRITY_INCLUDING_TAG_AND_LENGTH
    raise ValidationError(
        "image integrity code matches neither the AES-MMO hash of the bytes before the sub-element "
        "nor of those bytes with its tag and length",
        field=f"sub_elements[{index}].value", offset=element.offset + SUB_ELEMENT_HEADER_SIZE)


# --- the two formats ---------------------------------------------------------------------------


def _zigbee_image(raw: bytes, header: OtaHeader, elements: list[SubElement]) -> OtaImage:
    variant: str | None = None
    for index, element in enumerate(elements):
        if element.tag == SubElementTag.IMAGE_INTEGRITY_CODE:
            found = _integrity_variant(raw, element, index)
            if variant is not None and found != variant:
                raise ValidationError("image integrity codes computed in two different ways",
                                      field=f"sub_elements[{index}].value", offset=element.offset + 6)
            variant = found
    signed_end = next((e.offset for e in elements if e.tag in (
        SubElementTag.ECDSA_SIGNATURE_SUITE_1, SubElementTag.ECDSA_SIGNATURE_SUITE_2,
        P256_SIGNATURE_TAG)), None)
    return OtaImage(
        format=ImageFormat.ZIGBEE_OTA,
        header=header,
        sub_elements=tuple(elements),
        manufacturer_image=b"".join(e.value for e in elements if e.tag == SubElementTag.UPGRADE_IMAGE),
        signature=None,
        signed_bytes=raw[:signed_end] if signed_end is not None else b"",
        raw=raw,
        integrity_variant=variant,
    )


def _gbcs_image(raw: bytes, header: OtaHeader) -> OtaImage:
    start = header.header_length
    signature: bytes | None = None
    end = len(raw)
    mark = raw[end - GBCS_TRAILER_SIZE:end - GBCS_SIGNATURE_SIZE]
    if end - start >= GBCS_TRAILER_SIZE and mark == GBCS_TRAILER_MARK:
        end -= GBCS_TRAILER_SIZE
        trailer = _decode_prefixed(GBCS_SIGNATURE_TRAILER, raw[end:], end, "signature_trailer")
        signature = bytes(trailer.signature)
    return OtaImage(
        format=ImageFormat.GBCS,
        header=header,
        sub_elements=(),
        manufacturer_image=raw[start:end],
        signature=signature,
        signed_bytes=raw[:end],
        raw=raw,
        integrity_variant=None,
    )


def _tiles_as_zigbee(raw: bytes, start: int) -> list[SubElement] | None:
    """The sub-elements if the body is an exact, meaningful ZigBee sequence, else None."""
    try:
        elements = _walk_sub_elements(raw, start)
    except ProtocolError:
        return None
    return elements if any(e.value for e in elements) else None


def parse_image(data: bytes, *, max_size: int = DEFAULT_MAX_IMAGE_SIZE,
                expected_format: ImageFormat | None = None) -> OtaImage:
    """Parse and validate an image file of either format.

    Without ``expected_format`` the format is decided from the bytes after the header, never by
    a silent guess: they tile exactly as sub-elements with at least one non-empty value ->
    ZigBee OTA; they begin like a sub-element but do not tile -> refused as a broken ZigBee file
    (name ``expected_format=GBCS`` if it is a GBCS image); otherwise -> GBCS Upgrade Image.
    With ``expected_format`` the file is read by that format's rules only, and a GBCS reading
    refuses a file that is unmistakably a ZigBee file (exact tiling with an upgrade image).
    """
    raw = bytes(data)
    if len(raw) > max_size:
        raise SizeLimitError(f"file is {len(raw)} bytes, over the {max_size}-byte limit",
                             field="image", offset=max_size)
    header = parse_header(raw, max_size)
    start = header.header_length
    if expected_format is ImageFormat.ZIGBEE_OTA:
        return _zigbee_image(raw, header, _walk_sub_elements(raw, start))
    tiled = _tiles_as_zigbee(raw, start)
    if expected_format is ImageFormat.GBCS:
        if tiled is not None and any(e.tag == SubElementTag.UPGRADE_IMAGE and e.value for e in tiled):
            raise ValidationError(
                "expected a GBCS Upgrade Image, but the bytes after the header are ZigBee sub-elements "
                "with an upgrade image",
                field="manufacturer_image", offset=start)
        return _gbcs_image(raw, header)
    if tiled is not None:
        return _zigbee_image(raw, header, tiled)
    _refuse_ambiguous_first_element(raw, start)
    if _first_element_plausible(raw, start):
        try:
            _walk_sub_elements(raw, start)
        except ProtocolError as err:
            raise type(err)(
                f"{err.message} (the file starts like a ZigBee OTA file; if it is a GBCS Upgrade Image, "
                "read it with the expected format gbcs-upgrade-image)",
                field=err.field, offset=err.offset) from None
    return _gbcs_image(raw, header)


# --- building ----------------------------------------------------------------------------------


def _header_obj(*, manufacturer_code: int, image_type: int, file_version: int, zigbee_stack_version: int,
                header_string: bytes, total_image_size: int, security_credential_version: int | None,
                upgrade_file_destination: int | None, minimum_hardware_version: int | None,
                maximum_hardware_version: int | None) -> dict[str, Any]:
    if len(header_string) > 32:
        raise HarnessUsageError(f"header string is {len(header_string)} bytes; at most 32")
    if (minimum_hardware_version is None) != (maximum_hardware_version is None):
        raise HarnessUsageError("give both hardware versions or neither (one field-control bit covers both)")
    return {
        "manufacturer_code": manufacturer_code, "image_type": image_type, "file_version": file_version,
        "zigbee_stack_version": zigbee_stack_version, "header_string": header_string.ljust(32, b"\x00"),
        "total_image_size": total_image_size,
        "security_credential_version": security_credential_version,
        "upgrade_file_destination": upgrade_file_destination,
        "minimum_hardware_version": minimum_hardware_version,
        "maximum_hardware_version": maximum_hardware_version,
    }


def _encode_header(obj: dict[str, Any]) -> bytes:
    try:
        return encode(OTA_HEADER, obj, what="header")
    except DecodeError as err:
        raise HarnessUsageError(f"cannot build the header: {err}") from None


def _header_size(obj: dict[str, Any]) -> int:
    return header_length_for(field_control_of(c.Container(obj)))


def build_zigbee_image(*, manufacturer_code: int, image_type: int, file_version: int,
                       sub_elements: Sequence[tuple[int, bytes]], zigbee_stack_version: int = 2,
                       header_string: bytes = b"", security_credential_version: int | None = None,
                       upgrade_file_destination: int | None = None,
                       minimum_hardware_version: int | None = None,
                       maximum_hardware_version: int | None = None,
                       integrity_code: bool = False,
                       private_key: EllipticCurvePrivateKey | None = None) -> bytes:
    """Build a ZigBee OTA upgrade file: header, then the sub-elements in the order given.

    ``integrity_code`` appends an image integrity code (0x0003) computed over every byte before
    that sub-element. ``private_key`` appends, last, the reference profile's P-256 signature
    sub-element (:data:`P256_SIGNATURE_TAG`) over every byte before it. Raises
    HarnessUsageError for values that do not fit, or for a file :func:`parse_image` would not
    read back as ZigBee OTA (no sub-element with a value, a fixed-size tag of the wrong size, a
    wrong integrity code).
    """
    from .signatures import sign_image_bytes  # signatures imports this module

    try:
        body = b"".join(encode(SUB_ELEMENT, {"tag": tag, "value": bytes(value)})
                        for tag, value in sub_elements)
    except DecodeError as err:
        raise HarnessUsageError(f"cannot build a sub-element: {err}") from None
    obj = _header_obj(
        manufacturer_code=manufacturer_code, image_type=image_type, file_version=file_version,
        zigbee_stack_version=zigbee_stack_version, header_string=header_string, total_image_size=0,
        security_credential_version=security_credential_version,
        upgrade_file_destination=upgrade_file_destination,
        minimum_hardware_version=minimum_hardware_version, maximum_hardware_version=maximum_hardware_version)
    code_size = SUB_ELEMENT_HEADER_SIZE + FIXED_SUB_ELEMENT_SIZES[SubElementTag.IMAGE_INTEGRITY_CODE]
    signature_size = SUB_ELEMENT_HEADER_SIZE + P256_SIGNATURE_SIZE
    obj["total_image_size"] = (_header_size(obj) + len(body) + (code_size if integrity_code else 0)
                               + (signature_size if private_key is not None else 0))
    out = _encode_header(obj) + body
    if integrity_code:
        code = image_integrity_code(out)
        out += encode(SUB_ELEMENT, {"tag": SubElementTag.IMAGE_INTEGRITY_CODE, "value": code})
    if private_key is not None:
        out += encode(SUB_ELEMENT, {"tag": P256_SIGNATURE_TAG, "value": sign_image_bytes(out, private_key)})
    # (``signed`` is about the GBCS trailer; a ZigBee file never has one)
    _check_reads_back(out, ImageFormat.ZIGBEE_OTA, signed=False)
    return out


def build_gbcs_image(*, manufacturer_code: int, image_type: int, file_version: int,
                     manufacturer_image: bytes, private_key: EllipticCurvePrivateKey | None = None,
                     minimum_hardware_version: int | None = None,
                     maximum_hardware_version: int | None = None, header_string: bytes = b"",
                     zigbee_stack_version: int = 2,
                     upgrade_file_destination: int | None = None) -> bytes:
    """Build a GBCS Upgrade Image: header, Manufacturer Image, and with a key the signature trailer.

    ``upgrade_file_destination`` makes it a device-specific file for that EUI-64 (field control
    bit 1); the destination is in the header, so it is signed.

    The total image size covers the whole file, trailer included (as in the DCC's samples). The
    signature covers every byte before the trailer (header and Manufacturer Image). Raises
    HarnessUsageError if :func:`parse_image` would not read the result back as this GBCS image
    (e.g. an unsigned image whose last 66 bytes begin 0x00 0x40 would read as signed).
    """
    from .signatures import sign_image_bytes  # signatures imports this module

    image = bytes(manufacturer_image)
    obj = _header_obj(
        manufacturer_code=manufacturer_code, image_type=image_type, file_version=file_version,
        zigbee_stack_version=zigbee_stack_version, header_string=header_string, total_image_size=0,
        security_credential_version=None, upgrade_file_destination=upgrade_file_destination,
        minimum_hardware_version=minimum_hardware_version, maximum_hardware_version=maximum_hardware_version)
    obj["total_image_size"] = _header_size(obj) + len(image) + (GBCS_TRAILER_SIZE if private_key else 0)
    signed = _encode_header(obj) + image
    out = signed
    if private_key is not None:
        out += encode(GBCS_SIGNATURE_TRAILER, {"signature": sign_image_bytes(signed, private_key)})
    _check_reads_back(out, ImageFormat.GBCS, signed=private_key is not None)
    return out


def _check_reads_back(out: bytes, fmt: ImageFormat, *, signed: bool) -> None:
    try:
        image = parse_image(out, max_size=max(len(out), DEFAULT_MAX_IMAGE_SIZE))
    except ProtocolError as err:
        raise HarnessUsageError(f"the built image would not parse back: {err}") from None
    if image.format is not fmt or (image.signature is not None) != signed:
        raise HarnessUsageError(
            f"the built {fmt.value} image would read back as {image.format.value}"
            f"{' with' if image.signature is not None else ' without'} a signature; change the payload")


# --- derived values ----------------------------------------------------------------------------


def manufacturer_image_hash(image: OtaImage) -> bytes:
    """SHA-256 over the Manufacturer Image: the hash GBCS Activate Firmware (CS06) carries."""
    return hashlib.sha256(image.manufacturer_image).digest()


def _text(value: bytes) -> str:
    return value.rstrip(b"\x00").decode("utf-8", errors="backslashreplace")


def image_to_json(image: OtaImage, *, signature_verdict: str | None) -> dict[str, Any]:
    """The ``hanota inspect --json`` object (field names fixed by DESIGN.md).

    ``signature_verdict`` is ``"valid"`` or ``"invalid"`` when a key was used, else ``None``
    (reported as ``"not-checked"``, or ``"absent"`` when the image carries no signature). For a
    ZigBee OTA file the signature is the reference profile's P-256 sub-element.
    """
    h = image.header
    out: dict[str, Any] = {
        "format": image.format.value,
        "header_version": h.header_version,
        "header_length": h.header_length,
        "field_control": h.field_control,
        "manufacturer_code": h.manufacturer_code,
        "image_type": h.image_type,
        "file_version": h.file_version,
        "zigbee_stack_version": h.zigbee_stack_version,
        "header_string": _text(h.header_string),
        "header_string_hex": h.header_string.hex(),
        "total_image_size": h.total_image_size,
        "security_credential_version": h.security_credential_version,
        "upgrade_file_destination": (None if h.upgrade_file_destination is None
                                     else eui64_str(h.upgrade_file_destination)),
        "minimum_hardware_version": h.minimum_hardware_version,
        "maximum_hardware_version": h.maximum_hardware_version,
        "sub_elements": [
            {"tag": e.tag, "length": len(e.value), "offset": e.offset,
             "name": SubElementTag(e.tag).name.lower() if e.tag in SubElementTag._value2member_map_
             else "p256_signature" if e.tag == P256_SIGNATURE_TAG
             else ("manufacturer_specific" if e.tag >= 0xF000 else "unknown")}
            for e in image.sub_elements
        ],
        "manufacturer_image_length": len(image.manufacturer_image),
        "manufacturer_image_sha256": manufacturer_image_hash(image).hex(),
    }
    if image.format is ImageFormat.ZIGBEE_OTA:
        out["integrity_variant"] = image.integrity_variant
        # the reference profile's P-256 signature sub-element (suite 1/2 ones are not verified)
        present = any(e.tag == P256_SIGNATURE_TAG for e in image.sub_elements)
    else:
        present = image.signature is not None
    out["signature_present"] = present
    if signature_verdict is None:
        signature_verdict = "not-checked" if present else "absent"
    out["signature_verdict"] = signature_verdict
    return out
