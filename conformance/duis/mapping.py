"""Between DUIS messages and the reference world's records (no I/O, both sides of the binding).

Response codes and alert codes are DUIS's; which one the reference DCC uses for each of its own
decisions is this table's choice, written down here once:

* the answer to SR 11.4: ``I0`` accepted for every device; ``W110401`` accepted for some, the
  others listed in ``DSPUpdatePPMIDFirmwareWarning`` by reason; ``E1104xx`` (or ``E4``, a User
  Role the request is not open to) refused as a whole (``REJECT_CODES``). The suite judges the
  kind (I, W, E), the lists, and the code of the two refusals a scenario names (E110403 a
  FirmwareVersion other than the image header's, E4 the role).
* alerts: the DCC alert codes N60 (delivered) and N61 (not delivered) that SECMP0007 introduced,
  on three bodies: ``CSPFirmwareDeliveryStatus`` (the image reached the hub: the minutes' alert
  (a)), ``PPMIDAlert`` with ``PPMIDFirmwareUpgradeAlert`` (0x8F8B, the version the device runs:
  alert (c)) and ``CommsHubAlert`` with ``FirmwareTransferAlert`` (CCS08, by response code).
  Which N-code DUIS assigns to the first two is for its text to confirm; the suite classifies
  what it receives by body, never by code. Alert (c) after a failed CS08 read is a PPMIDAlert
  without PPMIDFirmwareUpgradeAlert (it names no version); its Timestamp is 0x8F8B's
  executionDateTime (the project's reading of that one time, docs/dcc-duis.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hanota.conformance.dcc_side import AlertSeen
from hanota.conformance.models import gbcs_wan
from hanota.conformance.models.service_request import (
    WARNING_LISTS,
    Acknowledged,
    ActivationOutcomeAlert,
    Alert,
    DeviceRejection,
    FirmwareConfirmedAlert,
    Rejected,
    RejectReason,
    RequestProcessedAlert,
    ServiceRequestResponse,
    TransferOutcomeAlert,
    WarningResponse,
)
from hanota.protocol import gbcs
from hanota.protocol.duis import (
    CommsHubAlert,
    CSPFirmwareDeliveryStatus,
    DccAlertMessage,
    DeviceAlertMessage,
    FirmwareTransferAlert,
    PPMIDAlert,
    PPMIDFirmwareWarning,
    RequestId,
    Response,
    ResponseHeader,
    ResponseKind,
    ResponseMessage,
)
from hanota.protocol.errors import ProtocolError
from hanota.protocol.gbcs import FirmwareTransferResponseCode

__all__ = [
    "REJECT_CODES",
    "WARNING_CODE",
    "alert_to_duis",
    "answer_to_duis",
    "answer_from_duis",
    "ms_to_datetime",
    "datetime_to_ms",
    "seen_from_duis",
]

WARNING_CODE = "W110401"
#: Refused as a whole: the reference DCC's reason -> the DUIS response code it answers.
REJECT_CODES: dict[RejectReason, str] = {
    RejectReason.IMAGE_TOO_LARGE: "E110402",
    RejectReason.FIRMWARE_VERSION_MISMATCH: "E110403",
    RejectReason.IMAGE_MALFORMED: "E110405",
    RejectReason.FRAGMENTS_INVALID: "E110405",
    RejectReason.VARIANT_NOT_SUPPORTED: "E110405",
    RejectReason.REQUESTER_NOT_A_SUPPLIER: "E110405",
    RejectReason.DUPLICATE_REQUEST_ID: "E110405",
    # DUIS refuses a User Role the Service Request is not open to with a generic code before
    # any SR-specific check; E4 is the reference DCC's reading of which (an interpretation).
    RejectReason.ROLE_MAY_NOT_SEND: "E4",
}
_DEFAULT_REJECT = "E110401"  # no valid device in the DeviceIDList (each listed by reason)
#: What the suite reads back from each list (a DUIS list is coarser than the reference's reasons;
#: the DCC's side files each reason in its list by ``service_request.WARNING_LISTS``).
_REASON_OF = {"invalid": RejectReason.UNKNOWN_DEVICE, "not_commissioned": RejectReason.NOT_PAIRED_TO_HUB,
              "not_applicable_firmware": RejectReason.IMAGE_NOT_FOR_DEVICE,
              "other_request_in_progress": RejectReason.DISTRIBUTION_IN_PROGRESS,
              "invalid_gbcs_version": RejectReason.GBCS_VERSION_NOT_SUPPORTED}
_LIST_NAMES = {"invalid": "InvalidDeviceIDList", "not_commissioned": "NotCommissionedDeviceIDList",
               "not_applicable_firmware": "NotApplicableFirmwareDeviceIDList",
               "other_request_in_progress": "OtherRequestInProgressList",
               "invalid_gbcs_version": "InvalidGBCSVersionList"}
_FIELD_OF = {v: k for k, v in _LIST_NAMES.items()}


def ms_to_datetime(ms: int, epoch: dt.datetime) -> dt.datetime:
    return epoch + dt.timedelta(milliseconds=ms)


def datetime_to_ms(when: dt.datetime, epoch: dt.datetime) -> int:
    return round((when - epoch).total_seconds() * 1000)


# -- the DCC's answer ------------------------------------------------------------------------------
def _warning(rejections: tuple[DeviceRejection, ...]) -> PPMIDFirmwareWarning | None:
    if not rejections:
        return None
    lists: dict[str, list[int]] = {}
    for r in rejections:
        name = _FIELD_OF.get(WARNING_LISTS.get(r.reason, ""), "not_applicable_firmware")
        lists.setdefault(name, []).append(r.device)
    return PPMIDFirmwareWarning(**{k: tuple(v) for k, v in lists.items()})


def answer_to_duis(answer: ServiceRequestResponse, request_id: RequestId | None, response_id: RequestId,
                   when: dt.datetime, service: str = "11.4") -> Response:
    """The synchronous DUIS Response to SR 11.4 for the reference DCC's decision."""
    if isinstance(answer, Acknowledged):
        code, warning = "I0", None
    elif isinstance(answer, WarningResponse):
        code, warning = WARNING_CODE, _warning(tuple(answer.invalid))
    else:
        code, warning = REJECT_CODES.get(answer.reason, _DEFAULT_REJECT), _warning(tuple(answer.invalid))
    header = ResponseHeader(code, when, request_id, response_id)
    return Response(header, ResponseMessage(service, service, warning))


