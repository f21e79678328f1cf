"""The played hub's Query Device Specific File answers (conformance/harness/hub_specific.py)."""

from __future__ import annotations

from typing import Any

from hanota.conformance.harness.hub_specific import SpecificFileServer
from hanota.conformance.harness.records import ImageInfo
from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import Status

DEV, MFR, TYPE = 0x0011_2233_4455_6601, 0x1234, 0xFFC1
FILE = ImageInfo(bytes(range(100)), MFR, TYPE, 7, 60, destination=DEV)


def _server(file: ImageInfo | None = None) -> tuple[SpecificFileServer, list[tuple[Any, int]]]:
    out: list[tuple[Any, int]] = []
    return SpecificFileServer(lambda cmd, tsn: out.append((cmd, tsn)), lambda: 1_000, file), out


def _query(address: int = DEV, itype: int = TYPE) -> oc.QueryDeviceSpecificFileRequest:
    return oc.QueryDeviceSpecificFileRequest(request_node_address=address, manufacturer_code=MFR,
                                             image_type=itype, file_version=0, current_zigbee_stack_version=2)


def test_by_default_the_hub_has_no_file_and_leaves_other_commands_alone() -> None:
    server, out = _server()
    assert server.takes(5, _query())
    assert out == [(oc.QueryDeviceSpecificFileResponse(status=Status.NO_IMAGE_AVAILABLE), 5)]
    block = oc.ImageBlockRequest(manufacturer_code=MFR, image_type=TYPE, file_version=7, file_offset=0,
                                 maximum_data_size=64)
    assert not server.takes(6, block) and server.queries == [_query()]


def test_a_request_for_another_device_or_type_is_told_no_image() -> None:
    server, out = _server(FILE)
    server.takes(1, _query(address=DEV ^ 1))
    server.takes(2, _query(itype=0xFFC2))
    assert [cmd.status for cmd, _ in out] == [Status.NO_IMAGE_AVAILABLE] * 2


def test_the_file_is_offered_served_and_its_end_answered_with_upgrade_time_now() -> None:
    server, out = _server(FILE)
    server.takes(1, _query())
    assert out[-1] == (oc.QueryDeviceSpecificFileResponse(status=Status.SUCCESS, manufacturer_code=MFR,
                                                          image_type=TYPE, file_version=7, image_size=100), 1)
    assert server.takes(2, oc.ImageBlockRequest(manufacturer_code=MFR, image_type=TYPE, file_version=7,
                                                file_offset=64, maximum_data_size=64))
    block = out[-1][0]
    assert block.file_offset == 64 and block.image_data == FILE.data[64:] and server.blocks_served == 1
    assert not server.takes(3, oc.ImageBlockRequest(manufacturer_code=MFR, image_type=0x0101, file_version=7,
                                                    file_offset=0, maximum_data_size=64))
    assert server.takes(4, oc.UpgradeEndRequest(status=Status.SUCCESS, manufacturer_code=MFR, image_type=TYPE,
                                                file_version=7))
    end = out[-1][0]
    assert isinstance(end, oc.UpgradeEndResponse) and end.upgrade_time == end.current_time == 1_000
