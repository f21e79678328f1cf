"""DUIS Responses and Alerts of the firmware flow: build them, read them back strictly.

A ``sr:Response`` has a header (RequestID, ResponseID, ResponseCode, ResponseDateTime) and one
body: a ``ResponseMessage`` (the acknowledgement I99, a success I0 with or without a
GBCSPayload, a warning with ``DSPUpdatePPMIDFirmwareWarning`` lists, an error E...), a
``DeviceAlertMessage`` (a device's GBCS alert), or a ``DCCAlertMessage`` (N60/N61 and others,
whose body here is ``CommsHubAlert`` with a ``FirmwareTransferAlert`` (CCS08), ``PPMIDAlert``
with ``PPMIDFirmwareUpgradeAlert`` (0x8F8B) or ``CSPFirmwareDeliveryStatus``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from hanota.protocol.errors import ProtocolError
from hanota.protocol.gbcs import FirmwareTransferResponseCode, GbcsFrame, decode_frame

from . import _read as r
from .errors import DuisContentError
from .requests import SCHEMA_VERSION, RequestId
from .xmldoc import DS, SR, element_path, q

__all__ = [
    "CSPFirmwareDeliveryStatus",
    "CommsHubAlert",
    "DccAlertMessage",
    "DeviceAlertMessage",
    "FirmwareTransferAlert",
    "InventoryDevice",
    "PPMIDAlert",
    "PPMIDFirmwareWarning",
    "Response",
    "ResponseBody",
    "ResponseHeader",
    "ResponseMessage",
    "build_response",
    "read_response",
    "response_kind",
]

#: The TransferResponseCode names of FirmwareTransferAlert, by CCS08 response code.
TRANSFER_CODES = {
    FirmwareTransferResponseCode.SUCCESS: "FileTransferSuccess",
    FirmwareTransferResponseCode.IMAGE_DISCARDED: "FirmwareImageDiscarded",
    FirmwareTransferResponseCode.HARDWARE_VERSION_MISMATCH: "HardwareVersionMismatch",
    FirmwareTransferResponseCode.FILE_TRANSFER_FAILURE: "FileTransferFailure",
}
_TRANSFER_BY_NAME = {v: k for k, v in TRANSFER_CODES.items()}
#: DSPUpdatePPMIDFirmwareWarning's lists, in schema order: element name -> field name.
WARNING_LISTS = (
    ("InvalidDeviceIDList", "invalid"),
    ("NotCommissionedDeviceIDList", "not_commissioned"),
    ("NotApplicableFirmwareDeviceIDList", "not_applicable_firmware"),
    ("OtherRequestInProgressList", "other_request_in_progress"),
    ("InvalidGBCSVersionList", "invalid_gbcs_version"),
)


class ResponseKind(enum.StrEnum):
    SUCCESS = "success"  # I0
    ACKNOWLEDGEMENT = "acknowledgement"  # I99
    WARNING = "warning"  # W...
    ERROR = "error"  # E...


def response_kind(code: str) -> ResponseKind:
    if code == "I0":
        return ResponseKind.SUCCESS
    if code == "I99":
        return ResponseKind.ACKNOWLEDGEMENT
    if code.startswith("W"):
        return ResponseKind.WARNING
    if code.startswith("E"):
        return ResponseKind.ERROR
    raise ValueError(f"unknown DUIS response code {code!r}")


@dataclass(frozen=True)
class ResponseHeader:
    response_code: str
    response_datetime: datetime
    request_id: RequestId | None = None
    response_id: RequestId | None = None

    @property
    def kind(self) -> ResponseKind:
        return response_kind(self.response_code)


@dataclass(frozen=True)
class PPMIDFirmwareWarning:
    """``DSPUpdatePPMIDFirmwareWarning``: the device IDs SR 11.4 was not accepted for, by reason."""

    invalid: tuple[int, ...] = ()
    not_commissioned: tuple[int, ...] = ()
    not_applicable_firmware: tuple[int, ...] = ()
    other_request_in_progress: tuple[int, ...] = ()
    invalid_gbcs_version: tuple[int, ...] = ()

    def all_devices(self) -> tuple[int, ...]:
        return tuple(d for _, name in WARNING_LISTS for d in getattr(self, name))


@dataclass(frozen=True)
class InventoryDevice:
    """One ``Device`` of a ``DSPInventory``: its ID and type, and every other field as text in
    schema order (``DeviceFirmwareVersion`` among them: the schema allows 1 to 8 characters)."""

    device_id: int
    device_type: str
    fields: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)


@dataclass(frozen=True)
class ResponseMessage:
    service_reference: str
    service_reference_variant: str
    warning: PPMIDFirmwareWarning | None = None
    gbcs_payload: bytes | None = None
    inventory: tuple[InventoryDevice, ...] | None = None

    def gbcs_frame(self) -> GbcsFrame:
        """The GBCSPayload decoded by ``protocol.gbcs`` (errors name ``GBCSPayload.<field>``)."""
        return _frame(self.gbcs_payload, "/sr:Response/sr:Body/sr:ResponseMessage/sr:GBCSPayload")


@dataclass(frozen=True)
class DeviceAlertMessage:
    alert_code: int
    gbcs_payload: bytes

    def gbcs_frame(self) -> GbcsFrame:
        return _frame(self.gbcs_payload, "/sr:Response/sr:Body/sr:DeviceAlertMessage/sr:GBCSPayload")


@dataclass(frozen=True)
class PPMIDAlert:
    """0x8F8B from a PPMID, decoded by the DCC: the version it runs and whether activation worked."""

    device_id: int
    device_alert_code: int
    timestamp: datetime | None = None
    firmware_version: int | None = None
    activation_success: bool | None = None


@dataclass(frozen=True)
class FirmwareTransferAlert:
    """CCS08 from the Communications Hub: the outcome of a transfer to one device."""

    other_device_id: int
    firmware_version: int
    response_code: FirmwareTransferResponseCode
    update_request_id: RequestId | None = None


@dataclass(frozen=True)
class CommsHubAlert:
    hub_id: int
    alert_code: int
    timestamp: datetime | None = None
    transfer: FirmwareTransferAlert | None = None


@dataclass(frozen=True)
class CSPFirmwareDeliveryStatus:
    """The image's delivery to a Communications Hub over the WAN, for one target device."""

    update_request_id: RequestId
    hub_id: int
    target_id: int
    firmware_version: int
    timestamp: datetime
    success: bool