def answer_from_duis(response: Response, devices: tuple[int, ...]) -> ServiceRequestResponse:
    """The suite's reading of the DCC's answer: accepted for which devices, refused for which."""
    header = response.header
    rid = header.request_id.text() if header.request_id else "(no RequestID)"
    body = response.body
    warning = body.warning if isinstance(body, ResponseMessage) else None
    invalid = []
    for name, list_name in _LIST_NAMES.items():
        for device in getattr(warning, name, ()) if warning is not None else ():
            invalid.append(DeviceRejection(device, _REASON_OF[name], f"listed in {list_name}"))
    refused = {r.device for r in invalid}
    if header.kind is ResponseKind.ERROR:
        reason = next((r for r, c in REJECT_CODES.items() if c == header.response_code),
                      RejectReason.NO_VALID_DEVICES)
        return Rejected(rid, reason, f"DUIS response code {header.response_code}", tuple(invalid))
    accepted = tuple(d for d in devices if d not in refused)
    if invalid:
        return WarningResponse(rid, accepted, tuple(invalid))
    return Acknowledged(rid, accepted)


# -- alerts -----------------------------------------------------------------------------------------
def alert_to_duis(alert: Alert, hub: int, request_id: RequestId | None, response_id: RequestId,
                  epoch: dt.datetime, requested_version: int = 0) -> Response:
    """The signed-to-be DUIS alert for one alert of the reference DCC, to ``response_id``'s target."""
    body: Any
    if isinstance(alert, RequestProcessedAlert):
        body = DccAlertMessage("N60", CSPFirmwareDeliveryStatus(
            request_id or response_id, hub, alert.device, alert.file_version,
            ms_to_datetime(alert.time_ms, epoch), True))
    elif isinstance(alert, FirmwareConfirmedAlert):
        # 0x8F8B's activateImage when the device sent one (0 success), else whether the version
        # read back is the one requested.
        activated = getattr(alert, "activate_image", None)
        success = activated == 0 if activated is not None else bool(alert.matches_request)
        # Timestamp: 0x8F8B's executionDateTime, the one time that alert carries (else the read).
        executed = alert.executed_ms if alert.executed_ms is not None else alert.time_ms
        # A failed CS08 read names no version: PPMIDAlert without PPMIDFirmwareUpgradeAlert.
        body = DccAlertMessage("N60" if success and alert.firmware_version is not None else "N61", PPMIDAlert(
            alert.device, 0x8F8B, ms_to_datetime(executed, epoch), alert.firmware_version,
            None if alert.firmware_version is None else success))
    elif isinstance(alert, ActivationOutcomeAlert):
        # SR 11.3's outcome: the device's CS06 alert (0x00CA) as the DCC passes it on, in GBCS.
        code_of = alert.device_alert_code or (0x8F66 if alert.response_code == 0 else 0x8F67)
        activated = gbcs.AlertCode(code_of)
        body = DeviceAlertMessage(int(activated), gbcs_wan.activation_alert(
            device=alert.device, counter=response_id.counter, command_counter=0,
            executed_ms=alert.time_ms,
            alert=activated, response_code=gbcs.ActivationResponseCode(alert.response_code),
            file_version=alert.firmware_version))
    elif isinstance(alert, TransferOutcomeAlert):
        code = FirmwareTransferResponseCode(alert.response_code)
        body = DccAlertMessage("N60" if code == 0 else "N61", CommsHubAlert(
            hub, 0x8F8A if code == 0 else 0x8F89, ms_to_datetime(alert.hub_time_ms, epoch),
            FirmwareTransferAlert(alert.device, requested_version, code, request_id)))
    else:  # pragma: no cover - the Alert union is closed
        raise TypeError(f"unknown alert {alert!r}")
    when = ms_to_datetime(alert.delivered_ms, epoch)
    return Response(ResponseHeader("I0", when, request_id, response_id), body)


