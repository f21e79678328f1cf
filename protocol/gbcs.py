"""GBCS firmware messages: the envelope far enough to reach the payload, and the DER payloads.

Sources: GBCS v1 (Activate Firmware CS06, message code 0x0012), SECMP0007 as implemented
(Read PPMID/HCALCS Firmware Version CS08, 0x0129; Firmware Transfer Alert CCS08, 0x0128), the
layout of the DCC's public sample frames (SmartDCCInnovation/gbcs-parser, RTDS-4.5.0) and, where
no sample exists, that parser's reading of the payloads. ``docs/gbcs-messages.md`` says which
layout is verified against a sample and which is the project's reading.

Everything is declared once with construct and used for both parse and build, from the ASN.1
building blocks of :mod:`protocol.der`: every length (BER or DER) is checked against the bytes
that are left before anything is read, and every nested length-prefixed part is parsed from its
own bounded window whose errors still name the absolute byte offset in the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, ClassVar, Final, TypeAlias

import construct as c

from ._fields import encode
from .der import (
    BER_LENGTH,
    AbsoluteTell,
    Bounded,
    DerUnsigned,
    EnumOf,
    GeneralizedTime,
    OneOf,
    decode_at,
    present,
    tlv,
)
from .errors import DecodeError, HarnessUsageError, ValidationError

__all__ = [
    "BER_LENGTH",
    "CANCELLATION_DATE_TIME",
    "ActivateFirmwareCommand",
    "ActivateFirmwareResponse",
    "ActivationResponseCode",
    "AlertCode",
    "Ciphering",
    "CraFlag",
    "ExecutionOutcome",
    "FirmwareTransferAlert",
    "FirmwareTransferResponseCode",
    "FirmwareVersionAlert",
    "FirmwareVersionCommand",
    "FirmwareVersionResponse",
    "FutureDatedActivationAlert",
    "GbcsFrame",
    "GbcsPayload",
    "ImageActivationResult",
    "MessageCode",
    "ReadResponseCode",
    "UnknownPayloadError",
    "decode_frame",
    "decode_payload",
    "encode_frame",
    "encode_payload",
]


# --------------------------------------------------------------------------- enums


class CraFlag(IntEnum):
    """Command / Response / Alert flag of the general-signing header."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3


class MessageCode(IntEnum):
    """GBCS message codes of the firmware use cases."""

    ACTIVATE_FIRMWARE = 0x0012  # CS06 command and response
    ACTIVATE_FIRMWARE_ALERT = 0x00CA  # CS06 future-dated outcome alert (sample frames)
    FIRMWARE_TRANSFER_ALERT = 0x0128  # CCS08
    READ_FIRMWARE_VERSION = 0x0129  # CS08 command, response and alert 0x8F8B


class AlertCode(IntEnum):
    """Firmware-related GBCS alert codes (names describe the meaning; the numbers are GBCS's)."""

    VERIFICATION_FAILED_AT_POWER_ON = 0x8F1B
    VERIFICATION_FAILED = 0x8F1C
    EXECUTING_FIRMWARE_VERSION_CHANGED = 0x8F43
    FUTURE_DATED_ACTIONED = 0x8F66
    FUTURE_DATED_NOT_ACTIONED = 0x8F67
    VERIFICATION_SUCCESSFUL = 0x8F72
    FIRMWARE_TRANSFER_FAILURE = 0x8F89
    FIRMWARE_TRANSFER_SUCCESS = 0x8F8A
    PPMID_HCALCS_FIRMWARE_ACTIVATION = 0x8F8B


class ActivationResponseCode(IntEnum):
    """ExecutionOutcome.responseCode of Activate Firmware (CS06)."""

    SUCCESS = 0
    NO_IMAGE_HELD = 1
    HASH_MISMATCH = 2
    ACTIVATION_FAILURE = 3


class ReadResponseCode(IntEnum):
    """responseCode of the Read PPMID/HCALCS Firmware Version response (CS08)."""

    SUCCESS = 0
    FAILURE = 1


class ImageActivationResult(IntEnum):
    """activateImage of alert 0x8F8B (CS08)."""

    SUCCESS = 0
    FAILURE = 1


