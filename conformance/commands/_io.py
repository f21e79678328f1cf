"""Reading input files without trusting their size (a path may be /dev/zero or a huge file)."""

from __future__ import annotations

from pathlib import Path

from hanota.protocol.errors import SizeLimitError


def read_bounded(path: str | Path, limit: int, *, field: str) -> bytes:
    """The whole file, or SizeLimitError (naming ``field``) once more than ``limit`` bytes are read."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise SizeLimitError(f"the file is larger than the limit of {limit} bytes", field=field,
                             offset=limit)
    return data