def seen_from_duis(response: Response, supplier: str, delivered_ms: int,
                   epoch: dt.datetime) -> AlertSeen | None:
    """The features' alert this DUIS alert is, as ``supplier`` received it at ``delivered_ms``
    (observed by the suite); None for a message that is none of them (kept as evidence).
    ``raised_ms`` is the event the alert reports as its body dates it (the hub's transfer, the
    device's version read), never the DCC's own account of its delivery."""
    body = response.body
    header_rid = response.header.request_id
    if isinstance(body, DeviceAlertMessage):
        return _activation_seen(body, header_rid, supplier, delivered_ms)
    if not isinstance(body, DccAlertMessage):
        return None
    a = body.alert
    if isinstance(a, CSPFirmwareDeliveryStatus):
        if not a.success:
            return None
        return AlertSeen(supplier, "(a)", a.update_request_id.text(), a.target_id,
                         datetime_to_ms(a.timestamp, epoch), delivered_ms, (supplier,), a.firmware_version,
                         None, body.code)
    rid = header_rid.text() if header_rid is not None else ""
    if isinstance(a, PPMIDAlert):
        if a.device_alert_code != 0x8F8B:
            return None
        stamped = None if a.timestamp is None else datetime_to_ms(a.timestamp, epoch)
        activated = None if a.activation_success is None else int(not a.activation_success)
        # DUIS shows no CS08 responseCode: a version read (PPMIDFirmwareUpgradeAlert) is read as
        # 0, none as 1; the one Timestamp as 0x8F8B's executionDateTime (docs/dcc-duis.md).
        return AlertSeen(supplier, "(c)", rid, a.device_id, delivered_ms if stamped is None else stamped,
                         delivered_ms, (supplier,), a.firmware_version, None, body.code,
                         device_alert_code=a.device_alert_code, activate_image=activated,
                         executed_ms=stamped, read_response_code=0 if a.firmware_version is not None else 1)
    if a.transfer is None:
        return None
    t = a.transfer
    code = int(t.response_code)
    kind = "transfer outcome" if code == 0 else ("Image Discarded" if code == 1 else "(b)")
    raised = datetime_to_ms(a.timestamp, epoch) if a.timestamp else delivered_ms
    rid = t.update_request_id.text() if t.update_request_id is not None else rid
    return AlertSeen(supplier, kind, rid, t.other_device_id, raised, delivered_ms, (supplier,), None, code,
                     body.code, device_alert_code=a.alert_code)


def _activation_seen(body: DeviceAlertMessage, rid: RequestId | None, supplier: str,
                     delivered_ms: int) -> AlertSeen | None:
    """SR 11.3's outcome, read from the GBCS alert the message carries (decoded by
    ``protocol.gbcs``), never from the DUIS AlertCode beside it; None for another alert or a
    payload that does not decode (kept as evidence)."""
    try:
        frame, payload = gbcs_wan.decode(body.gbcs_payload)
    except ProtocolError:
        return None
    if not isinstance(payload, gbcs.FutureDatedActivationAlert):
        return None
    outcome = payload.execution_outcome
    return AlertSeen(supplier, "activation outcome", rid.text() if rid is not None else "",
                     frame.originator_title, gbcs_wan.from_gbcs_time(payload.execution_date_time),
                     delivered_ms, (supplier,), int.from_bytes(outcome.firmware_version, "big"),
                     int(outcome.response_code), None, device_alert_code=int(payload.alert_code))
