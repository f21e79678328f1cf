"""The TCP DUT adapter: the suite's end of the DUT bridge protocol (``docs/dut-bridge.md``).

``TcpAdapter.from_url("tcp://HOST:PORT", response_timeout_ms=...)`` connects, sends HELLO and
reads the device's identity from DEVICE_HELLO. Every wait is bounded by the response timeout
(the PICS ``timing.response_timeout_ms``): no answer is :class:`DutSilentError`; bytes that
break the protocol are :class:`DutProtocolError` (the adapter sends ERROR and hangs up); a
dropped connection is :class:`DutDisconnectedError`. After either of the last two the next call
reconnects (a new handshake), so the next scenario starts on a fresh connection.

With a virtual-time device (capability VIRTUAL_TIME), frames to the device are batched and sent
together with the next CONTROL; the CONTROL's reply comes after every frame the device sent in
reaction, which makes ``receive(0)`` exact and a TCP run identical, frame for frame, to an
in-process one. With a real device, frames go out at once and time is wall time.
"""

from __future__ import annotations

import select
import socket
import time
from collections import deque
from typing import NoReturn, TypeVar
from urllib.parse import urlsplit

from hanota.protocol import bridge as b
from hanota.protocol.errors import HarnessUsageError, ProtocolError

from ..models.han import HanFrame
from .base import (
    ControlNotSupportedError,
    DutDisconnectedError,
    DutIdentity,
    DutProtocolError,
    DutSilentError,
)
from .server import to_bridge, to_han

__all__ = ["MAX_PENDING_FRAMES", "TcpAdapter", "parse_dut_specs", "parse_tcp_url"]

#: Frames the bridge may send that the suite has not taken yet; more is a flood (a fail).
MAX_PENDING_FRAMES = 4_096

_M = TypeVar("_M", b.DeviceHello, b.ControlReply)


