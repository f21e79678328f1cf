"""Each invariant can fail: crafted frames a faulty device might send, fed to the checker."""

from __future__ import annotations

from typing import Any

import pytest

from hanota.conformance.adapters import ReferenceAdapter
from hanota.conformance.explore.images import Catalogue
from hanota.conformance.explore.invariants import INVARIANTS, Checker, InvariantViolation
from hanota.conformance.models.han import HanFrame
from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import (
    OTA_CLUSTER_ID,
    SMART_ENERGY_PROFILE_ID,
    AttributeRecord,
    DataType,
    DefaultResponse,
    ReadAttributes,
    ReadAttributesResponse,
    Status,
)

from .helpers import LIMIT, reference_config

IDENT = ReferenceAdapter(reference_config()).identity
HUB, DEV = IDENT.paired_hub or 0, IDENT.eui64


def checker() -> Checker:
    return Checker(Catalogue(IDENT, capacity=LIMIT), HUB, DEV, LIMIT, resume=True)


def hub_sends(c: Checker, cmd: Any, tsn: int = 1, now: int = 0) -> None:
    c.hub_frame(now, HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID,
                              oc.encode_command(cmd, tsn=tsn)), cmd)


def device_sends(c: Checker, cmd: Any, tsn: int = 1, now: int = 0, *, dst: int = HUB,
                 profile: int = SMART_ENERGY_PROFILE_ID, payload: bytes | None = None) -> None:
    c.device_frame(now, HanFrame(DEV, dst, 1, 1, profile, OTA_CLUSTER_ID,
                                 payload if payload is not None else oc.encode_command(cmd, tsn=tsn)))


def query(version: int = IDENT.file_version) -> oc.QueryNextImageRequest:
    return oc.QueryNextImageRequest(IDENT.manufacturer_code, IDENT.image_type, version,
                                    IDENT.hardware_version)


def read_response(*records: AttributeRecord) -> ReadAttributesResponse:
    return ReadAttributesResponse(records=records)


def offer(c: Checker, name: str = "valid") -> Any:
    image = c.catalogue[name]
    device_sends(c, query())
    hub_sends(c, oc.QueryNextImageResponse(Status.SUCCESS, *image.key, image.size))
    return image


def block_request(image: Any, offset: int) -> oc.ImageBlockRequest:
    return oc.ImageBlockRequest(*image.key, offset, 64)


