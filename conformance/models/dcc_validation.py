"""How the reference DCC validates a firmware Service Request (SR 11.4 / SR 11.1): the requester,
the image, and each device it names, answering Acknowledged, WarningResponse or Rejected. Each
rule a named fault breaks is a small hook method (:mod:`.faults.dcc_faults`).
:class:`RequestChecks` is a part of :class:`~.dcc.Dcc`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec

from hanota.conformance.models.service_request import (
    SR_11_4_ROLES,
    Acknowledged,
    DeviceRejection,
    Rejected,
    RejectReason,
    RequestVariant,
    ServiceRequestResponse,
    SupplierRole,
    UpdateFirmwareRequest,
    WarningResponse,
)
from hanota.protocol.errors import ProtocolError, SignatureMissingError
from hanota.protocol.fragments import parse_fragment, reassemble, split_image
from hanota.protocol.ota_image import ImageFormat, OtaImage, parse_image
from hanota.protocol.signatures import verify_image

from .dcc_records import DeviceRecord, _DeviceProgress, _Premises

__all__ = ["RequestChecks"]

_TARGET_KINDS = frozenset({"ihd", "ppmid"})
_AS_IMPLEMENTED_VARIANTS = frozenset({RequestVariant.SR_11_4_UPDATE_PPMID_FIRMWARE,
                                      RequestVariant.SR_11_1_UPDATE_FIRMWARE})
_UNSET: Any = object()


class RequestChecks:
    """The Service Request checks of :class:`~.dcc.Dcc` (which sets these attributes)."""

    rules: Literal["wg-2016", "as-implemented"]
    max_image_bytes: int
    _suppliers: set[str]
    _premises: dict[str, _Premises]
    _devices: dict[int, DeviceRecord]
    _progress: dict[int, _DeviceProgress]
    _responses: dict[str, ServiceRequestResponse]
    _last_parsed: tuple[bytes, int, OtaImage] | None

    def _own_fragments(self, request: UpdateFirmwareRequest) -> UpdateFirmwareRequest:
        """Under the working group's rules the DCC is the fragmentation mechanism
        (SECMP7-FRAG-001): it cuts a whole image above the size limit into fragments within it,
        which are then checked and distributed as a Supplier's fragments are. SR 11.4 as
        implemented has no such mechanism."""
        image, limit = request.firmware_image, self.max_image_bytes
        if request.fragments or not self._cuts_into_fragments(image):
            return request
        try:
            pieces = tuple(split_image(image, max_bytes=limit, fmt=ImageFormat.GBCS,
                                       max_whole_bytes=max(len(image), 1)))
        except ProtocolError:
            return request  # not an image it can cut: validation refuses it and says why
        return replace(request, fragments=pieces)

    def _validate(self, request: UpdateFirmwareRequest) -> ServiceRequestResponse:
        rid = request.request_id

        def reject(reason: RejectReason, detail: str,
                   invalid: tuple[DeviceRejection, ...] = ()) -> Rejected:
            return Rejected(rid, reason, detail, invalid)

        if rid in self._responses:
            return reject(RejectReason.DUPLICATE_REQUEST_ID, f"request_id {rid!r} was already used")
        refusal = self._requester_refusal(request)
        if refusal is not None:
            return reject(*refusal)
        as_implemented = self.rules == "as-implemented"
        if (as_implemented and request.variant not in _AS_IMPLEMENTED_VARIANTS) or (
                not as_implemented and request.variant is RequestVariant.SR_11_1_UPDATE_FIRMWARE):
            return reject(RejectReason.VARIANT_NOT_SUPPORTED,
                          "as implemented, SR 11.4 'Update PPMID Firmware' (PPMIDs) and SR 11.1 'Update "
                          "Firmware' (HCALCSs) exist; HCALCSs are not in the minutes")
        parsed = self._check_image(request)
        if isinstance(parsed, Rejected):
            return parsed
        valid: list[int] = []
        invalid: list[DeviceRejection] = []
        key_verdicts: dict[int, DeviceRejection | None] = {}
        for device in self._listed_devices(request):
            problem = self._check_device(request, device, parsed, key_verdicts)
            if problem is None:
                valid.append(device)
            else:
                invalid.append(problem)
        invalid = self._reported_invalid(invalid)
        if not valid:
            reasons = {p.reason for p in invalid}
            reason = reasons.pop() if len(reasons) == 1 else RejectReason.NO_VALID_DEVICES
            detail = "; ".join(f"{d.device:#018x}: {d.detail}" for d in invalid)
            return reject(reason, detail, tuple(invalid))
        if invalid:
            return WarningResponse(rid, tuple(valid), tuple(invalid))
        return Acknowledged(rid, tuple(valid))

    def _check_image(self, request: UpdateFirmwareRequest) -> OtaImage | Rejected:
        """The parsed image, or the Rejected answer."""
        rid = request.request_id
        image = request.firmware_image
        limit = self.max_image_bytes
        if request.fragments:
            try:
                for i, fragment in enumerate(request.fragments):
                    try:
                        parse_fragment(fragment, max_bytes=limit)
                    except ProtocolError as err:
                        err.field = f"fragments[{i}].{err.field}" if err.field else f"fragments[{i}]"
                        raise
                image = reassemble(request.fragments, max_fragment_bytes=limit)
            except ProtocolError as err:
                return Rejected(rid, RejectReason.FRAGMENTS_INVALID, err.describe())
        if not request.fragments and self._too_big(len(image)):
            return Rejected(rid, RejectReason.IMAGE_TOO_LARGE,
                            f"image is {len(image)} bytes, the limit is {limit}; send it fragmented")
        try:
            parsed = self._parse(image, max(limit, len(image)))
        except ProtocolError as err:
            return Rejected(rid, RejectReason.IMAGE_MALFORMED, err.describe())
        empty = self._content_refusal(parsed)
        if empty is not None:
            return Rejected(rid, RejectReason.IMAGE_MALFORMED, empty)
        if parsed.header.file_version != request.file_version:
            return Rejected(rid, RejectReason.FIRMWARE_VERSION_MISMATCH,
                            f"FirmwareVersion {request.firmware_version.hex()} is file_version "
                            f"{request.file_version:#010x}, the image header says "
                            f"{parsed.header.file_version:#010x}")
        return parsed

    def _parse(self, image: bytes, max_size: int) -> OtaImage:
        """``parse_image`` remembering the last image parsed: a Supplier sends the same image
        to many premises, and parsing is pure (the signature is still checked per request)."""
        last = self._last_parsed
        if last is not None and last[1] == max_size and (last[0] is image or last[0] == image):
            return last[2]
        parsed = parse_image(image, max_size=max_size, expected_format=ImageFormat.GBCS)
        self._last_parsed = (image, max_size, parsed)
        return parsed

    def _check_device(self, request: UpdateFirmwareRequest, device: int, parsed: OtaImage,
                      key_verdicts: dict[int, DeviceRejection | None]) -> DeviceRejection | None:
        header = parsed.header
        def bad(reason: RejectReason, detail: str) -> DeviceRejection:
            return DeviceRejection(device, reason, detail)

        record = self._devices.get(device)
        if record is None:
            return bad(RejectReason.UNKNOWN_DEVICE, "not in the Smart Metering Inventory")
        sr_11_1 = request.variant is RequestVariant.SR_11_1_UPDATE_FIRMWARE
        if (record.kind == "hcalcs") != sr_11_1 or record.kind not in _TARGET_KINDS | {"hcalcs"}:
            return bad(RejectReason.NOT_A_HAN_FIRMWARE_TARGET,
                       f"a {record.kind}: SR 11.1 is for HCALCSs, the other requests for PPMIDs or IHDs")
        if record.kind == "ihd" and self.rules == "as-implemented":
            return bad(RejectReason.DEVICE_KIND_OUT_OF_SCOPE,
                       "IHDs left the scope of SECMP0007 as implemented (PPMIDs only)")
        if not record.commissioned:
            return bad(RejectReason.NOT_COMMISSIONED, "installed, not commissioned")
        if not record.paired:
            return bad(RejectReason.NOT_PAIRED_TO_HUB, "not paired to its premises' Communications Hub")
        if not record.gbcs_supports_request:
            return bad(RejectReason.GBCS_VERSION_NOT_SUPPORTED,
                       "its recorded GBCS version does not support this request")
        refusal = self._responsibility_refusal(request, record)
        if refusal is not None:
            return bad(*refusal)
        if (header.manufacturer_code, header.image_type) != (record.manufacturer_code, record.image_type):
            return bad(RejectReason.IMAGE_NOT_FOR_DEVICE,
                       f"image is for manufacturer {header.manufacturer_code:#06x} type "
                       f"{header.image_type:#06x}, the device is {record.manufacturer_code:#06x} "
                       f"type {record.image_type:#06x}")
        # SR 11.1: GBCS leaves image validity to the manufacturer (domain.md §2): the DCC does
        # not check the signature; the device does, and CS06's hash gates the activation.
        verdict = None if sr_11_1 else key_verdicts.get(id(record.public_key), _UNSET)
        if verdict is _UNSET:
            verdict = self._check_signature(device, parsed, record.public_key)
            key_verdicts[id(record.public_key)] = verdict
        if verdict is not None:
            return DeviceRejection(device, verdict.reason, verdict.detail)
        precedence = self._precedence_refusal(device, request)
        if precedence is not None:
            return bad(RejectReason.NOT_RESPONSIBLE_SUPPLIER, precedence)
        busy = self._distribution_refusal(device)
        return None if busy is None else bad(RejectReason.DISTRIBUTION_IN_PROGRESS, busy)

    @staticmethod
    def _check_signature(device: int, parsed: OtaImage,
                         public_key: ec.EllipticCurvePublicKey) -> DeviceRejection | None:
        try:
            verify_image(parsed, public_key)
        except SignatureMissingError as err:
            return DeviceRejection(device, RejectReason.SIGNATURE_MISSING, err.describe())
        except ProtocolError as err:
            return DeviceRejection(device, RejectReason.SIGNATURE_INVALID, err.describe())
        return None

    # -- the rules a named fault breaks
    def _precedence_refusal(self, device: int, request: UpdateFirmwareRequest) -> str | None:
        """No Supplier's earlier update of a device takes precedence over another's request."""
        return None

    def _distribution_refusal(self, device: int) -> str | None:
        """A device whose distribution is still in progress is refused: no request overrides another."""
        progress = self._progress.get(device)
        if progress is not None and not progress.resolved:
            return "a distribution to this device is in progress; no request overrides another"
        return None

    def _listed_devices(self, request: UpdateFirmwareRequest) -> Iterable[int]:
        """A device listed twice is acted on once (the reference profile's reading)."""
        return dict.fromkeys(request.device_ids)

    def _reported_invalid(self, invalid: list[DeviceRejection]) -> list[DeviceRejection]:
        """Each refused device is reported with its own reason."""
        return invalid

    def _requester_refusal(self, request: UpdateFirmwareRequest) -> tuple[RejectReason, str] | None:
        """Only a DCC user holding a Supplier role, in a role that may send the request."""
        if request.requester not in self._suppliers:
            return (RejectReason.REQUESTER_NOT_A_SUPPLIER,
                    f"{request.requester!r} holds no Supplier role at the DCC")
        return self._role_refusal(request)

    def _role_refusal(self, request: UpdateFirmwareRequest) -> tuple[RejectReason, str] | None:
        if request.requester_role not in SR_11_4_ROLES:
            return (RejectReason.ROLE_MAY_NOT_SEND,
                    f"sent in the role {request.requester_role.value}; only an Import or a Gas "
                    "Supplier may send it")
        return None

    def _responsibility_refusal(self, request: UpdateFirmwareRequest,
                                record: DeviceRecord) -> tuple[RejectReason, str] | None:
        """The requester supplies a meter at the device's premises, in the role it sent."""
        premises = self._premises[record.premises_id]
        fuels = {m.fuel for m in premises.meters if m.supplier == request.requester}
        if not fuels:
            return (RejectReason.NOT_RESPONSIBLE_SUPPLIER,
                    f"{request.requester!r} supplies no meter at premises {record.premises_id!r}")
        wanted = "gas" if request.requester_role is SupplierRole.GAS_SUPPLIER else "electricity"
        if wanted not in fuels:
            return (RejectReason.ROLE_NOT_HELD,
                    f"{request.requester!r} is not the {wanted} Supplier at {record.premises_id!r}")
        return None

    def _too_big(self, size: int) -> bool:
        """A whole image above the size limit is refused (exactly the limit is not)."""
        return size > self.max_image_bytes

    def _cuts_into_fragments(self, image: bytes) -> bool:
        """wg-2016: the DCC cuts a whole image above the limit into fragments (SECMP7-FRAG-001)."""
        return self.rules == "wg-2016" and len(image) > self.max_image_bytes

    def _content_refusal(self, parsed: OtaImage) -> str | None:
        """A header alone, with an empty Manufacturer Image, is no firmware."""
        if not parsed.manufacturer_image:
            return "the Manufacturer Image is empty: a header alone is no firmware"
        return None