class FirmwareTransferResponseCode(IntEnum):
    """responseCode of the Firmware Transfer Alert (CCS08)."""

    SUCCESS = 0
    IMAGE_DISCARDED = 1
    HARDWARE_VERSION_MISMATCH = 2
    FILE_TRANSFER_FAILURE = 3


class UnknownPayloadError(ValidationError):
    """No payload is declared for this (message code, CRA flag) pair."""


#: GBCS's "cancel a pending future-dated activation" execution date-time.
CANCELLATION_DATE_TIME: Final = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


# --------------------------------------------------------------------------- GBCS fields

_NULL = c.Const(b"\x05\x00")
_COUNTER = tlv(0x02, DerUnsigned(9))  # originator counters are u64: up to 9 DER octets
_TIME = tlv(0x18, GeneralizedTime())
_FIRMWARE_VERSION = tlv(0x04, c.Bytes(4))


def _der_enum(enum: type[IntEnum], *allowed: IntEnum) -> c.Construct[Any, Any]:
    return tlv(0x02, EnumOf(DerUnsigned(3), enum, allowed))


# --------------------------------------------------------------------------- DER payloads

_ACTIVATE_FIRMWARE_COMMAND = tlv(0x30, c.Struct(
    "manufacturer_image_hash" / tlv(0x04, c.Bytes(32)),
    "originator_counter" / _COUNTER,
    "execution_date_time" / c.If(present("execution_date_time"), _TIME),
))

_EXECUTION_OUTCOME = tlv(0x30, c.Struct(
    "response_code" / _der_enum(ActivationResponseCode),
    "firmware_version" / _FIRMWARE_VERSION,
))

_FUTURE_DATED_ALERT = tlv(0x30, c.Struct(
    "alert_code" / _der_enum(AlertCode, AlertCode.FUTURE_DATED_ACTIONED, AlertCode.FUTURE_DATED_NOT_ACTIONED),
    "execution_date_time" / _TIME,
    "originator_counter" / _COUNTER,
    "execution_outcome" / _EXECUTION_OUTCOME,
))

_FIRMWARE_VERSION_RESPONSE = tlv(0x30, c.Struct(
    "firmware_version" / _FIRMWARE_VERSION,
    "response_code" / _der_enum(ReadResponseCode),
))

_FIRMWARE_VERSION_ALERT = tlv(0x30, c.Struct(
    "alert_code" / _der_enum(AlertCode, AlertCode.PPMID_HCALCS_FIRMWARE_ACTIVATION),
    "execution_date_time" / _TIME,
    "firmware_version" / _FIRMWARE_VERSION,
    "activate_image" / _der_enum(ImageActivationResult),
))

_FIRMWARE_TRANSFER_ALERT = tlv(0x30, c.Struct(
    "alert_code" / _der_enum(AlertCode, AlertCode.FIRMWARE_TRANSFER_SUCCESS,
                             AlertCode.FIRMWARE_TRANSFER_FAILURE),
    "execution_date_time" / _TIME,
    "entity_id" / tlv(0x04, c.Bytes(8)),
    "firmware_version" / _FIRMWARE_VERSION,
    "response_code" / _der_enum(FirmwareTransferResponseCode),
))


@dataclass(frozen=True)
class ExecutionOutcome:
    """``ExecutionOutcome`` of Activate Firmware: response code and the running firmware version."""

    response_code: ActivationResponseCode
    firmware_version: bytes

    def _obj(self) -> dict[str, Any]:
        return {"response_code": self.response_code, "firmware_version": self.firmware_version}

    @classmethod
    def _from(cls, obj: c.Container[Any]) -> ExecutionOutcome:
        return cls(ActivationResponseCode(obj.response_code), bytes(obj.firmware_version))


