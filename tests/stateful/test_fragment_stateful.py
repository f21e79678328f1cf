"""Stateful test of fragment reassembly: fragments in any order, duplicated, dropped or corrupted.

The property: ``result()`` returns bytes equal to the original image exactly when every
fragment index is held from an intact delivery; otherwise it raises, and it never returns
other bytes. "Intact" is judged on what reassembly depends on (the descriptor and the slice):
a bit flipped in a fragment's header string or stack version changes nothing reassembled, by
design. Every error leaves the reassembler's state unchanged, and a state saved and resumed
behaves exactly like the original.
"""

from __future__ import annotations

import hashlib

import zigpy.ota.image as zigpy_image
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from hanota.protocol.errors import ProtocolError
from hanota.protocol.fragments import FragmentMissingError, Reassembler, parse_fragment, split_image
from hanota.protocol.ota_image import build_zigbee_image

# Header 56 + descriptor element 72 + upgrade element header 6: the smallest useful limit is 135.
_OVERHEAD = 56 + 72 + 6


class FragmentReassembly(RuleBasedStateMachine):
    @initialize(size=st.integers(300, 2000), count=st.integers(2, 12), seed=st.integers(0, 2**16))
    def setup(self, size: int, count: int, seed: int) -> None:
        payload = hashlib.shake_256(seed.to_bytes(4, "big")).digest(size)
        self.image = build_zigbee_image(manufacturer_code=0x1234, image_type=7, file_version=9,
                                        sub_elements=[(0x0000, payload)])
        # A limit that cuts the image into about ``count`` fragments (at least one byte each).
        room = max(1, -(-len(self.image) // count))
        self.limit = _OVERHEAD + room
        self.fragments = split_image(self.image, max_bytes=self.limit)
        assert len(self.fragments) >= 2
        for fragment in self.fragments:
            assert len(fragment) <= self.limit
            assert zigpy_image.parse_ota_image(fragment)[1] == b""
        self.originals = {i: self._key(f) for i, f in enumerate(self.fragments)}
        self.reassembler = Reassembler(max_fragment_bytes=self.limit)
        self._reset_model()

    @staticmethod
    def _key(fragment: bytes) -> tuple[object, bytes]:
        frag = parse_fragment(fragment, max_bytes=None)
        return frag.descriptor, bytes(frag.payload)

    def _reset_model(self) -> None:
        self.intact: set[int] = set()  # indices held from a delivery equal to the original
        self.poisoned = False  # a fragment differing from every original was kept

    def _deliver(self, data: bytes) -> None:
        before = self.reassembler.state()
        try:
            self.reassembler.add(data)
        except ProtocolError as err:
            assert self.reassembler.state() == before, "a refused fragment changed the state"
            event(f"refused: {type(err).__name__}")
            return
        key = self._key(data)
        index = key[0].fragment_index  # type: ignore[attr-defined]
        if self.originals.get(index) == key:
            self.intact.add(index)
        else:
            event("kept a damaged fragment")
            self.poisoned = True

    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        self._deliver(self.fragments[data.draw(st.integers(0, len(self.fragments) - 1))])

    @rule(data=st.data())
    def deliver_the_rest(self, data: st.DataObject) -> None:
        """Everything not yet held intact, in a random order (a complete delivery is common)."""
        rest = [i for i in range(len(self.fragments)) if i not in self.intact]
        for index in data.draw(st.permutations(rest)):
            self._deliver(self.fragments[index])

    @rule(data=st.data())
    def deliver_duplicate(self, data: st.DataObject) -> None:
        if self.intact:
            self._deliver(self.fragments[data.draw(st.sampled_from(sorted(self.intact)))])

    @rule(data=st.data(), xor=st.integers(1, 255))
    def deliver_corrupted(self, data: st.DataObject, xor: int) -> None:
        fragment = bytearray(self.fragments[data.draw(st.integers(0, len(self.fragments) - 1))])
        fragment[data.draw(st.integers(0, len(fragment) - 1))] ^= xor
        self._deliver(bytes(fragment))

    @rule(data=st.data())
    def deliver_truncated(self, data: st.DataObject) -> None:
        fragment = self.fragments[data.draw(st.integers(0, len(self.fragments) - 1))]
        cut = data.draw(st.integers(0, len(fragment) - 1))
        before = self.reassembler.state()
        try:
            self.reassembler.add(fragment[:cut])
        except ProtocolError:
            assert self.reassembler.state() == before
        else:
            raise AssertionError("a truncated fragment was accepted")

    @rule()
    def resume(self) -> None:
        """An interruption: the saved state comes back without re-fetching anything."""
        resumed = Reassembler.from_state(self.reassembler.state(), max_fragment_bytes=self.limit)
        assert resumed.received == self.reassembler.received
        self.reassembler = resumed

    @rule()
    def start_over(self) -> None:
        """What a device does after a digest or signature failure (or a damaged fragment kept)."""
        self.reassembler.reset()
        self._reset_model()

    @rule()
    def result(self) -> None:
        everything = len(self.intact) == len(self.fragments) and not self.poisoned
        try:
            out = self.reassembler.result()
        except FragmentMissingError:
            assert not everything
            event("result: fragments missing")
            return
        except ProtocolError as err:
            assert not everything
            event(f"result: {type(err).__name__}")
            return
        event("result: the original image")
        assert out == self.image, "result() returned bytes other than the original"
        assert everything, "result() succeeded although a fragment was not intact"

    @invariant()
    def missing_is_the_complement(self) -> None:
        if not self.poisoned and self.reassembler.descriptor is not None:
            assert set(self.reassembler.missing()) == set(range(len(self.fragments))) - self.intact


FragmentReassembly.TestCase.settings = settings(max_examples=80, stateful_step_count=30, deadline=None)
TestFragmentReassembly = FragmentReassembly.TestCase
