"""Real manufacturer OTA files and the DCC's GBCS samples, read against zigpy as the independent peer.

Every file in real-ota/ either parses with header fields and sub-elements identical to zigpy's
reading, or is refused with an error naming the field where the file breaks the format (the
expected refusals are listed below with the reason). Files in real-ota/nonstandard/ are refused.
"""

from __future__ import annotations

import csv
import hashlib
import struct
from pathlib import Path

import pytest

from hanota.protocol.errors import ProtocolError
from hanota.protocol.ota_image import ImageFormat, image_integrity_code, manufacturer_image_hash, parse_image

VECTORS = Path(__file__).resolve().parents[2] / ".." / "shared" / "vectors"
REAL = VECTORS / "real-ota"
pytestmark = pytest.mark.skipif(not VECTORS.is_dir(), reason=f"shared vectors folder absent: {VECTORS}")

#: Files that break the format, and the field a strict parser must name.
REFUSED = {
    # total image size differs from the file length (bytes after the declared end)
    "SDevices__152F_SBDV-00196_switch1gang_r_6_48fb8e55_06000000.ota.zigbee": "header.total_image_size",
    "SDevices__152F_SBDV-00199_switch2gang_r_6_3d00993b_06000000.ota.zigbee": "header.total_image_size",
    "SalusControls__HS1SA_EM-SALUS-0621-V14-190907.ota": "header.total_image_size",
    "SalusControls__SAL6DW1_20230222.ota": "header.total_image_size",
    "SalusControls__it600WCNH_00090005.ota": "header.total_image_size",
    # the IKEA signed container ("NGIS") wraps an OTA file; it is not one
    "IKEA__10035515-TRADFRI-bulb-cws-2.3.093.ota.ota.signed": "header.file_identifier",
    # image integrity code matches neither field variant of the AES-MMO hash
    "Develco__HumiditySensor_4.0.3.zigbee": "sub_elements[3].value",
    "Develco__ZR_Smartplug_SSIG_3.12.16.zigbee": "sub_elements[3].value",
}


def _real_files() -> list[str]:
    if not REAL.is_dir():
        return []
    with (REAL / "MANIFEST.tsv").open() as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return [row["file"] for row in rows if not row["file"].startswith("nonstandard")]


def _nonstandard() -> list[str]:
    return sorted(p.name for p in (REAL / "nonstandard").glob("*")) if REAL.is_dir() else []


def _zigpy_reading(data: bytes):
    from zigpy.ota.image import OTAImage

    image, rest = OTAImage.deserialize(data)
    assert rest == b""
    return image


@pytest.mark.parametrize("name", _real_files())
def test_real_file_matches_zigpy_or_is_refused_by_field(name):
    data = (REAL / name).read_bytes()
    if name in REFUSED:
        with pytest.raises(ProtocolError) as err:
            parse_image(data)
        assert err.value.field == REFUSED[name] and err.value.offset is not None
        return
    image = parse_image(data)
    assert image.format is ImageFormat.ZIGBEE_OTA
    peer = _zigpy_reading(data)
    h, z = image.header, peer.header
    assert (h.header_version, h.header_length, h.field_control, h.manufacturer_code, h.image_type,
            h.file_version, h.zigbee_stack_version, h.header_string, h.total_image_size) == (
        z.header_version, z.header_length, int(z.field_control), z.manufacturer_id, z.image_type,
        z.file_version, z.stack_version, bytes(z.header_string), z.image_size)
    assert (h.security_credential_version, h.upgrade_file_destination, h.minimum_hardware_version,
            h.maximum_hardware_version) == (
        z.security_credential_version, None if z.upgrade_file_destination is None else
        int.from_bytes(z.upgrade_file_destination.serialize(), "little"),
        z.minimum_hardware_version, z.maximum_hardware_version)
    theirs = [(int(s.tag_id), bytes(s.data)) for s in peer.subelements]
    assert [(e.tag, e.value) for e in image.sub_elements] == theirs


def test_manifest_hashes_match():
    with (REAL / "MANIFEST.tsv").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            data = (REAL / row["file"]).read_bytes()
            assert len(data) == int(row["bytes"]) and hashlib.sha256(data).hexdigest() == row["sha256"]


@pytest.mark.parametrize("name", _nonstandard())
def test_nonstandard_containers_refused(name):
    with pytest.raises(ProtocolError) as err:
        parse_image((REAL / "nonstandard" / name).read_bytes())
    assert err.value.field and err.value.offset is not None


def test_both_integrity_variants_seen_in_the_field():
    bosch = parse_image((REAL / "Bosch__SWD2_0x11191514_PROD.fw").read_bytes())
    nodon_file = "NodOn__128b-0102-030103-700_nodon_sin_4_2_20_fw_power_V030103.zigbee"
    nodon = parse_image((REAL / nodon_file).read_bytes())
    assert bosch.integrity_variant == "before-sub-element"
    assert nodon.integrity_variant == "including-tag-and-length"
    code = bosch.sub_elements[-1]
    assert image_integrity_code(bosch.raw[:code.offset]) == code.value


GBCS_MI_SHA256 = "7542f475e3f12eae887d81e32c46d313741d67076b13caec2f82e00ba5e1bb36"


@pytest.mark.parametrize(("name", "signed"),
                         [("esme-upgrade-image.bin", True), ("ppmid-upgrade-image.bin", False)])
def test_gbcs_samples(name, signed):
    data = (VECTORS / "gbcs" / name).read_bytes()
    image = parse_image(data)
    assert image.format is ImageFormat.GBCS and image.sub_elements == ()
    assert manufacturer_image_hash(image).hex() == GBCS_MI_SHA256
    assert image.header.header_length == 60 and image.header.field_control == 4
    # the total image size covers the whole file, signature trailer included
    assert image.header.total_image_size == len(data) == struct.unpack_from("<I", data, 52)[0]
    assert (image.signature is not None) is signed
    assert image.manufacturer_image == data[60:295]
    assert parse_image(data, expected_format=ImageFormat.GBCS) == image