@dataclass(frozen=True)
class ActivateFirmwareCommand:
    """CS06 Activate Firmware command (0x0012, CRA 1). ``execution_date_time`` None = immediate;
    :data:`CANCELLATION_DATE_TIME` cancels a pending future-dated activation."""

    MESSAGE_CODE: ClassVar[int] = MessageCode.ACTIVATE_FIRMWARE
    CRA_FLAG: ClassVar[CraFlag] = CraFlag.COMMAND

    manufacturer_image_hash: bytes
    originator_counter: int
    execution_date_time: datetime | None = None

    @property
    def is_cancellation(self) -> bool:
        return self.execution_date_time == CANCELLATION_DATE_TIME

    @property
    def is_future_dated(self) -> bool:
        return self.execution_date_time is not None and not self.is_cancellation

    def _encode(self) -> bytes:
        return encode(_ACTIVATE_FIRMWARE_COMMAND, {
            "manufacturer_image_hash": self.manufacturer_image_hash,
            "originator_counter": self.originator_counter,
            "execution_date_time": self.execution_date_time,
        }, what="activate_firmware_command")

    @classmethod
    def _decode(cls, content: bytes, base_offset: int) -> ActivateFirmwareCommand:
        obj = decode_at(_ACTIVATE_FIRMWARE_COMMAND, content, "activate_firmware_command", base_offset)
        return cls(bytes(obj.manufacturer_image_hash), obj.originator_counter, obj.execution_date_time)


@dataclass(frozen=True)
class ActivateFirmwareResponse:
    """CS06 response (0x0012, CRA 2): ``outcome`` None is the DER ``NULL`` (a future-dated
    activation or a cancellation accepted); otherwise the immediate ``ExecutionOutcome``."""

    MESSAGE_CODE: ClassVar[int] = MessageCode.ACTIVATE_FIRMWARE
    CRA_FLAG: ClassVar[CraFlag] = CraFlag.RESPONSE

    outcome: ExecutionOutcome | None = None

    def _encode(self) -> bytes:
        if self.outcome is None:
            return encode(_NULL, None, what="activate_firmware_response")
        return encode(_EXECUTION_OUTCOME, self.outcome._obj(), what="execution_outcome")

    @classmethod
    def _decode(cls, content: bytes, base_offset: int) -> ActivateFirmwareResponse:
        # CHOICE { NULL, ExecutionOutcome }: the first octet (the tag) selects the alternative.
        if content[:1] == b"\x05":
            decode_at(_NULL, content, "activate_firmware_response", base_offset)
            return cls(None)
        obj = decode_at(_EXECUTION_OUTCOME, content, "execution_outcome", base_offset)
        return cls(ExecutionOutcome._from(obj))


@dataclass(frozen=True)
class FutureDatedActivationAlert:
    """CS06 future-dated outcome alert (message code 0x00CA, CRA 3): 0x8F66 actioned /
    0x8F67 not actioned, with the counter of the command it answers and its outcome."""

    MESSAGE_CODE: ClassVar[int] = MessageCode.ACTIVATE_FIRMWARE_ALERT
    CRA_FLAG: ClassVar[CraFlag] = CraFlag.ALERT

    alert_code: AlertCode
    execution_date_time: datetime
    originator_counter: int
    execution_outcome: ExecutionOutcome

    def _encode(self) -> bytes:
        return encode(_FUTURE_DATED_ALERT, {
            "alert_code": self.alert_code, "execution_date_time": self.execution_date_time,
            "originator_counter": self.originator_counter, "execution_outcome": self.execution_outcome._obj(),
        }, what="future_dated_activation_alert")

    @classmethod
    def _decode(cls, content: bytes, base_offset: int) -> FutureDatedActivationAlert:
        obj = decode_at(_FUTURE_DATED_ALERT, content, "future_dated_activation_alert", base_offset)
        return cls(AlertCode(obj.alert_code), obj.execution_date_time, obj.originator_counter,
                   ExecutionOutcome._from(obj.execution_outcome))


@dataclass(frozen=True)
class FirmwareVersionCommand:
    """CS08 Read PPMID/HCALCS Firmware Version command (0x0129, CRA 1): DER ``NULL``."""

    MESSAGE_CODE: ClassVar[int] = MessageCode.READ_FIRMWARE_VERSION
    CRA_FLAG: ClassVar[CraFlag] = CraFlag.COMMAND

    def _encode(self) -> bytes:
        return encode(_NULL, None, what="firmware_version_command")

    @classmethod
    def _decode(cls, content: bytes, base_offset: int) -> FirmwareVersionCommand:
        decode_at(_NULL, content, "firmware_version_command", base_offset)
        return cls()