DccAlertBody = PPMIDAlert | CommsHubAlert | CSPFirmwareDeliveryStatus


@dataclass(frozen=True)
class DccAlertMessage:
    code: str  # DCCAlertCode: N60, N61, ...
    alert: DccAlertBody


ResponseBody = ResponseMessage | DeviceAlertMessage | DccAlertMessage


@dataclass(frozen=True)
class Response:
    header: ResponseHeader
    body: ResponseBody = field()


def _frame(payload: bytes | None, path: str) -> GbcsFrame:
    if payload is None:
        raise DuisContentError("no GBCSPayload in this response", field=path)
    try:
        return decode_frame(payload)
    except ProtocolError as err:
        raise DuisContentError(f"GBCSPayload: {err.describe()}", field=path) from None


# -- building -----------------------------------------------------------------------------------
def build_response(response: Response) -> etree._Element:
    """The unsigned ``sr:Response`` element."""
    root = etree.Element(q("Response"), nsmap={"sr": SR, "ds": DS})
    root.set("schemaVersion", SCHEMA_VERSION)
    h = response.header
    header = r.sub(root, "Header")
    if h.request_id is not None:
        r.sub(header, "RequestID", h.request_id.text())
    if h.response_id is not None:
        r.sub(header, "ResponseID", h.response_id.text())
    r.sub(header, "ResponseCode", h.response_code)
    r.sub(header, "ResponseDateTime", r.datetime_text(h.response_datetime))
    body = r.sub(root, "Body")
    b = response.body
    if isinstance(b, ResponseMessage):
        m = r.sub(body, "ResponseMessage")
        r.sub(m, "ServiceReference", b.service_reference)
        r.sub(m, "ServiceReferenceVariant", b.service_reference_variant)
        if sum(x is not None for x in (b.warning, b.gbcs_payload, b.inventory)) > 1:
            raise ValueError("a ResponseMessage carries one of a warning, a GBCSPayload, an inventory")
        if b.inventory is not None:
            inv = r.sub(m, "DSPInventory")
            for device in b.inventory:
                d = r.sub(inv, "Device")
                r.sub(d, "DeviceID", r.eui_text(device.device_id))
                r.sub(d, "DeviceType", device.device_type)
                for name, value in device.fields:
                    r.sub(d, name, value)
        elif b.warning is not None:
            w = r.sub(m, "DSPUpdatePPMIDFirmwareWarning")
            for element, name in WARNING_LISTS:
                devices = getattr(b.warning, name)
                if devices:
                    r.sub(w, element, ",".join(r.eui_text(d) for d in devices))
        elif b.gbcs_payload is not None:
            r.sub(m, "GBCSPayload", r.b64_text(b.gbcs_payload))
    elif isinstance(b, DeviceAlertMessage):
        m = r.sub(body, "DeviceAlertMessage")
        r.sub(m, "AlertCode", f"{b.alert_code:04X}")
        r.sub(m, "GBCSPayload", r.b64_text(b.gbcs_payload))
    else:
        m = r.sub(body, "DCCAlertMessage")
        r.sub(m, "DCCAlertCode", b.code)
        _build_dcc_alert(r.sub(m, "DCCAlert"), b.alert)
    return root


