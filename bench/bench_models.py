"""A full 750 kB upgrade through the reference models, against the codec alone.

One process, one virtual clock: Supplier A's Service Request -> DCC validation (parse,
signature) -> GBT distribution to the hub -> Image Notify -> 64-byte Image Block download ->
verification on the device -> activation -> read-back -> alert (c) to each Supplier.

* ``model_upgrade_frames``: HAN frames exchanged (every one recorded in ``network.log``);
* ``model_upgrade_s``: wall time of the whole upgrade (best of a few runs, each on a fresh world);
* ``codec_only_s``: decode + encode of exactly those frames with ``protocol.ota_commands``;
* ``models_vs_codec``: model_upgrade_s / codec_only_s (target <= 2: the models add at most 2x).

What part of that ratio is the models' logic: ``echo_vs_codec`` runs the same number of
Image Block Request/Response exchanges between two nodes that do nothing but decode what they
receive and encode a fresh command in reply, on the same ``HanNetwork`` (same polling, same
evidence log, same virtual clock). It is the floor of any model on this network: the
frame routing and the command objects cost about as much again as the codec twice over.
``models_vs_echo`` is what the device, hub and DCC logic adds on top of it.

Image building (signing) is outside the timed part; the DCC's own image parse and signature
check are inside it.
"""

from __future__ import annotations

import time
from collections import deque

from _timing import best_of

from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.han import OTA_ENDPOINT, SE_PROFILE_ID, HanFrame, HanNetwork, make_frame
from hanota.conformance.models.premises import World, build_premises
from hanota.conformance.models.service_request import Acknowledged, FirmwareConfirmedAlert
from hanota.protocol import ota_commands as oc
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES
from hanota.protocol.ota_commands import decode_command, encode_command
from hanota.protocol.zcl import OTA_CLUSTER_ID, Status

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


class _EchoNode:
    """A HAN node with no logic: decode what arrives, answer with a freshly encoded command."""

    def __init__(self, eui64: int, peer: int) -> None:
        self.eui64, self.peer = eui64, peer
        self.han_notify = None
        self._out: deque[HanFrame] = deque()

    def next_frame(self) -> HanFrame | None:
        return self._out.popleft() if self._out else None

    def send(self, cmd: object, tsn: int) -> None:
        self._out.append(make_frame(self.eui64, self.peer, OTA_ENDPOINT, OTA_ENDPOINT, SE_PROFILE_ID,
                                    OTA_CLUSTER_ID, encode_command(cmd, tsn=tsn)))
        self.han_notify()  # type: ignore[misc]


class _EchoClient(_EchoNode):
    def __init__(self, eui64: int, peer: int, exchanges: int) -> None:
        super().__init__(eui64, peer)
        self.left = exchanges

    def receive(self, frame: HanFrame) -> None:
        _, cmd = decode_command(frame.payload)
        self.request(cmd.file_offset + len(cmd.image_data))

    def request(self, offset: int) -> None:
        if self.left:
            self.left -= 1
            self.send(oc.ImageBlockRequest(manufacturer_code=0x1234, image_type=0x42, file_version=1,
                                           file_offset=offset, maximum_data_size=64,
                                           request_node_address=None, minimum_block_period=0),
                      tsn=self.left & 0xFF)


class _EchoServer(_EchoNode):
    def __init__(self, eui64: int, peer: int, image: bytes) -> None:
        super().__init__(eui64, peer)
        self.image = image

    def receive(self, frame: HanFrame) -> None:
        header, cmd = decode_command(frame.payload)
        offset = cmd.file_offset
        self.send(oc.ImageBlockResponse(status=Status.SUCCESS, manufacturer_code=0x1234, image_type=0x42,
                                        file_version=1, file_offset=offset,
                                        image_data=self.image[offset:offset + cmd.maximum_data_size]),
                  tsn=header.tsn)


def echo(exchanges: int, image: bytes) -> int:
    """``exchanges`` request/response pairs between two logic-free nodes; returns frames moved."""
    network = HanNetwork(VirtualClock())
    client, server = _EchoClient(1, 2, exchanges), _EchoServer(2, 1, image)
    network.attach(client)
    network.attach(server)
    client.request(0)
    return network.run_until_idle()


def main(emit) -> None:
    # Interleaved (model, codec, model, codec, ...) so both see the same machine load; best of each.
    best_model = best_codec = best_echo = float("inf")
    frames: list[bytes] = []
    for _ in range(REPEAT):
        world, image = _world_and_image()
        start = time.perf_counter()
        run_upgrade(world, image)
        best_model = min(best_model, time.perf_counter() - start)
        frames = [frame.payload for _, frame in world.network.log]
        best_codec = min(best_codec, best_of(lambda f=frames: codec_only(f), repeat=1))
        exchanges = len(frames) // 2
        best_echo = min(best_echo, best_of(lambda n=exchanges, i=image: echo(n, i), repeat=1))
    emit("model_upgrade_frames", len(frames))
    emit("model_upgrade_s", best_model)
    emit("codec_only_s", best_codec)
    emit("models_vs_codec", best_model / best_codec)
    emit("echo_s", best_echo)
    emit("echo_vs_codec", best_echo / best_codec)
    emit("models_vs_echo", best_model / best_echo)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from run import emit as _emit

    main(_emit)
