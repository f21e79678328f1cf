"""Validation against the DUIS schema a user names (``--duis-schema FILE``), with xmlschema.

The project does not ship the DCC's schema: the user names ``DUIS Schema V5.4.xsd`` (its imports,
``xmldsig-core-schema.xsd`` and the MMC schema, resolve from the same folder). Schemas are
loaded once per path (loading takes about a second). Only local files are read: imports over
the network are refused.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import xmlschema

from hanota.protocol.errors import HarnessUsageError

from .errors import DuisSchemaError

__all__ = ["DuisSchema", "load_schema"]

_CACHE: dict[Path, DuisSchema] = {}
_LOCK = threading.Lock()


class DuisSchema:
    """One loaded schema; :meth:`validate` raises :class:`DuisSchemaError` naming the element."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise HarnessUsageError(f"DUIS schema: no such file {str(self.path)!r}")
        try:
            self._schema = xmlschema.XMLSchema(str(self.path), allow="local", defuse="always")
        except (xmlschema.XMLSchemaException, OSError, SyntaxError) as err:
            raise HarnessUsageError(f"DUIS schema {str(self.path)!r} cannot be loaded: {err}") from None

    def validate(self, root: Any) -> None:
        """Raise :class:`DuisSchemaError` for the first violation (element path and reason)."""
        for error in self._schema.iter_errors(root):
            path = getattr(error, "path", None) or "document"
            reason = getattr(error, "reason", None) or str(error).splitlines()[0]
            raise DuisSchemaError(f"not valid against {self.path.name}: {_short(reason)}", field=path)

    def is_valid(self, root: Any) -> bool:
        return bool(self._schema.is_valid(root))


def _short(reason: str, limit: int = 300) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[:limit] + "..."


def load_schema(path: str | Path) -> DuisSchema:
    """The schema at ``path``, loaded once per process."""
    key = Path(path).resolve()
    with _LOCK:
        schema = _CACHE.get(key)
        if schema is None:
            schema = _CACHE[key] = DuisSchema(key)
        return schema
