"""DUIS Service Requests of the firmware flow: build them, read them back strictly.

SR 11.4 Update PPMID Firmware (``UpdatePPMIDFirmware``), SR 11.1 Update Firmware
(``UpdateFirmware``), SR 11.3 Activate Firmware (``ActivateFirmware``, CS06) and SR 11.2 Read
Firmware Version (``ReadFirmwareVersion``, CS08), with the header DUIS puts before each body.
Values are typed: EUI-64s and counters as ints, FirmwareVersion as the 32-bit file version
(8 hex digits, most significant octet first), the image as bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from . import _read as r
from .xmldoc import DS, SR, XSI, q

__all__ = [
    "ActivateFirmware",
    "ReadFirmwareVersion",
    "ReadInventory",
    "Request",
    "RequestBody",
    "RequestHeader",
    "RequestId",
    "SERVICES",
    "SCHEMA_VERSION",
    "UpdateFirmware",
    "UpdatePPMIDFirmware",
    "build_request",
    "read_request",
]

SCHEMA_VERSION = "5.4"
_COUNTER_MAX = 2**64 - 1


@dataclass(frozen=True)
class RequestId:
    """``originator:target:counter``: the sender's EUI-64, the target's, and the sender's counter."""

    originator: int
    target: int
    counter: int

    def __post_init__(self) -> None:
        for name in ("originator", "target"):
            if not 0 <= getattr(self, name) < 2**64:
                raise ValueError(f"RequestId.{name} is not an EUI-64")
        if not 0 <= self.counter <= _COUNTER_MAX:
            raise ValueError("RequestId.counter is not an unsigned 64-bit integer")

    def text(self) -> str:
        return f"{r.eui_text(self.originator)}:{r.eui_text(self.target)}:{self.counter}"

    @classmethod
    def read(cls, element: etree._Element) -> RequestId:
        value = r.text(element)
        parts = value.split(":")
        if len(parts) != 3:
            raise r.fail(element, f"expected originator:target:counter, got {value[:60]!r}")
        counter = parts[2]
        if not counter.isdigit() or (len(counter) > 1 and counter[0] == "0") or int(counter) > _COUNTER_MAX:
            raise r.fail(element, f"counter must be a decimal 0 to 2^64-1, got {counter[:30]!r}")
        return cls(r.parse_eui(parts[0], element), r.parse_eui(parts[1], element), int(counter))


@dataclass(frozen=True)
class RequestHeader:
    request_id: RequestId
    command_variant: int
    service_reference: str
    service_reference_variant: str


@dataclass(frozen=True)
class UpdatePPMIDFirmware:
    """SR 11.4: the GBCS Upgrade Image, its version, the PPMIDs (and HCALCSs) to update."""

    firmware_image: bytes
    firmware_version: int
    device_ids: tuple[int, ...]

    element = "UpdatePPMIDFirmware"
    service = "11.4"


@dataclass(frozen=True)
class UpdateFirmware:
    """SR 11.1: distribute an image to devices (HCALCS and meters) without activating it."""

    firmware_image: bytes
    firmware_version: int
    device_ids: tuple[int, ...]

    element = "UpdateFirmware"
    service = "11.1"


@dataclass(frozen=True)
class ActivateFirmware:
    """SR 11.3 (CS06): activate the image whose Manufacturer Image Hash is ``firmware_hash``."""

    firmware_hash: bytes
    execution_datetime: datetime | None = None

    element = "ActivateFirmware"
    service = "11.3"


@dataclass(frozen=True)
class ReadFirmwareVersion:
    """SR 11.2 (CS08 for a PPMID or HCALCS): read the version the device runs."""

    execution_datetime: datetime | None = None

    element = "ReadFirmwareVersion"
    service = "11.2"


@dataclass(frozen=True)
class ReadInventory:
    """SR 8.2 for one device: its record in the Smart Metering Inventory (by DeviceID only)."""

    device_id: int

    element = "ReadInventory"
    service = "8.2"


RequestBody = UpdatePPMIDFirmware | UpdateFirmware | ActivateFirmware | ReadFirmwareVersion | ReadInventory
#: ServiceReference -> body class.
SERVICES: dict[str, type[RequestBody]] = {
    cls.service: cls for cls in (UpdatePPMIDFirmware, UpdateFirmware, ActivateFirmware, ReadFirmwareVersion,
                                 ReadInventory)}


@dataclass(frozen=True)
class Request:
    header: RequestHeader
    body: RequestBody


