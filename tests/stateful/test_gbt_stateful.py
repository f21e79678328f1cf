"""Stateful test of GBT reassembly: blocks in any order, duplicated, dropped or corrupted.

The property: once the reassembler returns a payload, it equals the original exactly when
every block it holds arrived intact. "Intact" is judged on what reassembly depends on (block
number, last-block flag, data); a bit flipped in the flow-control fields (streaming, window,
acknowledged block number) changes nothing reassembled, by design. Every error must leave
the reassembler's state unchanged.

GBT itself has no integrity check (GBCS protects the whole message with its MAC and signature),
so blocks moved to another place cannot be told apart when their bytes happen to be the same
there (empty blocks, runs of zeros). The payloads here are non-empty random bytes, where "equal
bytes" and "every block intact" coincide; empty and repetitive payloads are covered by the
order-independent unit tests.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from hanota.protocol import gbt
from hanota.protocol.errors import DecodeError, ProtocolError
from hanota.protocol.gbt import GbtReassembler


class GbtReassembly(RuleBasedStateMachine):
    @initialize(payload=st.tuples(st.integers(0, 2**32), st.integers(1, 600)).map(
                    lambda seed_size: random.Random(seed_size[0]).randbytes(seed_size[1])),
                block_size=st.integers(10, 200),
                window=st.integers(1, 63), slack=st.integers(-100, 300))
    def setup(self, payload: bytes, block_size: int, window: int, slack: int) -> None:
        self.payload = payload
        self.blocks = gbt.split(payload, block_size=block_size, window=window)
        decoded = [gbt.decode_block(b) for b in self.blocks]
        self.originals = {b.block_number: b.block_data for b in decoded}
        self.max_size = max(0, len(payload) + slack)  # sometimes below the payload: must refuse
        self.reassembler = GbtReassembler(max_size=self.max_size)
        self._reset_model()

    def _reset_model(self) -> None:
        self.held: dict[int, tuple[bytes, bool]] = {}
        self.last: int | None = None
        self.size = 0
        self.result: bytes | None = None

    # ------------------------------------------------------------ the model
    def _expected_error(self, raw: bytes) -> type[ProtocolError] | None:
        try:
            blk = gbt.decode_block(raw)
        except DecodeError:
            return DecodeError
        n, data, last = blk.block_number, blk.block_data, blk.last_block
        if n == 0:
            return gbt.GbtBlockNumberError
        if n in self.held:
            return None if self.held[n] == (data, last) else gbt.GbtConflictingBlockError
        if self.last is not None and (n > self.last or last):
            return gbt.GbtBlockAfterLastError
        if last and max(self.held, default=0) > n:
            return gbt.GbtBlockAfterLastError
        if self.size + len(data) > self.max_size:
            return gbt.GbtSizeLimitError
        return None

    def _send(self, raw: bytes) -> None:
        expected = self._expected_error(raw)
        before = (self.reassembler.missing(), self.reassembler.size, self.reassembler.complete)
        if expected is not None:
            with pytest.raises(expected):
                self.reassembler.receive(raw)
            assert (self.reassembler.missing(), self.reassembler.size, self.reassembler.complete) == before
            return
        out = self.reassembler.receive(raw)
        blk = gbt.decode_block(raw)
        if blk.block_number not in self.held:
            self.held[blk.block_number] = (blk.block_data, blk.last_block)
            self.size += len(blk.block_data)
            if blk.last_block:
                self.last = blk.block_number
        if self.last is not None and len(self.held) == self.last:
            self.result = b"".join(self.held[n][0] for n in range(1, self.last + 1))
        assert out == self.result

    # ------------------------------------------------------------ rules
    @rule(index=st.integers(0, 10**4))
    def deliver(self, index: int) -> None:
        self._send(self.blocks[index % len(self.blocks)])

    # Half the flips land in the 7-byte header (tag, control, numbers, length).
    @rule(index=st.integers(0, 10**4), position=st.integers(0, 6) | st.integers(0, 10**4),
          bit=st.integers(0, 7))
    def deliver_corrupted(self, index: int, position: int, bit: int) -> None:
        raw = bytearray(self.blocks[index % len(self.blocks)])
        raw[position % len(raw)] ^= 1 << bit
        self._send(bytes(raw))

    @rule(index=st.integers(0, 10**4), shift=st.integers(-2, 2), last=st.booleans())
    def deliver_relabelled(self, index: int, shift: int, last: bool) -> None:
        """A well-formed block carrying the right data under a near-by number or a wrong last flag."""
        blk = gbt.decode_block(self.blocks[index % len(self.blocks)])
        number = max(0, blk.block_number + shift)
        self._send(gbt.encode_block(replace(blk, block_number=number, last_block=last)))

    @rule(index=st.integers(0, 10**4), cut=st.integers(0, 10**4))
    def deliver_truncated(self, index: int, cut: int) -> None:
        raw = self.blocks[index % len(self.blocks)]
        self._send(raw[:cut % len(raw)])

    @rule(rnd=st.randoms(use_true_random=False))
    def deliver_rest_intact(self, rnd) -> None:  # type: ignore[no-untyped-def]
        order = list(self.blocks)
        rnd.shuffle(order)
        for raw in order:
            self._send(raw)

    @rule()
    def reset(self) -> None:
        self.reassembler.reset()
        self._reset_model()

    # ------------------------------------------------------------ invariants
    @invariant()
    def matches_model(self) -> None:
        if not hasattr(self, "reassembler"):
            return
        top = self.last if self.last is not None else max(self.held, default=0)
        assert self.reassembler.missing() == [n for n in range(1, top + 1) if n not in self.held]
        assert self.reassembler.size == self.size <= self.max_size
        assert self.reassembler.complete == (self.result is not None)

    @invariant()
    def equal_exactly_when_intact(self) -> None:
        if not hasattr(self, "reassembler") or self.result is None:
            return
        intact = self.last == len(self.blocks) and all(
            self.held[n][0] == self.originals[n] for n in range(1, len(self.blocks) + 1))
        assert (self.result == self.payload) == intact
        assert self.reassembler.finish() == self.result


GbtReassembly.TestCase.settings = settings(max_examples=80, stateful_step_count=30, deadline=None)
TestGbtReassembly = GbtReassembly.TestCase
