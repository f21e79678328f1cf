"""Roundtrip tables with hand-built bytes, and the strict checks of the image codec."""

from __future__ import annotations

import struct

import pytest

from hanota.protocol.errors import (
    DecodeError,
    HarnessUsageError,
    ProtocolError,
    SizeLimitError,
    ValidationError,
)
from hanota.protocol.ota_image import (
    ImageFormat,
    SubElementTag,
    build_gbcs_image,
    build_zigbee_image,
    image_integrity_code,
    image_to_json,
    manufacturer_image_hash,
    parse_image,
)

HS = b"test image".ljust(32, b"\x00")


def header(fc: int, total: int, opt: bytes = b"", *, length: int | None = None, version: int = 0x0100,
           manufacturer: int = 0x121D, image_type: int = 0x0084, file_version: int = 0x01020304) -> bytes:
    """A header laid out by hand, field by field, little-endian (095264 6.3)."""
    hlen = 56 + len(opt) if length is None else length
    return (bytes.fromhex("1ef1ee0b") + struct.pack("<HHHHHIH", version, hlen, fc, manufacturer, image_type,
                                                    file_version, 2) + HS + struct.pack("<I", total) + opt)


def sub(tag: int, value: bytes) -> bytes:
    return struct.pack("<HI", tag, len(value)) + value


# (name, builder kwargs, optional header bytes, field control)
ZIGBEE_CASES = [
    ("plain", {}, b"", 0),
    ("credential", {"security_credential_version": 2}, b"\x02", 1),
    ("destination", {"upgrade_file_destination": 0x000D6F0001020304}, bytes.fromhex("04030201006f0d00"), 2),
    ("hardware", {"minimum_hardware_version": 0x0101, "maximum_hardware_version": 0x0203},
     bytes.fromhex("01010302"), 4),
    ("all", {"security_credential_version": 1, "upgrade_file_destination": 1,
             "minimum_hardware_version": 1, "maximum_hardware_version": 2},
     b"\x01" + (1).to_bytes(8, "little") + bytes.fromhex("01000200"), 7),
]


@pytest.mark.parametrize(("name", "kwargs", "opt", "fc"), ZIGBEE_CASES, ids=[c[0] for c in ZIGBEE_CASES])
def test_zigbee_roundtrip(name, kwargs, opt, fc):
    elements = [(0xF000, b"\xaa\xbb"), (0x0000, b"firmware"), (0xFFFE, b"")]
    body = b"".join(sub(t, v) for t, v in elements)
    expected = header(fc, 56 + len(opt) + len(body), opt) + body
    built = build_zigbee_image(manufacturer_code=0x121D, image_type=0x0084, file_version=0x01020304,
                               sub_elements=elements, header_string=b"test image", **kwargs)
    assert built == expected
    image = parse_image(expected)
    assert image.format is ImageFormat.ZIGBEE_OTA
    assert image.header.field_control == fc
    assert image.header.header_length == 56 + len(opt)
    for key, value in kwargs.items():
        assert getattr(image.header, key) == value
    assert [(e.tag, e.value) for e in image.sub_elements] == elements
    assert image.sub_elements[1].offset == 56 + len(opt) + 8
    assert image.manufacturer_image == b"firmware"
    assert image.raw == expected and image.signature is None


def test_gbcs_roundtrip_unsigned():
    mi = b"Manufacturer Image \x01\x02"
    opt = bytes.fromhex("11111112")
    expected = header(4, 60 + len(mi), opt) + mi
    built = build_gbcs_image(manufacturer_code=0x121D, image_type=0x0084, file_version=0x01020304,
                             manufacturer_image=mi, minimum_hardware_version=0x1111,
                             maximum_hardware_version=0x1211, header_string=b"test image")
    assert built == expected
    image = parse_image(built)
    assert image.format is ImageFormat.GBCS
    assert image.manufacturer_image == mi and image.signature is None and image.sub_elements == ()
    assert image.signed_bytes == built


def test_gbcs_signed_layout():
    from hanota.protocol.signatures import generate_test_key

    mi = b"x" * 100
    built = build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3, manufacturer_image=mi,
                             private_key=generate_test_key())
    assert len(built) == 56 + 100 + 66
    assert struct.unpack_from("<I", built, 52)[0] == len(built)  # total size covers the trailer
    assert built[-66:-64] == b"\x00\x40"
    image = parse_image(built)
    assert image.signature == built[-64:] and image.signed_bytes == built[:-66]
    assert image.manufacturer_image == mi


