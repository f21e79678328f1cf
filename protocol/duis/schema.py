"""Validation against the DUIS schema a user names (``--duis-schema FILE``), with lxml (libxml2).

The project does not ship the DCC's schema: the user names ``DUIS Schema V5.4.xsd`` (its imports,
``xmldsig-core-schema.xsd`` and the MMC schema, resolve from the same folder). Schemas are
loaded once per path. Only local files are read: imports over the network are refused.

libxml2 validates in C (a 1 MB SR 11.4 in milliseconds, where xmlschema took a fifth of a
second on the FirmwareImage alone). Two things to know about it:

* it skips an ``xs:import`` whose ``schemaLocation`` is not a valid URI, and the DCC's file
  names hold spaces (``MMC Schema V5.4.xsd``): locations are percent-encoded in memory, the
  files are not touched;
* it ignores characters outside the base64 alphabet in ``xs:base64Binary`` (libxml2's own
  choice); the codec's strict reading refuses them (``DuisContentError`` naming the element),
  so a FirmwareImage or GBCSPayload with a stray character is still refused.
"""

from __future__ import annotations

import threading
import urllib.parse
from pathlib import Path

from lxml import etree

from hanota.protocol.errors import HarnessUsageError

from .errors import DuisSchemaError
from .xmldoc import DS, SR, element_path

__all__ = ["DuisSchema", "load_schema"]

_CACHE: dict[Path, DuisSchema] = {}
_LOCK = threading.Lock()
_XS = "http://www.w3.org/2001/XMLSchema"
_RA = "http://www.dccinterface.co.uk/ResponseAndAlert"
_SHORT = {SR: "sr:", DS: "ds:", _RA: "ra:"}


class _LocalOnly(etree.Resolver):  # type: ignore[misc]  # lxml is untyped here
    """Schema imports: local files only, their own imports percent-encoded as the root's are."""

    def resolve(self, url: str, pubid: str | None, context: object) -> object:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("", "file"):
            raise HarnessUsageError(f"DUIS schema: import of {url!r} refused (local files only)")
        path = Path(urllib.parse.unquote(parsed.path))
        return self.resolve_string(etree.tostring(_schema_document(path)), context, base_url=str(path))


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_LocalOnly())
    return parser


def _schema_document(path: Path) -> etree._Element:
    """The schema document at ``path``, import and include locations percent-encoded."""
    root = etree.fromstring(path.read_bytes(), _parser(), base_url=str(path))
    for node in root.iter(f"{{{_XS}}}import", f"{{{_XS}}}include", f"{{{_XS}}}redefine"):
        location = node.get("schemaLocation")
        if location:
            node.set("schemaLocation", urllib.parse.quote(urllib.parse.unquote(location), safe="/:"))
    return root


class DuisSchema:
    """One loaded schema; :meth:`validate` raises :class:`DuisSchemaError` naming the element."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise HarnessUsageError(f"DUIS schema: no such file {str(self.path)!r}")
        try:
            self._schema = etree.XMLSchema(_schema_document(self.path.resolve()))
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as err:
            raise HarnessUsageError(f"DUIS schema {str(self.path)!r} cannot be loaded: "
                                    f"{_short(str(err))}") from None
        # An XMLSchema keeps its error log per instance: one validation at a time.
        self._lock = threading.Lock()

    def validate(self, root: etree._Element) -> None:
        """Raise :class:`DuisSchemaError` for the first violation (element path and reason)."""
        with self._lock:
            if self._schema.validate(root):
                return
            errors = list(self._schema.error_log)
        first = errors[0] if errors else None
        reason = first.message if first is not None else "not valid"
        path = _element_path(root, first.path if first is not None else None)
        raise DuisSchemaError(f"not valid against {self.path.name}: {_short(_readable(reason))}", field=path)

    def is_valid(self, root: etree._Element) -> bool:
        with self._lock:
            return bool(self._schema.validate(root))


def _element_path(root: etree._Element, xpath: str | None) -> str:
    """The failing element's path as the project writes it (``/sr:Request/sr:Body/...``);
    libxml2 gives an XPath in the document's own prefixes (``/*/*[2]`` without one)."""
    if not xpath:
        return "document"
    namespaces: dict[str, str] = {}
    for node in root.iter(tag=etree.Element):
        for prefix, uri in node.nsmap.items():
            if prefix:
                namespaces.setdefault(prefix, uri)
    try:
        found = root.getroottree().xpath(xpath, namespaces=namespaces)
    except etree.XPathError:
        return xpath
    return element_path(found[0]) if found and isinstance(found[0], etree._Element) else xpath


def _readable(reason: str) -> str:
    for uri, prefix in _SHORT.items():
        reason = reason.replace(f"{{{uri}}}", prefix)
    return reason


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