@dataclass(frozen=True)
class FirmwareVersionResponse:
    """CS08 response (0x0129, CRA 2): the PPMID/HCALCS firmware version and a read result."""

    MESSAGE_CODE: ClassVar[int] = MessageCode.READ_FIRMWARE_VERSION
    CRA_FLAG: ClassVar[CraFlag] = CraFlag.RESPONSE

    firmware_version: bytes
    response_code: ReadResponseCode

    def _encode(self) -> bytes:
        return encode(_FIRMWARE_VERSION_RESPONSE, {
            "firmware_version": self.firmware_version, "response_code": self.response_code,
        }, what="firmware_version_response")

    @classmethod
    def _decode(cls, content: bytes, base_offset: int) -> FirmwareVersionResponse:
        obj = decode_at(_FIRMWARE_VERSION_RESPONSE, content, "firmware_version_response", base_offset)
        return cls(bytes(obj.firmware_version), ReadResponseCode(obj.response_code))


@dataclass(frozen=True)
class FirmwareVersionAlert:
    """CS08 alert 0x8F8B (0x0129, CRA 3): the new version and whether the image activated.
    No public sample: layout as read by gbcs-parser (``docs/gbcs-messages.md``)."""

    MESSAGE_CODE: ClassVar[int] = MessageCode.READ_FIRMWARE_VERSION
    CRA_FLAG: ClassVar[CraFlag] = CraFlag.ALERT

    execution_date_time: datetime
    firmware_version: bytes
    activate_image: ImageActivationResult
    alert_code: AlertCode = AlertCode.PPMID_HCALCS_FIRMWARE_ACTIVATION

    def _encode(self) -> bytes:
        return encode(_FIRMWARE_VERSION_ALERT, {
            "alert_code": self.alert_code, "execution_date_time": self.execution_date_time,
            "firmware_version": self.firmware_version, "activate_image": self.activate_image,
        }, what="firmware_version_alert")

    @classmethod
    def _decode(cls, content: bytes, base_offset: int) -> FirmwareVersionAlert:
        obj = decode_at(_FIRMWARE_VERSION_ALERT, content, "firmware_version_alert", base_offset)
        return cls(obj.execution_date_time, bytes(obj.firmware_version),
                   ImageActivationResult(obj.activate_image), AlertCode(obj.alert_code))


@dataclass(frozen=True)
class FirmwareTransferAlert:
    """CCS08 Firmware Transfer Alert (0x0128, CRA 3) from the Communications Hub: 0x8F8A
    success / 0x8F89 failure for one device. No public sample: layout as read by gbcs-parser."""

    MESSAGE_CODE: ClassVar[int] = MessageCode.FIRMWARE_TRANSFER_ALERT
    CRA_FLAG: ClassVar[CraFlag] = CraFlag.ALERT

    alert_code: AlertCode
    execution_date_time: datetime
    entity_id: bytes
    firmware_version: bytes
    response_code: FirmwareTransferResponseCode

    def _encode(self) -> bytes:
        return encode(_FIRMWARE_TRANSFER_ALERT, {
            "alert_code": self.alert_code, "execution_date_time": self.execution_date_time,
            "entity_id": self.entity_id, "firmware_version": self.firmware_version,
            "response_code": self.response_code,
        }, what="firmware_transfer_alert")

    @classmethod
    def _decode(cls, content: bytes, base_offset: int) -> FirmwareTransferAlert:
        obj = decode_at(_FIRMWARE_TRANSFER_ALERT, content, "firmware_transfer_alert", base_offset)
        return cls(AlertCode(obj.alert_code), obj.execution_date_time, bytes(obj.entity_id),
                   bytes(obj.firmware_version), FirmwareTransferResponseCode(obj.response_code))


GbcsPayload: TypeAlias = (
    ActivateFirmwareCommand | ActivateFirmwareResponse | FutureDatedActivationAlert
    | FirmwareVersionCommand | FirmwareVersionResponse | FirmwareVersionAlert | FirmwareTransferAlert
)