def test_integrity_code_variants():
    base = header(0, 0)
    for variant, include in (("before-sub-element", False), ("including-tag-and-length", True)):
        body = sub(0, b"fw" * 40)
        total = 56 + len(body) + 22
        head = header(0, total)
        prefix = head + body + (struct.pack("<HI", 3, 16) if include else b"")
        data = head + body + sub(3, image_integrity_code(prefix))
        assert parse_image(data).integrity_variant == variant
    assert base  # header helper works for both


def test_integrity_code_wrong_is_named():
    body = sub(0, b"fw")
    data = header(0, 56 + len(body) + 22) + body + sub(3, bytes(16))
    with pytest.raises(ValidationError) as err:
        parse_image(data)
    assert err.value.field == "sub_elements[1].value" and err.value.offset == 56 + 8 + 6


def test_builder_integrity_code():
    data = build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3,
                              sub_elements=[(0, b"abc")], integrity_code=True)
    assert parse_image(data).integrity_variant == "before-sub-element"


@pytest.mark.parametrize(("mutate", "field", "offset", "error"), [
    (lambda d: b"NGIS" + d[4:], "header.file_identifier", 0, DecodeError),
    (lambda d: d[:4] + b"\x00\x02" + d[6:], "header.header_version", 4, DecodeError),
    (lambda d: d[:6] + struct.pack("<H", 60) + d[8:], "header.header_length", 6, ValidationError),
    (lambda d: d[:8] + struct.pack("<H", 8) + d[10:], "header.field_control", 8, ValidationError),
    (lambda d: d[:52] + struct.pack("<I", len(d) - 1) + d[56:], "header.total_image_size", 52,
     ValidationError),
    (lambda d: d[:52] + struct.pack("<I", 20) + d[56:], "header.total_image_size", 52, ValidationError),
    (lambda d: d + b"\x00", "header.total_image_size", 52, ValidationError),
])
def test_header_faults_named(mutate, field, offset, error):
    good = build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3,
                              sub_elements=[(0, b"a" * 20)])
    with pytest.raises(error) as err:
        parse_image(mutate(good))
    assert err.value.field == field and err.value.offset == offset


def test_fixed_size_tags_enforced():
    for tag, size in ((1, 50), (2, 48), (3, 16), (5, 80), (6, 74)):
        body = sub(0, b"fw") + sub(tag, bytes(size + 1))
        data = header(0, 56 + len(body)) + body
        with pytest.raises(ValidationError) as err:
            parse_image(data, expected_format=ImageFormat.ZIGBEE_OTA)
        assert err.value.field == "sub_elements[1].length" and err.value.offset == 56 + 8 + 2


def test_suite_signature_elements_preserved():
    elements = [(0, b"fw"), (SubElementTag.ECDSA_SIGNATURE_SUITE_2, bytes(range(80))),
                (SubElementTag.ECDSA_SIGNING_CERTIFICATE_SUITE_2, bytes(74))]
    data = build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3, sub_elements=elements)
    image = parse_image(data)
    assert [(e.tag, e.value) for e in image.sub_elements] == elements
    assert image.signed_bytes == data[:image.sub_elements[1].offset]


def test_gigabyte_lengths_refused_without_allocating():
    data = bytearray(build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3,
                                        sub_elements=[(0, b"a" * 20)]))
    struct.pack_into("<I", data, 52, 0xFFFFFFF0)
    with pytest.raises(SizeLimitError) as err:
        parse_image(bytes(data))
    assert err.value.field == "header.total_image_size"
    data = bytearray(build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3,
                                        sub_elements=[(0, b"a" * 20)]))
    struct.pack_into("<I", data, 56 + 2, 0xFFFFFFF0)
    with pytest.raises(DecodeError) as err2:
        parse_image(bytes(data), expected_format=ImageFormat.ZIGBEE_OTA)
    assert err2.value.field == "sub_elements[0].length" and err2.value.offset == 58


def test_file_over_cap_refused():
    data = build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3, manufacturer_image=b"z" * 200)
    with pytest.raises(SizeLimitError):
        parse_image(data, max_size=100)
    assert parse_image(data, max_size=len(data)).format is ImageFormat.GBCS


def test_truncation_at_every_offset():
    for data in (
        build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3, sub_elements=[(0, b"fw" * 5)],
                           security_credential_version=1, minimum_hardware_version=1,
                           maximum_hardware_version=2, integrity_code=True),
        build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3, manufacturer_image=b"MI" * 9),
    ):
        for cut in range(len(data)):
            with pytest.raises(ProtocolError):
                parse_image(data[:cut])


