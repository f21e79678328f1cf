"""Parse of a 750 kB ZigBee OTA image: this codec against plain struct and zigpy, same run.

Prints image_parse_ms, image_parse_struct_ms, image_parse_zigpy_ms, image_parse_vs_struct
(this ÷ struct, lower is better) and image_parse_vs_zigpy (zigpy ÷ this, higher is better).
Also the GBCS signature verification time over a 750 kB Manufacturer Image.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from _timing import best_of

from hanota.protocol.ota_image import build_gbcs_image, build_zigbee_image, parse_image
from hanota.protocol.signatures import generate_test_key, verify_image

SIZE = 750 * 1024


def _struct_parse(data: bytes) -> list[tuple[int, bytes]]:
    # The baseline: the same header and sub-element walk, hand-written with struct.
    fields = struct.unpack_from("<IHHHHHIH32sI", data)
    offset, out = fields[2], []
    while offset < len(data):
        tag, length = struct.unpack_from("<HI", data, offset)
        out.append((tag, data[offset + 6:offset + 6 + length]))
        offset += 6 + length
    return out


def main(emit: Callable[[str, float], None]) -> None:
    from zigpy.ota.image import parse_ota_image

    payload = bytes(range(256)) * (SIZE // 256)
    data = build_zigbee_image(manufacturer_code=0x121D, image_type=1, file_version=2,
                              sub_elements=[(0xF000, b"m" * 64), (0, payload[: SIZE - 200])])
    ours = best_of(lambda: parse_image(data), 20)
    base = best_of(lambda: _struct_parse(data), 20)
    zig = best_of(lambda: parse_ota_image(data), 20)
    emit("image_parse_ms", ours * 1e3)
    emit("image_parse_struct_ms", base * 1e3)
    emit("image_parse_zigpy_ms", zig * 1e3)
    emit("image_parse_vs_struct", ours / base)
    emit("image_parse_vs_zigpy", zig / ours)
    key = generate_test_key()
    signed = parse_image(build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3,
                                          manufacturer_image=b"C" + payload[: SIZE - 200], private_key=key))
    emit("gbcs_verify_750k_ms", best_of(lambda: verify_image(signed, key.public_key()), 10) * 1e3)
