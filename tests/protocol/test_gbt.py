"""DLMS General Block Transfer: block codec, splitter and reassembler."""

from __future__ import annotations

import pytest
from hypothesis import given as hgiven
from hypothesis import settings
from hypothesis import strategies as st

from hanota.protocol import gbt
from hanota.protocol.errors import (
    DecodeError,
    HarnessUsageError,
    ProtocolError,
    SizeLimitError,
    ValidationError,
)
from hanota.protocol.gbt import GbtBlock, GbtReassembler


def test_block_layout_by_hand():
    block = GbtBlock(block_number=1, block_data=b"\xaa\xbb", last_block=True, window=1)
    assert gbt.encode_block(block) == bytes.fromhex("e0 81 0001 0000 02 aabb")
    streaming = GbtBlock(block_number=0x0102, block_data=bytes(200), streaming=True, window=5,
                         block_number_ack=7)
    assert gbt.encode_block(streaming)[:8] == bytes.fromhex("e0 45 0102 0007 81c8")
    assert gbt.decode_block(gbt.encode_block(streaming)) == streaming


@pytest.mark.parametrize("hexdata, field", [
    ("", "tag"),
    ("e1810001000000", "tag"),
    ("e08100", "block_number"),
    ("e0810001000005aabb", "block_data"),       # length runs past the end
    ("e081000100008102" "aabb", "block_data"),  # non-minimal length
    ("e08100010000840000000100", "block_data"),  # unsupported length form
    ("e0810001000001aabb", "gbt_block"),         # trailing byte
])
def test_bad_blocks_name_field_and_offset(hexdata: str, field: str):
    with pytest.raises(DecodeError) as err:
        gbt.decode_block(bytes.fromhex(hexdata))
    assert err.value.field == field
    assert err.value.offset is not None


def test_split_numbers_from_one_and_flags_last():
    blocks = [gbt.decode_block(b) for b in gbt.split(bytes(range(250)), block_size=100, window=2)]
    assert [b.block_number for b in blocks] == [1, 2, 3]
    assert [b.last_block for b in blocks] == [False, False, True]
    assert [b.streaming for b in blocks] == [True, False, False]
    assert b"".join(b.block_data for b in blocks) == bytes(range(250))
    assert [gbt.decode_block(b) for b in gbt.split(b"")] == [GbtBlock(1, b"", last_block=True)]


def test_split_refuses_misuse():
    with pytest.raises(HarnessUsageError):
        gbt.split(b"x", block_size=0)
    with pytest.raises(HarnessUsageError):
        gbt.split(b"x", window=64)
    with pytest.raises(HarnessUsageError):
        gbt.split(bytes(70_000), block_size=1)


def _blocks(*specs: tuple[int, bytes, bool]) -> list[bytes]:
    return [gbt.encode_block(GbtBlock(n, d, last_block=last)) for n, d, last in specs]


def test_reassembler_any_order_and_duplicates():
    b1, b2, b3 = _blocks((1, b"ab", False), (2, b"cd", False), (3, b"e", True))
    r = GbtReassembler(max_size=5)
    assert r.receive(b3) is None
    assert r.missing() == [1, 2]
    assert r.receive(b1) is None
    assert r.receive(b1) is None  # identical duplicate: harmless
    assert r.missing() == [2]
    assert r.receive(b2) == b"abcde"
    assert r.complete and r.finish() == b"abcde"
    assert r.receive(b2) == b"abcde"
    r.reset()
    assert not r.complete and r.missing() == [] and r.size == 0


def test_missing_before_last_is_known():
    r = GbtReassembler(100)
    r.receive(_blocks((4, b"x", False))[0])
    assert r.missing() == [1, 2, 3]


@pytest.mark.parametrize("first, second, error", [
    ((2, b"ab", False), (2, b"ax", False), gbt.GbtConflictingBlockError),
    ((2, b"ab", False), (2, b"ab", True), gbt.GbtConflictingBlockError),
    ((2, b"ab", True), (3, b"cd", False), gbt.GbtBlockAfterLastError),
    ((2, b"ab", True), (1, b"cd", True), gbt.GbtBlockAfterLastError),
    ((3, b"ab", False), (2, b"cd", True), gbt.GbtBlockAfterLastError),
    ((1, b"ab", False), (2, b"abcdefghij", True), gbt.GbtSizeLimitError),
    ((1, b"ab", False), (0, b"cd", False), gbt.GbtBlockNumberError),
])
def test_reassembler_errors_leave_state_unchanged(first, second, error):
    r = GbtReassembler(max_size=10)
    r.receive(_blocks(first)[0])
    before = (r.missing(), r.size, r.complete)
    with pytest.raises(error) as err:
        r.receive(_blocks(second)[0])
    assert isinstance(err.value, ValidationError)
    assert err.value.field and err.value.offset is not None
    assert (r.missing(), r.size, r.complete) == before


def test_size_limit_error_is_a_size_limit_error():
    assert issubclass(gbt.GbtSizeLimitError, SizeLimitError)


def test_gap_at_completion():
    r = GbtReassembler(100)
    r.receive(_blocks((1, b"a", False))[0])
    with pytest.raises(gbt.GbtIncompleteError, match="last block never arrived"):
        r.finish()
    r.receive(_blocks((3, b"c", True))[0])
    with pytest.raises(gbt.GbtIncompleteError, match=r"\[2\]"):
        r.finish()


def test_memory_bounded_by_max_size_not_by_claims():
    # A block claiming a 16 MB body is refused at its length, before anything is read.
    claim = bytes.fromhex("e0 81 0001 0000 83ffffff") + b"x"
    with pytest.raises(DecodeError, match="runs past the end"):
        GbtReassembler(100).receive(claim)
    r = GbtReassembler(max_size=1000)
    for n, block in enumerate(gbt.split(bytes(1000), block_size=100), start=1):
        assert (r.receive(block) is not None) == (n == 10)
    over = GbtReassembler(max_size=999)
    with pytest.raises(gbt.GbtSizeLimitError):
        for block in gbt.split(bytes(1000), block_size=100):
            over.receive(block)
    assert over.size <= 999


@settings(max_examples=100, deadline=None)
@hgiven(st.binary(max_size=3000), st.integers(1, 400), st.integers(1, 63), st.randoms(use_true_random=False))
def test_split_then_reassemble_in_any_order(payload, block_size, window, rnd):
    blocks = gbt.split(payload, block_size=block_size, window=window)
    assert all(gbt.encode_block(gbt.decode_block(b)) == b for b in blocks)
    rnd.shuffle(blocks)
    r = GbtReassembler(max_size=len(payload))
    results = [r.receive(b) for b in blocks]
    assert results[-1] == payload
    assert all(x is None for x in results[:-1])


@settings(max_examples=300, deadline=None)
@hgiven(st.binary(max_size=40) | st.binary(max_size=30).map(lambda b: b"\xe0" + b))
def test_random_bytes_raise_only_protocol_errors(data):
    try:
        GbtReassembler(100).receive(data)
    except ProtocolError as err:
        assert err.field and err.offset is not None
