"""The bridge side of the DUT bridge protocol: serve one device over TCP.

:class:`BridgeSession` is the protocol logic, sans-I/O: a decoded message in, the messages to
send back out. :class:`BridgeServer` is the thin socket edge around it, one connection at a
time. Both serve any :class:`~conformance.adapters.base.DutAdapter`: ``hanota serve-device``
wraps the reference device (:class:`~conformance.adapters.reference.ReferenceAdapter`), and a
manufacturer with a Python driver for their radio can wrap that instead, and have a bridge.

The device outlives connections: a client that reconnects finds it as it was left (RESET is
the client's to ask for). A virtual-time device's clock moves only on ADVANCE.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable

from hanota.protocol import bridge as b
from hanota.protocol.errors import ProtocolError, SizeLimitError

from ..models.han import HanFrame
from .base import ControlNotSupportedError, DutAdapter

__all__ = ["MAX_ADVANCE_MS", "BridgeServer", "BridgeSession", "device_hello", "to_bridge", "to_han"]

#: Largest ADVANCE a session accepts in one control (ten days of virtual time).
MAX_ADVANCE_MS = 864_000_000


def to_bridge(frame: HanFrame) -> b.Frame:
    return b.Frame(frame.src, frame.dst, frame.src_endpoint, frame.dst_endpoint,
                   frame.profile_id, frame.cluster_id, frame.payload)


def to_han(frame: b.Frame) -> HanFrame:
    return HanFrame(frame.src, frame.dst, frame.src_endpoint, frame.dst_endpoint,
                    frame.profile_id, frame.cluster_id, frame.payload)


def device_hello(dut: DutAdapter, version: int) -> b.DeviceHello:
    ident = dut.identity
    caps = b.Capability(0)
    if ident.virtual_time:
        caps |= b.Capability.VIRTUAL_TIME
    if ident.can_reset:
        caps |= b.Capability.RESET
    if ident.can_power_cycle:
        caps |= b.Capability.POWER_CYCLE
    if ident.can_set_consumer and version >= 2:
        caps |= b.Capability.CONSUMER
    return b.DeviceHello(
        version=version, eui64=ident.eui64,
        kind=b.DeviceKind.IHD if ident.kind == "ihd" else b.DeviceKind.PPMID,
        manufacturer_code=ident.manufacturer_code, image_type=ident.image_type,
        file_version=ident.file_version, hardware_version=ident.hardware_version,
        paired_hub=b.NO_TIMER if ident.paired_hub is None else ident.paired_hub, capabilities=caps)


class BridgeSession:
    """One connection's protocol state: HELLO first, then frames and controls, in order.

    After each input the device's output is drained, so every frame the device sent in reaction
    to a message precedes the answer to any later CONTROL (the barrier clients rely on).
    ``closed`` becomes True after an ERROR is produced; the caller then closes the socket.
    """

    def __init__(self, dut: DutAdapter) -> None:
        self.dut = dut
        self.version: int | None = None
        self.closed = False

    def handle(self, msg: b.Message) -> list[b.Message]:
        if self.closed:
            return []
        if self.version is None:
            if not isinstance(msg, b.Hello):
                return self._error(b.ErrorCode.UNEXPECTED_MESSAGE,
                                   f"expected HELLO first, got {type(msg).__name__}")
            version = b.choose_version(msg)
            if version is None:
                return self._error(b.ErrorCode.UNSUPPORTED_VERSION,
                                   f"client offers {msg.version_min}..{msg.version_max}; this "
                                   f"bridge speaks {', '.join(map(str, b.SUPPORTED_VERSIONS))}")
            self.version = version
            return [device_hello(self.dut, version), *self.drain()]
        if isinstance(msg, b.Frame):
            try:
                self.dut.send(to_han(msg))
            except Exception as err:  # the device failed; tell the client why
                return self._error(b.ErrorCode.INTERNAL, f"device failed on a frame: {err}")
            return self.drain()
        if isinstance(msg, b.Control):
            if msg.op not in b.OPS_OF_VERSION[self.version]:
                return self._error(b.ErrorCode.MALFORMED, f"CONTROL op {int(msg.op)} is not defined "
                                   f"in protocol version {self.version}")
            reply = self._control(msg)
            return [*self.drain(), reply]
        if isinstance(msg, b.ErrorMessage):
            self.closed = True
            return []
        return self._error(b.ErrorCode.UNEXPECTED_MESSAGE,
                           f"{type(msg).__name__} is not a message a bridge takes")

    def drain(self) -> list[b.Message]:
        out: list[b.Message] = []
        while (frame := self.dut.receive(0)) is not None:
            out.append(to_bridge(frame))
        return out

    def _control(self, msg: b.Control) -> b.ControlReply:
        status, reason = b.ControlStatus.OK, ""
        try:
            if msg.op is b.ControlOp.ADVANCE:
                if not self.dut.identity.virtual_time:
                    raise ControlNotSupportedError("advance")
                if msg.argument > MAX_ADVANCE_MS:
                    status, reason = b.ControlStatus.ERROR, \
                        f"ADVANCE of {msg.argument} ms is over the {MAX_ADVANCE_MS} ms limit"
                else:
                    self.dut.advance(msg.argument)
            elif msg.op is b.ControlOp.RESET:
                self.dut.reset()
            elif msg.op is b.ControlOp.POWER_CYCLE:
                self.dut.power_cycle()
            elif msg.op is b.ControlOp.CONSUMER:
                if msg.argument not in (b.CONSUMER_ACCEPTS, b.CONSUMER_REFUSES):
                    status, reason = b.ControlStatus.ERROR, \
                        f"CONSUMER argument {msg.argument} is neither 0 (accepts) nor 1 (refuses)"
                else:
                    self.dut.set_consumer(msg.argument == b.CONSUMER_ACCEPTS)
        except ControlNotSupportedError as err:
            status, reason = b.ControlStatus.NOT_SUPPORTED, str(err)
        except Exception as err:  # answered as ERROR with the reason
            status, reason = b.ControlStatus.ERROR, f"{type(err).__name__}: {err}"
        due = self.dut.next_due_ms()
        return b.ControlReply(msg.request_id, msg.op, status, self.dut.now_ms(),
                              b.NO_TIMER if due is None else due, reason[:1000])

    def _error(self, code: b.ErrorCode, reason: str) -> list[b.Message]:
        self.closed = True
        return [b.ErrorMessage(code, reason[:1000])]


class BridgeServer:
    """Serves one device on a TCP listener, one connection at a time.

    The listener is bound in the constructor, so ``address`` is known at once (port 0 picks a
    free port). ``serve_forever`` returns after ``shutdown``; every wait in it is bounded.
    """

    def __init__(self, dut: DutAdapter, host: str = "127.0.0.1", port: int = 0, *,
                 hello_timeout_s: float = 10.0, send_timeout_s: float = 10.0,
                 poll_s: float = 0.05, log: Callable[[str], None] | None = None) -> None:
        self.dut = dut
        self.hello_timeout_s = hello_timeout_s
        self.send_timeout_s = send_timeout_s
        self.poll_s = poll_s
        self.log = log or (lambda _line: None)
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(poll_s * 4)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connections = 0
        #: The session class each connection gets (a subclass can record or alter traffic).
        self.session_class: type[BridgeSession] = BridgeSession

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"tcp://{host}:{port}"

    def serve_forever(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    conn, peer = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    if self._stop.is_set():
                        break
                    raise
                self.connections += 1
                self.log(f"connection from {peer[0]}:{peer[1]}")
                with conn:
                    self.handle_connection(conn)
                self.log("connection closed")
        finally:
            self._listener.close()

    def start(self) -> BridgeServer:
        """Serve in a daemon thread (tests, embedding); returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="dut-bridge", daemon=True)
        self._thread.start()
        return self

    def shutdown(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def __enter__(self) -> BridgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def handle_connection(self, conn: socket.socket) -> None:
        """Run one session until the peer closes, an ERROR is sent, or shutdown."""
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(self.send_timeout_s)  # bounds sendall to a client that stops reading
        session = self.session_class(self.dut)
        reader = b.MessageReader()
        waited = 0.0
        while not self._stop.is_set() and not session.closed:
            ready, _, _ = select.select([conn], [], [], self.poll_s)
            if not ready:
                waited += self.poll_s
                if session.version is None and waited >= self.hello_timeout_s:
                    self.log("no HELLO in time; closing")
                    return
                if session.version is not None and not self.dut.identity.virtual_time:
                    self._send(conn, session.drain())  # a real device speaks when it likes
                continue
            try:
                data = conn.recv(65_536)
            except OSError:
                return
            if not data:
                return
            out: list[b.Message] = []
            try:
                reader.feed(data)
                while not session.closed and (msg := reader.next_message()) is not None:
                    out += session.handle(msg)
            except ProtocolError as err:
                code = b.ErrorCode.TOO_LARGE if isinstance(err, SizeLimitError) else b.ErrorCode.MALFORMED
                out.append(b.ErrorMessage(code, str(err)[:1000]))
                session.closed = True
                self.log(f"client broke the protocol: {err}")
            if not self._send(conn, out):
                return

    def _send(self, conn: socket.socket, messages: list[b.Message]) -> bool:
        if not messages:
            return True
        try:
            conn.sendall(b"".join(b.encode_message(m) for m in messages))
        except OSError:
            return False
        return True