def _build_dcc_alert(parent: etree._Element, a: DccAlertBody) -> None:
    if isinstance(a, PPMIDAlert):
        e = r.sub(parent, "PPMIDAlert")
        r.sub(e, "DeviceID", r.eui_text(a.device_id))
        r.sub(e, "DeviceAlertCode", f"{a.device_alert_code:04X}")
        if a.timestamp is not None:
            r.sub(e, "Timestamp", r.datetime_text(a.timestamp))
        if a.firmware_version is not None:
            if a.activation_success is None:
                raise ValueError("PPMIDFirmwareUpgradeAlert needs activation_success")
            u = r.sub(e, "PPMIDFirmwareUpgradeAlert")
            r.sub(u, "FirmwareVersion", r.version_text(a.firmware_version))
            r.sub(u, "ActivateImageResultCode", "ActivationSuccess" if a.activation_success
                  else "ActivationFailure")
    elif isinstance(a, CommsHubAlert):
        e = r.sub(parent, "CommsHubAlert")
        r.sub(e, "CommsHubDeviceID", r.eui_text(a.hub_id))
        r.sub(e, "AlertCode", f"{a.alert_code:04X}")
        if a.timestamp is not None:
            r.sub(e, "TimeStamp", r.datetime_text(a.timestamp))
        if a.transfer is not None:
            t = r.sub(e, "FirmwareTransferAlert")
            if a.transfer.update_request_id is not None:
                r.sub(t, "UpdateFirmwareRequestID", a.transfer.update_request_id.text())
            r.sub(t, "OtherDeviceID", r.eui_text(a.transfer.other_device_id))
            r.sub(t, "FirmwareVersion", r.version_text(a.transfer.firmware_version))
            r.sub(t, "TransferResponseCode", TRANSFER_CODES[a.transfer.response_code])
    else:
        e = r.sub(parent, "CSPFirmwareDeliveryStatus")
        r.sub(e, "UpdateFirmwareRequestID", a.update_request_id.text())
        r.sub(e, "CommsHubDeviceID", r.eui_text(a.hub_id))
        r.sub(e, "TargetDeviceID", r.eui_text(a.target_id))
        r.sub(e, "FirmwareVersion", r.version_text(a.firmware_version))
        r.sub(e, "TimeStamp", r.datetime_text(a.timestamp))
        r.sub(e, "CommsHubTransferStatus", "Success" if a.success else "Failure")


