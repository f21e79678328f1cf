"""The named faults of the reference DCC (:class:`~..dcc.Dcc`), each a DCC the suite must catch.

Each fault is a subclass of the reference DCC that overrides the hook methods it needs; its
docstring says what the DCC then does. Build a faulty DCC with ``dcc_class(names)(clock, ...)``;
an unknown name is a usage error naming the valid ones.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import replace

from hanota.protocol.ota_image import OtaImage

from ..dcc import Dcc
from ..dcc_records import DeviceRecord, _DeviceProgress, _Distribution, _Premises
from ..service_request import (
    DeviceRejection,
    FirmwareConfirmedAlert,
    Rejected,
    RejectReason,
    ServiceRequestResponse,
    UpdateFirmwareRequest,
)
from . import Registry

__all__ = ["FAULTS", "REGISTRY", "DccFault", "dcc_class"]


class DccFault(enum.StrEnum):
    """The DCC's fault names (the values), in the order the table lists them."""

    GROUP_ALERTS = "group-alerts"
    INVENTORY_FROM_REQUEST = "inventory-from-request"
    NO_ALERT_A = "no-alert-a"
    NO_ALERT_C = "no-alert-c"
    ALLOW_OVERRIDE = "allow-override"
    ACCEPT_OVERSIZE = "accept-oversize"
    NO_FRAGMENTATION = "no-fragmentation"
    NO_STAGGER = "no-stagger"
    ACCEPT_NON_SUPPLIER = "accept-non-supplier"
    ALERT_C_TOO_LATE = "alert-c-too-late"
    REJECT_AT_LIMIT = "reject-at-limit"
    ACCEPT_EMPTY_IMAGE = "accept-empty-image"
    LOCK_OUT_SECOND_SUPPLIER = "lock-out-second-supplier"
    WARN_ALL_INVALID = "warn-all-invalid"
    ACCEPT_ANY_ROLE = "accept-any-role"
    ACT_ON_DUPLICATES = "act-on-duplicates"
    ACTIVATION_OUTCOME_AS_SUCCESS = "activation-outcome-as-success"
    DROP_IMAGE_DISCARDED = "drop-image-discarded"
    NO_N60 = "no-n60"
    CCS08_CODE_LOST = "ccs08-code-lost"
    CS08_FAILURE_AS_SUCCESS = "cs08-failure-as-success"
    RESULT_8F8B_IGNORED = "8f8b-result-ignored"


F = DccFault
REGISTRY: Registry[DccFault, Dcc] = Registry("DCC", Dcc, DccFault)
implements = REGISTRY.implements