CASES: list[tuple[str, Any]] = [
    ("frame-addressing", lambda c: device_sends(c, query(), profile=0x0104)),
    ("attribute-types", lambda c: (hub_sends(c, ReadAttributes((0x0002, 0x0006)), tsn=9), device_sends(
        c, read_response(AttributeRecord(0x0002, Status.SUCCESS, DataType.UINT32, 0x100)), tsn=9))),
    ("decodable", lambda c: device_sends(c, None, payload=b"\x01\x01\x01\x00")),
    ("answers-match", lambda c: device_sends(c, DefaultResponse(0x02, Status.MALFORMED_COMMAND), tsn=77)),
    ("malformed-answered", lambda c: (c.hub_frame(0, HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID,
                                                               OTA_CLUSTER_ID, b"\x09\x05\x00"), None,
                                                  malformed=True), c.step_done(0))),
    ("unsupported-answered", lambda c: (c.hub_frame(0, HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID,
                                                                 OTA_CLUSTER_ID, b"\x19\x05\x0a"), None,
                                                    refusals=frozenset({Status.UNSUP_CLUSTER_COMMAND})),
                                        device_sends(c, DefaultResponse(0x0a, Status.MALFORMED_COMMAND),
                                                     tsn=5))),
    ("attribute-types", lambda c: (hub_sends(c, ReadAttributes((0x0002,)), tsn=9), device_sends(
        c, read_response(AttributeRecord(0x0002, Status.SUCCESS, DataType.UINT16, 0x100)), tsn=9))),
    ("trailing-octets-ignored", lambda c: (
        c.hub_frame(0, HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID,
                                oc.encode_command(oc.ImageNotify(oc.ImageNotifyPayloadType.QUERY_JITTER, 100),
                                                  tsn=4) + b"\x00"),
                    oc.ImageNotify(oc.ImageNotifyPayloadType.QUERY_JITTER, 100), trailing=True),
        device_sends(c, DefaultResponse(0x00, Status.MALFORMED_COMMAND), tsn=4))),
    ("query-identity", lambda c: device_sends(c, query(IDENT.file_version - 1))),
    ("requests-to-paired-hub", lambda c: device_sends(c, query(), dst=HUB ^ 0xEF)),
    ("no-download-of-refusable-offer", lambda c: device_sends(c, block_request(offer(c, "older"), 0))),
    ("block-within-image", lambda c: device_sends(c, block_request(offer(c), 64))),
    ("min-block-period", lambda c: (
        device_sends(c, block_request(image := offer(c), 0), now=0),
        hub_sends(c, oc.ImageBlockResponse(Status.WAIT_FOR_DATA, current_time=0, request_time=0,
                                           minimum_block_period=1000)),
        device_sends(c, block_request(image, 0), now=0),
        hub_sends(c, oc.ImageBlockResponse(Status.SUCCESS, *image.key, 0, image.data[:64])),
        device_sends(c, block_request(image, 64), now=10))),
    ("wait-for-data", lambda c: (
        device_sends(c, block_request(image := offer(c), 0)),
        hub_sends(c, oc.ImageBlockResponse(Status.WAIT_FOR_DATA, current_time=100, request_time=105,
                                           minimum_block_period=0)),
        device_sends(c, block_request(image, 0), now=4_999))),
    ("block-request-fields", lambda c: (
        device_sends(c, block_request(image := offer(c), 0)),
        hub_sends(c, oc.ImageBlockResponse(Status.WAIT_FOR_DATA, current_time=100, request_time=100,
                                           minimum_block_period=250)),
        device_sends(c, oc.ImageBlockRequest(*image.key, 0, 64, None, 0), now=5_000))),
    ("resume", lambda c: (
        device_sends(c, block_request(image := offer(c), 0)),
        hub_sends(c, oc.ImageBlockResponse(Status.SUCCESS, *image.key, 0, image.data[:64])),
        device_sends(c, block_request(image, 64)),
        device_sends(c, query()),
        hub_sends(c, oc.QueryNextImageResponse(Status.SUCCESS, *image.key, image.size)),
        device_sends(c, block_request(image, 0)))),
    ("abort-stops", lambda c: (
        device_sends(c, block_request(image := offer(c), 0)),
        hub_sends(c, oc.ImageBlockResponse(Status.ABORT)),
        device_sends(c, block_request(image, 0), now=5_000))),
    ("end-status-truthful", lambda c: device_sends(c, oc.UpgradeEndRequest(Status.SUCCESS, *offer(c).key))),
    ("valid-offer-downloaded", lambda c: device_sends(c, oc.UpgradeEndRequest(Status.INVALID_IMAGE,
                                                                                *offer(c).key))),
    ("version-only-at-activation", lambda c: (hub_sends(c, ReadAttributes((0x0002,)), tsn=9), device_sends(
        c, read_response(AttributeRecord(0x0002, Status.SUCCESS, DataType.UINT32, 0x999)), tsn=9))),
    ("upgrade-status-legal", lambda c: (hub_sends(c, ReadAttributes((0x0006,)), tsn=9), device_sends(
        c, read_response(AttributeRecord(0x0006, Status.SUCCESS, DataType.ENUM8, 4)), tsn=9))),
]


def test_every_invariant_has_a_case():
    assert {name for name, _ in CASES} | {"activated-at-upgrade-time"} == set(INVARIANTS)


@pytest.mark.parametrize("name, case", CASES, ids=[n for n, _ in CASES])
def test_invariant_fails_on_a_crafted_violation(name, case):
    with pytest.raises(InvariantViolation) as err:
        case(checker())
    assert err.value.invariant == name


