"""The TCP adapter against the bridge server over real loopback sockets: a whole block download
gives the same HAN log, frame for frame, as the in-process reference device."""

from __future__ import annotations

import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from hanota.conformance.adapters import (
    ControlNotSupportedError,
    DutDisconnectedError,
    ReferenceAdapter,
    ReferenceDeviceConfig,
    TcpAdapter,
    open_dut,
    parse_tcp_url,
)
from hanota.conformance.adapters.base import DutIdentity
from hanota.conformance.adapters.server import BridgeServer, BridgeSession
from hanota.conformance.cli import main as cli_main
from hanota.conformance.models.han import HanFrame
from hanota.protocol import bridge as b
from hanota.protocol.errors import HarnessUsageError

from . import CONFIG, download, make_image

ROOT = Path(__file__).resolve().parents[2]
IMAGE = make_image(1_000)


@pytest.fixture(scope="module")
def in_process_log() -> bytes:
    dut = ReferenceAdapter()
    network, _hub = download(dut, IMAGE)
    assert dut.device.activations and dut.device.firmware_version == CONFIG.file_version + 1
    return network.log_bytes()


@pytest.fixture
def server() -> Iterator[BridgeServer]:
    with BridgeServer(ReferenceAdapter(), poll_s=0.01) as srv:
        yield srv


def test_download_over_tcp_equals_in_process_frame_for_frame(server: BridgeServer,
                                                             in_process_log: bytes) -> None:
    dut = TcpAdapter.from_url(server.url, response_timeout_ms=2_000)
    ident = dut.identity
    assert (ident.eui64, ident.kind, ident.virtual_time, ident.protocol_version) == \
        (CONFIG.eui64, "ppmid", True, 2)
    network, hub = download(dut, IMAGE)
    assert network.log_bytes() == in_process_log
    assert hub.violations == [] and network.dropped == []
    served = server.dut
    assert isinstance(served, ReferenceAdapter) and served.device.firmware_version == CONFIG.file_version + 1
    dut.reconnect()  # a new handshake reports the new running version
    assert dut.identity.file_version == CONFIG.file_version + 1
    dut.close()