@implements(F.GROUP_ALERTS)
class GroupAlerts(Dcc):
    """one alert per device naming every Supplier, delivered to the first only"""

    def _batches(self, suppliers: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        return [(suppliers[0], suppliers)]


@implements(F.INVENTORY_FROM_REQUEST)
class InventoryFromRequest(Dcc):
    """writes the requested version into the inventory on acceptance, never the version read back"""

    def _accepted(self, device: int, request: UpdateFirmwareRequest) -> None:
        super()._accepted(device, request)
        self.inventory._record_unconfirmed(device, request.file_version, time_ms=self.clock.now_ms,
                                           request_id=request.request_id)

    def _confirm_inventory(self, device: int, version: int, request: UpdateFirmwareRequest) -> None:
        return None


@implements(F.NO_ALERT_A)
class NoAlertA(Dcc):
    """never sends alert (a)"""

    def _alert_processed(self, dist: _Distribution) -> None:
        return None


@implements(F.NO_ALERT_C)
class NoAlertC(Dcc):
    """never sends alert (c)"""

    def _raise_confirmation(self, alert: FirmwareConfirmedAlert) -> None:
        return None


@implements(F.ALLOW_OVERRIDE)
class AllowOverride(Dcc):
    """distributes at once even if another distribution is in progress"""

    def _may_start(self, premises: _Premises) -> bool:
        return True

    def _distribution_refusal(self, device: int) -> str | None:
        return None


@implements(F.ACCEPT_OVERSIZE)
class AcceptOversize(Dcc):
    """skips the image size limit"""

    def _too_big(self, size: int) -> bool:
        return False

    def _cuts_into_fragments(self, image: bytes) -> bool:
        return False  # distributes the oversize image whole


@implements(F.NO_FRAGMENTATION)
class NoFragmentation(Dcc):
    """under wg-2016, refuses an image above the size limit instead of delivering it in fragments
    it makes itself"""

    def _cuts_into_fragments(self, image: bytes) -> bool:
        return False


@implements(F.NO_STAGGER)
class NoStagger(Dcc):
    """delivers every alert the moment it is raised, however close to the last one"""

    def _random_delay_ms(self) -> int:
        return 0

    def _next_slot(self, due: int, last: int | None) -> int:
        return due


@implements(F.ACCEPT_NON_SUPPLIER)
class AcceptNonSupplier(Dcc):
    """skips the requester checks (Supplier, role, responsibility)"""

    def _requester_refusal(self, request: UpdateFirmwareRequest) -> tuple[RejectReason, str] | None:
        return None

    def _responsibility_refusal(self, request: UpdateFirmwareRequest,
                                record: DeviceRecord) -> tuple[RejectReason, str] | None:
        return None


@implements(F.ALERT_C_TOO_LATE)
class AlertCTooLate(Dcc):
    """delivers alert (c) after its service level"""

    def _raise_confirmation(self, alert: FirmwareConfirmedAlert) -> None:
        self._raise_alert(alert, delay_ms=self.service_level_ms + 1)


@implements(F.REJECT_AT_LIMIT)
class RejectAtLimit(Dcc):
    """refuses a whole image of exactly the size limit (an off-by-one size check)"""

    def _too_big(self, size: int) -> bool:
        return size >= self.max_image_bytes


@implements(F.ACCEPT_EMPTY_IMAGE)
class AcceptEmptyImage(Dcc):
    """accepts and distributes an image whose Manufacturer Image is empty"""

    def _content_refusal(self, parsed: OtaImage) -> str | None:
        return None


@implements(F.LOCK_OUT_SECOND_SUPPLIER)
class LockOutSecondSupplier(Dcc):
    """once a Supplier has updated a device, refuses every other Supplier's request for it
    (precedence)"""

    _updated_by: dict[int, str] | None = None  # device -> the Supplier whose request updated it

    def _accepted(self, device: int, request: UpdateFirmwareRequest) -> None:
        super()._accepted(device, request)
        if self._updated_by is None:
            self._updated_by = {}
        self._updated_by[device] = request.requester

    def _precedence_refusal(self, device: int, request: UpdateFirmwareRequest) -> str | None:
        earlier = (self._updated_by or {}).get(device)
        if earlier not in (None, request.requester):
            return f"{earlier!r} updated this device and takes precedence"
        return super()._precedence_refusal(device, request)


@implements(F.WARN_ALL_INVALID)
class WarnAllInvalid(Dcc):
    """names every refused device in InvalidDeviceIDList, whatever its reason"""

    def _reported_invalid(self, invalid: list[DeviceRejection]) -> list[DeviceRejection]:
        return [replace(p, reason=RejectReason.UNKNOWN_DEVICE) for p in invalid]


@implements(F.ACCEPT_ANY_ROLE)
class AcceptAnyRole(Dcc):
    """takes the request from a Supplier in any DCC user role"""

    def _role_refusal(self, request: UpdateFirmwareRequest) -> tuple[RejectReason, str] | None:
        return None


@implements(F.ACT_ON_DUPLICATES)
class ActOnDuplicates(Dcc):
    """distributes once per occurrence of a device in the DeviceIDList"""

    def _listed_devices(self, request: UpdateFirmwareRequest) -> Iterable[int]:
        return request.device_ids

    def submit(self, request: UpdateFirmwareRequest) -> ServiceRequestResponse:
        response = super().submit(request)
        if isinstance(response, Rejected):
            return response
        accepted = response.devices
        request = self._own_fragments(request)
        pieces = request.fragments or (request.firmware_image,)
        seen: set[int] = set()
        for device in accepted:  # a second occurrence: one more distribution, queued
            if device in seen:
                premises = self._premises[self._devices[device].premises_id]
                premises.queue.append(_Distribution(request, premises, (device,), pieces, {device}))
            seen.add(device)
        return response


@implements(F.ACTIVATION_OUTCOME_AS_SUCCESS)
class ActivationOutcomeAsSuccess(Dcc):
    """passes every SR 11.3 (CS06) outcome on as 0x8F66 success"""

    def _activation_outcome(self, code: int, alert: int) -> tuple[int, int]:
        return (0, 0x8F66) if code != 0 else (code, alert)


@implements(F.DROP_IMAGE_DISCARDED)
class DropImageDiscarded(Dcc):
    """under as-implemented, does not pass on CCS08 'Image Discarded' (response code 1, N61)"""

    def _passed_on(self, code: int) -> tuple[bool, int]:
        pass_on, code_out = super()._passed_on(code)
        return pass_on and code != 1, code_out


@implements(F.NO_N60)
class NoN60(Dcc):
    """under as-implemented, does not pass on a CCS08 Success (N60)"""

    def _passed_on(self, code: int) -> tuple[bool, int]:
        pass_on, code_out = super()._passed_on(code)
        return pass_on and code != 0, code_out


@implements(F.CCS08_CODE_LOST)
class Ccs08CodeLost(Dcc):
    """passes every CCS08 failure on as response code 3 File Transfer Failure, whatever the hub's
    code"""

    def _passed_on(self, code: int) -> tuple[bool, int]:
        pass_on, code_out = super()._passed_on(code)
        return pass_on, 3 if code_out != 0 else code_out


@implements(F.CS08_FAILURE_AS_SUCCESS)
class Cs08FailureAsSuccess(Dcc):
    """takes a CS08 responseCode 1 (read failed) as a read of the version the inventory holds"""

    def _failed_read(self, device: int, code: int) -> tuple[int | None, int]:
        return self.inventory.firmware_version(device), 0


@implements(F.RESULT_8F8B_IGNORED)
class Result8F8BIgnored(Dcc):
    """alert (c) reports activateImage 0 whatever the hub's 0x8F8B said"""

    def _activation_result(self, progress: _DeviceProgress) -> int | None:
        return None if progress.activation is None else 0


REGISTRY.complete()

#: fault name -> what the DCC then does (the mutation table and the docs list them)
FAULTS: dict[str, str] = REGISTRY.descriptions()
dcc_class = REGISTRY.model
