"""The observer that holds every frame the device sends to what it must carry
(conformance/harness/frame_audit.py): silent on the reference device, and each rule fails on a
frame that breaks it, with the requirement and the frame named."""

from __future__ import annotations

import pytest

from hanota.conformance import params as p
from hanota.conformance.harness import Harness
from hanota.conformance.models.han import SE_PROFILE_ID, HanFrame
from hanota.conformance.pics import reference_pics
from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import (
    OTA_CLUSTER_ID,
    AttributeRecord,
    DataType,
    DefaultResponse,
    Direction,
    OtaAttribute,
    ReadAttributes,
    ReadAttributesResponse,
    Status,
)


def _downloaded(block_period_ms: int = 0) -> Harness:
    h = Harness(pics=reference_pics())
    h.premises("Supplier A", "Supplier B")
    h.pair(None)
    h.make_image("new", p.parse_size("2 kB"), p.Relation.NEWER)
    h.script.minimum_block_period_ms = block_period_ms
    h.offer("new")
    h.run_download_to_end()
    return h


def _from_device(h: Harness, payload: bytes, *, profile: int = SE_PROFILE_ID) -> None:
    """A frame as if the device had sent it to its hub, appended to the HAN log."""
    hub = h.player
    assert hub is not None
    h.network.log.append((h.clock.now_ms, HanFrame(h.dut.eui64, hub.eui64, 1, 1, profile,
                                                   OTA_CLUSTER_ID, payload)))


def _to_device(h: Harness, payload: bytes, *, deliver: bool = False) -> None:
    """A frame as if the hub had sent it to the device, appended to the HAN log (and given to
    the device with ``deliver``)."""
    hub = h.player
    assert hub is not None
    frame = HanFrame(hub.eui64, h.dut.eui64, 1, 1, SE_PROFILE_ID, OTA_CLUSTER_ID, payload)
    h.network.log.append((h.clock.now_ms, frame))
    if deliver:
        h.device.receive(frame)


def _identity(h: Harness) -> dict[str, int]:
    info = h.image("new")
    return {"manufacturer_code": info.manufacturer_code, "image_type": info.image_type,
            "file_version": info.file_version}


def test_the_reference_device_breaks_no_rule_in_a_whole_upgrade() -> None:
    h = _downloaded(block_period_ms=500)
    h.read_every_attribute()
    h.advance(60_000)
    assert h.check_frames() is None
    assert len(h.network.log) > 60  # the audit had frames to look at


def test_a_frame_on_another_profile_is_named() -> None:
    h = _downloaded()
    _from_device(h, oc.encode_command(oc.UpgradeEndRequest(status=Status.SUCCESS, **_identity(h)),
                                      tsn=9), profile=0x0104)
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-003" in problem and "0x0104" in problem


def test_a_frame_that_does_not_decode_is_named() -> None:
    h = _downloaded()
    _from_device(h, bytes.fromhex("01 09 06 00 34"))  # Upgrade End Request cut short
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-003" in problem and "01 09 06 00 34" in problem


@pytest.mark.parametrize("field", ["manufacturer_code", "image_type", "file_version"])
def test_an_upgrade_end_request_naming_another_image_is_named(field: str) -> None:
    h = _downloaded()
    identity = _identity(h)
    identity[field] ^= 0x1
    _from_device(h, oc.encode_command(oc.UpgradeEndRequest(status=Status.INVALID_IMAGE, **identity), tsn=9))
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-001" in problem and "names another image" in problem


def test_a_block_request_with_another_nodes_address_is_named() -> None:
    h = _downloaded()
    request = oc.ImageBlockRequest(file_offset=0, maximum_data_size=64,
                                   request_node_address=0x0102030405060708, **_identity(h))
    _from_device(h, oc.encode_command(request, tsn=9))
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-002" in problem and "0x0102030405060708" in problem


def test_a_block_request_with_a_stale_block_period_is_named_once_the_hub_set_one() -> None:
    h = _downloaded()  # the hub set none: the field is whatever the device uses
    request = oc.ImageBlockRequest(file_offset=0, maximum_data_size=64, minimum_block_period=7,
                                   **_identity(h))
    _from_device(h, oc.encode_command(request, tsn=9))
    assert h.check_frames() is None
    h = _downloaded(block_period_ms=500)
    _from_device(h, oc.encode_command(request, tsn=9))
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-002" in problem and "500 ms" in problem


def test_a_read_attributes_response_is_held_to_its_read_and_the_clusters_types() -> None:
    h = _downloaded()
    stray = ReadAttributesResponse(records=(AttributeRecord(0x0002, Status.SUCCESS, DataType.UINT32, 1),))
    _from_device(h, oc.encode_command(stray, tsn=0x01))  # no Read Attributes carried TSN 1
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-004" in problem and "transaction sequence number 1" in problem

    h = _downloaded()
    _to_device(h, oc.encode_command(ReadAttributes(attribute_ids=(0x0006,)), tsn=0xF0))
    wrong = ReadAttributesResponse(records=(AttributeRecord(0x0006, Status.SUCCESS, DataType.UINT8, 0),))
    _from_device(h, oc.encode_command(wrong, tsn=0xF0))
    problem = h.check_frames()
    assert problem is not None and "IMAGE_UPGRADE_STATUS" in problem and "ENUM8" in problem


