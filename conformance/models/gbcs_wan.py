"""GBCS frames on the WAN between the reference Communications Hub and the reference DCC.

Sans-I/O. The hub reports each device's transfer with a CCS08 Firmware Transfer Alert (message
code 0x0128, alert 0x8F8A success / 0x8F89 failure) and each activation with the CS08 alert
0x8F8B (0x0129); the DCC reads a device's firmware version with a CS08 command, which the hub
answers with a CS08 response. ``protocol.gbcs`` encodes and decodes every one of them; this
module fills in the header fields the reference profile chooses, and turns a frame into the
decoded evidence a report shows.

Reference-profile choices (docs/gbcs-messages.md, "On the WAN of the reference world"):

* frames are general-signing frames without the ciphering wrapper and with signature length
  00: the reference world has no GBCS keys, and a made-up MAC would pose as a real one;
* the DCC's system title is the one of the DCC's public sample frames (0x90B3D51F30000002);
  CCS08 comes from the hub (its EUI-64) and names the device in ``entityId``; CS08 is addressed
  to the device (its EUI-64), and the hub answers and alerts in its name, as the samples show;
* times are the hub's ZCL UTCTime (seconds since 2000-01-01 UTC), so the virtual clock's 0 is
  :data:`UTC_EPOCH_OFFSET_S` seconds after that epoch; GBCS times have whole seconds;
* FirmwareVersion octets are the OTA file version most significant first (as in the SR).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from hanota.protocol import gbcs
from hanota.protocol.errors import ProtocolError

__all__ = [
    "DCC_TITLE",
    "UTC_EPOCH_OFFSET_S",
    "ZCL_EPOCH",
    "GbcsRecord",
    "activate_command",
    "activate_response",
    "activation_alert",
    "cs08_command",
    "cs08_response",
    "decode",
    "describe",
    "from_gbcs_time",
    "to_gbcs_time",
    "transfer_alert",
    "version_alert",
]

#: The DCC's system title in the DCC's public sample frames (vectors/gbcs/frames).
DCC_TITLE = 0x90B3D51F30000002
#: ZCL UTCTime counts seconds from here.
ZCL_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: ZCL UTCTime of virtual time 0 (here 2022-03-07). Non-zero, so the hub's times are absolute
#: and never the ZCL "current_time 0: offset" form unless asked.
UTC_EPOCH_OFFSET_S = 700_000_000


def to_gbcs_time(virtual_ms: int) -> datetime:
    """The GBCS date-time (whole seconds, UTC) of a virtual time."""
    return ZCL_EPOCH + timedelta(seconds=UTC_EPOCH_OFFSET_S + virtual_ms // 1000)


def from_gbcs_time(when: datetime) -> int:
    """Virtual milliseconds of a GBCS date-time (the inverse of :func:`to_gbcs_time`, to the second)."""
    return (int((when - ZCL_EPOCH).total_seconds()) - UTC_EPOCH_OFFSET_S) * 1000


def _version(file_version: int | None) -> bytes:
    return (file_version or 0).to_bytes(4, "big")


def _frame(cra: gbcs.CraFlag, counter: int, originator: int, recipient: int,
           payload: gbcs.GbcsPayload) -> bytes:
    return gbcs.encode_frame(gbcs.GbcsFrame(
        cra_flag=cra, originator_counter=counter, originator_title=originator, recipient_title=recipient,
        message_code=payload.MESSAGE_CODE, content=gbcs.encode_payload(payload), signature=b""))


def transfer_alert(*, hub: int, counter: int, virtual_ms: int, device: int, file_version: int | None,
                   response_code: int) -> bytes:
    """CCS08 Firmware Transfer Alert from ``hub`` about ``device``: 0x8F8A for response code 0,
    0x8F89 otherwise (``file_version`` None: the image never parsed, 00000000)."""
    code = gbcs.FirmwareTransferResponseCode(response_code)
    alert = (gbcs.AlertCode.FIRMWARE_TRANSFER_SUCCESS if code is gbcs.FirmwareTransferResponseCode.SUCCESS
             else gbcs.AlertCode.FIRMWARE_TRANSFER_FAILURE)
    return _frame(gbcs.CraFlag.ALERT, counter, hub, DCC_TITLE, gbcs.FirmwareTransferAlert(
        alert, to_gbcs_time(virtual_ms), device.to_bytes(8, "big"), _version(file_version), code))


def version_alert(*, device: int, counter: int, executed_ms: int, file_version: int,
                  activated: bool) -> bytes:
    """CS08 alert 0x8F8B in ``device``'s name: when the activation was executed, the version
    read from the device afterwards, and activateImage 0 success / 1 failure."""
    result = gbcs.ImageActivationResult.SUCCESS if activated else gbcs.ImageActivationResult.FAILURE
    return _frame(gbcs.CraFlag.ALERT, counter, device, DCC_TITLE, gbcs.FirmwareVersionAlert(
        to_gbcs_time(executed_ms), _version(file_version), result))


def cs08_command(*, device: int, counter: int) -> bytes:
    """CS08 Read PPMID/HCALCS Firmware Version, from the DCC to ``device``."""
    return _frame(gbcs.CraFlag.COMMAND, counter, DCC_TITLE, device, gbcs.FirmwareVersionCommand())


def cs08_response(*, device: int, counter: int, file_version: int | None) -> bytes:
    """The CS08 response in ``device``'s name: responseCode 0 with the version, or 1 (the
    version could not be read; FirmwareVersion 00000000) when ``file_version`` is None."""
    code = gbcs.ReadResponseCode.FAILURE if file_version is None else gbcs.ReadResponseCode.SUCCESS
    return _frame(gbcs.CraFlag.RESPONSE, counter, device, DCC_TITLE,
                  gbcs.FirmwareVersionResponse(_version(file_version), code))


def activate_command(*, device: int, counter: int, image_hash: bytes, execution_ms: int | None) -> bytes:
    """CS06 Activate Firmware (SR 11.3) for ``device``: immediate, or at ``execution_ms``."""
    when = None if execution_ms is None else to_gbcs_time(execution_ms)
    return _frame(gbcs.CraFlag.COMMAND, counter, DCC_TITLE, device,
                  gbcs.ActivateFirmwareCommand(image_hash, counter, when))


def activate_response(*, device: int, counter: int, outcome: gbcs.ExecutionOutcome | None) -> bytes:
    """The CS06 response in ``device``'s name: NULL (future-dated, accepted) or the outcome."""
    return _frame(gbcs.CraFlag.RESPONSE, counter, device, DCC_TITLE, gbcs.ActivateFirmwareResponse(outcome))


