"""The HTTP + JSON binding of the DCC-side API (``conformance.dcc_side.DccSide``).

``server`` serves the reference DCC world through it (``hanota serve-dcc``); ``client`` is a
``DccSide`` that talks to any DCC test system implementing it (``openapi.yaml``,
``docs/dcc-adapter.md``). This module holds the JSON shapes both sides share, so they are
written once: EUI-64s as 16 hex digits, file versions as the 8 hex digits of FirmwareVersion
(most significant octet first), times as integer milliseconds, bytes as base64.
"""

from __future__ import annotations

import base64
import binascii
import re
from importlib import resources
from typing import Any, Literal, overload

from hanota.conformance.dcc_side import AlertSeen, HubDelivery
from hanota.conformance.models.gbcs_wan import GbcsRecord
from hanota.conformance.models.service_request import (
    Acknowledged,
    DeviceRejection,
    Rejected,
    RejectReason,
    ServiceRequestResponse,
    WarningResponse,
)

__all__ = [
    "API_VERSION",
    "FieldError",
    "alert_from_json",
    "alert_to_json",
    "b64_from_json",
    "delivery_from_json",
    "delivery_to_json",
    "eui_from_json",
    "eui_to_json",
    "gbcs_record_from_json",
    "gbcs_record_to_json",
    "openapi_text",
    "response_from_json",
    "response_to_json",
    "version_from_json",
    "version_to_json",
]

API_VERSION = "1"
_EUI = re.compile(r"[0-9A-Fa-f]{16}")
_VERSION = re.compile(r"[0-9A-Fa-f]{8}")


class FieldError(ValueError):
    """A JSON value that does not have the binding's shape; ``field`` names it (``DeviceIDList[2]``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def openapi_text() -> str:
    """The OpenAPI 3.1 document of the binding (shipped inside the package)."""
    return resources.files(__package__).joinpath("openapi.yaml").read_text(encoding="utf-8")


# -- scalars ------------------------------------------------------------------------------------
def eui_to_json(eui: int) -> str:
    return f"{eui:016X}"


def eui_from_json(value: object, field: str) -> int:
    if not isinstance(value, str) or not _EUI.fullmatch(value):
        raise FieldError(field, f"expected an EUI-64 as 16 hex digits, got {value!r:.40}")
    return int(value, 16)


def version_to_json(version: int | None) -> str | None:
    return None if version is None else f"{version:08X}"


@overload
def version_from_json(value: object, field: str, *, nullable: Literal[False] = False) -> int: ...
@overload
def version_from_json(value: object, field: str, *, nullable: bool) -> int | None: ...
def version_from_json(value: object, field: str, *, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        raise FieldError(field, f"expected 4 octets as 8 hex digits, got {value!r:.40}")
    return int(value, 16)


def b64_from_json(value: object, field: str) -> bytes:
    if not isinstance(value, str):
        raise FieldError(field, "expected a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise FieldError(field, "not valid base64") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _int(value: object, field: str, *, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise FieldError(field, f"expected an integer, got {value!r:.40}")
    return value


def _str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise FieldError(field, f"expected a string, got {value!r:.40}")
    return value


def _obj(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(field, "expected a JSON object")
    return value


def _list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(field, "expected a JSON array")
    return value


# -- the DCC's answer ---------------------------------------------------------------------------
def _rejection_to_json(r: DeviceRejection) -> dict[str, Any]:
    return {"device": eui_to_json(r.device), "reason": r.reason.value, "detail": r.detail,
            "warning_list": r.warning_list}


def _rejection_from_json(value: object, field: str) -> DeviceRejection:
    body = _obj(value, field)
    return DeviceRejection(eui_from_json(body.get("device"), f"{field}.device"),
                           _reason(body.get("reason"), f"{field}.reason"),
                           _str(body.get("detail", ""), f"{field}.detail"))


def _reason(value: object, field: str) -> RejectReason:
    try:
        return RejectReason(_str(value, field))
    except ValueError:
        raise FieldError(field, f"unknown reason {value!r:.60}") from None


def response_to_json(response: ServiceRequestResponse) -> dict[str, Any]:
    """Acknowledged / WarningResponse / Rejected as ``{"status": ...}``."""
    rejected = () if isinstance(response, Acknowledged) else response.invalid
    invalid = [_rejection_to_json(r) for r in rejected]
    if isinstance(response, Rejected):
        return {"status": "rejected", "request_id": response.request_id, "devices": [],
                "invalid": invalid, "reason": response.reason.value, "detail": response.detail}
    status = "acknowledged" if isinstance(response, Acknowledged) else "warning"
    return {"status": status, "request_id": response.request_id,
            "devices": [eui_to_json(d) for d in response.devices], "invalid": invalid}


def response_from_json(value: object, field: str = "response") -> ServiceRequestResponse:
    body = _obj(value, field)
    status = body.get("status")
    rid = _str(body.get("request_id"), f"{field}.request_id")
    devices = tuple(eui_from_json(d, f"{field}.devices[{i}]")
                    for i, d in enumerate(_list(body.get("devices", []), f"{field}.devices")))
    invalid = tuple(_rejection_from_json(r, f"{field}.invalid[{i}]")
                    for i, r in enumerate(_list(body.get("invalid", []), f"{field}.invalid")))
    if status == "acknowledged":
        return Acknowledged(rid, devices)
    if status == "warning":
        return WarningResponse(rid, devices, invalid)
    if status == "rejected":
        return Rejected(rid, _reason(body.get("reason"), f"{field}.reason"),
                        _str(body.get("detail", ""), f"{field}.detail"), invalid)
    raise FieldError(f"{field}.status", f"expected acknowledged, warning or rejected, got {status!r:.40}")


# -- alerts -------------------------------------------------------------------------------------
def alert_to_json(alert: AlertSeen) -> dict[str, Any]:
    return {"supplier": alert.supplier, "kind": alert.kind, "request_id": alert.request_id,
            "device": eui_to_json(alert.device), "raised_ms": alert.raised_ms,
            "delivered_ms": alert.delivered_ms, "recipients": list(alert.recipients),
            "file_version": version_to_json(alert.file_version), "response_code": alert.response_code,
            "dcc_alert_code": alert.dcc_alert_code,
            "device_alert_code": (None if alert.device_alert_code is None
                                  else f"{alert.device_alert_code:04X}"),
            "activate_image": alert.activate_image, "executed_ms": alert.executed_ms,
            "read_response_code": alert.read_response_code}


def alert_from_json(value: object, field: str = "alert") -> AlertSeen:
    body = _obj(value, field)
    code = body.get("dcc_alert_code")
    return AlertSeen(
        supplier=_str(body.get("supplier"), f"{field}.supplier"),
        kind=_str(body.get("kind"), f"{field}.kind"),
        request_id=_str(body.get("request_id"), f"{field}.request_id"),
        device=eui_from_json(body.get("device"), f"{field}.device"),
        raised_ms=int(_int(body.get("raised_ms"), f"{field}.raised_ms") or 0),
        delivered_ms=int(_int(body.get("delivered_ms"), f"{field}.delivered_ms") or 0),
        recipients=tuple(_str(r, f"{field}.recipients[{i}]")
                         for i, r in enumerate(_list(body.get("recipients", []), f"{field}.recipients"))),
        file_version=version_from_json(body.get("file_version"), f"{field}.file_version", nullable=True),
        response_code=_int(body.get("response_code"), f"{field}.response_code", nullable=True),
        dcc_alert_code=None if code is None else _str(code, f"{field}.dcc_alert_code"),
        device_alert_code=_hex16(body.get("device_alert_code"), f"{field}.device_alert_code"),
        activate_image=_int(body.get("activate_image"), f"{field}.activate_image", nullable=True),
        executed_ms=_int(body.get("executed_ms"), f"{field}.executed_ms", nullable=True),
        read_response_code=_int(body.get("read_response_code"), f"{field}.read_response_code",
                                nullable=True))


def _hex16(value: object, field: str) -> int | None:
    """A GBCS alert code as 4 hex digits (``"8F8B"``, as DUIS writes DeviceAlertCode), or null."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Fa-f]{4}", value):
        raise FieldError(field, f"expected 4 hex digits, got {value!r:.40}")
    return int(value, 16)


