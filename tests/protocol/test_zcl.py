"""ZCL frame header, status codes and global-command declarations (hand-built bytes)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hanota.protocol import decode
from hanota.protocol.errors import DecodeError
from hanota.protocol.zcl import (
    ATTRIBUTE_RECORD,
    DEFAULT_RESPONSE,
    OTA_ATTRIBUTE_TYPES,
    OTA_CLUSTER_ID,
    READ_ATTRIBUTES,
    SMART_ENERGY_PROFILE_ID,
    ZCL_HEADER,
    AttributeRecord,
    DataType,
    DefaultResponse,
    Direction,
    FrameType,
    ImageUpgradeStatus,
    OtaAttribute,
    ReadAttributes,
    Status,
    ZclHeader,
    peek_header,
)

CS, GL = FrameType.CLUSTER_SPECIFIC, FrameType.GLOBAL
C2S, S2C = Direction.CLIENT_TO_SERVER, Direction.SERVER_TO_CLIENT


def roundtrip(fmt, hexstr: str, obj) -> None:
    data = bytes.fromhex(hexstr.replace(" ", ""))
    assert decode(fmt, data) == obj
    assert fmt.build(obj) == data


HEADERS = [
    # frame control bits: 0-1 type, 2 manufacturer-specific, 3 server→client, 4 disable default rsp
    ("00 01 00", ZclHeader(GL, C2S, False, None, 1, 0x00)),
    ("01 ff 03", ZclHeader(CS, C2S, False, None, 255, 0x03)),
    ("09 07 05", ZclHeader(CS, S2C, False, None, 7, 0x05)),
    ("19 07 05", ZclHeader(CS, S2C, True, None, 7, 0x05)),
    ("18 00 0b", ZclHeader(GL, S2C, True, None, 0, 0x0B)),
    ("05 34 12 42 01", ZclHeader(CS, C2S, False, 0x1234, 0x42, 0x01)),
    ("1d ff ff 00 05", ZclHeader(CS, S2C, True, 0xFFFF, 0, 0x05)),
]


@pytest.mark.parametrize(("hexstr", "header"), HEADERS, ids=[h[0] for h in HEADERS])
def test_header_roundtrip(hexstr, header):
    roundtrip(ZCL_HEADER, hexstr, header)
    assert header.manufacturer_specific is (header.manufacturer_code is not None)


@pytest.mark.parametrize(("hexstr", "field", "offset"), [
    ("", "frame_control", 0),
    ("02 00 00", "frame_control.frame_type", 0),
    ("03 00 00", "frame_control.frame_type", 0),
    ("21 00 00", "frame_control.reserved", 0),
    ("81 00 00", "frame_control.reserved", 0),
    ("04 34", "manufacturer_code", 1),
    ("01 00", "command_id", 2),
])
def test_header_refusals(hexstr, field, offset):
    with pytest.raises(DecodeError) as info:
        decode(ZCL_HEADER, bytes.fromhex(hexstr.replace(" ", "")))
    assert (info.value.field, info.value.offset) == (field, offset)


def test_status_codes_of_the_domain():
    expected = {"SUCCESS": 0x00, "FAILURE": 0x01, "NOT_AUTHORIZED": 0x7E, "MALFORMED_COMMAND": 0x80,
                "UNSUP_CLUSTER_COMMAND": 0x81, "ABORT": 0x95, "INVALID_IMAGE": 0x96,
                "WAIT_FOR_DATA": 0x97, "NO_IMAGE_AVAILABLE": 0x98, "REQUIRE_MORE_IMAGE": 0x99}
    for name, value in expected.items():
        assert Status[name] == value


def test_status_matches_zigpy():
    import zigpy.zcl.foundation as f

    for status in Status:
        assert f.Status(int(status)).name == status.name


def test_ota_attributes_and_upgrade_status():
    assert OTA_CLUSTER_ID == 0x0019 and SMART_ENERGY_PROFILE_ID == 0x0109
    assert [int(a) for a in OtaAttribute] == list(range(10))
    assert ImageUpgradeStatus.NORMAL == 0 and ImageUpgradeStatus.WAITING_FOR_EXTERNAL_EVENT == 6
    assert len(ImageUpgradeStatus) == 7
    assert set(OTA_ATTRIBUTE_TYPES) == set(OtaAttribute)
    assert OTA_ATTRIBUTE_TYPES[OtaAttribute.CURRENT_FILE_VERSION] is DataType.UINT32


def test_ota_attribute_types_match_zigpy():
    from zigpy.zcl.clusters.general import Ota

    zigpy_ids = {a.id: a for a in Ota.AttributeDefs}
    sizes = {DataType.UINT8: 1, DataType.UINT16: 2, DataType.UINT32: 4, DataType.ENUM8: 1, DataType.EUI64: 8}
    for attribute, data_type in OTA_ATTRIBUTE_TYPES.items():
        zigpy_type = zigpy_ids[int(attribute)].type
        value, _ = zigpy_type.deserialize(bytes(8))
        assert len(value.serialize()) == sizes[data_type], attribute


def test_global_payloads():
    roundtrip(READ_ATTRIBUTES, "0200 0600", ReadAttributes((2, 6)))
    roundtrip(READ_ATTRIBUTES, "", ReadAttributes(()))
    roundtrip(DEFAULT_RESPONSE, "05 97", DefaultResponse(0x05, Status.WAIT_FOR_DATA))
    roundtrip(ATTRIBUTE_RECORD, "0600 00 30 02",
              AttributeRecord(6, Status.SUCCESS, DataType.ENUM8, ImageUpgradeStatus.DOWNLOAD_COMPLETE))
    roundtrip(ATTRIBUTE_RECORD, "0000 00 f0 0807060504030201",
              AttributeRecord(0, Status.SUCCESS, DataType.EUI64, 0x0102030405060708))
    roundtrip(ATTRIBUTE_RECORD, "0900 86", AttributeRecord(9, Status.UNSUPPORTED_ATTRIBUTE))


def test_unknown_data_type_refused_by_name():
    with pytest.raises(DecodeError) as info:
        decode(ATTRIBUTE_RECORD, bytes.fromhex("020000 41 0000"))
    assert info.value.field == "data_type" and info.value.offset == 3
    assert "0x41 is not a defined DataType" in info.value.message


@given(st.sampled_from(list(FrameType)), st.sampled_from(list(Direction)), st.booleans(),
       st.none() | st.integers(0, 0xFFFF), st.integers(0, 255), st.integers(0, 255), st.binary(max_size=4))
def test_peek_header_reads_what_the_declaration_writes(ft, direction, ddr, code, tsn, cid, rest):
    data = ZCL_HEADER.build(ZclHeader(ft, direction, ddr, code, tsn, cid)) + rest
    peek = peek_header(data)
    assert peek is not None
    assert (peek.frame_type, peek.direction, peek.manufacturer_code, peek.tsn, peek.command_id) == (
        ft, direction, code, tsn, cid)


@pytest.mark.parametrize("data", [b"", b"\x19", b"\x19\x01", b"\x1d\x34\x12", b"\x1d\x34\x12\x42"])
def test_peek_header_is_none_when_the_header_is_cut(data):
    assert peek_header(data) is None


def test_peek_header_tolerates_reserved_bits_and_frame_types():
    peek = peek_header(bytes([0xE3, 0x07, 0x0B]))
    assert peek is not None and (peek.frame_type, peek.tsn, peek.command_id) == (3, 7, 11)
