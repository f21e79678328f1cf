"""The named faults of the reference device in Query Device Specific File (SECMP7-XFER-003,
features/page_and_specific_files.feature): a request that does not name the device or the file
it declares, a download of a file the hub does not offer, a device-specific file run as
firmware. Device faults like the others: :mod:`.device_faults` lists them and imports this
module to register them (import that module, not this one)."""

from __future__ import annotations

from hanota.protocol import ota_commands as oc

from ..device import OtaDevice
from ..device_specific import _Download
from .device_faults import REGISTRY
from .device_faults import DeviceFault as F

implements = REGISTRY.implements


@implements(F.SPECIFIC_QUERY_OTHER_ADDRESS)
class SpecificQueryOtherAddress(OtaDevice):
    """asks for its device-specific file with a request node address that is not its own EUI-64
    (one bit flipped)"""

    def _specific_request_address(self) -> int:
        return self.eui64 ^ 1


@implements(F.SPECIFIC_QUERY_FIRMWARE_TYPE)
class SpecificQueryFirmwareType(OtaDevice):
    """asks for its device-specific file under its firmware's image type, not the reserved type it
    declares"""

    def _specific_query_type(self) -> int:
        return self.image_type


@implements(F.SPECIFIC_QUERY_RESERVED_STACK)
class SpecificQueryReservedStack(OtaDevice):
    """gives a reserved ZigBee stack version (0xFFFF) in its Query Device Specific File Request"""

    def _specific_stack_version(self) -> int:
        return 0xFFFF


@implements(F.DOWNLOAD_WITHOUT_SPECIFIC_FILE)
class DownloadWithoutSpecificFile(OtaDevice):
    """told NO_IMAGE_AVAILABLE, asks for blocks of its device-specific file all the same (file
    version 0, from offset 0)"""

    def _on_specific_no_file(self, cmd: oc.QueryDeviceSpecificFileResponse) -> None:
        assert self.specific_file_type is not None
        self._ask_specific_block(_Download(self.manufacturer_code, self.specific_file_type, 0, 1))


@implements(F.RUN_SPECIFIC_FILE)
class RunSpecificFile(OtaDevice):
    """runs the device-specific file it downloaded as its firmware when the hub's Upgrade End
    Response says its upgrade time has come"""

    def _on_specific_end(self, download: _Download, cmd: oc.UpgradeEndResponse) -> None:
        self.firmware_version = download.file_version
        self.activations.append((self.clock.now_ms, download.file_version))