# -- reading ------------------------------------------------------------------------------------
def read_response(root: etree._Element) -> Response:
    """The typed response or alert in ``root`` (an ``sr:Response``); a trailing ds:Signature is
    allowed (check it with ``protocol.duis.signing``). Bodies outside the firmware flow (an
    inventory, a WAN matrix...) are refused by name."""
    if root.tag != q("Response"):
        raise r.fail(root, f"expected sr:Response, got {etree.QName(root).localname}")
    if root.get("schemaVersion") is None:
        raise r.fail(root, "the schemaVersion attribute is required")
    top = r.Children(root)
    header = _read_header(top.required("Header"))
    body_el = top.required("Body")
    top.optional("Signature", DS)
    top.end()
    items = r.Children(body_el).rest()
    if len(items) != 1:
        raise r.fail(body_el, f"expected exactly one response body, found {len(items)}")
    element = items[0]
    body: ResponseBody
    if element.tag == q("ResponseMessage"):
        body = _read_message(element)
    elif element.tag == q("DeviceAlertMessage"):
        c = r.Children(element)
        code = r.parse_code(r.text(code_el := c.required("AlertCode")), code_el)
        c.optional("ThrottledAlertSequenceId")
        c.optional("ThrottledAlertCount")
        payload = r.parse_b64(r.text(p := c.required("GBCSPayload")), p)
        c.end()
        body = DeviceAlertMessage(code, payload)
    elif element.tag == q("DCCAlertMessage"):
        body = _read_dcc_alert(element)
    else:
        raise r.fail(element, f"{etree.QName(element).localname} is not a body of the firmware flow")
    return Response(header, body)


def _read_header(element: etree._Element) -> ResponseHeader:
    c = r.Children(element)
    rid_el = c.optional("RequestID")
    resp_el = c.optional("ResponseID")
    code_el = c.required("ResponseCode")
    code = r.text(code_el)
    try:
        response_kind(code)
    except ValueError:
        raise r.fail(code_el, f"unknown response code {code[:20]!r}") from None
    when = r.parse_datetime(r.text(w := c.required("ResponseDateTime")), w)
    c.end()
    return ResponseHeader(code, when, None if rid_el is None else RequestId.read(rid_el),
                          None if resp_el is None else RequestId.read(resp_el))


def _read_message(element: etree._Element) -> ResponseMessage:
    c = r.Children(element)
    ref, variant = r.service_reference(c.required("ServiceReference"), c.required("ServiceReferenceVariant"))
    inventory_el = c.optional("DSPInventory")
    warning_el = None if inventory_el is not None else c.optional("DSPUpdatePPMIDFirmwareWarning")
    payload_el = None if inventory_el is not None or warning_el is not None else c.optional("GBCSPayload")
    c.end()
    inventory = None if inventory_el is None else _read_inventory(inventory_el)
    warning = None
    if warning_el is not None:
        w = r.Children(warning_el)
        lists: dict[str, tuple[int, ...]] = {}
        for name, attr in WARNING_LISTS:
            got = w.optional(name)
            if got is not None:
                lists[attr] = r.parse_eui_list(r.text(got), got)
        w.end()
        warning = PPMIDFirmwareWarning(**lists)
    payload = None if payload_el is None else r.parse_b64(r.text(payload_el), payload_el)
    return ResponseMessage(ref, variant, warning, payload, inventory)


def _read_inventory(element: etree._Element) -> tuple[InventoryDevice, ...]:
    devices = []
    for item in r.Children(element).rest():
        if item.tag != q("Device"):
            raise r.fail(item, f"expected Device, got {etree.QName(item).localname}")
        c = r.Children(item)
        device = r.parse_eui(r.text(d := c.required("DeviceID")), d)
        kind = r.text(c.required("DeviceType"))
        fields = []
        for child in c.rest():
            # nested records (PropertyFilter, MPxN) are kept as their text content
            fields.append((etree.QName(child).localname, " ".join(child.itertext()).strip()))
        devices.append(InventoryDevice(device, kind, tuple(fields)))
    return tuple(devices)