def test_activated_at_upgrade_time():
    c = checker()
    image = offer(c)
    served = 0
    while served < image.size:
        device_sends(c, block_request(image, served))
        chunk = image.data[served:served + 64]
        hub_sends(c, oc.ImageBlockResponse(Status.SUCCESS, *image.key, served, chunk))
        served = min(image.size, served + 64)
    device_sends(c, oc.UpgradeEndRequest(Status.SUCCESS, *image.key), now=0)
    hub_sends(c, oc.UpgradeEndResponse(*image.key, 0, 5), now=0)  # activate 5 s from now
    hub_sends(c, ReadAttributes((0x0002,)), tsn=9, now=4_000)
    device_sends(c, read_response(AttributeRecord(0x0002, Status.SUCCESS, DataType.UINT32,
                                                  IDENT.file_version)), tsn=9, now=4_000)  # not yet: fine
    hub_sends(c, ReadAttributes((0x0002,)), tsn=10, now=5_000)
    with pytest.raises(InvariantViolation) as err:
        device_sends(c, read_response(AttributeRecord(0x0002, Status.SUCCESS, DataType.UINT32,
                                                      IDENT.file_version)), tsn=10, now=5_000)
    assert err.value.invariant == "activated-at-upgrade-time"


def test_other_clusters_and_manufacturer_specific_commands_are_not_judged():
    c = checker()
    c.device_frame(0, HanFrame(DEV, HUB, 1, 1, SMART_ENERGY_PROFILE_ID, 0x0702, b"\x18\x01\x0a\x00"))
    c.device_frame(0, HanFrame(DEV, HUB, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID,
                               b"\x05\x34\x12\x01\xf0\xff"))
    hub_sends(c, ReadAttributes((0x0002, 0x0006)), tsn=9)  # records in another order: fine
    device_sends(c, read_response(AttributeRecord(0x0006, Status.SUCCESS, DataType.ENUM8, 0),
                                  AttributeRecord(0x0002, Status.SUCCESS, DataType.UINT32,
                                                  IDENT.file_version)), tsn=9)


def test_an_unsupported_command_left_unanswered_fails_at_the_end_of_the_step():
    c = checker()
    c.hub_frame(0, HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID, b"\x1d\x57\x7e\x05\x02"),
                None, refusals=frozenset({Status.UNSUP_MANUF_CLUSTER_COMMAND, Status.UNSUP_CLUSTER_COMMAND}))
    with pytest.raises(InvariantViolation, match="got no Default Response UNSUP_CLUSTER_COMMAND or "
                                                 "UNSUP_MANUF_CLUSTER_COMMAND") as err:
        c.step_done(0)
    assert err.value.invariant == "unsupported-answered"
    c.hub_frame(0, HanFrame(HUB, DEV, 1, 1, SMART_ENERGY_PROFILE_ID, OTA_CLUSTER_ID, b"\x1d\x57\x7e\x06\x02"),
                None, refusals=frozenset({Status.UNSUP_MANUF_CLUSTER_COMMAND, Status.UNSUP_CLUSTER_COMMAND}))
    device_sends(c, DefaultResponse(0x02, Status.UNSUP_CLUSTER_COMMAND), tsn=6)  # 0x81, as ZCL r8 names it
    c.step_done(0)


def test_a_second_contrary_default_response_to_one_frame_breaks_answers_match():
    c = checker()
    hub_sends(c, oc.ImageNotify(oc.ImageNotifyPayloadType.QUERY_JITTER, 100), tsn=3)
    device_sends(c, DefaultResponse(0x00, Status.NOT_AUTHORIZED), tsn=3)
    device_sends(c, DefaultResponse(0x00, Status.NOT_AUTHORIZED), tsn=3)  # the same answer again: fine
    with pytest.raises(InvariantViolation, match="the first said NOT_AUTHORIZED") as err:
        device_sends(c, DefaultResponse(0x00, Status.SUCCESS), tsn=3)
    assert err.value.invariant == "answers-match"
    hub_sends(c, oc.ImageNotify(oc.ImageNotifyPayloadType.QUERY_JITTER, 100), tsn=3)  # a new frame
    device_sends(c, DefaultResponse(0x00, Status.SUCCESS), tsn=3)