def test_format_detection_rules():
    fw = build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3, sub_elements=[(0xF001, b"x")])
    assert parse_image(fw).format is ImageFormat.ZIGBEE_OTA  # no 0x0000 needed, tiling decides
    zeros = build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3, manufacturer_image=bytes(600))
    assert parse_image(zeros).format is ImageFormat.GBCS  # empty "sub-elements" are not a reading
    broken = header(0, 56 + 6 + 10 + 3) + sub(0, bytes(10)) + b"abc"
    with pytest.raises(DecodeError) as err:
        parse_image(broken)
    assert err.value.field == "sub_elements[1]" and "gbcs-upgrade-image" in err.value.message
    read = parse_image(broken, expected_format=ImageFormat.GBCS)
    assert read.manufacturer_image == sub(0, bytes(10)) + b"abc"


def test_a_first_sub_element_too_long_to_fit_is_refused_as_ambiguous():
    # A standard tag whose length runs past the end: a cut ZigBee file or a GBCS image that only
    # looks like one. Reading it as GBCS would be a silent guess; the reader must name the format.
    body = struct.pack("<HI", 0, 1000) + bytes(80)  # declares 1000 bytes, 80 follow
    data = header(0, 56 + len(body)) + body
    with pytest.raises(DecodeError) as err:
        parse_image(data)
    assert err.value.field == "sub_elements[0].length" and err.value.offset == 58
    assert "ambiguous" in err.value.message and "gbcs-upgrade-image" in err.value.message
    assert parse_image(data, expected_format=ImageFormat.GBCS).manufacturer_image == body
    # A manufacturer-specific first tag is not a standard opening: still read as GBCS.
    other = struct.pack("<HI", 0xF001, 1000) + bytes(80)
    assert parse_image(header(0, 56 + len(other)) + other).format is ImageFormat.GBCS
    # A GBCS signature trailer at the end is evidence of GBCS: read as a signed GBCS image.
    signed = struct.pack("<HI", 0, 1000) + bytes(14) + b"\x00\x40" + bytes(64)
    assert parse_image(header(0, 56 + len(signed)) + signed).format is ImageFormat.GBCS


def test_expected_format_refuses_the_other():
    z = build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3, sub_elements=[(0, b"fw")])
    g = build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3, manufacturer_image=b"Critical fw")
    with pytest.raises(ValidationError):
        parse_image(z, expected_format=ImageFormat.GBCS)
    with pytest.raises(DecodeError):
        parse_image(g, expected_format=ImageFormat.ZIGBEE_OTA)


def test_builder_refuses_ambiguous_images():
    with pytest.raises(HarnessUsageError):  # unsigned, but would read as signed
        build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3,
                         manufacturer_image=b"\x00\x40" + bytes(64))
    with pytest.raises(HarnessUsageError):  # a ZigBee file in disguise
        build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3, manufacturer_image=sub(0, b"fw"))
    with pytest.raises(HarnessUsageError):
        build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3, sub_elements=[(3, b"short")])
    with pytest.raises(HarnessUsageError):
        build_zigbee_image(manufacturer_code=1 << 16, image_type=2, file_version=3, sub_elements=[(0, b"a")])


def test_json_fields():
    g = parse_image(build_gbcs_image(manufacturer_code=0x121D, image_type=0x84, file_version=7,
                                     manufacturer_image=b"Critical", header_string=b"hello"))
    info = image_to_json(g, signature_verdict=None)
    assert info["format"] == "gbcs-upgrade-image" and info["sub_elements"] == []
    assert info["manufacturer_image_sha256"] == manufacturer_image_hash(g).hex()
    assert info["signature_present"] is False and info["signature_verdict"] == "absent"
    assert info["header_string"] == "hello" and info["manufacturer_code"] == 0x121D
    for key in ("image_type", "file_version", "zigbee_stack_version", "total_image_size", "field_control",
                "security_credential_version", "upgrade_file_destination", "minimum_hardware_version",
                "maximum_hardware_version"):
        assert key in info
    z = parse_image(build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3,
                                       sub_elements=[(0, b"fw"), (0xF000, b"m")]))
    zi = image_to_json(z, signature_verdict=None)
    assert [(e["tag"], e["length"]) for e in zi["sub_elements"]] == [(0, 2), (0xF000, 1)]
    assert zi["format"] == "zigbee-ota"
