"""The DCC's firmware Service Request for HAN devices, its responses and the alerts it sends.

Fields follow SR 11.4 'Update PPMID Firmware' (SECMP0007 as implemented: FirmwareImage,
FirmwareVersion, DeviceIDList; Import or Gas Supplier) and the minutes' 'Send PPMID / IHD
Firmware' variant. Names of alert records describe their meaning; they are this project's
names, never official DUIS alert codes. Where the as-implemented rules map one onto a DCC
alert code (N60 firmware delivered, N61 not delivered) the record carries that code in
``dcc_alert_code`` and says so.

FirmwareVersion byte order (a documented choice, see docs/reference-dcc.md): the 4 octets of
FirmwareVersion are the OTA header's 32-bit ``file_version`` written most significant octet
first, so ``file_version`` 0x01020304 is FirmwareVersion ``01 02 03 04`` as it reads in a hex
dump of the DUIS XML. The OTA header itself stores it little-endian on the HAN.
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass, field

from hanota.protocol.errors import HarnessUsageError

__all__ = [
    "Acknowledged",
    "ActivateFirmwareRequest",
    "ActivationOutcomeAlert",
    "Alert",
    "AlertKind",
    "DeviceRejection",
    "FirmwareConfirmedAlert",
    "RejectReason",
    "Rejected",
    "SR_11_4_ROLES",
    "WARNING_LISTS",
    "RequestProcessedAlert",
    "RequestVariant",
    "ServiceRequestResponse",
    "SupplierRole",
    "TransferOutcomeAlert",
    "UpdateFirmwareRequest",
    "WarningResponse",
    "file_version_to_firmware_version",
    "firmware_version_to_file_version",
]


class SupplierRole(enum.StrEnum):
    """The DCC user role a request is sent in. SR 11.4 may be sent by an Import Supplier or a
    Gas Supplier only (:data:`SR_11_4_ROLES`); the others are DCC user roles that may not."""

    IMPORT_SUPPLIER = "import-supplier"
    GAS_SUPPLIER = "gas-supplier"
    EXPORT_SUPPLIER = "export-supplier"
    ELECTRICITY_DISTRIBUTOR = "electricity-distributor"
    GAS_TRANSPORTER = "gas-transporter"
    OTHER_USER = "other-user"


#: The roles that may send the firmware request (domain.md §2b: Import and Gas Suppliers).
SR_11_4_ROLES = frozenset({SupplierRole.IMPORT_SUPPLIER, SupplierRole.GAS_SUPPLIER})


class RequestVariant(enum.StrEnum):
    """Which definition of the request this is."""

    #: SR 11.4 'Update PPMID Firmware' (as implemented, PPMIDs only).
    SR_11_4_UPDATE_PPMID_FIRMWARE = "sr-11.4-update-ppmid-firmware"
    #: The minutes' 'Send PPMID / IHD Firmware' (wg-2016, PPMIDs and IHDs).
    SEND_PPMID_IHD_FIRMWARE = "send-ppmid-ihd-firmware"
    #: SR 11.1 'Update Firmware' for an HCALCS (as implemented): distribution only; the image
    #: activates on SR 11.3 'Activate Firmware' (CS06).
    SR_11_1_UPDATE_FIRMWARE = "sr-11.1-update-firmware"


def firmware_version_to_file_version(firmware_version: bytes) -> int:
    """FirmwareVersion (4 octets) to the OTA header file_version: most significant octet first."""
    if len(firmware_version) != 4:
        raise HarnessUsageError(f"FirmwareVersion is 4 octets, got {len(firmware_version)}")
    return int.from_bytes(firmware_version, "big")


def file_version_to_firmware_version(file_version: int) -> bytes:
    """The OTA header file_version as the 4 FirmwareVersion octets (most significant first)."""
    if not 0 <= file_version <= 0xFFFFFFFF:
        raise HarnessUsageError(f"file_version {file_version} does not fit 32 bits")
    return file_version.to_bytes(4, "big")


@dataclass(frozen=True)
class UpdateFirmwareRequest:
    """One firmware Service Request from a Supplier to the DCC.

    ``firmware_image`` is the GBCS Upgrade Image (base64 in DUIS; raw bytes here, see
    :attr:`firmware_image_base64`). ``fragments`` carries an image above the size limit as
    fragments each within it (``protocol.fragments``); then ``firmware_image`` is empty.
    ``device_ids`` are EUI-64s as ints (DeviceIDList).
    """

    request_id: str
    requester: str
    requester_role: SupplierRole
    firmware_image: bytes
    firmware_version: bytes
    device_ids: tuple[int, ...]
    variant: RequestVariant = RequestVariant.SR_11_4_UPDATE_PPMID_FIRMWARE
    fragments: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if len(self.firmware_version) != 4:
            raise HarnessUsageError("firmware_version is 4 octets (FirmwareVersion)")
        if not self.device_ids:
            raise HarnessUsageError("device_ids (DeviceIDList) must name at least one device")
        if any(not 0 <= d < 1 << 64 for d in self.device_ids):
            raise HarnessUsageError("device_ids are EUI-64s (0 <= id < 2**64)")

    @property
    def file_version(self) -> int:
        return firmware_version_to_file_version(self.firmware_version)

    @property
    def firmware_image_base64(self) -> str:
        """FirmwareImage as DUIS carries it."""
        return base64.b64encode(self.firmware_image).decode("ascii")


class RejectReason(enum.StrEnum):
    """Why the DCC refused a request, or one device of it. Our names, not DUIS response codes."""

    REQUESTER_NOT_A_SUPPLIER = "requester-not-a-supplier"
    ROLE_MAY_NOT_SEND = "requester-role-may-not-send-this-request"
    ROLE_NOT_HELD = "requester-does-not-hold-that-role"
    VARIANT_NOT_SUPPORTED = "request-variant-not-supported-under-these-rules"
    DUPLICATE_REQUEST_ID = "duplicate-request-id"
    UNKNOWN_DEVICE = "unknown-device"
    NOT_A_HAN_FIRMWARE_TARGET = "device-is-not-a-ppmid-or-ihd"
    DEVICE_KIND_OUT_OF_SCOPE = "device-kind-out-of-scope-under-these-rules"
    NOT_COMMISSIONED = "device-not-commissioned"
    NOT_PAIRED_TO_HUB = "device-not-paired-to-the-premises-hub"
    GBCS_VERSION_NOT_SUPPORTED = "device-gbcs-version-does-not-support-the-request"
    NOT_RESPONSIBLE_SUPPLIER = "requester-not-responsible-for-a-meter-at-the-premises"
    IMAGE_TOO_LARGE = "image-over-the-size-limit-and-not-fragmented"
    IMAGE_MALFORMED = "image-does-not-parse"
    FRAGMENTS_INVALID = "fragments-do-not-reassemble"
    FIRMWARE_VERSION_MISMATCH = "firmware-version-differs-from-image-header"
    IMAGE_NOT_FOR_DEVICE = "image-manufacturer-or-type-does-not-match-device"
    SIGNATURE_MISSING = "image-not-signed"
    SIGNATURE_INVALID = "signature-does-not-verify-with-manufacturer-key"
    DISTRIBUTION_IN_PROGRESS = "another-distribution-to-this-device-in-progress"
    NO_VALID_DEVICES = "no-valid-device-in-device-id-list"


#: The DSPUpdatePPMIDFirmwareWarning list (DUIS 5.4) each device-scope reason falls in. Which
#: reason goes in which list is the reference profile's reading of the list names.
WARNING_LISTS: dict[RejectReason, str] = {
    RejectReason.UNKNOWN_DEVICE: "InvalidDeviceIDList",
    RejectReason.NOT_A_HAN_FIRMWARE_TARGET: "InvalidDeviceIDList",
    RejectReason.DEVICE_KIND_OUT_OF_SCOPE: "InvalidDeviceIDList",
    RejectReason.NOT_COMMISSIONED: "NotCommissionedDeviceIDList",
    RejectReason.NOT_PAIRED_TO_HUB: "NotCommissionedDeviceIDList",
    RejectReason.IMAGE_NOT_FOR_DEVICE: "NotApplicableFirmwareDeviceIDList",
    RejectReason.SIGNATURE_MISSING: "NotApplicableFirmwareDeviceIDList",
    RejectReason.SIGNATURE_INVALID: "NotApplicableFirmwareDeviceIDList",
    RejectReason.DISTRIBUTION_IN_PROGRESS: "OtherRequestInProgressList",
    RejectReason.GBCS_VERSION_NOT_SUPPORTED: "InvalidGBCSVersionList",
    RejectReason.NOT_RESPONSIBLE_SUPPLIER: "InvalidDeviceIDList",
    RejectReason.ROLE_NOT_HELD: "InvalidDeviceIDList",
}


@dataclass(frozen=True)
class DeviceRejection:
    """One device of the DeviceIDList the DCC could not act on, and why."""

    device: int
    reason: RejectReason
    detail: str

    @property
    def warning_list(self) -> str | None:
        """The DSPUpdatePPMIDFirmwareWarning list naming this device (None: no such list)."""
        return WARNING_LISTS.get(self.reason)


@dataclass(frozen=True)
class Acknowledged:
    """Accepted for every listed device."""

    request_id: str
    devices: tuple[int, ...]


@dataclass(frozen=True)
class WarningResponse:
    """Accepted for ``devices``; ``invalid`` lists the device IDs it was not (SR 11.4 warning)."""

    request_id: str
    devices: tuple[int, ...]
    invalid: tuple[DeviceRejection, ...]

    @property
    def invalid_device_ids(self) -> tuple[int, ...]:
        return tuple(r.device for r in self.invalid)


@dataclass(frozen=True)
class Rejected:
    """Refused as a whole: nothing distributed, no alert will follow."""

    request_id: str
    reason: RejectReason
    detail: str
    invalid: tuple[DeviceRejection, ...] = ()


ServiceRequestResponse = Acknowledged | WarningResponse | Rejected


class AlertKind(enum.StrEnum):
    """The alerts the DCC sends a Supplier (the minutes' lettering where there is one)."""

    #: (a) the DCC has successfully processed the request for the image's distribution.
    REQUEST_PROCESSED = "a-request-processed"
    #: (c) a short time after the upgrade was due to activate: the version read from the device.
    FIRMWARE_CONFIRMED = "c-firmware-version-confirmed"
    #: as-implemented only: the hub's CCS08 Firmware Transfer Alert passed on per device
    #: (success = DCC alert N60 'delivered', failure such as Image Discarded = N61 'not
    #: delivered'). The minutes' removed requirement (b) covered the discard case, so the
    #: wg-2016 rules never send it.
    TRANSFER_OUTCOME = "ccs08-transfer-outcome"
    #: as-implemented, HCALCS: the outcome of SR 11.3 / CS06 (0x8F66 actioned, 0x8F67 not).
    ACTIVATION_OUTCOME = "cs06-activation-outcome"


@dataclass(frozen=True)
class _AlertBase:
    """Common fields: who gets it, about which device and request, when raised and delivered.

    ``recipients`` is ``(supplier,)`` for an individual alert; a grouped alert (a fault the
    working group ruled out) names several. ``time_ms`` is when the DCC raised it;
    ``delivered_ms`` when it reached the Supplier (the stagger falls between the two).
    """

    supplier: str
    device: int
    request_id: str
    time_ms: int
    delivered_ms: int
    recipients: tuple[str, ...] = field(default=())
    #: the DCC alert code under the as-implemented rules (N60/N61), else None.
    dcc_alert_code: str | None = None


@dataclass(frozen=True)
class RequestProcessedAlert(_AlertBase):
    """Alert (a). Evidence: the hub accepted the whole image (``image_bytes``, ``blocks``)."""

    kind: AlertKind = AlertKind.REQUEST_PROCESSED
    image_bytes: int = 0
    blocks: int = 0
    file_version: int = 0


@dataclass(frozen=True)
class FirmwareConfirmedAlert(_AlertBase):
    """Alert (c). Evidence: the version read from the device (CS08) and the one before.

    ``firmware_version`` is None when the read failed. ``changed`` says whether it differs
    from the version the inventory held; ``matches_request`` whether it is the one requested.
    """

    kind: AlertKind = AlertKind.FIRMWARE_CONFIRMED
    firmware_version: int | None = None
    previous_version: int | None = None
    requested_version: int = 0
    changed: bool = False
    matches_request: bool = False
    read_ms: int = 0
    # From the GBCS frames (as implemented); left out of repr, which the determinism pins hash.
    #: CS08 responseCode of the read (0 success, 1 failure); None if read without GBCS.
    read_response_code: int | None = field(default=None, repr=False)
    #: 0x8F8B when the hub's CS08 alert reported the activation, with its activateImage (0
    #: success, 1 failure) and executionDateTime (as virtual ms).
    device_alert_code: int | None = field(default=None, repr=False)
    activate_image: int | None = field(default=None, repr=False)
    executed_ms: int | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TransferOutcomeAlert(_AlertBase):
    """The hub's CCS08 outcome for one device passed on (as-implemented rules only).

    ``dcc_alert_code`` is N60 (delivered) for response code 0, N61 (not delivered) otherwise.
    """

    kind: AlertKind = AlertKind.TRANSFER_OUTCOME
    #: CCS08 response code (comms_hub.TransferResponseCode): 0 Success, 1 Image Discarded,
    #: 2 Hardware Version Mismatch, 3 File Transfer Failure.
    response_code: int = 0
    hub_time_ms: int = 0
    #: the GBCS alert code of the hub's CCS08 frame (0x8F8A success, 0x8F89 failure) and the
    #: FirmwareVersion it named; None when the hub sent no frame. Not in repr (determinism pins).
    device_alert_code: int | None = field(default=None, repr=False)
    firmware_version: int | None = field(default=None, repr=False)

    @property
    def delivered(self) -> bool:
        return self.response_code == 0


@dataclass(frozen=True)
class ActivationOutcomeAlert(_AlertBase):
    """SR 11.3 / CS06's outcome for an HCALCS, from the hub's GBCS alert (0x00CA): 0x8F66
    actioned (response code 0) or 0x8F67 not actioned (1 no image held, 2 hash mismatch, 3
    activation failure), with the firmware version the device then runs."""

    kind: AlertKind = AlertKind.ACTIVATION_OUTCOME
    response_code: int = 0
    device_alert_code: int | None = None
    firmware_version: int | None = None


@dataclass(frozen=True)
class ActivateFirmwareRequest:
    """SR 11.3 'Activate Firmware' for one HCALCS: the Manufacturer Image hash (SHA-256, 32
    octets) of the image to activate, and when (None: at once)."""

    request_id: str
    requester: str
    requester_role: SupplierRole
    device: int
    manufacturer_image_hash: bytes
    execution_ms: int | None = None

    def __post_init__(self) -> None:
        if len(self.manufacturer_image_hash) != 32:
            raise HarnessUsageError("manufacturer_image_hash is 32 octets (SHA-256)")


Alert = RequestProcessedAlert | FirmwareConfirmedAlert | TransferOutcomeAlert | ActivationOutcomeAlert
