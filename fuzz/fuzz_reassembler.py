"""Fuzz target: the two reassemblers (image fragments, and DLMS General Block Transfer).

The first byte chooses what the rest means:

- ``& 0x03 == 0``: fragment files, as records (u16 big-endian length + bytes), added one by one
  to a :class:`~protocol.fragments.Reassembler`, then ``result()``;
- ``& 0x03 == 1``: the same, with each fragment's slice SHA-256 recomputed before it is added, so the
  fuzzer gets past the checksum to the bounds, overlap, conflict and count rules;
- ``& 0x03 == 2``: a saved reassembly state for ``Reassembler.from_state``;
- ``& 0x03 == 3``: GBT blocks, as records, received by a :class:`~protocol.gbt.GbtReassembler`.

A fragment or block that is refused must be a ProtocolError naming a field and an offset inside
it, and must leave the reassembler exactly as it was (a device keeps what it verified). A
result must be the bytes the fragments declared (SHA-256), must survive ``state()`` /
``from_state()``, and memory held never exceeds the configured cap.
"""

from __future__ import annotations

import hashlib

from ._harness import ContractError, check_error, fuzz_main, instrumented, records

with instrumented(__name__):
    from hanota.protocol.errors import ProtocolError
    from hanota.protocol.fragments import DESCRIPTOR_SIZE, Reassembler, whole_digest
    from hanota.protocol.gbt import GbtReassembler
    from hanota.protocol.ota_image import header_length_for

#: Small caps, so the fuzzer reaches the limits with small inputs.
_MAX_WHOLE = 8192
_MAX_FRAGMENT = 2048
_GBT_MAX = 4096
_SLICE_DIGEST_AT = 30  # fragment_sha256 inside the descriptor


def _fix_digest(fragment: bytes) -> bytes:
    if len(fragment) < 10:
        return fragment
    at = header_length_for(int.from_bytes(fragment[8:10], "little")) + 6
    payload_at = at + DESCRIPTOR_SIZE + 6
    if len(fragment) < payload_at:
        return fragment
    digest = hashlib.sha256(fragment[payload_at:]).digest()
    return fragment[:at + _SLICE_DIGEST_AT] + digest + fragment[at + _SLICE_DIGEST_AT + 32:]


def _snapshot(r: Reassembler) -> tuple[object, ...]:
    return (r.descriptor, r.received, r.missing(), r.state())


def _fragments(data: bytes, fix_digest: bool) -> None:
    r = Reassembler(max_whole_bytes=_MAX_WHOLE, max_fragment_bytes=_MAX_FRAGMENT)
    for fragment in records(data):
        if fix_digest:
            fragment = _fix_digest(fragment)
        before = _snapshot(r)
        try:
            r.add(fragment)
        except ProtocolError as err:
            check_error(err, len(fragment))
            if _snapshot(r) != before:
                raise ContractError(f"a refused fragment changed the reassembler ({err})") from None
    _finish(r)


def _finish(r: Reassembler) -> None:
    try:
        whole = r.result()
    except ProtocolError as err:
        check_error(err, None, offset_required=False)
        return
    first = r.descriptor
    if first is None or len(whole) != first.total_size or len(whole) > _MAX_WHOLE:
        raise ContractError("the reassembled image is not the declared size")
    held = sorted((d for d, _ in r._held.values()), key=lambda d: d.fragment_offset)
    for d in held:
        if hashlib.sha256(whole[d.fragment_offset:d.fragment_offset + d.fragment_length]).digest() \
                != d.fragment_sha256:
            raise ContractError(f"slice {d.fragment_index} of the reassembled image is not the one declared")
    if whole_digest(d.fragment_sha256 for d in held) != first.whole_digest:
        raise ContractError("the reassembled image does not have the declared whole-image digest")
    resumed = Reassembler.from_state(r.state(), max_whole_bytes=_MAX_WHOLE, max_fragment_bytes=_MAX_FRAGMENT)
    if resumed.result() != whole:
        raise ContractError("state() then from_state() gives another image")


def _state(data: bytes) -> None:
    try:
        r = Reassembler.from_state(data, max_whole_bytes=_MAX_WHOLE, max_fragment_bytes=_MAX_FRAGMENT)
    except ProtocolError as err:
        check_error(err, len(data))
        return
    if sum(len(p) for _, p in r._held.values()) > _MAX_WHOLE:
        raise ContractError("a resumed reassembler holds more than its cap")
    _finish(r)


def _gbt(data: bytes) -> None:
    g = GbtReassembler(_GBT_MAX)
    for block in records(data):
        before = (g.size, g.missing(), g.complete)
        try:
            g.receive(block)
        except ProtocolError as err:
            check_error(err, len(block))
            if (g.size, g.missing(), g.complete) != before:
                raise ContractError(f"a refused block changed the GBT reassembler ({err})") from None
        if g.size > _GBT_MAX:
            raise ContractError(f"the GBT reassembler holds {g.size} bytes, over its {_GBT_MAX}-byte cap")
    try:
        payload = g.finish()
    except ProtocolError as err:
        check_error(err, None, offset_required=False)
        return
    if len(payload) != g.size:
        raise ContractError("the GBT payload is not the block data received")


def TestOneInput(data: bytes) -> None:  # the name atheris and libFuzzer expect
    if not data:
        return
    mode, rest = data[0] & 0x03, data[1:]
    if mode in (0, 1):
        _fragments(rest, fix_digest=mode == 1)
    elif mode == 2:
        _state(rest)
    else:
        _gbt(rest)


if __name__ == "__main__":
    fuzz_main(TestOneInput)
