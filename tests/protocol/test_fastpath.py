"""The struct forms the hot paths use are derived from their construct declarations and read and
write exactly what the declarations do (each codec's own tests prove its fallbacks)."""

from __future__ import annotations

import construct as c
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hanota.protocol import bridge, fragment_format, fragments, ota_commands
from hanota.protocol._fastpath import struct_of
from hanota.protocol.ota_image import SUB_ELEMENT_HEADER


def test_every_hot_struct_is_its_declaration():
    # The formats the hot paths use, spelled out once here so a change of declaration shows.
    assert bridge._FRAME_HEAD.format == ">QQBBHHH"
    assert bridge._CONTROL.format == ">BHBQ"
    assert bridge._CONTROL_REPLY.format == ">BHBBQQH"
    assert ota_commands._FAST_BLOCK.format == "<BBBBHHLLB"
    assert fragment_format._DESCRIPTOR_STRUCT.format == "<4sBBHHLLLHHL32s32s"
    assert fragments._ELEMENT_STRUCT.format == "<HL"


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF))
def test_struct_and_declaration_agree_on_the_sub_element_header(tag, length):
    data = fragments._ELEMENT_STRUCT.pack(tag, length)
    assert data == SUB_ELEMENT_HEADER.build({"tag": tag, "length": length})
    parsed = SUB_ELEMENT_HEADER.parse(data)
    assert (parsed.tag, parsed.length) == fragments._ELEMENT_STRUCT.unpack(data)


@given(st.integers(0, 0xFFFF), st.sampled_from(list(bridge.ControlOp)), st.integers(0, bridge.NO_TIMER))
def test_struct_and_declaration_agree_on_control(request_id, op, argument):
    msg = bridge.Control(request_id, op, argument)
    body = bridge.CONTROL_FORMAT.build(msg)
    assert bridge._CONTROL.pack(bridge.MessageType.CONTROL, request_id, op, argument) == \
        bytes([bridge.MessageType.CONTROL]) + body


def test_mixed_byte_orders_and_variable_fields_are_refused():
    with pytest.raises(TypeError, match="byte orders"):
        struct_of([c.Int16ul, c.Int16ub])
    with pytest.raises(TypeError, match="not a fixed-width field"):
        struct_of([c.GreedyBytes])
