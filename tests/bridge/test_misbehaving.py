"""Bridges that misbehave mid-download: a silent one, one that sends garbage, one that drops the
connection. Each gives its error promptly (bounded by a small response timeout), and the adapter
reconnects for the next scenario, which then passes."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import pytest

from hanota.conformance.adapters import (
    DutDisconnectedError,
    DutProtocolError,
    DutSilentError,
    ReferenceAdapter,
    TcpAdapter,
)
from hanota.conformance.adapters.server import BridgeServer, BridgeSession
from hanota.protocol import bridge as b
from hanota.protocol.errors import DeviceViolationError

from . import download, make_image

TIMEOUT_MS = 300
IMAGE = make_image(2_000)
GARBAGE = {
    "unknown-type": b"\x00\x00\x00\x03\xee\x01\x02",
    "oversized-length": b"\xff\xff\xff\xf0",
    "zero-length": b"\x00\x00\x00\x00",
    "bad-frame": b"\x00\x00\x00\x05\x03\x00\x01\x02\x03",
    "out-of-place": b.encode_message(b.Hello()),
}


class MisbehavingBridge(BridgeServer):
    """The first connection breaks after ``after`` FRAMEs in the way ``mode`` says; later
    connections are served properly."""

    def __init__(self, mode: str, after: int = 10) -> None:
        super().__init__(ReferenceAdapter(), poll_s=0.01)
        self.mode, self.after = mode, after

    def handle_connection(self, conn: socket.socket) -> None:
        if self.connections > 1:
            super().handle_connection(conn)
            return
        session, reader, frames = BridgeSession(self.dut), b.MessageReader(), 0
        conn.settimeout(5)
        while not self._stop.is_set():
            if not select.select([conn], [], [], 0.01)[0]:
                continue
            data = conn.recv(65_536)
            if not data:
                return
            reader.feed(data)
            out: list[b.Message] = []
            while (msg := reader.next_message()) is not None:
                frames += isinstance(msg, b.Frame)
                if frames >= self.after:
                    self._misbehave(conn)
                    return
                out += session.handle(msg)
            conn.sendall(b"".join(b.encode_message(m) for m in out))

    def _misbehave(self, conn: socket.socket) -> None:
        if self.mode == "drop":
            return  # the caller's ``with conn`` closes it
        if self.mode in GARBAGE:
            conn.sendall(GARBAGE[self.mode])
        # silent (and after garbage): read and ignore until the client hangs up
        while not self._stop.is_set():
            if select.select([conn], [], [], 0.01)[0] and not conn.recv(65_536):
                return


@pytest.fixture(params=["silent", "drop", *GARBAGE])
def bridge(request: pytest.FixtureRequest) -> Iterator[MisbehavingBridge]:
    with MisbehavingBridge(request.param) as srv:
        yield srv


EXPECTED: dict[str, type[Exception]] = {"silent": DutSilentError, "drop": DutDisconnectedError,
                                        **dict.fromkeys(GARBAGE, DutProtocolError)}


def test_misbehaviour_is_reported_promptly_and_the_next_scenario_reconnects(
        bridge: MisbehavingBridge) -> None:
    dut = TcpAdapter.from_url(bridge.url, response_timeout_ms=TIMEOUT_MS)
    expected = EXPECTED[bridge.mode]
    start = time.monotonic()
    with pytest.raises(expected) as err:
        download(dut, IMAGE)
    assert time.monotonic() - start < 3, "the error took too long"
    # silent and garbage are the device's fault (a fail verdict); a drop is an error verdict
    assert isinstance(err.value, DeviceViolationError) == (bridge.mode != "drop")
    if isinstance(err.value, DutProtocolError):
        assert err.value.field and err.value.offset is not None
    assert not dut.connected

    # the next scenario: reconnect, reset, and the same download passes
    dut.ensure_connected()
    assert dut.reconnects == 1
    dut.reset()
    _network, hub = download(dut, IMAGE)
    assert hub.violations == []
    assert isinstance(bridge.dut, ReferenceAdapter) and bridge.dut.device.activations
    dut.close()


def test_a_bridge_that_never_answers_hello_is_silent() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        start = time.monotonic()
        with pytest.raises(DutSilentError):
            TcpAdapter("127.0.0.1", listener.getsockname()[1], response_timeout_ms=TIMEOUT_MS)
        assert time.monotonic() - start < 2