# -- building -----------------------------------------------------------------------------------
def build_request(request: Request) -> etree._Element:
    """The unsigned ``sr:Request`` element (sign it with ``protocol.duis.signing``)."""
    root = etree.Element(q("Request"), nsmap={"ds": DS, "sr": SR, "xsi": XSI})
    root.set("schemaVersion", SCHEMA_VERSION)
    h = request.header
    header = r.sub(root, "Header")
    r.sub(header, "RequestID", h.request_id.text())
    r.sub(header, "CommandVariant", str(h.command_variant))
    r.sub(header, "ServiceReference", h.service_reference)
    r.sub(header, "ServiceReferenceVariant", h.service_reference_variant)
    body = r.sub(r.sub(root, "Body"), request.body.element)
    b = request.body
    if isinstance(b, UpdatePPMIDFirmware | UpdateFirmware):
        if not b.device_ids:
            raise ValueError("DeviceIDList needs at least one device")
        r.sub(body, "FirmwareImage", r.b64_text(b.firmware_image))
        r.sub(body, "FirmwareVersion", r.version_text(b.firmware_version))
        r.sub(body, "DeviceIDList", ",".join(r.eui_text(d) for d in b.device_ids))
    elif isinstance(b, ActivateFirmware):
        if b.execution_datetime is not None:
            r.sub(body, "ExecutionDateTime", r.datetime_text(b.execution_datetime))
        if len(b.firmware_hash) != 32:
            raise ValueError("FirmwareHash is 32 octets")
        r.sub(body, "FirmwareHash", b.firmware_hash.hex().upper())
    elif isinstance(b, ReadInventory):
        r.sub(body, "DeviceID", r.eui_text(b.device_id))
    elif b.execution_datetime is not None:
        r.sub(body, "ExecutionDateTime", r.datetime_text(b.execution_datetime))
    return root


# -- reading ------------------------------------------------------------------------------------
def read_request(root: etree._Element) -> Request:
    """The typed request in ``root`` (an ``sr:Request``); a trailing ds:Signature is allowed
    (check it with ``protocol.duis.signing``)."""
    if root.tag != q("Request"):
        raise r.fail(root, f"expected sr:Request, got {etree.QName(root).localname}")
    _schema_version(root)
    top = r.Children(root)
    header = _read_header(top.required("Header"))
    body_el = top.required("Body")
    top.optional("Signature", DS)
    top.end()
    inner = r.Children(body_el)
    items = inner.rest()
    if len(items) != 1:
        raise r.fail(body_el, f"expected exactly one request body, found {len(items)}")
    element = items[0]
    local = etree.QName(element).localname
    cls = SERVICES.get(header.service_reference)
    if cls is None:
        raise r.fail(root.find(q("Header")).find(q("ServiceReference")),
                     f"service {header.service_reference!r} is not one of the firmware flow's "
                     f"({', '.join(sorted(SERVICES))})")
    if element.tag != q(cls.element):
        raise r.fail(element, f"ServiceReference {header.service_reference} carries {cls.element}, "
                     f"not {local}")
    return Request(header, _read_body(cls, element))


def _schema_version(root: etree._Element) -> None:
    value = root.get("schemaVersion")
    if value is None:
        raise r.fail(root, "the schemaVersion attribute is required")
    try:
        float(value)
    except ValueError:
        raise r.fail(root, f"schemaVersion must be a decimal, got {value[:20]!r}") from None


def _read_header(element: etree._Element) -> RequestHeader:
    c = r.Children(element)
    rid = RequestId.read(c.required("RequestID"))
    c.optional("FirstInSequence")
    c.optional("PrecedingServiceRequestID")
    cv_el = c.required("CommandVariant")
    cv = r.text(cv_el)
    if not cv.isdigit() or not 1 <= int(cv) <= 8:
        raise r.fail(cv_el, f"CommandVariant must be 1 to 8, got {cv[:10]!r}")
    ref, variant = r.service_reference(c.required("ServiceReference"), c.required("ServiceReferenceVariant"))
    c.end()
    return RequestHeader(rid, int(cv), ref, variant)


def _read_body(cls: type[RequestBody], element: etree._Element) -> RequestBody:
    c = r.Children(element)
    if cls is UpdatePPMIDFirmware or cls is UpdateFirmware:
        image = r.parse_b64(r.text(img := c.required("FirmwareImage")), img)
        version = r.parse_version(r.text(v := c.required("FirmwareVersion")), v)
        devices = r.parse_eui_list(r.text(d := c.required("DeviceIDList")), d)
        c.end()
        return cls(image, version, devices)
    if cls is ReadInventory:
        device_el = c.required("DeviceID")
        c.end()
        return ReadInventory(r.parse_eui(r.text(device_el), device_el))
    when_el = c.optional("ExecutionDateTime")
    when = None if when_el is None else r.parse_datetime(r.text(when_el), when_el)
    if cls is ActivateFirmware:
        hash_el = c.required("FirmwareHash")
        digest = r.parse_hex(r.text(hash_el), hash_el, size=32)
        c.end()
        return ActivateFirmware(digest, when)
    c.end()
    return ReadFirmwareVersion(when)

