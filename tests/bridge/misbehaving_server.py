"""A DUT bridge that misbehaves once, in the middle of a scenario, for whole-suite runs.

``python -m tests.bridge.misbehaving_server MODE [--after N]`` prints ``listening on tcp://...``
and serves the reference device (with every optional feature of the reference PICS) properly,
except that the first connection to carry ``N`` FRAMEs from the suite breaks as ``MODE`` says:

- ``silent``: stops answering (reads and ignores everything until the suite hangs up);
- ``garbage``: sends an envelope of an undefined message type, then goes silent;
- ``oversized``: sends an envelope length over the 64 KiB cap, then goes silent;
- ``drop``: closes the connection;
- ``flood``: sends 5,000 copies of the device's last frame at once, then goes on;
- ``wrong-tsn``: from then on, for the rest of that connection, every ZCL frame from the device
  carries a transaction sequence number other than the one it answers.

Later connections are served properly, so the scenario after the broken one runs normally.
"""

from __future__ import annotations

import argparse
import dataclasses
import select
import signal
import socket
import sys
from types import FrameType

from hanota.conformance.adapters import ReferenceAdapter, ReferenceDeviceConfig
from hanota.conformance.adapters.server import BridgeServer
from hanota.protocol import bridge as b
from hanota.protocol.errors import ProtocolError

MODES = ("silent", "garbage", "oversized", "drop", "flood", "wrong-tsn")
FLOOD = 5_000


class SuiteMisbehavingBridge(BridgeServer):
    def __init__(self, mode: str, after: int = 40, host: str = "127.0.0.1", port: int = 0) -> None:
        config = ReferenceDeviceConfig(options={"supports_fragmentation": True, "consumer_refusal": True})
        super().__init__(ReferenceAdapter(config), host, port, poll_s=0.01)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode, self.after, self.done = mode, after, False

    def handle_connection(self, conn: socket.socket) -> None:
        if self.done:
            super().handle_connection(conn)
            return
        session, reader, frames = self.session_class(self.dut), b.MessageReader(), 0
        last: b.Frame | None = None
        tampering = False
        conn.settimeout(5)
        try:
            while not self._stop.is_set() and not session.closed:
                if not select.select([conn], [], [], self.poll_s)[0]:
                    continue
                data = conn.recv(65_536)
                if not data:
                    return
                reader.feed(data)
                out: list[b.Message] = []
                while (msg := reader.next_message()) is not None:
                    frames += isinstance(msg, b.Frame)
                    if frames >= self.after and self.mode == "wrong-tsn":
                        tampering = True
                    elif frames >= self.after:
                        self.done = True
                        self._misbehave(conn, out, last)
                        return
                    out += session.handle(msg)
                    last = next((m for m in reversed(out) if isinstance(m, b.Frame)), last)
                if tampering:
                    out = [_retsn(m) for m in out]
                conn.sendall(b"".join(b.encode_message(m) for m in out))
        except (OSError, ProtocolError):
            return
        finally:
            if tampering:
                self.done = True

    def _misbehave(self, conn: socket.socket, out: list[b.Message], last: b.Frame | None) -> None:
        if self.mode == "drop":
            return  # serve_forever's ``with conn`` closes it
        if out:
            conn.sendall(b"".join(b.encode_message(m) for m in out))
        if self.mode == "garbage":
            conn.sendall(b"\x00\x00\x00\x03\xee\x01\x02")
        elif self.mode == "oversized":
            conn.sendall(b"\x00\x10\x00\x00\x03" + bytes(64))
        elif self.mode == "flood" and last is not None:
            conn.sendall(b.encode_message(last) * FLOOD)
        while not self._stop.is_set():  # silent from now on, until the suite hangs up
            if select.select([conn], [], [], self.poll_s)[0] and not conn.recv(65_536):
                return


def _retsn(msg: b.Message) -> b.Message:
    """A device frame with its ZCL transaction sequence number changed (header byte 1, or byte 3
    of a manufacturer-specific header)."""
    if not isinstance(msg, b.Frame) or len(msg.payload) < 3:
        return msg
    at = 3 if msg.payload[0] & 0x04 else 1
    payload = bytearray(msg.payload)
    payload[at] ^= 0x5A
    return dataclasses.replace(msg, payload=bytes(payload))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="misbehaving_server")
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--after", type=int, default=40)
    args = parser.parse_args(argv)
    server = SuiteMisbehavingBridge(args.mode, args.after)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
