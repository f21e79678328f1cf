"""What every target shares: the error contract, record splitting, and the atheris entry point."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by the targets, inside instrumented(), so atheris sees it load
    from hanota.protocol.errors import ProtocolError

__all__ = ["ContractError", "check_error", "fuzz_main", "instrumented", "pack_records", "records"]

#: What coverage is measured over: the codec, the CLI and harness code it serves, construct.
INSTRUMENTED = ("hanota", "construct")


class ContractError(AssertionError):
    """The code under test broke a promise it makes about hostile input (a finding, a crash)."""


def check_error(err: ProtocolError, size: int | None, *, offset_required: bool = True) -> None:
    """A refusal must name a field and, for a decode of one input, a byte offset inside it.

    ``size`` is the length of the input the offset counts in (None: do not bound the offset).
    The offset may equal ``size``: "the input ends here" points one past the last byte.
    """
    if not err.field:
        raise ContractError(f"{type(err).__name__} without a field: {err}")
    if err.offset is None:
        if offset_required:
            raise ContractError(f"{type(err).__name__} without an offset: {err}")
        return
    if err.offset < 0 or (size is not None and err.offset > size):
        raise ContractError(f"{type(err).__name__} offset {err.offset} outside the {size}-byte input: {err}")
    if "\n" in str(err):
        raise ContractError(f"{type(err).__name__} message is not one line: {err!r}")


def records(data: bytes) -> Iterator[bytes]:
    """Split ``data`` into records, each a big-endian u16 length and that many bytes.

    The length is clamped to what is left, so every input means something and a mutation of a
    length changes where the records split instead of making the input unusable.
    """
    pos = 0
    while pos + 2 <= len(data):
        length = int.from_bytes(data[pos:pos + 2], "big")
        pos += 2
        yield data[pos:pos + length]
        pos += length


def pack_records(parts: list[bytes]) -> bytes:
    """The inverse of :func:`records` (corpus building)."""
    return b"".join(len(p).to_bytes(2, "big") + p for p in parts)


def instrumented(module_name: str) -> contextlib.AbstractContextManager[Any]:
    """Instrument the imports made in the block when the target runs as a program.

    Only :data:`INSTRUMENTED` packages are instrumented (``atheris.instrument_all`` takes about
    45 s here; this takes a few). Imported as a module (the regression tests), it does nothing.
    """
    if module_name != "__main__":
        return contextlib.nullcontext()
    import atheris  # type: ignore[import-untyped]

    return atheris.instrument_imports(include=list(INSTRUMENTED))  # type: ignore[no-any-return]


def fuzz_main(test_one_input: Callable[[bytes], None]) -> None:
    """Run ``test_one_input`` under atheris with libFuzzer's command line (``sys.argv``)."""
    import atheris  # only when fuzzing, never in the tests

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
