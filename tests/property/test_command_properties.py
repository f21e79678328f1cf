"""Hypothesis properties of every ZCL/OTA command: build→parse gives the same values, valid bytes
rebuild to the same bytes, hostile bytes raise only the project's errors, and the Image Block
Response and Image Block Request fast paths decide exactly as the interpreted parse and build."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.ota_commands import (
    MAX_IMAGE_DATA,
    DefaultResponse,
    ImageBlockRequest,
    ImageBlockResponse,
    ImageNotify,
    ImagePageRequest,
    QueryDeviceSpecificFileRequest,
    QueryDeviceSpecificFileResponse,
    QueryNextImageRequest,
    QueryNextImageResponse,
    ReadAttributes,
    ReadAttributesResponse,
    UpgradeEndRequest,
    UpgradeEndResponse,
    _decode_block_fast,
    _decode_interpreted,
    _decode_request_fast,
    _encode_block_fast,
    _encode_request_fast,
    decode_command,
    encode_command,
)
from hanota.protocol.zcl import AttributeRecord, DataType, Direction, Status

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
eui = st.integers(0, 2**64 - 1)
opt = st.none
ANSWER = [Status.SUCCESS, Status.NO_IMAGE_AVAILABLE, Status.NOT_AUTHORIZED]


@st.composite
def image_notify(draw):
    kind = draw(st.integers(0, 3))
    values = [draw(u16) if kind >= 1 else None, draw(u16) if kind >= 2 else None,
              draw(u32) if kind >= 3 else None]
    return ImageNotify(kind, draw(st.integers(1, 100)), *values)


def image_answer(cls):
    success = st.builds(cls, st.just(Status.SUCCESS), u16, u16, u32, u32)
    other = st.builds(cls, st.sampled_from(ANSWER[1:]))
    return success | other


block_response = (
    st.builds(ImageBlockResponse, st.just(Status.SUCCESS), u16, u16, u32, u32,
              st.binary(max_size=MAX_IMAGE_DATA))
    | st.builds(ImageBlockResponse, st.just(Status.WAIT_FOR_DATA), current_time=u32, request_time=u32,
                minimum_block_period=u16)
    | st.just(ImageBlockResponse(Status.ABORT))
)

VALUE = {DataType.UINT8: u8, DataType.UINT16: u16, DataType.UINT32: u32, DataType.ENUM8: u8,
         DataType.EUI64: eui}
record = (
    st.sampled_from(list(DataType)).flatmap(
        lambda t: st.builds(AttributeRecord, u16, st.just(Status.SUCCESS), st.just(t), VALUE[t]))
    | st.builds(AttributeRecord, u16, st.sampled_from([s for s in Status if s != Status.SUCCESS]))
)
direction = st.sampled_from(list(Direction))

block_request = st.builds(ImageBlockRequest, u16, u16, u32, u32, u8, opt() | eui, opt() | u16)

COMMANDS = st.one_of(
    image_notify(),
    st.builds(QueryNextImageRequest, u16, u16, u32, opt() | u16),
    image_answer(QueryNextImageResponse),
    block_request,
    st.builds(ImagePageRequest, u16, u16, u32, u32, u8, u16, u16, opt() | eui),
    block_response,
    st.builds(UpgradeEndRequest,
              st.sampled_from([Status.SUCCESS, Status.INVALID_IMAGE, Status.REQUIRE_MORE_IMAGE,
                               Status.ABORT]),
              u16, u16, u32),
    st.builds(UpgradeEndResponse, u16, u16, u32, u32, u32),
    st.builds(QueryDeviceSpecificFileRequest, eui, u16, u16, u32, u16),
    image_answer(QueryDeviceSpecificFileResponse),
    st.builds(ReadAttributes, st.lists(u16, max_size=12).map(tuple), direction),
    st.builds(ReadAttributesResponse, st.lists(record, max_size=6).map(tuple), direction),
    st.builds(DefaultResponse, u8, st.sampled_from(list(Status)), direction),
)
HEADER = st.fixed_dictionaries({"tsn": u8, "disable_default_response": st.booleans(),
                                "manufacturer_code": opt() | u16})


# Integers at and across every field's limits, and values of other types that struct or an
# equality check might treat differently.
def _edge(bits):
    top = 2**bits
    return st.integers(-2, top + 1) | st.sampled_from([0, top - 1, top, -1])


odd = st.sampled_from([True, False, 1.0, "1", b"\x01", Status.SUCCESS, Status.ABORT])


@settings(max_examples=400, deadline=None)
@given(COMMANDS, HEADER)
def test_build_then_parse_gives_the_same_values(command, header):
    frame = encode_command(command, **header)
    parsed_header, back = decode_command(frame)
    assert back == command and type(back) is type(command)
    assert (parsed_header.tsn, parsed_header.disable_default_response, parsed_header.manufacturer_code) == \
        (header["tsn"], header["disable_default_response"], header["manufacturer_code"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(COMMANDS, HEADER, st.data())
def test_valid_bytes_rebuild_to_the_same_bytes(command, header, data):
    """Mutate one octet of a valid frame; whenever the result still decodes, it rebuilds byte for byte."""
    frame = bytearray(encode_command(command, **header))
    i = data.draw(st.integers(0, len(frame) - 1))
    frame[i] = data.draw(u8)
    try:
        parsed_header, back = decode_command(bytes(frame))
    except ProtocolError:
        assume(False)
        return
    assert encode_command(back, tsn=parsed_header.tsn,
                          disable_default_response=parsed_header.disable_default_response,
                          manufacturer_code=parsed_header.manufacturer_code) == bytes(frame)


def _only_protocol_errors(frame: bytes) -> None:
    try:
        decode_command(frame)
    except ProtocolError as err:
        assert err.offset is not None and 0 <= err.offset <= len(frame)
        assert err.field


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_raise_only_protocol_errors(frame):
    _only_protocol_errors(frame)


# Plausible headers reach deeper into the payload declarations than random first octets.
@settings(max_examples=400, deadline=None)
@given(st.sampled_from([0x00, 0x01, 0x08, 0x09, 0x10, 0x19, 0x05, 0x1D]), st.integers(0, 0x0B),
       st.binary(max_size=40))
def test_random_payloads_raise_only_protocol_errors(fc, command_id, payload):
    header = bytes([fc]) + (b"\x34\x12" if fc & 0x04 else b"") + bytes([0x42, command_id])
    _only_protocol_errors(header + payload)


@settings(max_examples=150, deadline=None)
@given(COMMANDS, HEADER)
def test_truncation_at_every_offset_is_a_clean_error(command, header):
    """Every shorter frame is refused with an offset inside it, except that a list of attribute
    ids or records cut at an item boundary is itself a valid, shorter list."""
    frame = encode_command(command, **header)
    for n in range(len(frame)):
        try:
            _, back = decode_command(frame[:n])
        except ProtocolError as err:
            assert err.offset is not None and err.offset <= n
        else:
            assert isinstance(back, ReadAttributes | ReadAttributesResponse)
            items = back.attribute_ids if isinstance(back, ReadAttributes) else back.records
            full = command.attribute_ids if isinstance(command, ReadAttributes) else command.records
            assert items == full[:len(items)] and len(items) < len(full)


def _outcome(fn, frame):
    try:
        return ("ok", fn(frame))
    except ProtocolError as err:
        return (type(err), err.field, err.offset, err.message)


@settings(max_examples=400, deadline=None)
@given(block_response | block_request, HEADER,
       st.lists(st.tuples(st.integers(0, 300), u8), max_size=3), st.integers(-10, 10))
def test_fast_path_decides_as_the_interpreted_parse(command, header, mutations, resize):
    """Multi-octet mutations and resizes (a request grows or shrinks into another form's
    length): same values, or the same error class, field, offset and message."""
    frame = bytearray(encode_command(command, **header))
    for i, value in mutations:
        if i < len(frame):
            frame[i] = value
    frame = frame[:max(0, len(frame) + resize)] if resize < 0 else frame + bytes(resize)
    assert _outcome(decode_command, bytes(frame)) == _outcome(_decode_interpreted, bytes(frame))
    # ... and as a lenient receiver's interpreted parse (``ignore_trailing``), which the fast
    # path serves too
    assert _outcome(partial(decode_command, ignore_trailing=True), bytes(frame)) == \
        _outcome(partial(_decode_interpreted, ignore_trailing=True), bytes(frame))
    for fast_decoder in (_decode_block_fast, _decode_request_fast):
        fast = fast_decoder(bytes(frame)) if len(frame) >= 3 else None
        if fast is not None:
            assert _outcome(_decode_interpreted, bytes(frame)) == ("ok", fast)


@settings(max_examples=300, deadline=None)
@given(st.tuples(_edge(16) | odd, _edge(16), _edge(32), _edge(32) | odd, _edge(8) | odd),
       opt() | _edge(64) | odd, opt() | _edge(16) | odd, st.integers(-1, 0x100), st.booleans(),
       opt() | u16)
def test_fast_request_encode_refuses_what_the_declaration_refuses(fields, addr, period, tsn, no_dr, mfr):
    """Whatever the fast build makes, the declaration makes identically and it decodes back
    equal; whatever it leaves, the declaration decides alone."""
    cmd = ImageBlockRequest(*fields, addr, period)
    fast = _encode_request_fast(cmd, tsn, no_dr, mfr)
    try:
        frame = encode_command(cmd, tsn=tsn, disable_default_response=no_dr, manufacturer_code=mfr)
    except HarnessUsageError:
        assert fast is None
    else:
        assert fast is None or fast == frame
        assert _decode_interpreted(frame)[1] == cmd
    if fast is not None:
        assert _decode_request_fast(fast) == _decode_interpreted(fast)


@settings(max_examples=300, deadline=None)
@given(st.integers(-2, 0x1_0000_0001) | odd, st.integers(-2, 0x1_0001) | odd, st.integers(-1, 0x100),
       st.binary(max_size=MAX_IMAGE_DATA + 2))
def test_fast_encode_refuses_what_the_declaration_refuses(offset, mfr, tsn, data):
    cmd = ImageBlockResponse(Status.SUCCESS, mfr, 1, 2, offset, data)
    fast = _encode_block_fast(cmd, tsn, False, None)
    try:
        frame = encode_command(cmd, tsn=tsn)
    except HarnessUsageError:
        assert fast is None
    else:
        assert fast == frame or (fast is None and not (type(mfr) is type(offset) is int))
        assert _decode_interpreted(frame)[1] == cmd


@settings(max_examples=300, deadline=None)
@given(COMMANDS.filter(lambda cmd: not isinstance(cmd, ReadAttributes | ReadAttributesResponse)), HEADER,
       st.binary(min_size=1, max_size=16))
def test_trailing_octets_are_refused_strictly_and_ignored_on_request(command, header, extra):
    """Strict decoding refuses octets after the fields; ``ignore_trailing`` reads the same command
    as without them (ZCL forward compatibility). Read Attributes and its response end in a list
    that runs to the end of the frame, so they have no trailing octets to ignore."""
    frame = encode_command(command, **header)
    with pytest.raises(ProtocolError):
        decode_command(frame + extra)
    parsed_header, back = decode_command(frame + extra, ignore_trailing=True)
    assert back == command and parsed_header == decode_command(frame)[0]
