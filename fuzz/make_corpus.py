"""Write the seed corpora in ``fuzz/corpus/<target>/`` from valid messages (run from the repo root).

``python -m fuzz.make_corpus`` rewrites them; the output is deterministic (fixed keys are not
needed: a signature's bytes only have to be 64 bytes, not to verify). The GBCS seeds come from
the DCC's public samples in ``/work/shared/vectors`` when that directory is there.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from hanota.protocol import bridge as b
from hanota.protocol import gbcs
from hanota.protocol._fields import encode
from hanota.protocol.fragments import Reassembler, split_image
from hanota.protocol.gbt import split
from hanota.protocol.ota_commands import (
    Command,
    ImageBlockRequest,
    ImageBlockResponse,
    ImageNotify,
    ImageNotifyPayloadType,
    ImagePageRequest,
    QueryDeviceSpecificFileRequest,
    QueryDeviceSpecificFileResponse,
    QueryNextImageRequest,
    QueryNextImageResponse,
    UpgradeEndRequest,
    UpgradeEndResponse,
    encode_command,
)
from hanota.protocol.ota_image import OTA_HEADER, P256_SIGNATURE_TAG, build_zigbee_image
from hanota.protocol.zcl import (
    AttributeRecord,
    DataType,
    DefaultResponse,
    ReadAttributes,
    ReadAttributesResponse,
    Status,
)

from ._harness import pack_records

CORPUS = Path(__file__).resolve().parent / "corpus"
VECTORS = Path("/work/shared/vectors/gbcs")
_MFR, _TYPE, _VERSION = 0x1234, 0x0102, 0x00000005


def _gbcs_image(body: bytes, *, signed: bool) -> bytes:
    """A GBCS Upgrade Image with hardware versions; the trailer is 0x0040 and 64 fixed bytes."""
    trailer = b"\x00\x40" + bytes(range(64)) if signed else b""
    header = {"manufacturer_code": _MFR, "image_type": _TYPE, "file_version": _VERSION,
              "zigbee_stack_version": 2, "header_string": b"GBCS seed".ljust(32, b"\x00"),
              "total_image_size": 60 + len(body) + len(trailer), "security_credential_version": None,
              "upgrade_file_destination": None, "minimum_hardware_version": 1,
              "maximum_hardware_version": 3}
    return encode(OTA_HEADER, header) + body + trailer


def images() -> dict[str, bytes]:
    out = {
        "zigbee-minimal": build_zigbee_image(manufacturer_code=_MFR, image_type=_TYPE, file_version=_VERSION,
                                             sub_elements=[(0x0000, b"firmware" * 8)]),
        "zigbee-integrity-optional-fields": build_zigbee_image(
            manufacturer_code=_MFR, image_type=_TYPE, file_version=_VERSION,
            sub_elements=[(0x0000, bytes(range(200))), (0xF001, b"vendor")],
            security_credential_version=1, upgrade_file_destination=0x000D6F0001020304,
            minimum_hardware_version=1, maximum_hardware_version=2, integrity_code=True),
        "zigbee-signature-element": build_zigbee_image(
            manufacturer_code=_MFR, image_type=_TYPE, file_version=_VERSION,
            sub_elements=[(0x0000, b"\x01" * 40), (0x0001, bytes(50)), (0x0002, bytes(48))]),
        # The reference profile's P-256 signature sub-element, last; fixed bytes instead of a real
        # signature (ECDSA is randomised and the seeds are deterministic): the layout is what counts.
        "zigbee-p256-signature-element": build_zigbee_image(
            manufacturer_code=_MFR, image_type=_TYPE, file_version=_VERSION,
            sub_elements=[(0x0000, b"\x02" * 40), (P256_SIGNATURE_TAG, bytes(range(64)))]),
        "gbcs-unsigned": _gbcs_image(b"manufacturer image " * 6, signed=False),
        "gbcs-signed": _gbcs_image(b"manufacturer image " * 6, signed=True),
    }
    for name in ("ppmid-upgrade-image.bin", "esme-upgrade-image.bin"):
        if (VECTORS / name).exists():
            out["dcc-" + name.removesuffix(".bin")] = (VECTORS / name).read_bytes()
    return out


def frames() -> dict[str, bytes]:
    commands: list[Command] = [
        ImageNotify(ImageNotifyPayloadType.NEW_FILE_VERSION, 100, _MFR, _TYPE, _VERSION),
        ImageNotify(ImageNotifyPayloadType.QUERY_JITTER, 50),
        QueryNextImageRequest(_MFR, _TYPE, 4, hardware_version=2),
        QueryNextImageResponse(Status.SUCCESS, _MFR, _TYPE, _VERSION, 4096),
        QueryNextImageResponse(Status.NO_IMAGE_AVAILABLE),
        ImageBlockRequest(_MFR, _TYPE, _VERSION, 128, 64, request_node_address=0x000D6F0001020304,
                          minimum_block_period=10),
        ImagePageRequest(_MFR, _TYPE, _VERSION, 0, 64, 1024, 20),
        ImageBlockResponse(Status.SUCCESS, _MFR, _TYPE, _VERSION, 128, bytes(range(48))),
        ImageBlockResponse(Status.WAIT_FOR_DATA, current_time=100, request_time=160, minimum_block_period=5),
        ImageBlockResponse(Status.ABORT),
        UpgradeEndRequest(Status.SUCCESS, _MFR, _TYPE, _VERSION),
        UpgradeEndResponse(_MFR, _TYPE, _VERSION, 0, 60),
        QueryDeviceSpecificFileRequest(0x000D6F0001020304, _MFR, 0xFFC0, _VERSION, 2),
        QueryDeviceSpecificFileResponse(Status.SUCCESS, _MFR, 0xFFC0, _VERSION, 512),
        ReadAttributes((0x0000, 0x0002, 0x0006)),
        ReadAttributesResponse((AttributeRecord(0x0002, Status.SUCCESS, DataType.UINT32, 4),
                                AttributeRecord(0x0000, Status.SUCCESS, DataType.EUI64, 0x000D6F0001020304),
                                AttributeRecord(0x0009, Status.UNSUPPORTED_ATTRIBUTE))),
        DefaultResponse(0x05, Status.SUCCESS),
    ]
    out = {}
    for n, cmd in enumerate(commands):
        out[f"zcl-{n:02d}-{type(cmd).__name__}"] = b"\x00" + encode_command(cmd, tsn=n + 1)
    out["zcl-manufacturer-specific"] = b"\x00" + encode_command(commands[2], tsn=9, manufacturer_code=_MFR,
                                                                disable_default_response=True)
    for path in sorted((VECTORS / "frames").glob("*.HEX")):
        data = bytes.fromhex(path.read_text().strip())
        out["gbcs-" + path.stem.lower()] = b"\x01" + data
        frame = gbcs.decode_frame(data)
        out["payload-" + path.stem.lower()] = (b"\x03" + frame.message_code.to_bytes(2, "big")
                                               + bytes([frame.cra_flag]) + frame.content)
    return out


def reassembler() -> dict[str, bytes]:
    image = images()["zigbee-integrity-optional-fields"]
    gbcs_image = images()["gbcs-signed"]
    parts = split_image(image, max_bytes=200)
    gparts = split_image(gbcs_image, max_bytes=180)
    r = Reassembler()
    for part in parts[:2]:
        r.add(part)
    payload = hashlib.sha256(b"gbt").digest() * 5
    return {
        "fragments-in-order": b"\x00" + pack_records(parts),
        "fragments-reversed-duplicate": b"\x00" + pack_records(parts[::-1] + parts[:1]),
        "fragments-gbcs": b"\x01" + pack_records(gparts),
        "state-partial": b"\x02" + r.state(),
        "gbt-blocks": b"\x03" + pack_records(split(payload, block_size=40)),
        "gbt-window-reversed": b"\x03" + pack_records(split(payload, block_size=24, window=3)[::-1]),
    }


def bridge() -> dict[str, bytes]:
    hello = b.encode_message(b.Hello())
    device = b.encode_message(b.DeviceHello(
        1, 0x000D6F0001020304, b.DeviceKind.IHD, _MFR, _TYPE, 4, 2, 0x000D6F00AABBCCDD,
        b.Capability.VIRTUAL_TIME | b.Capability.RESET))
    notify = encode_command(ImageNotify(ImageNotifyPayloadType.QUERY_JITTER, 50), tsn=1)
    frame = b.encode_message(b.Frame(0x000D6F00AABBCCDD, 0x000D6F0001020304, 1, 1, 0x0109, 0x0019, notify))
    control = b.encode_message(b.Control(7, b.ControlOp.ADVANCE, 60_000))
    reply = b.encode_message(b.ControlReply(7, b.ControlOp.ADVANCE, b.ControlStatus.OK, 60_000, 90_000, "ok"))
    error = b.encode_message(b.ErrorMessage(b.ErrorCode.MALFORMED, "bad frame"))
    return {
        "session-one-chunk": bytes([255, 0]) + hello + device + frame + control + reply,
        "session-small-chunks": bytes([2, 0]) + device + frame + frame + reply,
        "small-cap": bytes([15, 9]) + hello + control + error,
        "oversized-length": bytes([7, 0]) + (b.MAX_ENVELOPE + 1).to_bytes(4, "big") + b"\x03",
    }


def main() -> None:
    for target, seeds in (("image", images()), ("frame", frames()), ("reassembler", reassembler()),
                          ("bridge", bridge())):
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.bin"):
            old.unlink()
        for name, data in seeds.items():
            (folder / f"{name}.bin").write_bytes(data)
        print(f"{folder}: {len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes")


if __name__ == "__main__":
    main()
