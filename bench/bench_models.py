"""A full 750 kB upgrade through the reference models, against the codec alone.

One process, one virtual clock: Supplier A's Service Request -> DCC validation (parse,
signature) -> GBT distribution to the hub -> Image Notify -> 64-byte Image Block download ->
verification on the device -> activation -> read-back -> alert (c) to each Supplier.

* ``model_upgrade_frames``: HAN frames exchanged (every one recorded in ``network.log``);
* ``model_upgrade_s``: wall time of the whole upgrade (best of a few runs, each on a fresh world);
* ``codec_only_s``: decode + encode of exactly those frames with ``protocol.ota_commands``;
* ``models_vs_codec``: model_upgrade_s / codec_only_s (target <= 2: the models add at most 2x).

Image building (signing) is outside the timed part; the DCC's own image parse and signature
check are inside it.
"""

from __future__ import annotations

import time

from _timing import best_of

from conformance.models.clock import VirtualClock
from conformance.models.premises import World, build_premises
from conformance.models.service_request import Acknowledged, FirmwareConfirmedAlert
from protocol.limits import DEFAULT_MAX_IMAGE_BYTES
from protocol.ota_commands import decode_command, encode_command

_HEADER, _TRAILER = 56, 66
REPEAT = 3


def _world_and_image() -> tuple[World, bytes]:
    world = build_premises(VirtualClock(), seed=0)
    image = world.make_image(world.ppmid, payload_size=DEFAULT_MAX_IMAGE_BYTES - _HEADER - _TRAILER)
    assert len(image) == DEFAULT_MAX_IMAGE_BYTES
    return world, image


def run_upgrade(world: World, image: bytes) -> None:
    response = world.submit(world.request([world.ppmid], image))
    assert isinstance(response, Acknowledged), response
    world.run_until_idle()
    confirmed = [a for a in world.dcc.alerts_for("Supplier A") if isinstance(a, FirmwareConfirmedAlert)]
    assert confirmed and confirmed[0].changed, confirmed


def codec_only(payloads: list[bytes]) -> None:
    for payload in payloads:
        header, cmd = decode_command(payload)
        encode_command(cmd, tsn=header.tsn, disable_default_response=header.disable_default_response,
                       manufacturer_code=header.manufacturer_code)


def main(emit) -> None:
    # Interleaved (model, codec, model, codec, ...) so both see the same machine load; best of each.
    best_model = best_codec = float("inf")
    frames: list[bytes] = []
    for _ in range(REPEAT):
        world, image = _world_and_image()
        start = time.perf_counter()
        run_upgrade(world, image)
        best_model = min(best_model, time.perf_counter() - start)
        frames = [frame.payload for _, frame in world.network.log]
        best_codec = min(best_codec, best_of(lambda f=frames: codec_only(f), repeat=1))
    emit("model_upgrade_frames", len(frames))
    emit("model_upgrade_s", best_model)
    emit("codec_only_s", best_codec)
    emit("models_vs_codec", best_model / best_codec)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from run import emit as _emit

    main(_emit)
