"""Strict reading helpers: children in the order DUIS writes them, values checked here,
independently of the schema (a document the schema accepts is still read field by field)."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from .errors import DuisContentError
from .xmldoc import DS, SR, element_path, q

__all__ = ["Children", "eui_text", "parse_eui", "parse_eui_list", "parse_version", "version_text"]

_EUI = re.compile(r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}")
_VERSION = re.compile(r"[0-9A-Fa-f]{8}")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})")


def fail(element: etree._Element, message: str) -> DuisContentError:
    line = getattr(element, "sourceline", None)
    where = f" (line {line})" if line else ""
    return DuisContentError(message + where, field=element_path(element))


class Children:
    """The element children of ``parent`` in document order, consumed one by one."""

    def __init__(self, parent: etree._Element) -> None:
        self.parent = parent
        self.items = [c for c in parent if isinstance(c.tag, str)]
        self.at = 0
        if (parent.text or "").strip() and self.items:
            raise fail(parent, "unexpected text among the child elements")

    def peek(self) -> str | None:
        if self.at >= len(self.items):
            return None
        return str(self.items[self.at].tag)

    def optional(self, name: str, ns: str = SR) -> etree._Element | None:
        if self.peek() == q(name, ns):
            self.at += 1
            return self.items[self.at - 1]
        return None

    def required(self, name: str, ns: str = SR) -> etree._Element:
        got = self.optional(name, ns)
        if got is None:
            found = self.peek()
            what = "nothing" if found is None else etree.QName(found).localname
            raise fail(self.parent, f"expected element {name} here, found {what}")
        return got

    def end(self) -> None:
        if self.at < len(self.items):
            extra = self.items[self.at]
            raise fail(extra, f"unexpected element {etree.QName(extra).localname}")

    def rest(self) -> list[Any]:
        out, self.at = self.items[self.at:], len(self.items)
        return out


def text(element: etree._Element) -> str:
    if len([c for c in element if isinstance(c.tag, str)]):
        raise fail(element, "expected a simple value, found child elements")
    return (element.text or "").strip()


_SERVICE = re.compile(r"\d{1,2}\.\d{1,2}")
_VARIANT = re.compile(r"\d{1,2}\.\d{1,2}(?:\.\d{1,2})?")


def service_reference(ref_el: etree._Element, variant_el: etree._Element) -> tuple[str, str]:
    """ServiceReference (``11.4``) and its variant (``11.4`` or ``4.1.1``), checked together."""
    ref, variant = text(ref_el), text(variant_el)
    if not _SERVICE.fullmatch(ref):
        raise fail(ref_el, f"expected a service reference such as 11.4, got {ref[:20]!r}")
    if not _VARIANT.fullmatch(variant) or not (variant == ref or variant.startswith(ref + ".")):
        raise fail(variant_el, f"ServiceReferenceVariant {variant[:20]!r} is not a variant of {ref!r}")
    return ref, variant


def parse_eui(value: str, element: etree._Element) -> int:
    if not _EUI.fullmatch(value):
        raise fail(element, f"expected an EUI-64 as XX-XX-XX-XX-XX-XX-XX-XX, got {value[:40]!r}")
    return int(value.replace("-", ""), 16)


def eui_text(eui: int) -> str:
    raw = f"{eui:016X}"
    return "-".join(raw[i:i + 2] for i in range(0, 16, 2))


def parse_eui_list(value: str, element: etree._Element) -> tuple[int, ...]:
    if not value:
        raise fail(element, "empty device list")
    out = []
    for i, part in enumerate(value.split(",")):
        if not _EUI.fullmatch(part):
            raise fail(element, f"item {i}: expected an EUI-64 as XX-XX-XX-XX-XX-XX-XX-XX, got {part[:40]!r}")
        out.append(int(part.replace("-", ""), 16))
    return tuple(out)


def parse_version(value: str, element: etree._Element) -> int:
    """FirmwareVersion: 4 octets as 8 hex digits, most significant first (the project's reading
    of the schema's 1-8 character string; docs/reference-dcc.md gives the byte order)."""
    if not _VERSION.fullmatch(value):
        raise fail(element, f"expected 4 octets as 8 hex digits, got {value[:40]!r}")
    return int(value, 16)


def version_text(version: int) -> str:
    if not 0 <= version <= 0xFFFFFFFF:
        raise ValueError(f"FirmwareVersion out of range: {version}")
    return f"{version:08X}"


def parse_hex(value: str, element: etree._Element, *, size: int | None = None) -> bytes:
    if not _HEX.fullmatch(value):
        raise fail(element, f"expected hex octets, got {value[:40]!r}")
    raw = bytes.fromhex(value)
    if size is not None and len(raw) != size:
        raise fail(element, f"expected {size} octets, got {len(raw)}")
    return raw


def parse_code(value: str, element: etree._Element) -> int:
    """A 2-octet alert code written in hex (``8F8B``)."""
    return int.from_bytes(parse_hex(value, element, size=2), "big")


def parse_b64(value: str, element: etree._Element) -> bytes:
    compact = "".join(value.split())  # xs:base64Binary allows whitespace
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise fail(element, "not valid base64") from None


def b64_text(data: bytes) -> bytes:
    """Base64 as ASCII bytes: lxml takes them as text without another pass over a megabyte."""
    return base64.b64encode(data)


def parse_datetime(value: str, element: etree._Element) -> datetime:
    if not _DATETIME.fullmatch(value):
        raise fail(element, f"expected an xs:dateTime with a time zone, got {value[:40]!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise fail(element, f"not a valid date-time: {value[:40]!r}") from None


def datetime_text(value: datetime) -> str:
    """UTC with milliseconds, as DCC Boxed writes it (``2022-08-17T15:45:42.790Z``)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def sub(parent: etree._Element, name: str, value: str | bytes | None = None, ns: str = SR) -> etree._Element:
    element = etree.SubElement(parent, q(name, ns))
    if value is not None:
        element.text = value
    return element


__all__ += ["DS", "b64_text", "datetime_text", "fail", "parse_b64", "parse_code", "parse_datetime",
            "parse_hex", "service_reference", "sub", "text"]
