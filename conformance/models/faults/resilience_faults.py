"""The named faults of the reference device that break the resilience of a download
(features/resilience.feature, SECMP7-RES): a power cycle, a hub restart, a silent hub, storage.
They are device faults like the others: :mod:`.device_faults` lists them and imports this
module to register them (import that module, not this one)."""

from __future__ import annotations

from hanota.protocol import ota_commands as oc

from ..device import DeviceState, OtaDevice
from ..device_checks import Offer
from .device_faults import REGISTRY
from .device_faults import DeviceFault as F

S = DeviceState
implements = REGISTRY.implements


@implements(F.RUN_PARTIAL_IMAGE_AFTER_POWER_CYCLE)
class RunPartialImageAfterPowerCycle(OtaDevice):
    """wakes up from a power cycle on the image it was downloading, though it has only part of it"""

    def _power_up(self) -> None:
        if self._offer is not None and self._buffer and not self._verified:
            self.firmware_version = self._offer.file_version


@implements(F.LOSE_DOWNLOAD_ON_POWER_CYCLE)
class LoseDownloadOnPowerCycle(OtaDevice):
    """loses its download at a power cycle and starts again from offset 0, though it declares
    resume_after_power_cycle"""

    def power_cycle(self) -> None:
        self.keeps_download_over_power_cycle = False
        super().power_cycle()


@implements(F.ACTIVATE_ON_POWER_UP)
class ActivateOnPowerUp(OtaDevice):
    """runs a verified image that was waiting for its upgrade time as soon as it is switched on
    again, without waiting for the upgrade time"""

    def _power_up(self) -> None:
        if self._offer is not None and self._verified:
            self._activate()


class _DeafToNotify(OtaDevice):
    """(base of the faults that stop taking Image Notify)"""

    _deaf = False

    def _on_image_notify(self, cmd: oc.ImageNotify) -> DeviceState:
        return self.state if self._deaf else super()._on_image_notify(cmd)


@implements(F.IGNORE_NOTIFY_AFTER_ABORT)
class IgnoreNotifyAfterAbort(_DeafToNotify):
    """after an Image Block Response ABORT, takes no further Image Notify (it never queries the hub
    again by itself)"""

    def _on_block_abort(self, cmd: oc.ImageBlockResponse) -> DeviceState:
        self._deaf = True
        return super()._on_block_abort(cmd)


@implements(F.RETRY_FOREVER)
class RetryForever(OtaDevice):
    """re-sends an unanswered request without end: it never gives up a silent hub"""

    def _on_timeout(self, cmd: None) -> DeviceState:
        self._retries = 0
        return super()._on_timeout(cmd)


@implements(F.STUCK_AFTER_REFUSAL)
class StuckAfterRefusal(_DeafToNotify):
    """after refusing an offer it cannot take (larger than its storage), takes no further Image
    Notify: its OTA client stays stuck until a reset"""

    def _on_query_response(self, cmd: oc.QueryNextImageResponse) -> DeviceState:
        state = super()._on_query_response(cmd)
        if state is S.IDLE and (self.last_verification or "").startswith("offer:"):
            self._deaf = True
        return state


@implements(F.SWITCH_VERSION_KEEPING_DATA)
class SwitchVersionKeepingData(OtaDevice):
    """on an Image Notify naming a newer version of its image mid-download, goes on downloading
    under that version from its FileOffset, without a Query Next Image (it mixes two images)"""

    def _on_image_notify(self, cmd: oc.ImageNotify) -> DeviceState:
        offer = self._offer
        if self.state in (S.BLOCK_REQUESTED, S.BLOCK_WAIT) and offer is not None \
                and int(cmd.payload_type) >= 3 and cmd.new_file_version is not None \
                and cmd.new_file_version > offer.file_version:
            self._offer = Offer(offer.manufacturer_code, offer.image_type, cmd.new_file_version,
                                offer.image_size)
            return self.state
        return super()._on_image_notify(cmd)


@implements(F.CORRUPT_TAIL_ON_POWER_CYCLE)
class CorruptTailOnPowerCycle(OtaDevice):
    """keeps its FileOffset over a power cycle but not the last block written before it (the offset
    was saved before the data): the image it completes has a hole"""

    def _power_up(self) -> None:
        if self._offer is not None and self._buffer and not self._verified:
            tail = min(len(self._buffer), self.max_data_size)
            self._buffer[-tail:] = bytes(tail)
