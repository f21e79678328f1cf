"""DLMS General Block Transfer (GBT) as GBCS uses it to carry a long message over the WAN.

One block is the xDLMS ``general-block-transfer`` APDU (tag ``E0``, DLMS Green Book):
block control (bit 7 last block, bit 6 streaming, bits 0-5 window), block number (u16 BE,
numbered from 1), acknowledged block number (u16 BE) and the block data as an A-XDR octet
string, whose length prefix is the BER definite form (``docs/gbcs-messages.md``).

:class:`GbtReassembler` is sans-I/O: it takes encoded blocks in any order, ignores identical
duplicates and raises a named error, with its state unchanged, for anything inconsistent.
Its memory is bounded by ``max_size`` bytes of block data (and at most 65,535 entries, the
block-number space), never by a length the sender writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import construct as c

from ._fields import decode, encode
from .der import BER_LENGTH
from .errors import HarnessUsageError, SizeLimitError, ValidationError

__all__ = [
    "GBT_BLOCK",
    "MAX_BLOCK_NUMBER",
    "GbtBlock",
    "GbtBlockAfterLastError",
    "GbtBlockNumberError",
    "GbtConflictingBlockError",
    "GbtIncompleteError",
    "GbtReassembler",
    "GbtSizeLimitError",
    "decode_block",
    "encode_block",
    "split",
]

MAX_BLOCK_NUMBER: Final = 0xFFFF
_MAX_WINDOW: Final = 0x3F

GBT_BLOCK: Final = c.Struct(
    "tag" / c.Const(b"\xe0"),
    "block_control" / c.BitStruct(
        "last_block" / c.Flag,
        "streaming" / c.Flag,
        "window" / c.BitsInteger(6),
    ),
    "block_number" / c.Int16ub,
    "block_number_ack" / c.Int16ub,
    "block_data" / c.Prefixed(BER_LENGTH, c.GreedyBytes),
)

# Offsets of the fields in an encoded block, for errors raised after decoding.
_NUMBER_OFFSET: Final = 2
_DATA_LENGTH_OFFSET: Final = 6


class GbtBlockNumberError(ValidationError):
    """Block number 0: GBT numbers blocks from 1."""


class GbtConflictingBlockError(ValidationError):
    """A block number arrived again with different data or a different last-block flag."""


class GbtBlockAfterLastError(ValidationError):
    """A block numbered beyond the last block, or a second, different last block."""


class GbtIncompleteError(ValidationError):
    """The transfer was declared finished with blocks (or the last block) still missing."""


class GbtSizeLimitError(SizeLimitError):
    """The block data received adds up to more than the reassembler's ``max_size``."""


@dataclass(frozen=True)
class GbtBlock:
    """One GBT block. ``window`` and ``streaming`` are flow control: the reassembler does not
    compare them between duplicates; ``block_number_ack`` is 0 on a one-way transfer."""

    block_number: int
    block_data: bytes
    last_block: bool = False
    streaming: bool = False
    window: int = 1
    block_number_ack: int = 0


def encode_block(block: GbtBlock) -> bytes:
    """The ``E0`` APDU bytes of ``block``."""
    return encode(GBT_BLOCK, {
        "block_control": {"last_block": block.last_block, "streaming": block.streaming,
                          "window": block.window},
        "block_number": block.block_number,
        "block_number_ack": block.block_number_ack,
        "block_data": block.block_data,
    }, what="gbt_block")


def decode_block(data: bytes) -> GbtBlock:
    """Decode one block strictly (DecodeError with field and offset on any defect)."""
    obj: Any = decode(GBT_BLOCK, bytes(data), what="gbt_block")
    control = obj.block_control
    return GbtBlock(
        block_number=obj.block_number,
        block_data=bytes(obj.block_data),
        last_block=bool(control.last_block),
        streaming=bool(control.streaming),
        window=int(control.window),
        block_number_ack=obj.block_number_ack,
    )


