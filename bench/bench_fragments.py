"""Fragment, reassemble and verify a 16 MiB image, against hashing the same bytes once.

The floor is one SHA-256 pass over the whole image (hashlib), measured in the same process;
the target is within 3x of it. What the pipeline must do on top of that floor:
- a second SHA-256 pass: the splitter hashes each slice where it cuts it, the reassembler
  hashes each slice where it arrives (the whole-image digest is the hash of those slice
  hashes, so nobody hashes the whole image again: ``docs/fragments.md``). 2x is the least
  any design reaches;
- writing 16 MiB of fragments and 16 MiB of rebuilt image, and parsing 22 fragments.

Writing 32 MiB costs little in memory the process has used before, and a lot in fresh memory
on a virtual machine (first-touch page faults). With glibc's defaults the pipeline's 32 MiB
peak is handed back to the kernel after every round, so each round here starts cold. The
figures are therefore printed twice:
- ``fragments_vs_sha256``: as run, memory fresh each round;
- ``fragments_vs_sha256_reused_memory``: the same measurement in a child process whose glibc
  keeps freed memory (``MALLOC_TRIM_THRESHOLD_``/``MALLOC_MMAP_THRESHOLD_``), as in a process
  that has handled an image before; its floor is measured in that child too.

Also printed: ``fragments_16mib_s`` (split + reassemble + digest check, best of 5),
``sha256_16mib_s`` (the floor), ``fragments_split_s`` and ``fragments_reassemble_s`` alone,
and the signed GBCS variant ``fragments_gbcs_signed_vs_sha256`` (adds the ECDSA verification
of the rebuilt image, itself one more SHA-256 pass over it).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from _timing import best_of

from hanota.protocol.fragments import Reassembler, reassemble, split_image
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_WHOLE_IMAGE_BYTES
from hanota.protocol.ota_image import build_gbcs_image, build_zigbee_image
from hanota.protocol.signatures import generate_test_key

SIZE = DEFAULT_MAX_WHOLE_IMAGE_BYTES
_KEEP_MEMORY = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(1 << 30)}


def _zigbee_image() -> bytes:
    payload = os.urandom(SIZE - 56 - 6)  # header + one upgrade-image sub-element = 16 MiB exactly
    return build_zigbee_image(manufacturer_code=0x1234, image_type=0x0042, file_version=0x01000000,
                              sub_elements=[(0x0000, payload)])


def _pipeline_and_floor(image: bytes) -> tuple[float, float]:
    def pipeline() -> bytes:
        return reassemble(split_image(image, max_bytes=DEFAULT_MAX_IMAGE_BYTES))

    assert pipeline() == image  # checked once, outside the timing
    return best_of(pipeline), best_of(lambda: hashlib.sha256(image).digest())


def main(emit: Callable[[str, float | int | str], None]) -> None:
    image = _zigbee_image()
    assert len(image) == SIZE
    total, floor = _pipeline_and_floor(image)
    fragments = split_image(image)
    emit("fragments_count_16mib", len(fragments))
    emit("sha256_16mib_s", floor)
    emit("fragments_16mib_s", total)
    emit("fragments_split_s", best_of(lambda: split_image(image)))
    emit("fragments_reassemble_s", best_of(lambda: reassemble(fragments)))
    emit("fragments_vs_sha256", total / floor)
    child = subprocess.run([sys.executable, __file__, "--ratio-only"], capture_output=True, text=True,
                           check=True, env={**os.environ, **_KEEP_MEMORY},
                           cwd=Path(__file__).resolve().parent)
    emit("fragments_vs_sha256_reused_memory", float(child.stdout.strip()))

    key = generate_test_key()
    gbcs = build_gbcs_image(manufacturer_code=0x1234, image_type=0x0042, file_version=0x01000000,
                            manufacturer_image=os.urandom(SIZE - 56 - 66), private_key=key)

    def signed() -> bytes:
        r = Reassembler(public_key=key.public_key())
        for fragment in split_image(gbcs):
            r.add(fragment)
        return r.result()

    assert signed() == gbcs
    emit("fragments_gbcs_signed_vs_sha256", best_of(signed, repeat=3) / floor)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if sys.argv[1:] == ["--ratio-only"]:  # the child of main(): print the ratio alone
        pipeline_s, floor_s = _pipeline_and_floor(_zigbee_image())
        print(f"{pipeline_s / floor_s:.6f}")
    else:
        from run import emit as _emit

        main(_emit)