def activation_alert(*, device: int, counter: int, command_counter: int, executed_ms: int,
                     alert: gbcs.AlertCode, response_code: gbcs.ActivationResponseCode,
                     file_version: int | None) -> bytes:
    """The CS06 future-dated outcome alert (0x00CA) in ``device``'s name: 0x8F66 actioned or
    0x8F67 not, with the command's originator counter and its ExecutionOutcome."""
    return _frame(gbcs.CraFlag.ALERT, counter, device, DCC_TITLE, gbcs.FutureDatedActivationAlert(
        alert, to_gbcs_time(executed_ms), command_counter,
        gbcs.ExecutionOutcome(response_code, _version(file_version))))


def decode(data: bytes) -> tuple[gbcs.GbcsFrame, gbcs.GbcsPayload]:
    """The frame and its payload; ``ProtocolError`` (field and offset named) if either is bad."""
    frame = gbcs.decode_frame(data)
    return frame, frame.payload()


_NAMES = {
    gbcs.FirmwareTransferAlert: "CCS08 Firmware Transfer Alert",
    gbcs.FirmwareVersionAlert: "CS08 alert 0x8F8B (PPMID/HCALCS firmware activation)",
    gbcs.FirmwareVersionCommand: "CS08 Read PPMID/HCALCS Firmware Version (command)",
    gbcs.FirmwareVersionResponse: "CS08 Read PPMID/HCALCS Firmware Version (response)",
    gbcs.ActivateFirmwareCommand: "CS06 Activate Firmware (command)",
    gbcs.ActivateFirmwareResponse: "CS06 Activate Firmware (response)",
    gbcs.FutureDatedActivationAlert: "CS06 future-dated activation alert",
}


def _value(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, gbcs.AlertCode):
        return f"0x{int(value):04X} ({value.name.lower().replace('_', ' ')})"
    if isinstance(value, IntEnum):
        return f"{int(value)} ({value.name.replace('_', ' ').title()})"
    return value


def describe(data: bytes) -> dict[str, Any]:
    """The decoded frame as evidence: header fields and every payload field, by name."""
    try:
        frame, payload = decode(data)
    except ProtocolError as err:
        return {"error": err.describe()}
    out: dict[str, Any] = {
        "message": _NAMES.get(type(payload), type(payload).__name__),
        "message_code": f"0x{frame.message_code:04X}",
        "cra_flag": f"{int(frame.cra_flag)} ({frame.cra_flag.name.lower()})",
        "originator_counter": frame.originator_counter,
        "originator_title": f"{frame.originator_title:016X}",
        "recipient_title": f"{frame.recipient_title:016X}",
    }
    for name in getattr(payload, "__dataclass_fields__", {}):
        out[name] = _value(getattr(payload, name))
    return out


@dataclass(frozen=True)
class GbcsRecord:
    """One GBCS frame as it crossed the WAN of a premises (evidence; the DCC keeps these)."""

    time_ms: int
    premises_id: str
    direction: str  # "hub -> DCC" or "DCC -> hub"
    data: bytes

    def evidence(self) -> dict[str, Any]:
        """A report evidence row (``hex`` and ``decoded``, as HAN frames have)."""
        decoded = describe(self.data)
        return {"kind": "gbcs", "time_ms": self.time_ms, "direction": f"WAN {self.direction}",
                "src": decoded.get("originator_title", "?"),
                "dst": decoded.get("recipient_title", "?"),
                "cluster": f"GBCS {decoded.get('message_code', '?')}", "hex": self.data.hex(" "),
                "decoded": decoded, "premises": self.premises_id}

    def describe(self) -> str:
        d = describe(self.data)
        fields = ", ".join(f"{k} {v}" for k, v in d.items()
                           if k not in ("originator_title", "recipient_title"))
        return (f"GBCS {self.direction} at {self.time_ms} ms ({self.premises_id}): "
                f"{self.data.hex()} = {fields}")
