"""SR 11.3 'Activate Firmware' for HCALCSs at the reference DCC (SECMP0007 as implemented).

An HCALCS gets its image by SR 11.1 'Update Firmware' (distribution only: the hub holds it
and the device downloads it, but nothing activates it) and activates it on SR 11.3, which the
DCC sends to the device as GBCS CS06 Activate Firmware (message code 0x0012) carrying the
32-octet Manufacturer Image hash (SHA-256) and, for a future-dated one, its execution time.
The device (the hub, answering in its name) activates only if the hash is the one of the image
it holds, and reports the outcome: a future-dated command is acknowledged (NULL) and its
outcome alerted later (0x00CA: 0x8F66 actioned, 0x8F67 not, with ExecutionOutcome); an
immediate one is answered with its ExecutionOutcome. Each outcome reaches every Supplier
concerned as an :class:`ActivationOutcomeAlert`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hanota.conformance.models import gbcs_wan
from hanota.conformance.models.service_request import (
    SR_11_4_ROLES,
    Acknowledged,
    ActivateFirmwareRequest,
    ActivationOutcomeAlert,
    Rejected,
    RejectReason,
    ServiceRequestResponse,
)
from hanota.protocol import gbcs
from hanota.protocol.errors import ProtocolError

if TYPE_CHECKING:
    from hanota.conformance.models.dcc import Dcc

__all__ = ["ActivationView", "activate", "on_activation_alert"]


@dataclass(frozen=True)
class ActivationView:
    """A CS06 outcome alert (0x00CA) as the DCC decoded it from the hub's GBCS frame."""

    request_id: str
    device: int
    response_code: int
    time_ms: int
    alert_code: int
    firmware_version: int
    command_counter: int


def activate(dcc: Dcc, request: ActivateFirmwareRequest) -> ServiceRequestResponse:
    """Validate SR 11.3 and send CS06 to the device's hub; the DCC's answer."""
    rid = request.request_id
    record = dcc._devices.get(request.device)
    problem: tuple[RejectReason, str] | None = None
    if rid in dcc._responses:
        problem = RejectReason.DUPLICATE_REQUEST_ID, f"request_id {rid!r} was already used"
    elif request.requester not in dcc._suppliers:
        problem = RejectReason.REQUESTER_NOT_A_SUPPLIER, f"{request.requester!r} holds no Supplier role"
    elif request.requester_role not in SR_11_4_ROLES:
        problem = RejectReason.ROLE_MAY_NOT_SEND, f"sent in the role {request.requester_role.value}"
    elif dcc.rules != "as-implemented":
        problem = RejectReason.VARIANT_NOT_SUPPORTED, "SR 11.3 for HCALCSs belongs to the SEC as implemented"
    elif record is None:
        problem = RejectReason.UNKNOWN_DEVICE, "not in the Smart Metering Inventory"
    elif record.kind != "hcalcs":
        problem = RejectReason.NOT_A_HAN_FIRMWARE_TARGET, f"a {record.kind}, not an HCALCS"
    elif request.requester not in dcc.suppliers_concerned(request.device):
        problem = RejectReason.NOT_RESPONSIBLE_SUPPLIER, f"{request.requester!r} supplies no meter there"
    elif getattr(dcc._premises[record.premises_id].hub, "gbcs_request", None) is None:
        problem = RejectReason.NOT_PAIRED_TO_HUB, "its hub takes no GBCS commands (a scripted hub)"
    if problem is not None or record is None:
        reason, detail = problem or (RejectReason.UNKNOWN_DEVICE, "")
        rejected = Rejected(rid, reason, detail)
        dcc._responses.setdefault(rid, rejected)
        return rejected
    premises = dcc._premises[record.premises_id]
    dcc._gbcs_counter += 1
    counter = dcc._gbcs_counter
    command = gbcs_wan.activate_command(device=request.device, counter=counter,
                                        image_hash=request.manufacturer_image_hash,
                                        execution_ms=request.execution_ms)
    now = dcc.clock.now_ms
    dcc.gbcs_log.append(gbcs_wan.GbcsRecord(now, premises.premises_id, "DCC -> hub", command))
    dcc._activations[counter] = rid
    hub: Any = premises.hub
    answer = hub.gbcs_request(command)
    dcc.gbcs_log.append(gbcs_wan.GbcsRecord(now, premises.premises_id, "hub -> DCC", answer))
    try:
        _, payload = gbcs_wan.decode(answer)
    except ProtocolError as err:
        dcc.gbcs_errors.append((now, premises.premises_id, err.describe()))
        payload = None
    if isinstance(payload, gbcs.ActivateFirmwareResponse) and payload.outcome is not None:
        outcome = payload.outcome
        _raise(dcc, rid, request.device, int(outcome.response_code),
               0x8F66 if outcome.response_code is gbcs.ActivationResponseCode.SUCCESS else 0x8F67,
               int.from_bytes(outcome.firmware_version, "big"))
    accepted = Acknowledged(rid, (request.device,))
    dcc._responses[rid] = accepted
    return accepted


def on_activation_alert(dcc: Dcc, view: ActivationView) -> None:
    """The hub's CS06 outcome alert: pass it on to every Supplier concerned."""
    rid = dcc._activations.pop(view.command_counter, None)
    if rid is None:
        return  # not an activation this DCC asked for
    _raise(dcc, rid, view.device, view.response_code, view.alert_code, view.firmware_version)


def _raise(dcc: Dcc, rid: str, device: int, code: int, alert: int, version: int) -> None:
    now = dcc.clock.now_ms
    code, alert = dcc._activation_outcome(code, alert)
    dcc._raise_alert(ActivationOutcomeAlert(
        supplier="", device=device, request_id=rid, time_ms=now, delivered_ms=now,
        response_code=code, device_alert_code=alert, firmware_version=version))