def test_a_second_answer_that_contradicts_the_first_is_named() -> None:
    h = _downloaded()
    hub = h.player
    assert hub is not None
    tsn = hub.read([OtaAttribute.IMAGE_UPGRADE_STATUS])
    h.pump()
    assert h.check_frames() is None
    other = ReadAttributesResponse(records=(AttributeRecord(0x0006, Status.SUCCESS, DataType.ENUM8, 5),))
    _from_device(h, oc.encode_command(other, tsn=tsn))
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-004" in problem and "contradicts the first" in problem

    h = _downloaded()
    _to_device(h, bytes.fromhex("19 44 0a"), deliver=True)  # an undefined command id
    h.pump()
    _from_device(h, oc.encode_command(DefaultResponse(command_id=0x0A, status=Status.SUCCESS), tsn=0x44))
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-005" in problem
    assert "SUCCESS after UNSUP_CLUSTER_COMMAND" in problem


def test_the_same_tsn_on_a_later_frame_takes_a_new_answer() -> None:
    h = _downloaded()
    for status in (Status.MALFORMED_COMMAND, Status.SUCCESS):  # TSNs wrap: a new frame, a new answer
        _to_device(h, bytes.fromhex("19 45 07"))
        _from_device(h, oc.encode_command(DefaultResponse(command_id=0x07, status=status), tsn=0x45))
    assert h.check_frames() is None


def test_a_default_response_must_name_a_frame_that_node_sent() -> None:
    h = _downloaded()
    _from_device(h, oc.encode_command(DefaultResponse(command_id=0x05, status=Status.SUCCESS), tsn=0x7F))
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-005" in problem and "0x05" in problem


def test_a_default_response_to_a_default_response_is_named() -> None:
    h = _downloaded()
    hub = h.player
    assert hub is not None
    # the hub answers with Default Responses too: one with TSN 0x33 reaches the device
    h.network.log.append((h.clock.now_ms, HanFrame(
        hub.eui64, h.dut.eui64, 1, 1, SE_PROFILE_ID, OTA_CLUSTER_ID,
        oc.encode_command(DefaultResponse(command_id=0x06, status=Status.SUCCESS,
                                          direction=Direction.SERVER_TO_CLIENT), tsn=0x33))))
    _from_device(h, oc.encode_command(DefaultResponse(command_id=0x0B, status=Status.SUCCESS), tsn=0x33))
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-005" in problem


def test_a_manufacturer_specific_answer_is_not_an_offer() -> None:
    h = Harness(pics=reference_pics())
    h.premises("Supplier A", "Supplier B")
    h.pair(None)
    h.make_image("new", p.parse_size("2 kB"), p.Relation.NEWER)
    info = h.image("new")
    identity = oc.encode_image_identity(info.manufacturer_code, info.image_type, info.file_version)
    h.answer_next(oc.CommandId.QUERY_NEXT_IMAGE_REQUEST,
                  bytes.fromhex("1d 57 7e 00 02 00") + identity + bytes.fromhex("00 08 00 00"))
    h.offer("new")
    h.advance(10_000)
    assert h.check_frames() is None  # the reference refused it and asked for no block
    _from_device(h, oc.encode_command(oc.ImageBlockRequest(file_offset=0, maximum_data_size=64,
                                                           **_identity(h)), tsn=9))
    problem = h.check_frames()
    assert problem is not None and "offered no image" in problem


@pytest.mark.parametrize(("field", "value", "words"), [
    ("manufacturer_code", 0x0101, "manufacturer code 0x0101"),
    ("image_type", 0x0A0B, "image type 0x0a0b"),
    ("hardware_version", 99, "hardware version 99"),
])
def test_a_query_that_does_not_describe_the_device_is_named(field: str, value: int, words: str) -> None:
    h = _downloaded()
    me = h.dut
    query = {"manufacturer_code": me.manufacturer_code, "image_type": me.image_type,
             "current_file_version": me.file_version, "hardware_version": None, field: value}
    _from_device(h, oc.encode_command(oc.QueryNextImageRequest(**query), tsn=9))
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-003" in problem and words in problem


def test_a_frame_to_another_endpoint_than_the_hub_sends_from_is_named() -> None:
    h = _downloaded()
    hub = h.player
    assert hub is not None
    payload = oc.encode_command(oc.UpgradeEndRequest(status=Status.SUCCESS, **_identity(h)), tsn=9)
    h.network.log.append((h.clock.now_ms, HanFrame(h.dut.eui64, hub.eui64, 1, 7, SE_PROFILE_ID,
                                                   OTA_CLUSTER_ID, payload)))
    problem = h.check_frames()
    assert problem is not None and "SECMP7-ZCL-003" in problem and "endpoint 7" in problem
