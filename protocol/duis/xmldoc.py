"""Reading DUIS XML safely, and naming where something is.

:func:`parse` takes bytes from outside (a DCC system, a Supplier) and returns the root element,
or raises a named error: above the configured size (before parsing), not well-formed, or
carrying what DUIS never uses and attacks rely on (a DOCTYPE, entity declarations or
references, processing instructions). lxml is told never to resolve entities, never to load
a DTD and never to touch the network.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .errors import DuisSizeError, DuisXmlError, HostileXmlError

__all__ = [
    "DEFAULT_MAX_DOCUMENT_BYTES",
    "DS",
    "NS",
    "SR",
    "DuisLimits",
    "element_path",
    "parse",
    "q",
    "xml_parser",
]

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS = {"sr": SR, "ds": DS}
_PREFIX = {SR: "sr", DS: "ds"}

#: The schema allows a FirmwareImage of 10,240,000 octets (an xs:base64Binary length counts
#: octets: 13,653,336 base64 characters) and a DeviceIDList of 1,199,999 characters; a document
#: holding both, with its header and signature, fits in 16 MiB.
DEFAULT_MAX_DOCUMENT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class DuisLimits:
    """Size limits, from configuration (the DCC PIXIT, ``--duis-max-bytes``)."""

    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES


def q(name: str, ns: str = SR) -> str:
    """The Clark name ``{namespace}name`` lxml uses."""
    return f"{{{ns}}}{name}"


def element_path(element: etree._Element) -> str:
    """``/sr:Request/sr:Body/sr:UpdatePPMIDFirmware`` for ``element`` (prefixes as DUIS writes them)."""
    parts = []
    node = element
    while node is not None:
        tag = node.tag if isinstance(node.tag, str) else "?"
        qname = etree.QName(tag)
        prefix = _PREFIX.get(qname.namespace or "", "")
        parts.append(f"{prefix}:{qname.localname}" if prefix else qname.localname)
        node = node.getparent()
    return "/" + "/".join(reversed(parts))


def xml_parser() -> etree.XMLParser:
    """The parser for DUIS bytes (also handed to signxml, whose own lacks ``huge_tree``)."""
    # huge_tree: a FirmwareImage may exceed libxml2's 10 MB text-node guard; the size of the
    # whole document is bounded by DuisLimits before parsing instead.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           remove_comments=False, remove_pis=False, huge_tree=True)


def parse(data: bytes, limits: DuisLimits | None = None) -> etree._Element:
    """The root element of the DUIS document ``data``; refuses hostile or oversize input."""
    limits = limits or DuisLimits()
    if len(data) > limits.max_document_bytes:
        raise DuisSizeError(f"document of {len(data)} bytes is above the limit of "
                            f"{limits.max_document_bytes} bytes", field="document")
    if not data.strip():
        raise DuisXmlError("empty document", field="document")
    try:
        tree = etree.ElementTree(etree.fromstring(data, xml_parser()))
    except etree.XMLSyntaxError as err:
        line = getattr(err, "lineno", None)
        where = f" (line {line})" if line else ""
        raise DuisXmlError(f"not well-formed XML{where}: {err.msg}", field="document") from None
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise HostileXmlError("a DOCTYPE is not allowed in a DUIS document (entities, external "
                              "references); refused without resolving it", field="document")
    root = tree.getroot()
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise HostileXmlError(f"entity reference &{node.name}; is not allowed (not resolved)",
                                  field=element_path(node.getparent()))
        if isinstance(node, etree._ProcessingInstruction):
            raise HostileXmlError("processing instruction not allowed", field=element_path(node.getparent()))
    for sibling in (*root.itersiblings(preceding=True), *root.itersiblings()):
        if isinstance(sibling, etree._ProcessingInstruction):
            raise HostileXmlError("processing instruction not allowed", field="document")
    return root