_PAYLOADS: Final[dict[tuple[int, int], Any]] = {
    (cls.MESSAGE_CODE, cls.CRA_FLAG): cls
    for cls in (ActivateFirmwareCommand, ActivateFirmwareResponse, FutureDatedActivationAlert,
                FirmwareVersionCommand, FirmwareVersionResponse, FirmwareVersionAlert, FirmwareTransferAlert)
}


def decode_payload(message_code: int, cra_flag: int, content: bytes, *, base_offset: int = 0) -> GbcsPayload:
    """Decode the DER content of a frame; ``base_offset`` is where ``content`` starts in the frame
    (``GbcsFrame.content_offset``), so errors name offsets in the whole frame."""
    cls = _PAYLOADS.get((int(message_code), int(cra_flag)))
    if cls is None:
        raise UnknownPayloadError(
            f"no payload declared for message code 0x{int(message_code):04x} with CRA flag {int(cra_flag)}",
            field="message_code", offset=base_offset)
    payload: GbcsPayload = cls._decode(bytes(content), base_offset)
    return payload


def encode_payload(obj: GbcsPayload) -> bytes:
    """DER bytes of a payload (its message code and CRA flag are ``obj.MESSAGE_CODE``/``CRA_FLAG``)."""
    if not isinstance(obj, tuple(_PAYLOADS.values())):
        raise HarnessUsageError(f"not a GBCS payload: {type(obj).__name__}")
    return obj._encode()


# --------------------------------------------------------------------------- envelope

_TITLE = c.FocusedSeq("title", "length" / c.Const(b"\x08"), "title" / c.Int64ub)

# DLMS octet-string date-time: 00 = absent, else 0C and 12 octets (kept raw).
_DATE_TIME = c.FocusedSeq(
    "value",
    "length" / c.Rebuild(OneOf(c.Int8ub, (0, 12)),
                         lambda this: 0 if this.value is None else len(this.value)),
    "value" / c.If(c.this.length == 12, c.Bytes(12)),
)

_OTHER_INFO = c.Struct(
    "message_code" / c.Int16ub,
    "supplementary_remote_party_id" / c.If(present("supplementary_remote_party_id"), c.Int64ub),
    "supplementary_remote_party_counter" / c.If(present("supplementary_remote_party_counter"), c.Int64ub),
    "supplementary_originator_counter" / c.If(present("supplementary_originator_counter"), c.Int64ub),
)

_SIGNATURE = c.FocusedSeq(
    "value",
    "length" / c.Rebuild(OneOf(c.Int8ub, (0, 64)), c.len_(c.this.value)),
    "value" / c.Bytes(c.this.length),
)


def _general_signing(signature_optional: bool) -> c.Construct[Any, Any]:
    return c.Struct(
        "tag" / c.Const(b"\xdf\x09"),
        "cra_flag" / EnumOf(c.Int8ub, CraFlag),
        "originator_counter" / c.Int64ub,
        "originator_title" / _TITLE,
        "recipient_title" / _TITLE,
        "date_time" / _DATE_TIME,
        "other_info" / Bounded(_OTHER_INFO),
        "content_offset" / AbsoluteTell(),
        "content" / Bounded(c.GreedyBytes),
        # Pre-commands (unsigned, as handed to the signer) end at the content: no length octet.
        "signature" / (c.If(present("signature"), _SIGNATURE) if signature_optional else _SIGNATURE),
    )


_SIGNED = _general_signing(signature_optional=True)

_CIPHERED = c.Struct(
    "tag" / c.Const(b"\xdd"),
    # Six 00 octets in every sample (gbcs-parser reads the 7 octets with the tag as one header).
    "ciphering_header" / c.Const(bytes(6)),
    "body" / Bounded(c.Struct(
        "security_header" / c.Const(b"\x11"),
        "invocation_counter" / c.Int32ub,
        "signing" / _general_signing(signature_optional=False),
        "mac" / c.Bytes(12),
    )),
)


@dataclass(frozen=True)
class Ciphering:
    """The general-ciphering wrapper: invocation counter of the security header and the MAC."""

    invocation_counter: int = 0
    mac: bytes = bytes(12)


