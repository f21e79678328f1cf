"""The CONSUMER control (protocol version 2) and version-1 compatibility."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from hanota.conformance.adapters import (
    ControlNotSupportedError,
    DutProtocolError,
    ReferenceAdapter,
    ReferenceDeviceConfig,
    TcpAdapter,
)
from hanota.conformance.adapters.server import BridgeServer, BridgeSession
from hanota.protocol import bridge as b

PROMPTING = ReferenceDeviceConfig(options={"consumer_refusal": True})


class Version1Session(BridgeSession):
    """A bridge written against version 1 of the protocol."""

    def handle(self, msg: b.Message) -> list[b.Message]:
        if self.version is None and isinstance(msg, b.Hello):
            msg = b.Hello(msg.version_min, min(msg.version_max, 1))
        return super().handle(msg)


@pytest.fixture
def server() -> Iterator[BridgeServer]:
    with BridgeServer(ReferenceAdapter(PROMPTING), poll_s=0.01) as srv:
        yield srv


def test_consumer_control_sets_the_devices_prompt(server: BridgeServer) -> None:
    dut = TcpAdapter.from_url(server.url, response_timeout_ms=2_000)
    assert dut.identity.protocol_version == 2 and dut.identity.can_set_consumer
    served = server.dut
    assert isinstance(served, ReferenceAdapter)
    dut.set_consumer(False)
    dut.now_ms()  # a barrier: the control has been handled
    assert served.device.consumer_accepts is False
    dut.set_consumer(True)
    assert served.device.consumer_accepts is True
    dut.close()


def test_a_device_without_a_prompt_does_not_offer_the_control() -> None:
    with BridgeServer(ReferenceAdapter(), poll_s=0.01) as srv:
        dut = TcpAdapter.from_url(srv.url, response_timeout_ms=2_000)
        assert not dut.identity.can_set_consumer
        with pytest.raises(ControlNotSupportedError, match="consumer"):
            dut.set_consumer(False)
        dut.close()


def test_a_version_1_bridge_works_and_has_no_consumer_control() -> None:
    with BridgeServer(ReferenceAdapter(PROMPTING), poll_s=0.01) as srv:
        srv.session_class = Version1Session
        dut = TcpAdapter.from_url(srv.url, response_timeout_ms=2_000)
        assert dut.identity.protocol_version == 1 and not dut.identity.can_set_consumer
        with pytest.raises(ControlNotSupportedError):
            dut.set_consumer(False)
        dut.reset()  # the version-1 controls still work
        dut.close()


def test_consumer_op_in_a_version_1_session_is_malformed() -> None:
    session = BridgeSession(ReferenceAdapter(PROMPTING))
    assert isinstance(session.handle(b.Hello(1, 1))[0], b.DeviceHello)
    (reply,) = session.handle(b.Control(1, b.ControlOp.CONSUMER, 1))
    assert isinstance(reply, b.ErrorMessage) and reply.code is b.ErrorCode.MALFORMED
    assert session.closed


def test_consumer_argument_other_than_0_or_1_is_an_error_reply() -> None:
    session = BridgeSession(ReferenceAdapter(PROMPTING))
    hello = session.handle(b.Hello())[0]
    assert isinstance(hello, b.DeviceHello) and hello.capabilities & b.Capability.CONSUMER
    (reply,) = session.handle(b.Control(1, b.ControlOp.CONSUMER, 7))
    assert isinstance(reply, b.ControlReply) and reply.status is b.ControlStatus.ERROR


def test_a_version_1_hello_with_the_consumer_bit_is_refused() -> None:
    hello = b.DeviceHello(1, 0x11, b.DeviceKind.PPMID, 1, 1, 1, 1, 0x10,
                          b.Capability.VIRTUAL_TIME | b.Capability.CONSUMER)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(64)
                conn.sendall(b.encode_message(hello))
                conn.recv(4096)  # the suite's ERROR, then it hangs up

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        with pytest.raises(DutProtocolError) as err:
            TcpAdapter("127.0.0.1", listener.getsockname()[1], response_timeout_ms=2_000)
        assert err.value.field == "device_hello.capabilities"
        thread.join(5)
