"""Fuzz target: the DUT bridge reader (``protocol.bridge.MessageReader``, as the TCP adapter uses it).

The first byte sets the chunk size (1..256) the rest arrives in, the second the reader's
envelope cap (the default 64 KiB when even, else a small cap of 8..1031 bytes). Like the
adapter, the target feeds a chunk, takes every whole message, and stops at the first error.

A refusal must be a ProtocolError naming a field and an offset inside the bytes fed so far.
The reader never holds more than one cap-sized envelope plus one chunk; every message it
gives encodes back to exactly the envelope it came from, and ``decode_envelope`` of that
envelope gives the same message.
"""

from __future__ import annotations

from ._harness import ContractError, check_error, fuzz_main, instrumented

with instrumented(__name__):
    from hanota.protocol import bridge as b
    from hanota.protocol.errors import ProtocolError


def TestOneInput(data: bytes) -> None:  # the name atheris and libFuzzer expect
    if len(data) < 2:
        return
    chunk = data[0] + 1
    cap = b.MAX_ENVELOPE if not data[1] & 1 else 8 + (data[1] << 2)
    stream = data[2:]
    reader = b.MessageReader(max_envelope=cap)
    for start in range(0, len(stream), chunk):
        fed = start + chunk
        try:
            reader.feed(stream[start:fed])
            while True:
                at = reader.stream_offset
                msg = reader.next_message()
                if msg is None:
                    break
                envelope = stream[at:reader.stream_offset]
                if b.encode_message(msg) != envelope:
                    raise ContractError(f"{msg!r} encodes to other bytes than {envelope.hex()}")
                if b.decode_envelope(envelope) != msg:
                    raise ContractError(f"decode_envelope disagrees with the reader on {envelope.hex()}")
        except ProtocolError as err:
            check_error(err, min(fed, len(stream)))
            return
        if reader.buffered() > 4 + cap + chunk:
            raise ContractError(f"the reader holds {reader.buffered()} bytes (cap {cap}, chunk {chunk})")


if __name__ == "__main__":
    fuzz_main(TestOneInput)