@dataclass(frozen=True)
class GbcsFrame:
    """A GBCS message: general-signing header fields and the payload bytes (``content``).

    ``signature`` None means the frame has no signature-length octet at all (a pre-command);
    ``b""`` means length 00. ``ciphering`` None means the frame starts at ``DF 09``.
    ``content_offset`` (not compared) is where the content starts in the decoded bytes.
    """

    cra_flag: CraFlag
    originator_counter: int
    originator_title: int
    recipient_title: int
    message_code: int
    content: bytes
    date_time: bytes | None = None
    supplementary_remote_party_id: int | None = None
    supplementary_remote_party_counter: int | None = None
    supplementary_originator_counter: int | None = None
    signature: bytes | None = None
    ciphering: Ciphering | None = None
    content_offset: int = field(default=0, compare=False)

    def payload(self) -> GbcsPayload:
        """Decode ``content`` by message code and CRA flag."""
        return decode_payload(self.message_code, self.cra_flag, self.content, base_offset=self.content_offset)


def decode_frame(data: bytes) -> GbcsFrame:
    """Decode a GBCS frame, with or without the general-ciphering wrapper."""
    data = bytes(data)
    ciphering: Ciphering | None = None
    if data[:1] == b"\xdd":
        body = decode_at(_CIPHERED, data, "frame", 0).body
        signing = body.signing
        ciphering = Ciphering(body.invocation_counter, bytes(body.mac))
    elif data[:2] == b"\xdf\x09":
        signing = decode_at(_SIGNED, data, "frame", 0)
    else:
        raise DecodeError("a GBCS frame starts with DD (general-ciphering) or DF 09 (general-signing)",
                          field="frame.tag", offset=0)
    other = signing.other_info
    content = bytes(signing.content)
    return GbcsFrame(
        cra_flag=CraFlag(signing.cra_flag),
        originator_counter=signing.originator_counter,
        originator_title=signing.originator_title,
        recipient_title=signing.recipient_title,
        message_code=other.message_code,
        content=content,
        date_time=None if signing.date_time is None else bytes(signing.date_time),
        supplementary_remote_party_id=other.supplementary_remote_party_id,
        supplementary_remote_party_counter=other.supplementary_remote_party_counter,
        supplementary_originator_counter=other.supplementary_originator_counter,
        signature=None if signing.signature is None else bytes(signing.signature),
        ciphering=ciphering,
        content_offset=signing.content_offset + _ber_size(len(content)),
    )


def _ber_size(length: int) -> int:
    return 1 if length < 0x80 else 1 + (length.bit_length() + 7) // 8


def encode_frame(frame: GbcsFrame) -> bytes:
    """Build the bytes of ``frame`` (wrapped when ``frame.ciphering`` is set)."""
    _check_other_info(frame)
    signing = {
        "cra_flag": frame.cra_flag,
        "originator_counter": frame.originator_counter,
        "originator_title": frame.originator_title,
        "recipient_title": frame.recipient_title,
        "date_time": frame.date_time,
        "other_info": {
            "message_code": frame.message_code,
            "supplementary_remote_party_id": frame.supplementary_remote_party_id,
            "supplementary_remote_party_counter": frame.supplementary_remote_party_counter,
            "supplementary_originator_counter": frame.supplementary_originator_counter,
        },
        "content_offset": None,
        "content": frame.content,
        "signature": frame.signature,
    }
    if frame.ciphering is None:
        return encode(_SIGNED, signing, what="frame")
    if frame.signature is None:
        raise HarnessUsageError("a ciphered frame always carries the signature length (give b'' for none)")
    return encode(_CIPHERED, {"body": {
        "invocation_counter": frame.ciphering.invocation_counter,
        "signing": signing,
        "mac": frame.ciphering.mac,
    }}, what="frame")


def _check_other_info(frame: GbcsFrame) -> None:
    chain = [frame.supplementary_remote_party_id, frame.supplementary_remote_party_counter,
             frame.supplementary_originator_counter]
    given = [v is not None for v in chain]
    if given != sorted(given, reverse=True):
        raise HarnessUsageError("supplementary other-information fields must be given in order, without gaps")
