"""The bridge codec: hand-built bytes, roundtrips, hostile input (only ProtocolError escapes)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanota.protocol import bridge as b
from hanota.protocol import decode
from hanota.protocol.errors import DecodeError, ProtocolError, SizeLimitError

EUI_DEV = 0x0011_2233_4455_6601
EUI_HUB = 0x0011_2233_4455_6600

# (message, envelope hex) built by hand from docs/dut-bridge.md
TABLE = [
    (b.Hello(), "00000007" "01" "484f5441" "01" "02"),
    (b.DeviceHello(1, EUI_DEV, b.DeviceKind.PPMID, 0x1234, 0x0101, 0x100, 1, EUI_HUB,
                   b.Capability.VIRTUAL_TIME | b.Capability.RESET | b.Capability.POWER_CYCLE),
     "00000025" "02" "484f5441" "01" "0011223344556601" "02" "1234" "0101" "00000100" "0001"
     "0011223344556600" "00000007"),
    (b.Frame(EUI_HUB, EUI_DEV, 1, 1, 0x0109, 0x0019, bytes.fromhex("1901")),
     "0000001b" "03" "0011223344556600" "0011223344556601" "01" "01" "0109" "0019" "0002" "1901"),
    (b.Control(7, b.ControlOp.ADVANCE, 1000), "0000000c" "10" "0007" "02" "00000000000003e8"),
    (b.ControlReply(7, b.ControlOp.ADVANCE, b.ControlStatus.OK, 1000, b.NO_TIMER),
     "00000017" "11" "0007" "02" "00" "00000000000003e8" "ffffffffffffffff" "0000"),
    (b.ControlReply(8, b.ControlOp.RESET, b.ControlStatus.NOT_SUPPORTED, 5, b.NO_TIMER, "no"),
     "00000019" "11" "0008" "03" "01" "0000000000000005" "ffffffffffffffff" "0002" "6e6f"),
    (b.ErrorMessage(b.ErrorCode.UNSUPPORTED_VERSION, "v"), "00000005" "7f" "02" "0001" "76"),
    (b.Hello(1, 1), "00000007" "01" "484f5441" "01" "01"),
    # version 2: CONSUMER (op 5, argument 1 = refuses) and its capability bit 3
    (b.Control(9, b.ControlOp.CONSUMER, b.CONSUMER_REFUSES), "0000000c" "10" "0009" "05" "0000000000000001"),
    (b.DeviceHello(2, EUI_DEV, b.DeviceKind.IHD, 0x1234, 0x0101, 0x100, 1, EUI_HUB,
                   b.Capability.RESET | b.Capability.CONSUMER),
     "00000025" "02" "484f5441" "02" "0011223344556601" "01" "1234" "0101" "00000100" "0001"
     "0011223344556600" "0000000a"),
]


@pytest.mark.parametrize(("msg", "hexed"), TABLE, ids=[type(m).__name__ for m, _ in TABLE])
def test_roundtrip_table(msg: b.Message, hexed: str) -> None:
    data = bytes.fromhex(hexed)
    assert b.encode_message(msg) == data
    assert b.decode_envelope(data) == msg
    reader = b.MessageReader()
    for i in range(len(data)):  # one byte at a time: any chunking works
        reader.feed(data[i:i + 1])
    assert reader.next_message() == msg and reader.next_message() is None


def test_frame_fast_path_agrees_with_the_declaration() -> None:
    msg = b.Frame(1, 2, 3, 4, 5, 6, b"\x01\x02\x03")
    data = b.encode_message(msg)
    assert b.FRAME_FORMAT.build(msg) == data[5:]
    assert decode(b.FRAME_FORMAT, data[5:]) == msg


def test_oversized_envelope_is_refused_before_its_body_arrives() -> None:
    reader = b.MessageReader()
    reader.feed(b"\x00\x00\x00\x07" + bytes.fromhex("01484f54410101"))
    assert isinstance(reader.next_message(), b.Hello)
    with pytest.raises(SizeLimitError) as err:
        reader.feed(struct.pack(">I", b.MAX_ENVELOPE + 1))  # only the length: no body sent
    assert err.value.field == "envelope.length" and err.value.offset == 11


def test_zero_length_envelope() -> None:
    with pytest.raises(DecodeError) as err:
        b.decode_envelope(b"\x00\x00\x00\x00")
    assert err.value.field == "envelope.length"


def test_unknown_type_names_field_and_offset() -> None:
    with pytest.raises(DecodeError) as err:
        b.decode_envelope(b"\x00\x00\x00\x01\x42")
    assert err.value.field == "envelope.type" and err.value.offset == 4


def test_truncated_frame_names_the_field() -> None:
    data = b.encode_message(b.Frame(1, 2, 3, 4, 5, 6, b"abc"))
    body = data[4:-1]  # one ZCL byte missing, length prefix adjusted
    with pytest.raises(DecodeError) as err:
        b.decode_envelope(struct.pack(">I", len(body)) + body)
    assert "payload" in err.value.field and err.value.offset is not None


@pytest.mark.parametrize(("index", "value", "field", "offset"), [
    (5, 0x00, "magic", 5), (18, 0x03, "kind", 18), (40, 0x1F, "capabilities", 37)])
def test_bad_magic_kind_and_reserved_capability_bits(index: int, value: int, field: str,
                                                     offset: int) -> None:
    bad = bytearray(b.encode_message(TABLE[1][0]))
    bad[index] = value
    with pytest.raises(DecodeError) as err:
        b.decode_envelope(bytes(bad))
    assert field in err.value.field and err.value.offset == offset, err.value


def test_trailing_bytes_in_an_envelope() -> None:
    data = b.encode_message(b.Control(1, b.ControlOp.TIME))
    body = data[4:] + b"\x00"
    with pytest.raises(DecodeError) as err:
        b.decode_envelope(struct.pack(">I", len(body)) + body)
    assert err.value.offset == len(data)


def test_choose_version() -> None:
    assert b.choose_version(b.Hello(1, 1)) == 1
    assert b.choose_version(b.Hello(1, 9)) == 2
    assert b.choose_version(b.Hello(2, 3)) == 2
    assert b.choose_version(b.Hello(3, 4)) is None
    assert b.choose_version(b.Hello(1, 2), supported=(1,)) == 1


# ------------------------------------------------------------------ properties
u8, u16 = st.integers(0, 0xFF), st.integers(0, 0xFFFF)
u32, u64 = st.integers(0, 0xFFFF_FFFF), st.integers(0, 2**64 - 1)
text = st.text(max_size=40)
messages = st.one_of(
    st.builds(b.Hello, u8, u8),
    st.builds(b.DeviceHello, u8, u64, st.sampled_from(b.DeviceKind), u16, u16, u32, u16, u64,
              st.integers(0, 7).map(b.Capability)),
    st.builds(b.Frame, u64, u64, u8, u8, u16, u16, st.binary(max_size=300)),
    st.builds(b.Control, u16, st.sampled_from(b.ControlOp), u64),
    st.builds(b.ControlReply, u16, st.sampled_from(b.ControlOp), st.sampled_from(b.ControlStatus),
              u64, u64, text),
    st.builds(b.ErrorMessage, st.sampled_from(b.ErrorCode), text),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(messages, min_size=1, max_size=5), st.integers(1, 64))
def test_any_sequence_roundtrips_through_the_reader_in_any_chunking(msgs: list[b.Message],
                                                                     chunk: int) -> None:
    stream = b"".join(b.encode_message(m) for m in msgs)
    reader = b.MessageReader()
    out = []
    for i in range(0, len(stream), chunk):
        reader.feed(stream[i:i + chunk])
        while (m := reader.next_message()) is not None:
            out.append(m)
    assert out == msgs and reader.buffered() == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_protocol_errors(data: bytes) -> None:
    try:
        b.decode_envelope(data)
    except ProtocolError as err:
        assert err.field and err.offset is not None
    reader = b.MessageReader()
    try:
        reader.feed(data)
        while reader.next_message() is not None:
            pass
    except ProtocolError as err:
        assert err.field and err.offset is not None


@settings(max_examples=150, deadline=None)
@given(messages, st.data())
def test_truncations_and_mutations_raise_only_protocol_errors(msg: b.Message, data: st.DataObject) -> None:
    raw = bytearray(b.encode_message(msg))
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(ProtocolError):
        b.decode_envelope(bytes(raw[:cut]))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    try:
        b.decode_envelope(bytes(raw))
    except ProtocolError as err:
        assert err.offset is not None


@settings(max_examples=100, deadline=None)
@given(st.integers(b.MAX_ENVELOPE + 1, 2**32 - 1))
def test_any_oversized_length_is_refused_from_four_bytes(length: int) -> None:
    with pytest.raises(SizeLimitError):
        b.MessageReader().feed(struct.pack(">I", length))


_U16, _U64 = st.integers(0, 0xFFFF), st.integers(0, b.NO_TIMER)
controls = st.builds(b.Control, _U16, st.sampled_from(list(b.ControlOp)), _U64)
replies = st.builds(b.ControlReply, _U16, st.sampled_from(list(b.ControlOp)),
                    st.sampled_from(list(b.ControlStatus)), _U64, _U64, st.just(""))


@given(st.one_of(controls, replies))
def test_control_fast_paths_agree_with_the_declaration(msg: b.Control | b.ControlReply) -> None:
    fmt = b.CONTROL_FORMAT if isinstance(msg, b.Control) else b.CONTROL_REPLY_FORMAT
    data = b.encode_message(msg)
    assert data[5:] == fmt.build(msg)
    assert b.decode_envelope(data) == decode(fmt, data[5:]) == msg


@given(st.sampled_from([(b.MessageType.CONTROL, 11), (b.MessageType.CONTROL_REPLY, 22)]), st.data())
def test_control_fast_decode_accepts_exactly_what_the_declaration_accepts(kind, data) -> None:
    mtype, size = kind
    body = data.draw(st.binary(min_size=size, max_size=size))
    envelope = struct.pack(">I", size + 1) + bytes([mtype]) + body
    fmt = b.CONTROL_FORMAT if mtype is b.MessageType.CONTROL else b.CONTROL_REPLY_FORMAT
    try:
        declared = decode(fmt, body)
    except ProtocolError:
        with pytest.raises(ProtocolError):
            b.decode_envelope(envelope)
    else:
        assert b.decode_envelope(envelope) == declared
