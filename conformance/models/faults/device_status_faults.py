"""Named faults of the reference device in its client attributes, its reading of the Upgrade End
Response and its Image Page Requests (features/upgrade_status.feature,
features/page_and_specific_files.feature). Each is a subclass of the reference device, as in
:mod:`.device_faults`, whose enum names them and which imports this module to register them.
"""

from __future__ import annotations

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import DeviceViolationError
from hanota.protocol.zcl import ImageUpgradeStatus, OtaAttribute

from ..device import DeviceState, OtaDevice
from .device_faults import F, implements

__all__: list[str] = []

S = DeviceState


@implements(F.STATUS_NORMAL_WHILE_DOWNLOADING)
class StatusNormalWhileDownloading(OtaDevice):
    """reports ImageUpgradeStatus normal while it downloads"""

    @property
    def image_upgrade_status(self) -> ImageUpgradeStatus:
        if self.state in (S.BLOCK_REQUESTED, S.BLOCK_WAIT):
            return ImageUpgradeStatus.NORMAL
        return super().image_upgrade_status


@implements(F.NO_DOWNLOAD_COMPLETE_STATUS)
class NoDownloadCompleteStatus(OtaDevice):
    """reports ImageUpgradeStatus download in progress, not download complete, once it has the
    whole image and awaits the Upgrade End Response"""

    @property
    def image_upgrade_status(self) -> ImageUpgradeStatus:
        if self.state is S.END_REQUESTED:
            return ImageUpgradeStatus.DOWNLOAD_IN_PROGRESS
        return super().image_upgrade_status


@implements(F.FILE_OFFSET_BEHIND)
class FileOffsetBehind(OtaDevice):
    """reports as FileOffset the offset of the last block it received, not the offset after it"""

    _last_block = 0

    def _store_block(self, file_offset: int, data: bytes) -> None:
        super()._store_block(file_offset, data)
        self._last_block = len(data)

    def _attributes(self) -> dict[OtaAttribute, int]:
        values = super()._attributes()
        values[OtaAttribute.FILE_OFFSET] = max(0, values[OtaAttribute.FILE_OFFSET] - self._last_block)
        return values


@implements(F.DOWNLOADED_VERSION_UNSET)
class DownloadedVersionUnset(OtaDevice):
    """reports DownloadedFileVersion 0xFFFFFFFF (none) while it holds a downloaded image"""

    def _attributes(self) -> dict[OtaAttribute, int]:
        return {**super()._attributes(), OtaAttribute.DOWNLOADED_FILE_VERSION: 0xFFFF_FFFF}


@implements(F.UPGRADE_SERVER_ID_UNSET)
class UpgradeServerIdUnset(OtaDevice):
    """reports UpgradeServerID 0xFFFFFFFFFFFFFFFF (no server) while it downloads from its hub"""

    def _attributes(self) -> dict[OtaAttribute, int]:
        return {**super()._attributes(), OtaAttribute.UPGRADE_SERVER_ID: 0xFFFF_FFFF_FFFF_FFFF}


@implements(F.PAST_UPGRADE_TIME_WRAPS)
class PastUpgradeTimeWraps(OtaDevice):
    """subtracts current time from an upgrade time already past without a sign: it waits about
    136 years instead of upgrading at once"""

    def _activation_delay_s(self, cmd: oc.UpgradeEndResponse) -> int | None:
        delay = super()._activation_delay_s(cmd)
        if delay == 0 and cmd.current_time and cmd.upgrade_time < cmd.current_time:
            return (int(cmd.upgrade_time) - int(cmd.current_time)) & 0xFFFF_FFFF
        return delay


@implements(F.REFUSE_WILDCARD_END_RESPONSE)
class RefuseWildcardEndResponse(OtaDevice):
    """refuses an Upgrade End Response that names the image with a wildcard (manufacturer code or
    image type 0xFFFF, file version 0xFFFFFFFF), as if it named another image"""

    def _on_upgrade_end_response(self, cmd: oc.UpgradeEndResponse) -> DeviceState:
        if 0xFFFF in (cmd.manufacturer_code, cmd.image_type) or cmd.file_version == 0xFFFF_FFFF:
            raise DeviceViolationError("Upgrade End Response names another image",
                                       field="upgrade_end_response.file_version")
        return super()._on_upgrade_end_response(cmd)


@implements(F.PAGE_REQUEST_PER_BLOCK)
class PageRequestPerBlock(OtaDevice):
    """sends a new Image Page Request after every block, without waiting for the rest of the page
    it asked for"""

    def _page_continues(self) -> bool:
        self._page_end = None
        return False


@implements(F.PAGE_SKIPS_MISSING_BLOCKS)
class PageSkipsMissingBlocks(OtaDevice):
    """when a page comes short, counts the missing blocks as received (zeros) and asks for the page
    after it"""

    def _on_timeout(self, cmd: None) -> DeviceState:
        end = self._page_end
        if self.state is S.BLOCK_REQUESTED and end is not None and len(self._buffer) < end:
            self._buffer += bytes(end - len(self._buffer))
        return super()._on_timeout(cmd)


@implements(F.NO_ASKING_AGAIN_WHILE_WAITING)
class NoAskingAgainWhileWaiting(OtaDevice):
    """told to wait for the hub's command (upgrade time 0xFFFFFFFF), waits silently: it never
    sends its Upgrade End Request again"""

    def _wait_for_command(self) -> DeviceState:
        return S.WAITING_TO_UPGRADE


@implements(F.RESERVED_TYPE_AS_FIRMWARE)
class ReservedTypeAsFirmware(OtaDevice):
    """takes a file of an image type reserved for device-specific files (0xFFC0-0xFFFE) from its
    own manufacturer as firmware for any device"""

    def _identity_refusal(self, what: str, manufacturer_code: int, image_type: int) -> str | None:
        if manufacturer_code == self.manufacturer_code and 0xFFC0 <= image_type <= 0xFFFE:
            return None
        return super()._identity_refusal(what, manufacturer_code, image_type)
