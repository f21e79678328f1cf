"""A man in the middle of the DUT bridge (docs/dut-bridge.md) that appends octets to every ZCL
frame the suite sends the device, for the suite's robustness demonstration (issue 16).

``python -m tests.bridge.mitm_proxy tcp://HOST:PORT [--append HEX]`` prints ``listening on
tcp://...``; each connection it accepts is relayed to the bridge at ``tcp://HOST:PORT``. From the
suite to the device every FRAME's ZCL payload gets the octets appended (``a5 a5 a5`` by default:
to Read Attributes they add attribute 0xa5a5, which no OTA client has, and an odd octet); every
other message, and everything from the device to the suite, passes unchanged. A device that
ignores octets beyond the fields it knows, as the ZCL asks, gives the suite the same verdicts
through it as without it.
"""

from __future__ import annotations

import argparse
import dataclasses
import select
import signal
import socket
import sys
from types import FrameType

from hanota.protocol import bridge as b
from hanota.protocol.errors import ProtocolError

DEFAULT_APPEND = bytes.fromhex("a5a5a5")


def relay(suite: socket.socket, upstream: tuple[str, int], append: bytes) -> int:
    """Relay one suite connection to the bridge until either side closes; the number of frames
    whose payload was extended."""
    extended = 0
    reader = b.MessageReader()
    with socket.create_connection(upstream, timeout=10) as device:
        for sock in (suite, device):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            ready, _, _ = select.select([suite, device], [], [], 1.0)
            for sock in ready:
                data = sock.recv(65_536)
                if not data:
                    return extended
                if sock is device:
                    suite.sendall(data)
                    continue
                reader.feed(data)
                out = []
                while (msg := reader.next_message()) is not None:
                    if isinstance(msg, b.Frame):
                        msg = dataclasses.replace(msg, payload=msg.payload + append)
                        extended += 1
                    out.append(b.encode_message(msg))
                device.sendall(b"".join(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mitm_proxy")
    parser.add_argument("upstream", help="the bridge, tcp://HOST:PORT")
    parser.add_argument("--append", type=bytes.fromhex, default=DEFAULT_APPEND,
                        help="hex octets appended to every frame to the device (default a5a5a5)")
    args = parser.parse_args(argv)
    host, _, port = args.upstream.removeprefix("tcp://").rpartition(":")
    listener = socket.create_server(("127.0.0.1", 0))

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"listening on tcp://127.0.0.1:{listener.getsockname()[1]}", flush=True)
    try:
        while True:
            conn, _ = listener.accept()
            with conn:
                try:
                    extended = relay(conn, (host, int(port)), args.append)
                except (OSError, ProtocolError) as err:
                    print(f"connection ended: {err}", file=sys.stderr, flush=True)
                else:
                    print(f"connection ended: {extended} frames extended", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