# -- GBCS frames on the WAN (test support) --------------------------------------------------------
def gbcs_record_to_json(record: GbcsRecord) -> dict[str, Any]:
    return {"time_ms": record.time_ms, "premises_id": record.premises_id, "direction": record.direction,
            "frame": record.data.hex().upper()}


def gbcs_record_from_json(value: object, field: str = "frame") -> GbcsRecord:
    body = _obj(value, field)
    direction = _str(body.get("direction"), f"{field}.direction")
    if direction not in ("hub -> DCC", "DCC -> hub"):
        raise FieldError(f"{field}.direction", "expected 'hub -> DCC' or 'DCC -> hub'")
    raw = _str(body.get("frame"), f"{field}.frame")
    try:
        data = bytes.fromhex(raw)
    except ValueError:
        raise FieldError(f"{field}.frame", "expected the frame's bytes as hex digits") from None
    return GbcsRecord(int(_int(body.get("time_ms"), f"{field}.time_ms") or 0),
                      _str(body.get("premises_id"), f"{field}.premises_id"), direction, data)


# -- what reached the hubs ----------------------------------------------------------------------
def delivery_to_json(delivery: HubDelivery) -> dict[str, Any]:
    return {"premises_id": delivery.premises_id, "request_id": delivery.request_id,
            "targets": [eui_to_json(t) for t in delivery.targets], "started_ms": delivery.started_ms,
            "blocks": delivery.blocks,
            "payload": None if delivery.payload is None else _b64(delivery.payload),
            "stored_by_hub": delivery.stored_by_hub}


def delivery_from_json(value: object, field: str = "delivery") -> HubDelivery:
    body = _obj(value, field)
    payload = body.get("payload")
    stored = body.get("stored_by_hub", False)
    if not isinstance(stored, bool):
        raise FieldError(f"{field}.stored_by_hub", "expected true or false")
    return HubDelivery(
        premises_id=_str(body.get("premises_id"), f"{field}.premises_id"),
        request_id=_str(body.get("request_id"), f"{field}.request_id"),
        targets=tuple(eui_from_json(t, f"{field}.targets[{i}]")
                      for i, t in enumerate(_list(body.get("targets", []), f"{field}.targets"))),
        started_ms=int(_int(body.get("started_ms"), f"{field}.started_ms") or 0),
        blocks=int(_int(body.get("blocks", 0), f"{field}.blocks") or 0),
        payload=None if payload is None else b64_from_json(payload, f"{field}.payload"),
        stored_by_hub=stored)
