"""``struct`` forms of construct declarations: the one way the codec's hot paths are made.

construct's interpreted parse is the strict gate that names the field and offset of every
error, and it is slow (tens of microseconds a message). The few messages sent once per image
block (the Image Block Request and Response, the bridge's FRAME and CONTROL envelopes) and the
fragment descriptor are also read and written with a :class:`struct.Struct` derived here from
the same declaration, so that the two forms cannot drift apart. Each fast path is used only
where explicit checks show the input has the one shape the declaration accepts, falls back to
the declaration otherwise, and is proven equal to it by property tests
(``tests/protocol/test_fastpath.py`` and the codec's own tests).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

import construct as c

from ._fields import EUI64

__all__ = ["struct_code", "struct_of"]


def struct_code(sub: object) -> tuple[str, str]:
    """(byte order, format code) of one fixed-width field, unwrapping construct's wrappers.

    Integers give their own letter, fixed-length bytes ``Ns``, a length prefix the letter of its
    length field (the bytes follow outside the struct). An EUI-64 is 8 octets read as a
    little-endian integer, exactly ``<Q``. Byte order is ``""`` where it does not matter.
    """
    while True:
        if sub is EUI64:
            return "<", "Q"
        if isinstance(sub, c.FormatField):
            fmt: str = sub.fmtstr
            return ("" if struct.calcsize(fmt) == 1 else fmt[0]), fmt[1:]
        if isinstance(sub, c.Bytes) and isinstance(sub.length, int):
            return "", f"{sub.length}s"
        if isinstance(sub, c.Prefixed):
            sub = sub.lengthfield
        elif isinstance(sub, c.IfThenElse):
            sub = sub.thensubcon
        elif isinstance(sub, c.Transformed) and sub.sizeof() == 1:
            return "", "B"
        elif hasattr(sub, "subcon"):
            sub = sub.subcon
        else:
            raise TypeError(f"{sub!r} is not a fixed-width field")


def struct_of(subcons: Iterable[object], *, lead: str = "") -> struct.Struct:
    """One :class:`struct.Struct` for the fields ``subcons`` in order, after ``lead`` (codes of
    bytes the declaration does not hold, such as an envelope's one-octet type). The fields must
    share one byte order."""
    orders: set[str] = set()
    codes = [lead]
    for sub in subcons:
        order, code = struct_code(sub)
        if order:
            orders.add(order)
        codes.append(code)
    if len(orders) > 1:
        raise TypeError(f"fields mix byte orders {sorted(orders)}")
    return struct.Struct((orders.pop() if orders else "<") + "".join(codes))
