"""Fragment, reassemble and verify a 16 MiB image, against hashing the same bytes once.

The floor is one SHA-256 pass over the whole image (hashlib), measured in the same run. The
pipeline necessarily hashes the whole image twice (the splitter declares the digest, the
reassembler checks it), so 2x is the least any design can reach; the target is within 3x.

Figures: ``fragments_16mib_s`` (split + reassemble + digest check, best of 5),
``sha256_16mib_s`` (the floor), ``fragments_vs_sha256`` (their ratio), and for information
``fragments_split_s`` / ``fragments_reassemble_s`` and the signed GBCS variant
``fragments_gbcs_signed_vs_sha256`` (adds the ECDSA verification, itself a further SHA-256
pass over the image).
"""

from __future__ import annotations

import hashlib
import os

from _timing import best_of

from protocol.fragments import Reassembler, reassemble, split_image
from protocol.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_WHOLE_IMAGE_BYTES
from protocol.ota_image import build_gbcs_image, build_zigbee_image
from protocol.signatures import generate_test_key

SIZE = DEFAULT_MAX_WHOLE_IMAGE_BYTES


def _zigbee_image() -> bytes:
    payload = os.urandom(SIZE - 56 - 6)  # header + one upgrade-image sub-element = 16 MiB exactly
    return build_zigbee_image(manufacturer_code=0x1234, image_type=0x0042, file_version=0x01000000,
                              sub_elements=[(0x0000, payload)])


def main(emit) -> None:
    image = _zigbee_image()
    assert len(image) == SIZE

    def pipeline() -> None:
        out = reassemble(split_image(image, max_bytes=DEFAULT_MAX_IMAGE_BYTES))
        assert out == image

    floor = best_of(lambda: hashlib.sha256(image).digest())
    total = best_of(pipeline)
    fragments = split_image(image)
    split_s = best_of(lambda: split_image(image))
    reassemble_s = best_of(lambda: reassemble(fragments))
    emit("fragments_count_16mib", len(fragments))
    emit("sha256_16mib_s", floor)
    emit("fragments_16mib_s", total)
    emit("fragments_split_s", split_s)
    emit("fragments_reassemble_s", reassemble_s)
    emit("fragments_vs_sha256", total / floor)

    key = generate_test_key()
    gbcs = build_gbcs_image(manufacturer_code=0x1234, image_type=0x0042, file_version=0x01000000,
                            manufacturer_image=os.urandom(SIZE - 56 - 66), private_key=key)

    def signed() -> None:
        r = Reassembler(public_key=key.public_key())
        for fragment in split_image(gbcs):
            r.add(fragment)
        assert r.result() == gbcs

    emit("fragments_gbcs_signed_vs_sha256", best_of(signed, repeat=3) / floor)