def parse_tcp_url(url: str) -> tuple[str, int]:
    """``tcp://HOST:PORT`` (IPv6 hosts in brackets) -> (host, port); HarnessUsageError if not."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "tcp" or not parts.hostname or port is None or parts.path not in ("", "/"):
        raise HarnessUsageError(f"expected tcp://HOST:PORT, got {url!r}")
    return parts.hostname, port


def parse_dut_specs(text: str) -> list[str]:
    """``--dut``: ``reference`` or one or more ``tcp://HOST:PORT`` separated by commas (one device
    per pytest-xdist worker); HarnessUsageError naming the bad part."""
    parts = [p.strip() for p in text.split(",")]
    if parts == ["reference"]:
        return parts
    for part in parts:
        if part == "reference":
            raise HarnessUsageError("'reference' cannot be combined with tcp:// devices")
        parse_tcp_url(part)
    if len(set(parts)) != len(parts):
        raise HarnessUsageError(f"--dut names a device twice: {text!r}")
    return parts


def _identity(hello: b.DeviceHello, offset: int) -> DutIdentity:
    caps = hello.capabilities
    undefined = caps & ~b.CAPABILITIES_OF_VERSION.get(hello.version, b.Capability(0))
    if hello.version not in b.SUPPORTED_VERSIONS or undefined:
        raise DutProtocolError(f"DEVICE_HELLO version {hello.version} with capabilities "
                               f"0x{int(caps):08x}: not a version offered, or bits it does not define",
                               field="device_hello.capabilities", offset=offset + 5 + 32)
    return DutIdentity(
        eui64=hello.eui64, kind="ihd" if hello.kind is b.DeviceKind.IHD else "ppmid",
        manufacturer_code=hello.manufacturer_code, image_type=hello.image_type,
        file_version=hello.file_version, hardware_version=hello.hardware_version,
        paired_hub=None if hello.paired_hub == b.NO_TIMER else hello.paired_hub,
        virtual_time=bool(caps & b.Capability.VIRTUAL_TIME),
        can_reset=bool(caps & b.Capability.RESET),
        can_power_cycle=bool(caps & b.Capability.POWER_CYCLE),
        protocol_version=hello.version,
        can_set_consumer=bool(caps & b.Capability.CONSUMER))


class TcpAdapter:
    """A device behind a DUT bridge (a :class:`~conformance.adapters.base.DutAdapter`)."""

    def __init__(self, host: str, port: int, *, response_timeout_ms: int = 5_000,
                 connect_timeout_ms: int | None = None, connect: bool = True) -> None:
        if response_timeout_ms <= 0:
            raise HarnessUsageError("response_timeout_ms must be positive")
        self.host, self.port = host, port
        self.response_timeout_ms = response_timeout_ms
        self.connect_timeout_ms = connect_timeout_ms or response_timeout_ms
        self._sock: socket.socket | None = None
        self._reader = b.MessageReader()
        self._inbox: deque[HanFrame] = deque()
        self._outbox: list[bytes] = []
        self._identity: DutIdentity | None = None
        self._request_id = 0
        self._dirty = True  # something was sent since the last CONTROL reply
        self._now_ms = 0
        self._next_due: int | None = None
        self._wall0 = time.monotonic()
        self._msg_offset = 0  # stream offset of the last envelope read (for error messages)
        self.reconnects = 0
        if connect:
            self.connect()

    @classmethod
    def from_url(cls, url: str, **kwargs: int) -> TcpAdapter:
        host, port = parse_tcp_url(url)
        return cls(host, port, **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ connection
    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self) -> None:
        """Open the connection and do the handshake (closing any previous connection)."""
        self._drop()
        try:
            sock = socket.create_connection((self.host, self.port),
                                            timeout=self.connect_timeout_ms / 1000)
        except OSError as err:
            raise DutDisconnectedError(
                f"cannot connect to the bridge at {self.host}:{self.port}: {err}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.response_timeout_ms / 1000)  # bounds sendall too
        self._sock = sock
        self._reader = b.MessageReader()
        self._write(b.encode_message(b.Hello()))
        hello = self._wait_for(b.DeviceHello, "DEVICE_HELLO")
        try:
            self._identity = _identity(hello, self._msg_offset)
        except DutProtocolError as err:
            self._violation(err)
        self._wall0 = time.monotonic()
        self._dirty = True

    def ensure_connected(self) -> None:
        """Reconnect if the last connection dropped (the start of the next scenario)."""
        if self._sock is None:
            self.reconnects += 1
            self.connect()

    reconnect = connect

    def close(self) -> None:
        sock = self._sock
        if sock is not None:
            try:
                self._flush()
            except (DutSilentError, DutDisconnectedError):
                pass
        self._drop()

    def _drop(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
        self._outbox.clear()
        self._inbox.clear()

    # ------------------------------------------------------------------ DutAdapter
    @property
    def identity(self) -> DutIdentity:
        if self._identity is None:
            self.ensure_connected()
        assert self._identity is not None
        return self._identity

    def send(self, frame: HanFrame) -> None:
        self.ensure_connected()
        self._outbox.append(b.encode_message(to_bridge(frame)))
        self._dirty = True
        if not self.identity.virtual_time:
            self._flush()

    def receive(self, timeout_ms: int) -> HanFrame | None:
        self.ensure_connected()
        if self._inbox:
            return self._inbox.popleft()
        if not self.identity.virtual_time:
            self._flush()
            self._pump(max(0, timeout_ms) / 1000)
            return self._inbox.popleft() if self._inbox else None
        if self._dirty:
            self._control(b.ControlOp.TIME)
            if self._inbox:
                return self._inbox.popleft()
        if timeout_ms <= 0:
            return None
        deadline = self._now_ms + timeout_ms
        while True:
            due = self._next_due
            target = deadline if due is None or due > deadline else max(due, self._now_ms)
            self._control(b.ControlOp.ADVANCE, target - self._now_ms)
            if self._inbox:
                return self._inbox.popleft()
            if target >= deadline:
                return None

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise HarnessUsageError("time does not go backwards")
        self.ensure_connected()
        if self.identity.virtual_time:
            self._control(b.ControlOp.ADVANCE, ms)
            return
        self._flush()
        end = time.monotonic() + ms / 1000
        while (left := end - time.monotonic()) > 0:
            self._pump(left)

    def now_ms(self) -> int:
        self.ensure_connected()
        if not self.identity.virtual_time:
            return int((time.monotonic() - self._wall0) * 1000)
        if self._dirty:
            self._control(b.ControlOp.TIME)
        return self._now_ms

    def next_due_ms(self) -> int | None:
        self.ensure_connected()
        if not self.identity.virtual_time:
            return None
        if self._dirty:
            self._control(b.ControlOp.TIME)
        return self._next_due

    def reset(self) -> None:
        self._optional(b.ControlOp.RESET, self.identity.can_reset, "reset")

    def power_cycle(self) -> None:
        # What the device sends as it starts again (a Query Device Specific File Request) is
        # sent before the reply: kept, unlike a reset's history.
        self._optional(b.ControlOp.POWER_CYCLE, self.identity.can_power_cycle, "power-cycle",
                       keep_inbox=True)

    def set_consumer(self, accepts: bool) -> None:
        self._optional(b.ControlOp.CONSUMER, self.identity.can_set_consumer, "consumer",
                       b.CONSUMER_ACCEPTS if accepts else b.CONSUMER_REFUSES, keep_inbox=True)

    # ------------------------------------------------------------------ internals
    def _optional(self, op: b.ControlOp, offered: bool, name: str, argument: int = 0, *,
                  keep_inbox: bool = False) -> None:
        self.ensure_connected()
        if not offered:
            raise ControlNotSupportedError(name)
        reply = self._control(op, argument)
        if reply.status is b.ControlStatus.NOT_SUPPORTED:
            raise ControlNotSupportedError(name)
        if not keep_inbox:
            self._inbox.clear()  # frames from before the reset are history

    def _control(self, op: b.ControlOp, argument: int = 0) -> b.ControlReply:
        self._request_id = (self._request_id + 1) & 0xFFFF
        rid = self._request_id
        self._outbox.append(b.encode_message(b.Control(rid, op, argument)))
        self._flush()
        reply = self._wait_for(b.ControlReply, f"reply to CONTROL {op.name}")
        if reply.request_id != rid or reply.op is not op:
            self._violation(DutProtocolError(
                f"CONTROL_REPLY for request {reply.request_id} ({reply.op.name}), expected "
                f"{rid} ({op.name})", field="control_reply.request_id", offset=self._msg_offset + 5))
        if reply.status is b.ControlStatus.ERROR:
            raise DutProtocolError(f"the bridge refused CONTROL {op.name}: {reply.reason}",
                                   field="control_reply.status")
        if reply.status is b.ControlStatus.OK:
            self._now_ms = reply.now_ms
            self._next_due = None if reply.next_due_ms == b.NO_TIMER else reply.next_due_ms
            self._dirty = False
        return reply

    def _flush(self) -> None:
        if self._outbox:
            data = b"".join(self._outbox)
            self._outbox.clear()
            self._write(data)

    def _write(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise DutDisconnectedError("not connected to the bridge")
        try:
            sock.sendall(data)
        except TimeoutError:
            self._drop()
            raise DutSilentError(f"the bridge took no data for {self.response_timeout_ms} ms") from None
        except OSError as err:
            self._drop()
            raise DutDisconnectedError(f"connection to the bridge lost while sending: {err}") from None

    def _wait_for(self, kind: type[_M], what: str) -> _M:
        """Read until a message of ``kind`` arrives (frames on the way go to the inbox)."""
        deadline = time.monotonic() + self.response_timeout_ms / 1000
        while True:
            msg = self._next_message()
            if msg is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._drop()  # a late reply would desynchronise the stream
                    raise DutSilentError(f"no {what} within {self.response_timeout_ms} ms")
                self._read(left)
                continue
            if isinstance(msg, kind):
                return msg
            self._violation(DutProtocolError(
                f"{type(msg).__name__} while waiting for {what}", field="envelope.type",
                offset=self._msg_offset + 4))

    def _next_message(self) -> b.Message | None:
        """The next non-FRAME message, queueing frames; None when the buffer has no more."""
        while True:
            self._msg_offset = self._reader.stream_offset
            try:
                msg = self._reader.next_message()
            except ProtocolError as err:
                self._protocol_error(err)
            if msg is None:
                return None
            if isinstance(msg, b.Frame):
                if len(self._inbox) >= MAX_PENDING_FRAMES:
                    self._violation(DutProtocolError(
                        f"the bridge sent more than {MAX_PENDING_FRAMES} frames the suite had not "
                        "asked for (a flood)", field="envelope", offset=self._msg_offset))
                self._inbox.append(to_han(msg))
                continue
            if isinstance(msg, b.ErrorMessage):
                self._drop()
                raise DutDisconnectedError(f"the bridge closed the connection with ERROR "
                                           f"{msg.code.name}: {msg.reason}")
            return msg

    def _pump(self, timeout_s: float) -> None:
        """Read what arrives within ``timeout_s`` (real devices); frames go to the inbox."""
        end = time.monotonic() + timeout_s
        while not self._inbox:
            msg = self._next_message()
            if msg is not None:
                self._violation(DutProtocolError(f"unexpected {type(msg).__name__}",
                                                 field="envelope.type", offset=self._msg_offset + 4))
            if self._inbox:  # the bytes just read held a frame: do not wait for more
                return
            left = end - time.monotonic()
            if left <= 0:
                return
            self._read(left)

    def _read(self, timeout_s: float) -> None:
        sock = self._sock
        if sock is None:
            raise DutDisconnectedError("not connected to the bridge")
        try:
            ready, _, _ = select.select([sock], [], [], max(0.0, timeout_s))
            if not ready:
                return
            data = sock.recv(65_536)
        except OSError as err:
            self._drop()
            raise DutDisconnectedError(f"connection to the bridge lost: {err}") from None
        if not data:
            self._drop()
            raise DutDisconnectedError("the bridge closed the connection")
        try:
            self._reader.feed(data)
        except ProtocolError as err:
            self._protocol_error(err)

    def _protocol_error(self, err: ProtocolError) -> NoReturn:
        self._violation(DutProtocolError(f"bridge sent bytes that break the protocol: {err.message}",
                                         field=err.field, offset=err.offset))

    def _violation(self, err: DutProtocolError) -> NoReturn:
        """Tell the bridge (best effort), hang up, raise: the stream cannot be trusted now."""
        sock = self._sock
        if sock is not None:
            try:
                sock.sendall(b.encode_message(b.ErrorMessage(b.ErrorCode.MALFORMED, err.message[:1000])))
            except OSError:
                pass
        self._drop()
        raise err