def _read_dcc_alert(element: etree._Element) -> DccAlertMessage:
    c = r.Children(element)
    code_el = c.required("DCCAlertCode")
    code = r.text(code_el)
    if not (code.startswith(("N", "AD")) and code.lstrip("NAD").isdigit()):
        raise r.fail(code_el, f"expected a DCC alert code such as N60, got {code[:20]!r}")
    c.optional("ThrottledAlertSequenceId")
    c.optional("ThrottledAlertCount")
    alert_el = c.required("DCCAlert")
    c.end()
    items = r.Children(alert_el).rest()
    if len(items) != 1:
        raise r.fail(alert_el, f"expected exactly one DCC alert body, found {len(items)}")
    e = items[0]
    a = r.Children(e)
    body: DccAlertBody
    if e.tag == q("PPMIDAlert"):
        device = r.parse_eui(r.text(d := a.required("DeviceID")), d)
        alert_code = r.parse_code(r.text(ac := a.required("DeviceAlertCode")), ac)
        ts_el = a.optional("Timestamp")
        up = a.optional("PPMIDFirmwareUpgradeAlert")
        a.end()
        version = success = None
        if up is not None:
            u = r.Children(up)
            version = r.parse_version(r.text(v := u.required("FirmwareVersion")), v)
            result_el = u.required("ActivateImageResultCode")
            u.end()
            result = r.text(result_el)
            if result not in ("ActivationSuccess", "ActivationFailure"):
                raise r.fail(result_el, "expected ActivationSuccess or ActivationFailure, "
                             f"got {result[:30]!r}")
            success = result == "ActivationSuccess"
        body = PPMIDAlert(device, alert_code, _opt_time(ts_el), version, success)
    elif e.tag == q("CommsHubAlert"):
        hub = r.parse_eui(r.text(h := a.required("CommsHubDeviceID")), h)
        alert_code = r.parse_code(r.text(ac := a.required("AlertCode")), ac)
        ts_el = a.optional("TimeStamp")
        t_el = a.optional("FirmwareTransferAlert")
        a.end()
        transfer = None if t_el is None else _read_transfer(t_el)
        body = CommsHubAlert(hub, alert_code, _opt_time(ts_el), transfer)
    elif e.tag == q("CSPFirmwareDeliveryStatus"):
        rid = RequestId.read(a.required("UpdateFirmwareRequestID"))
        hub = r.parse_eui(r.text(h := a.required("CommsHubDeviceID")), h)
        target = r.parse_eui(r.text(t := a.required("TargetDeviceID")), t)
        version = r.parse_version(r.text(v := a.required("FirmwareVersion")), v)
        when = r.parse_datetime(r.text(ts := a.required("TimeStamp")), ts)
        status_el = a.required("CommsHubTransferStatus")
        a.end()
        status = r.text(status_el)
        if status not in ("Success", "Failure"):
            raise r.fail(status_el, f"expected Success or Failure, got {status[:30]!r}")
        body = CSPFirmwareDeliveryStatus(rid, hub, target, version, when, status == "Success")
    else:
        raise r.fail(e, f"{etree.QName(e).localname} is not a DCC alert of the firmware flow")
    return DccAlertMessage(code, body)


def _read_transfer(element: etree._Element) -> FirmwareTransferAlert:
    c = r.Children(element)
    rid_el = c.optional("UpdateFirmwareRequestID")
    other = r.parse_eui(r.text(o := c.required("OtherDeviceID")), o)
    version = r.parse_version(r.text(v := c.required("FirmwareVersion")), v)
    code_el = c.required("TransferResponseCode")
    c.end()
    name = r.text(code_el)
    if name not in _TRANSFER_BY_NAME:
        raise r.fail(code_el, f"unknown TransferResponseCode {name[:40]!r}")
    return FirmwareTransferAlert(other, version, _TRANSFER_BY_NAME[name],
                                 None if rid_el is None else RequestId.read(rid_el))


def _opt_time(element: etree._Element | None) -> datetime | None:
    return None if element is None else r.parse_datetime(r.text(element), element)


__all__ += ["ResponseKind", "TRANSFER_CODES", "WARNING_LISTS", "element_path"]
