"""The reference device's Query Device Specific File (conformance/models/device_specific.py): it
asks as it starts where its PICS declares it, downloads only the file offered, never runs it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from hanota.conformance.commands import serve_device
from hanota.conformance.models.device import DeviceState
from hanota.conformance.pics import PicsError, load_pics, reference_pics
from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import Status
from tests.models.test_device import DEV, HUB, MFR, OLD, make, send, sent

FILE_TYPE = 0xFFC1
DATA = bytes(range(200))


def _file_offer(size: int = len(DATA), *, itype: int = FILE_TYPE) -> oc.QueryDeviceSpecificFileResponse:
    return oc.QueryDeviceSpecificFileResponse(status=Status.SUCCESS, manufacturer_code=MFR, image_type=itype,
                                              file_version=7, image_size=size)


def _block(offset: int, size: int = 64) -> oc.ImageBlockResponse:
    return oc.ImageBlockResponse(status=Status.SUCCESS, manufacturer_code=MFR, image_type=FILE_TYPE,
                                 file_version=7, file_offset=offset, image_data=DATA[offset:offset + size])


def test_without_the_pics_item_the_device_asks_for_nothing_as_it_starts() -> None:
    _, dev = make()
    dev.power_cycle()
    assert sent(dev) == []


def test_the_request_names_the_device_its_manufacturer_the_declared_type_and_its_stack() -> None:
    _, dev = make(device_file_query=FILE_TYPE)
    dev.power_cycle()
    assert sent(dev) == [oc.QueryDeviceSpecificFileRequest(
        request_node_address=DEV, manufacturer_code=MFR, image_type=FILE_TYPE, file_version=0,
        current_zigbee_stack_version=0x0002)]


def test_no_image_available_ends_the_exchange() -> None:
    _, dev = make(device_file_query=FILE_TYPE)
    dev.power_cycle()
    sent(dev)
    send(dev, oc.QueryDeviceSpecificFileResponse(status=Status.NO_IMAGE_AVAILABLE))
    assert sent(dev) == [] and dev.violations == []


@pytest.mark.parametrize("itype", [0xFFC2, 0x0101])
def test_a_file_of_another_type_than_asked_for_is_not_downloaded(itype: int) -> None:
    _, dev = make(device_file_query=FILE_TYPE)
    dev.power_cycle()
    sent(dev)
    send(dev, _file_offer(itype=itype))
    assert sent(dev) == []


def test_the_offered_file_is_downloaded_by_block_requests_naming_it_and_never_run() -> None:
    _, dev = make(device_file_query=FILE_TYPE)
    dev.power_cycle()
    sent(dev)
    send(dev, _file_offer())
    offsets = []
    while True:
        (request,) = sent(dev)
        if isinstance(request, oc.UpgradeEndRequest):
            break
        assert isinstance(request, oc.ImageBlockRequest)
        assert (request.manufacturer_code, request.image_type, request.file_version) == (MFR, FILE_TYPE, 7)
        offsets.append(request.file_offset)
        send(dev, _block(request.file_offset, request.maximum_data_size))
    assert offsets == [0, 64, 128, 192]
    assert request == oc.UpgradeEndRequest(status=Status.SUCCESS, manufacturer_code=MFR, image_type=FILE_TYPE,
                                           file_version=7)
    send(dev, oc.UpgradeEndResponse(manufacturer_code=MFR, image_type=FILE_TYPE, file_version=7,
                                    current_time=5, upgrade_time=5))  # "now": still not firmware
    assert dev.firmware_version == OLD and dev.activations == [] and dev.state is DeviceState.IDLE
    assert dev.specific_files == [(7, DATA)] and dev.violations == []
    dev.power_cycle()  # next time it asks, it names the version it holds
    (again,) = sent(dev)
    assert isinstance(again, oc.QueryDeviceSpecificFileRequest) and again.file_version == 7


def test_the_exchange_is_taken_from_the_paired_hub_only() -> None:
    _, dev = make(device_file_query=FILE_TYPE)
    dev.power_cycle()
    sent(dev)
    send(dev, _file_offer(), src=HUB + 5)
    assert dev.violations and not any(isinstance(c, oc.ImageBlockRequest) for c in sent(dev))



# ---------------------------------------------------------------- the PICS item and serve-device
HEAD = '[device]\nkind = "ppmid"\nmanufacturer_code = 1\nimage_type = 1\nfile_version = 1\n'


def test_the_pics_declares_the_type_asked_for_and_the_reference_asks_for_0xffc1(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text(HEAD + "device_file_query = 0xFFC3\n", encoding="utf-8")
    pics = load_pics(path)
    assert pics.device_file_query == 0xFFC3 and pics.supports("device-file-query")
    path.write_text(HEAD, encoding="utf-8")
    assert not load_pics(path).supports("device_file_query")
    assert reference_pics().device_file_query == 0xFFC1


@pytest.mark.parametrize("value", ["0xFFBF", "0xFFFF", '"config"'])
def test_a_type_outside_the_reserved_range_is_one_error_naming_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "d.toml"
    path.write_text(HEAD + f"device_file_query = {value}\n", encoding="utf-8")
    with pytest.raises(PicsError, match=r"\[device\] device_file_query"):
        load_pics(path)


@pytest.mark.parametrize(("arg", "want"), [([], 0xFFC1), (["--device-file-query", "0xFFC0"], 0xFFC0),
                                           (["--device-file-query", "off"], None)])
def test_serve_device_option(arg: list[str], want: int | None) -> None:
    parser = argparse.ArgumentParser()
    serve_device.add_arguments(parser)
    args = parser.parse_args(["--listen", "127.0.0.1:0", "--kind", "ppmid", *arg])
    assert serve_device.build_config(args).options["device_file_query"] == want


def test_serve_device_refuses_a_firmware_type() -> None:
    parser = argparse.ArgumentParser(exit_on_error=False)
    serve_device.add_arguments(parser)
    with pytest.raises(argparse.ArgumentError, match="0xFFC0-0xFFFE"):
        parser.parse_args(["--listen", "127.0.0.1:0", "--kind", "ppmid", "--device-file-query", "0x0101"])