def test_serve_device_subprocess_on_port_0(in_process_log: bytes) -> None:
    proc = subprocess.Popen(
        # Block requests only, as the in-process adapter's default (serve-device asks by pages
        # first by default, and falls back to blocks when the hub does not serve them).
        [sys.executable, "-m", "hanota", "serve-device", "--listen", "127.0.0.1:0", "--kind", "ppmid",
         "--no-page-requests"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "serve-device printed no address"
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on tcp://127.0.0.1:")
        url = line.removeprefix("listening on ")
        assert parse_tcp_url(url)[1] != 0
        dut = TcpAdapter.from_url(url, response_timeout_ms=5_000)
        network, _hub = download(dut, IMAGE)
        assert network.log_bytes() == in_process_log
        dut.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0


def test_reset_and_power_cycle_over_tcp(server: BridgeServer) -> None:
    dut = TcpAdapter.from_url(server.url, response_timeout_ms=2_000)
    download(dut, IMAGE)
    dut.power_cycle()  # the running firmware survives a power cycle
    assert dut.identity.file_version == CONFIG.file_version  # identity is the handshake's
    dut.reconnect()
    assert dut.identity.file_version == CONFIG.file_version + 1
    dut.reset()  # factory state
    dut.reconnect()
    assert dut.identity.file_version == CONFIG.file_version
    dut.close()


def test_virtual_receive_advances_only_to_the_bound(server: BridgeServer) -> None:
    dut = TcpAdapter.from_url(server.url, response_timeout_ms=2_000)
    ref = ReferenceAdapter()
    for adapter in (dut, ref):
        start = adapter.now_ms()
        assert adapter.receive(1_234) is None  # an idle device sends nothing
        assert adapter.now_ms() == start + 1_234
        adapter.advance(66)
        assert adapter.now_ms() == start + 1_300 and adapter.next_due_ms() is None
    dut.close()


def test_controls_a_device_lacks_raise_control_not_supported() -> None:
    class NoControls(ReferenceAdapter):
        @property
        def identity(self) -> DutIdentity:
            base = super().identity
            return DutIdentity(**{**base.__dict__, "can_reset": False, "can_power_cycle": False})

        def reset(self) -> None:
            raise ControlNotSupportedError("reset")

    with BridgeServer(NoControls(), poll_s=0.01) as srv:
        dut = TcpAdapter.from_url(srv.url, response_timeout_ms=2_000)
        with pytest.raises(ControlNotSupportedError):
            dut.reset()
        with pytest.raises(ControlNotSupportedError):
            dut.power_cycle()
        dut.close()


class WallClockDevice(ReferenceAdapter):
    """The reference device pretending to be real hardware: its clock follows the wall clock."""

    def __init__(self) -> None:
        super().__init__(ReferenceDeviceConfig(options={"max_query_delay_ms": 0}))
        self._t0 = time.monotonic()

    @property
    def identity(self) -> DutIdentity:
        return DutIdentity(**{**super().identity.__dict__, "virtual_time": False})

    def receive(self, timeout_ms: int) -> HanFrame | None:
        self.clock.advance_to(max(self.clock.now_ms, int((time.monotonic() - self._t0) * 1000)))
        return super().receive(0)


def test_a_wall_time_device_downloads_through_the_same_link() -> None:
    with BridgeServer(WallClockDevice(), poll_s=0.005) as srv:
        dut = TcpAdapter.from_url(srv.url, response_timeout_ms=2_000)
        assert not dut.identity.virtual_time and dut.next_due_ms() is None
        _network, hub = download(dut, make_image(300), quiet_ms=300, max_virtual_ms=60_000,
                                 activation_delay_ms=0, readback_delay_ms=0)
        assert hub.violations == []
        assert isinstance(srv.dut, WallClockDevice)
        assert srv.dut.device.firmware_version == CONFIG.file_version + 1
        dut.close()


def test_hello_with_no_common_version_is_refused(server: BridgeServer) -> None:
    host, port = server.address
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.sendall(b.encode_message(b.Hello(3, 5)))
        reader = b.MessageReader()
        while (msg := reader.next_message()) is None:
            reader.feed(sock.recv(4096))
        assert isinstance(msg, b.ErrorMessage) and msg.code is b.ErrorCode.UNSUPPORTED_VERSION
        assert sock.recv(4096) == b""  # and the bridge hangs up


def test_a_frame_before_hello_is_refused(server: BridgeServer) -> None:
    with socket.create_connection(server.address, timeout=2) as sock:
        sock.sendall(b.encode_message(b.Frame(1, 2, 1, 1, 0x109, 0x19, b"\x01\x00\x00")))
        reader = b.MessageReader()
        while (msg := reader.next_message()) is None:
            reader.feed(sock.recv(4096))
        assert isinstance(msg, b.ErrorMessage) and msg.code is b.ErrorCode.UNEXPECTED_MESSAGE


def test_nothing_listening_is_disconnected_promptly() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(DutDisconnectedError):
        TcpAdapter("127.0.0.1", port, response_timeout_ms=500)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("url", ["tcp://host", "http://h:1", "tcp://:5", "tcp://h:99999", "h:1"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(HarnessUsageError):
        parse_tcp_url(url)


def test_open_dut() -> None:
    assert isinstance(open_dut("reference"), ReferenceAdapter)
    with pytest.raises(HarnessUsageError):
        open_dut("serial:/dev/ttyUSB0")


@pytest.mark.parametrize("argv", [
    ["--listen", "127.0.0.1:0", "--kind", "ppmid", "--fault", "no-such-fault"],
    ["--listen", "127.0.0.1:0", "--kind", "ihd", "--max-data-size", "0"],
    ["--listen", "127.0.0.1:0", "--kind", "ihd", "--public-key", "/nonexistent.pem"],
])
def test_serve_device_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve-device", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hanota serve-device: ") and err.count("\n") == 1


# ------------------------------------------------------------ docs/dut-bridge.md worked example
DOC = ROOT / "docs" / "dut-bridge.md"
START, END = "<!-- worked-example:start -->", "<!-- worked-example:end -->"


class RecordingSession(BridgeSession):
    """Records every message the bridge takes and sends, in the order it handles them."""

    log: ClassVar[list[tuple[str, b.Message]]] = []

    def handle(self, msg: b.Message) -> list[b.Message]:
        out = super().handle(msg)
        RecordingSession.log += [("C>B", msg)] + [("B>C", m) for m in out]
        return out


def _describe(msg: b.Message) -> str:
    if isinstance(msg, b.Frame):
        from hanota.protocol.ota_commands import decode_command

        return f"FRAME {type(decode_command(msg.payload)[1]).__name__}"
    if isinstance(msg, b.Control):
        return f"CONTROL {msg.op.name} {msg.argument}" if msg.op is b.ControlOp.ADVANCE \
            else f"CONTROL {msg.op.name}"
    if isinstance(msg, b.ControlReply):
        due = "none" if msg.next_due_ms == b.NO_TIMER else str(msg.next_due_ms)
        return f"CONTROL_REPLY {msg.status.name} now={msg.now_ms} next_due={due}"
    return type(msg).__name__.upper().replace("DEVICEHELLO", "DEVICE_HELLO")


def worked_example() -> str:
    """The whole exchange of a small block download, one envelope per line, from the codec."""
    RecordingSession.log = []
    with BridgeServer(ReferenceAdapter(), poll_s=0.01) as srv:
        srv.session_class = RecordingSession
        dut = TcpAdapter.from_url(srv.url, response_timeout_ms=2_000)
        download(dut, make_image(8), readback_delay_ms=1_000)
        dut.close()
    lines = []
    for n, (way, msg) in enumerate(RecordingSession.log, 1):
        lines.append(f"{n:02d} {way} {_describe(msg)}")
        lines.append(f"   {b.encode_message(msg).hex()}")
    return "```\n" + "\n".join(lines) + "\n```"


def test_the_worked_example_in_the_docs_is_what_the_codec_produces() -> None:
    """Regenerate with HANOTA_UPDATE_DOCS=1 pytest tests/bridge/test_tcp_adapter.py -k worked."""
    import os

    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    fresh = worked_example()
    if os.environ.get("HANOTA_UPDATE_DOCS"):
        DOC.write_text(f"{head}{START}\n{fresh}\n{END}{tail}", encoding="utf-8")
    assert f"{START}\n{fresh}\n{END}" in DOC.read_text(encoding="utf-8")