def split(payload: bytes, *, block_size: int = 1024, window: int = 1) -> list[bytes]:
    """Encoded blocks carrying ``payload``: numbered from 1, ``block_size`` data bytes each, the
    final one flagged last (an empty payload is one empty last block). With ``window`` > 1 the
    streaming bit is set on every block except the last of each window and the last block."""
    if block_size < 1:
        raise HarnessUsageError(f"block_size must be at least 1, not {block_size}")
    if not 1 <= window <= _MAX_WINDOW:
        raise HarnessUsageError(f"window must be 1..{_MAX_WINDOW}, not {window}")
    payload = bytes(payload)
    count = max(1, -(-len(payload) // block_size))
    if count > MAX_BLOCK_NUMBER:
        raise HarnessUsageError(f"{len(payload)} bytes need {count} blocks of {block_size}; "
                                f"GBT numbers at most {MAX_BLOCK_NUMBER}")
    blocks = []
    for number in range(1, count + 1):
        last = number == count
        blocks.append(encode_block(GbtBlock(
            block_number=number,
            block_data=payload[(number - 1) * block_size:number * block_size],
            last_block=last,
            streaming=not last and number % window != 0,
            window=window,
        )))
    return blocks


class GbtReassembler:
    """Rebuilds one GBT transfer from its blocks, in any order.

    ``receive`` returns the whole payload once every block from 1 to the last has arrived (and
    again for any identical duplicate after that), else None. Errors leave the state unchanged.
    """

    def __init__(self, max_size: int) -> None:
        if max_size < 0:
            raise HarnessUsageError(f"max_size must not be negative, not {max_size}")
        self.max_size = max_size
        self.reset()

    def reset(self) -> None:
        """Forget every block received (start a new transfer)."""
        self._blocks: dict[int, tuple[bytes, bool]] = {}
        self._last: int | None = None
        self._size = 0
        self._payload: bytes | None = None

    @property
    def complete(self) -> bool:
        return self._payload is not None

    @property
    def size(self) -> int:
        """Bytes of block data held."""
        return self._size

    def missing(self) -> list[int]:
        """Block numbers still missing: up to the last block once it is known, else the gaps
        below the highest block number seen (the tail is unknown until the last block comes)."""
        top = self._last if self._last is not None else max(self._blocks, default=0)
        return [n for n in range(1, top + 1) if n not in self._blocks]

    def receive(self, block: bytes) -> bytes | None:
        """Take one encoded block; return the payload when the transfer is complete."""
        blk = decode_block(block)
        number, data = blk.block_number, blk.block_data
        data_offset = len(block) - len(data)
        if number == 0:
            raise GbtBlockNumberError("GBT blocks are numbered from 1", field="block_number",
                                      offset=_NUMBER_OFFSET)
        held = self._blocks.get(number)
        if held is not None:
            if held != (data, blk.last_block):
                what = "data" if held[0] != data else "last-block flag"
                raise GbtConflictingBlockError(f"block {number} arrived again with a different {what}",
                                               field="block_data" if what == "data"
                                               else "block_control.last_block",
                                               offset=data_offset if what == "data" else 1)
            return self._payload
        if self._last is not None and number > self._last:
            raise GbtBlockAfterLastError(f"block {number} comes after the last block {self._last}",
                                         field="block_number", offset=_NUMBER_OFFSET)
        if blk.last_block:
            if self._last is not None:
                raise GbtBlockAfterLastError(
                    f"block {number} is flagged last but block {self._last} already was",
                    field="block_control.last_block", offset=1)
            beyond = max(self._blocks, default=0)
            if beyond > number:
                raise GbtBlockAfterLastError(f"block {number} is flagged last but block {beyond} arrived",
                                             field="block_number", offset=_NUMBER_OFFSET)
        if self._size + len(data) > self.max_size:
            raise GbtSizeLimitError(
                f"{self._size + len(data)} bytes of block data exceed the limit of {self.max_size}",
                field="block_data", offset=_DATA_LENGTH_OFFSET)
        self._blocks[number] = (data, blk.last_block)
        self._size += len(data)
        if blk.last_block:
            self._last = number
        if self._last is not None and len(self._blocks) == self._last:
            self._payload = b"".join(self._blocks[n][0] for n in range(1, self._last + 1))
        return self._payload

    def finish(self) -> bytes:
        """The payload, or GbtIncompleteError naming what is missing (a gap at completion)."""
        if self._payload is not None:
            return self._payload
        if self._last is None:
            raise GbtIncompleteError(f"the last block never arrived; missing so far: {self.missing()}",
                                     field="block_control.last_block")
        raise GbtIncompleteError(f"blocks {self.missing()} of {self._last} are missing",
                                 field="block_number")
