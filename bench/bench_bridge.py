"""A full 750 kB (768,000-byte) block download over the DUT bridge on loopback, against the
same download in-process.

The reference hub delivers a signed GBCS image of exactly 768,000 bytes in 64-byte blocks
(12,000 Image Block Request/Response pairs) to the reference device: once with the device in
this process (:class:`ReferenceAdapter`), once with it in a ``hanota serve-device`` subprocess
reached through :class:`TcpAdapter` (one round trip per block). Both HAN logs must be equal.

Figures: ``inprocess_download_s``, ``bridge_download_s`` and ``bridge_vs_inprocess`` (target
<= 4), each one run (a run takes seconds; the ratio is what matters). For reading them on a
given machine: ``loopback_rtt_us``, a bare 80-byte TCP round trip between this process and an
echo subprocess (TCP_NODELAY, as the bridge), and ``bridge_rtt_vs_loopback``, what one block's
round trip over the bridge costs against it.
"""

from __future__ import annotations

import argparse
import random
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

from hanota.conformance.adapters import DutAdapter, DutLink, ReferenceAdapter, TcpAdapter
from hanota.conformance.commands import serve_device
from hanota.conformance.models.clock import VirtualClock
from hanota.conformance.models.comms_hub import CommsHub
from hanota.conformance.models.han import HanNetwork
from hanota.conformance.models.premises import deterministic_key, sign_deterministically
from hanota.protocol.ota_image import build_gbcs_image

SIZE = 768_000
ROOT = Path(__file__).resolve().parents[1]


def _image() -> bytes:
    key = deterministic_key(0)

    def build(payload_size: int) -> bytes:
        return build_gbcs_image(manufacturer_code=0x1234, image_type=0x0101, file_version=0x101,
                                manufacturer_image=random.Random(1).randbytes(payload_size),
                                private_key=key)

    overhead = len(build(0))
    return sign_deterministically(build(SIZE - overhead), key)


def _download(dut: DutAdapter, image: bytes) -> tuple[float, bytes]:
    clock = VirtualClock()
    network = HanNetwork(clock)
    hub = CommsHub(clock, eui64=dut.identity.paired_hub or 0, rng=random.Random(1))
    network.attach(hub)
    link = DutLink(dut)
    network.attach(link)
    hub.pair(link.eui64, dut.identity.kind)
    start = time.perf_counter()
    hub.store_image("bench", [link.eui64], image)
    link.run_until_idle(network)
    elapsed = time.perf_counter() - start
    assert hub.violations == [] and network.dropped == []
    return elapsed, network.log_bytes()


_ECHO = """
import socket, sys
srv = socket.create_server(("127.0.0.1", 0))
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while data := conn.recv(65536):
    conn.sendall(data)
"""


def loopback_rtt_s(rounds: int = 5000) -> float:
    """One bare TCP round trip to an echo subprocess on loopback (the floor of a bridge block)."""
    proc = subprocess.Popen([sys.executable, "-c", _ECHO], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            start = time.perf_counter()
            for _ in range(rounds):
                sock.sendall(b"x" * 80)
                got = 0
                while got < 80:
                    got += len(sock.recv(4096))
            return (time.perf_counter() - start) / rounds
    finally:
        proc.terminate()
        proc.wait(10)


#: ``hanota serve-device``'s options; the in-process device is built from the same ones. It asks
#: by blocks and sends no device-specific file query: the figure is a block download's.
SERVE_ARGS = ["--listen", "127.0.0.1:0", "--kind", "ppmid", "--no-page-requests",
              "--device-file-query", "off"]


def main(emit) -> None:  # type: ignore[no-untyped-def]
    image = _image()
    assert len(image) == SIZE
    parser = argparse.ArgumentParser()
    serve_device.add_arguments(parser)
    ref = ReferenceAdapter(serve_device.build_config(parser.parse_args(SERVE_ARGS)))
    inprocess, log = _download(ref, image)
    assert ref.device.activations, "the in-process download did not complete"

    proc = subprocess.Popen(
        [sys.executable, "-m", "hanota", "serve-device", *SERVE_ARGS],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        if not select.select([proc.stdout], [], [], 30)[0]:
            raise RuntimeError("serve-device did not start")
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        dut = TcpAdapter.from_url(url, response_timeout_ms=10_000)
        bridged, bridged_log = _download(dut, image)
        dut.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert bridged_log == log, "the bridged download differs from the in-process one"
    emit("blocks_750kb", SIZE // 64)
    emit("inprocess_download_s", inprocess)
    emit("bridge_download_s", bridged)
    emit("bridge_vs_inprocess", bridged / inprocess)
    rtt = loopback_rtt_s()
    emit("loopback_rtt_us", rtt * 1e6)
    emit("bridge_rtt_vs_loopback", bridged / (SIZE // 64) / rtt)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(lambda name, value: print(f"{name}: {value}"))
